package ui

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/sandbox"
)

// Golden files hold the console's View() at the end of a scripted session
// against a fresh sandbox. The sandbox seed is deterministic (ids, names,
// states), so ids are left as they are. Three things still vary between
// runs and are masked before comparing, each with a placeholder of the same
// width so the layout is what was drawn:
//   - the sandbox's port, in the outbox URL and in links;
//   - absolute timestamps, because the seed dates everything from the
//     sandbox's start time;
//   - the job id and token of a RETURN link, and the request id of an
//     error, which are random per call.
//
// Relative times ("3d ago") need no mask: Options.Now is the moment right
// after the sandbox started, and the seed's offsets are whole hours, so
// rounding gives the same text on every run.
//
// Run `go test ./ui/ -run Golden -update` to rewrite the files.

var (
	maskPort      = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	maskTimestamp = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC`)
	maskLink      = regexp.MustCompile(`credential-binding-jobs/[0-9a-f]+:invokeAuthenticator\?token=\S+`)
	maskRequestID = regexp.MustCompile(`request id(\s+)(\S+)`)
)

func maskView(view string) string {
	view = maskPort.ReplaceAllStringFunc(view, func(s string) string {
		return "127.0.0.1:" + strings.Repeat("x", len(s)-len("127.0.0.1:"))
	})
	view = maskTimestamp.ReplaceAllString(view, "YYYY-MM-DD hh:mm UTC")
	// An error on the status line may wrap between "request id" and the
	// id, so the space is kept as it was drawn.
	view = maskRequestID.ReplaceAllStringFunc(view, func(s string) string {
		m := maskRequestID.FindStringSubmatch(s)
		return "request id" + m[1] + strings.Repeat("x", utf8.RuneCountInString(m[2]))
	})
	// The spinner's frame depends on how long the request has run.
	view = maskSpinner.ReplaceAllString(view, "⠋")
	return maskLink.ReplaceAllString(view, "credential-binding-jobs/JOB_ID:invokeAuthenticator?token=TOKEN")
}

// testLogWriter sends the console's log to t.Log, so a failing test shows
// what the console did.
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startSandboxConsole starts a fresh sandbox and a console over it.
func startSandboxConsole(t *testing.T, profile ProfileInfo) (*root, *sandbox.Sandbox) {
	t.Helper()
	return startSandboxConsoleWith(t, profile, 0)
}

// startSandboxConsoleWith seeds identities demo identities; 0 means the
// sandbox's default.
func startSandboxConsoleWith(t *testing.T, profile ProfileInfo, identities int) (*root, *sandbox.Sandbox) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Identities: identities})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	now := time.Now()
	info := sb.Info()
	api, err := client.New(client.Options{
		BaseURL:    sb.URL(),
		TenantID:   info.TenantID,
		RealmID:    info.RealmID,
		Token:      client.StaticToken(info.APIToken),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		ReadOnly:   profile.ReadOnly,
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	profile.TenantID, profile.RealmID = info.TenantID, info.RealmID
	profile.AuthenticatorConfigID = info.AuthenticatorConfigID
	profile.Sandbox = true
	r := newRoot(Options{
		API:        api,
		Profile:    profile,
		SandboxURL: sb.URL(),
		Logger:     slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        func() time.Time { return now },
	})
	// Keep status messages up for the whole test, so the golden file does
	// not depend on how fast the machine is.
	r.flashTTL = time.Hour
	return r, sb
}

// goldenStep is one action of a scripted session: keys to press, then text
// that must appear on screen before the next step.
type goldenStep struct {
	keys []string
	text string
	wait []string
}

func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name    string
		profile ProfileInfo
		steps   []goldenStep
	}{
		{
			name: "identity_list",
			steps: []goldenStep{
				{wait: []string{"Sandbox realm with 40 identities", "of 40", "Demo Realm", "Sandbox Tenant"}},
			},
		},
		{
			name: "realm_settings",
			steps: []goldenStep{
				{wait: []string{"of 40", "Demo Realm", "Sandbox Tenant"}},
				{keys: []string{"2"}, wait: []string{"SECURE_CUSTOMER"}},
			},
		},
		{
			name: "create_user",
			steps: []goldenStep{
				{wait: []string{"of 40", "Demo Realm", "Sandbox Tenant"}},
				{keys: []string{"n"}, wait: []string{"Create a user in this realm"}},
				{text: "grace.hopper", keys: []string{"tab"}, wait: []string{"grace.hopper"}},
			},
		},
		{
			name: "create_user_conflict",
			steps: []goldenStep{
				{wait: []string{"of 40", "Demo Realm", "Sandbox Tenant"}},
				{keys: []string{"n"}, wait: []string{"Create a user in this realm"}},
				{text: "alice.nguyen", keys: []string{"tab"}},
				{text: "alice2@example.com", keys: []string{"ctrl+s"}, wait: []string{"already exists in this realm"}},
			},
		},
		{
			name: "enrollment_jobs",
			steps: []goldenStep{
				{wait: []string{"of 40", "Demo Realm", "Sandbox Tenant"}},
				{keys: []string{"down", "down", "down", "e"}, wait: []string{"FAILED_TO_SEND", "Hosted Web"}},
				{keys: []string{"enter"}, wait: []string{"Sent EMAIL", "Earlier enrollment jobs (2)"}},
			},
		},
		{
			name: "enrollment_return_link",
			steps: []goldenStep{
				{wait: []string{"of 40", "Demo Realm", "Sandbox Tenant"}},
				{keys: []string{"e"}, wait: []string{"Hosted Web", "Earlier enrollment jobs"}},
				{keys: []string{"right", "enter"}, wait: []string{"Single-use", "Sent RETURN"}},
			},
		},
		{
			name:    "identity_list_production_read_only",
			profile: ProfileInfo{Production: true, ReadOnly: true},
			steps: []goldenStep{
				// At 80 columns the names are clipped to make room for
				// both badges, so only their starts are waited for.
				{wait: []string{"of 40", "realm Demo", "tenant Sandbox"}},
			},
		},
		{
			name: "help_overlay",
			steps: []goldenStep{
				{wait: []string{"of 40", "Demo Realm", "Sandbox Tenant"}},
				{keys: []string{"?"}, wait: []string{"Keys: Identities"}},
			},
		},
	}
	for _, tc := range cases {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				profile := tc.profile
				profile.Name = "sandbox"
				r, _ := startSandboxConsole(t, profile)
				tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(size[0], size[1]))
				for _, step := range tc.steps {
					if step.text != "" {
						tm.Type(step.text)
					}
					for _, k := range step.keys {
						tm.Send(keyMsg(k))
					}
					waitForText(t, tm, step.wait...)
				}
				requireGolden(t, tm)
			})
		}
	}
}

func TestGoldenTooSmall(t *testing.T) {
	for _, size := range [][2]int{{60, 20}, {79, 24}, {80, 23}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			r, _ := startSandboxConsole(t, ProfileInfo{Name: "sandbox"})
			tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(size[0], size[1]))
			waitForText(t, tm, "too small")
			requireGolden(t, tm)
		})
	}
}

// waitForText waits until every text has been drawn since the last wait.
func waitForText(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	if len(texts) == 0 {
		return
	}
	teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
		for _, text := range texts {
			if !bytes.Contains(out, []byte(text)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// requireGolden stops the program and compares its last view, masked,
// with the golden file of the test.
func requireGolden(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	// The quit message goes through the program, so every message sent
	// before it has been handled when the final model comes back.
	tm.Send(tea.Quit())
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*root)
	golden.RequireEqual(t, []byte(maskView(final.View())))
}
