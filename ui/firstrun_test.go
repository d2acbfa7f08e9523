package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
	"github.com/biadmin/biadmin/sandbox"
)

// openTestProfile builds the API for a profile the way the command does:
// endpoints and credentials from config, no API call.
func openTestProfile(ctx context.Context, p *config.Profile) (client.API, ProfileInfo, error) {
	apiBase, _, err := p.Endpoints()
	if err != nil {
		return nil, ProfileInfo{}, err
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	tokens, err := p.TokenSource(ctx, hc)
	if err != nil {
		return nil, ProfileInfo{}, err
	}
	api, err := client.New(client.Options{BaseURL: apiBase, TenantID: p.TenantID, RealmID: p.RealmID, Token: tokens,
		HTTPClient: hc, MaxRetries: -1, ReadOnly: p.ReadOnly})
	if err != nil {
		return nil, ProfileInfo{}, err
	}
	return api, ProfileInfo{Name: p.Name, TenantID: p.TenantID, RealmID: p.RealmID, Region: p.Region,
		ReadOnly: p.ReadOnly, Production: p.Production, Credentials: p.CredentialSummary()}, nil
}

// firstRunRoot returns a console with no config file at path.
func firstRunRoot(t *testing.T, path string, start func(context.Context) (client.API, ProfileInfo, string, error)) *root {
	t.Helper()
	r := newRoot(Options{
		FirstRun: &FirstRun{ConfigPath: path, Open: openTestProfile, StartSandbox: start},
		Logger:   slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      fixedNow,
	})
	r.flashTTL = time.Hour
	return r
}

// noSandbox is a StartSandbox that fails the test: the flows that set up a
// profile must not start one.
func noSandbox(t *testing.T) func(context.Context) (client.API, ProfileInfo, string, error) {
	return func(context.Context) (client.API, ProfileInfo, string, error) {
		t.Error("the sandbox was started")
		return nil, ProfileInfo{}, "", errors.New("not in this test")
	}
}

// displayPath is the config path the goldens show. Those tests never save.
const displayPath = "/home/user/.config/biadmin/config.toml"

func TestGoldenFirstRun(t *testing.T) {
	cases := []struct {
		name  string
		steps []goldenStep
	}{
		{
			name:  "welcome",
			steps: []goldenStep{{wait: []string{"Welcome to biadmin", "Set up a profile"}}},
		},
		{
			name: "profile_form",
			steps: []goldenStep{
				{wait: []string{"Welcome to biadmin"}},
				{keys: []string{"down", "enter"}, wait: []string{"Token variable"}},
			},
		},
		{
			// Custom URLs and client credentials show every field, more
			// than fit at 80x24, and the problems config finds sit under
			// their fields.
			name: "profile_form_problems",
			steps: []goldenStep{
				{wait: []string{"Welcome to biadmin"}},
				{keys: []string{"down", "enter"}, wait: []string{"Token variable"}},
				{keys: []string{"tab", "left", "tab"}, wait: []string{"API base URL"}},
				{text: "http://api.example.com", keys: []string{"tab", "tab"}},
				{text: "0001xyz", keys: []string{"tab", "tab"}},
				{keys: []string{"right", "right", "right", "ctrl+s"}, wait: []string{"must use https", "required"}},
			},
		},
	}
	for _, tc := range cases {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				r := firstRunRoot(t, displayPath, noSandbox(t))
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

// fillProfileForm opens the form from the welcome screen and fills it for
// a profile on the sandbox at url, with the token in environment variable
// tokenEnv, then submits it.
func fillProfileForm(t *testing.T, tm *teatest.TestModel, name, url string, info sandbox.Info, tokenEnv string) {
	t.Helper()
	tm.Send(keyMsg("down"))
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Token variable")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlU}) // clear the "default" name
	tm.Type(name)
	tm.Send(keyMsg("tab"))
	tm.Send(keyMsg("left")) // region: custom URLs
	tm.Send(keyMsg("tab"))
	tm.Type(url)
	tm.Send(keyMsg("tab"))
	tm.Type(url)
	tm.Send(keyMsg("tab"))
	tm.Type(info.TenantID)
	tm.Send(keyMsg("tab"))
	tm.Type(info.RealmID)
	tm.Send(keyMsg("tab"))
	tm.Send(keyMsg("tab")) // credentials: token variable
	tm.Type(tokenEnv)
	tm.Send(keyMsg("ctrl+s"))
}

func TestFirstRunSavesProfile(t *testing.T) {
	sb := startTestSandbox(t)
	info := sb.Info()
	dir := filepath.Join(t.TempDir(), "config", "biadmin")
	path := filepath.Join(dir, "config.toml")
	t.Setenv("BIADMIN_FIRSTRUN_TOKEN", info.APIToken)

	r := firstRunRoot(t, path, noSandbox(t))
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(100, 30))
	waitForText(t, tm, "Welcome to biadmin")
	fillProfileForm(t, tm, "demo", sb.URL(), info, "BIADMIN_FIRSTRUN_TOKEN")
	waitForText(t, tm, "Saved profile demo", "of 40", "Demo Realm")
	final := quitAndWait(t, tm)

	if final.c.profile.Name != "demo" || final.c.api == nil || final.c.api.RealmID() != info.RealmID {
		t.Errorf("the console is on profile %q, realm %v; want demo on %s", final.c.profile.Name, final.c.api, info.RealmID)
	}
	if _, ok := final.current().(*identityList); !ok {
		t.Errorf("after saving the screen is %T, want the identity list", final.current())
	}

	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the config file was not written: %v", err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("config file mode = %o, want 600", perm)
	}
	dst, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := dst.Mode().Perm(); perm != 0o700 {
		t.Errorf("config directory mode = %o, want 700", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), info.APIToken) {
		t.Errorf("the token itself was written to the config file:\n%s", data)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the saved config does not load: %v", err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("the saved config has warnings: %v", cfg.Warnings)
	}
	p, err := cfg.Profile("")
	if err != nil {
		t.Fatalf("the saved config has no default profile: %v", err)
	}
	if p.Name != "demo" || p.TenantID != info.TenantID || p.RealmID != info.RealmID ||
		p.APIBaseURL != sb.URL() || p.AuthBaseURL != sb.URL() || p.APITokenEnv != "BIADMIN_FIRSTRUN_TOKEN" || p.Region != "" {
		t.Errorf("saved profile = %+v", p)
	}
}

func TestFirstRunWrongTokenKeepsInput(t *testing.T) {
	sb := startTestSandbox(t)
	info := sb.Info()
	path := filepath.Join(t.TempDir(), "biadmin", "config.toml")
	t.Setenv("BIADMIN_FIRSTRUN_TOKEN", "not-a-beyond-identity-token")

	r := firstRunRoot(t, path, noSandbox(t))
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(100, 30))
	waitForText(t, tm, "Welcome to biadmin")
	fillProfileForm(t, tm, "demo", sb.URL(), info, "BIADMIN_FIRSTRUN_TOKEN")
	waitForText(t, tm, "Nothing was saved", "rejected (401)")
	final := quitAndWait(t, tm)

	f, ok := final.current().(*profileForm)
	if !ok {
		t.Fatalf("after the failed check the screen is %T, want the form", final.current())
	}
	if !strings.Contains(f.formErr, "rejected (401)") || !strings.Contains(f.formErr, "profile demo") {
		t.Errorf("form error = %q, want the 401 sentence for profile demo", f.formErr)
	}
	want := map[int]string{pfName: "demo", pfAPIBase: sb.URL(), pfAuthBase: sb.URL(), pfTenant: info.TenantID,
		pfRealm: info.RealmID, pfTokenEnv: "BIADMIN_FIRSTRUN_TOKEN"}
	for i, v := range want {
		if got := f.fields[i].input.Value(); got != v {
			t.Errorf("%s = %q after the failure, want %q as typed", f.fields[i].label, got, v)
		}
	}
	if f.fields[pfRegion].choice != regionCustom {
		t.Errorf("region choice = %d after the failure, want custom URLs", f.fields[pfRegion].choice)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("something was written after a failed check: stat %s: %v", filepath.Dir(path), err)
	}
	if final.c.api != nil {
		t.Error("the console opened on a profile whose check failed")
	}
}

func TestProfileFormValidation(t *testing.T) {
	r := firstRunRoot(t, filepath.Join(t.TempDir(), "config.toml"), noSandbox(t))
	r.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	settle(t, r, r.Init())
	press(t, r, "down", "enter")
	f, ok := r.current().(*profileForm)
	if !ok {
		t.Fatalf("after choosing the setup the screen is %T, want the form", r.current())
	}

	// A name config rejects, an invalid tenant ID, and an environment
	// variable name that is really a token.
	_, cmd := r.Update(tea.KeyMsg{Type: tea.KeyCtrlU}) // clear the "default" name
	settle(t, r, cmd)
	typeText(t, r, "my profile")
	press(t, r, "tab", "tab")
	typeText(t, r, "0001XYZ")
	press(t, r, "tab", "tab", "tab")
	typeText(t, r, "eyJhbGciOi.J9")
	press(t, r, "ctrl+s")

	cases := []struct {
		field int
		want  string
	}{
		{pfName, "is invalid: use 1 to 64 letters"},
		{pfTenant, "is invalid (\"0001XYZ\")"},
		{pfRealm, "required"},
		{pfTokenEnv, "names an environment variable"},
	}
	for _, tc := range cases {
		if got := f.fields[tc.field].err; !strings.Contains(got, tc.want) {
			t.Errorf("%s problem = %q, want it to contain %q", f.fields[tc.field].label, got, tc.want)
		}
	}
	if f.focus != pfName {
		t.Errorf("focus = %d, want the first field with a problem", f.focus)
	}
	if f.Busy() {
		t.Error("an invalid profile was sent for checking")
	}

	// Client credentials need a token realm and application; the secret
	// source field follows the secret choice.
	press(t, r, "tab", "tab", "tab", "tab", "right", "right", "right")
	if !f.visible(pfClientID) || !f.visible(pfSecretEnv) || f.visible(pfTokenEnv) {
		t.Fatalf("with client credentials the visible fields are wrong: client id %v, secret env %v, token env %v",
			f.visible(pfClientID), f.visible(pfSecretEnv), f.visible(pfTokenEnv))
	}
	p := f.profile()
	if p.APITokenEnv != "" || p.ClientID != "" {
		t.Errorf("the profile carries hidden or empty fields: %+v", p)
	}
}

func TestFirstRunOpensSandbox(t *testing.T) {
	var started *sandbox.Sandbox
	start := func(context.Context) (client.API, ProfileInfo, string, error) {
		sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0"})
		if err != nil {
			return nil, ProfileInfo{}, "", err
		}
		started = sb
		info := sb.Info()
		api, err := client.New(client.Options{BaseURL: sb.URL(), TenantID: info.TenantID, RealmID: info.RealmID,
			Token: client.StaticToken(info.APIToken), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
		return api, ProfileInfo{Name: "sandbox", TenantID: info.TenantID, RealmID: info.RealmID, Sandbox: true}, sb.URL(), err
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	r := firstRunRoot(t, path, start)
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(100, 30))
	waitForText(t, tm, "Open the sandbox")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Sandbox realm with 40 identities", "[SANDBOX]", "Demo Realm")
	final := quitAndWait(t, tm)
	if started == nil {
		t.Fatal("StartSandbox was not called")
	}
	t.Cleanup(func() { started.Close() })
	if final.c.sandboxURL != started.URL() {
		t.Errorf("sandbox URL = %q, want %q for the outbox hint", final.c.sandboxURL, started.URL())
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening the sandbox wrote the config file: %v", err)
	}
}
