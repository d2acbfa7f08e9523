package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/audit"
	"github.com/biadmin/biadmin/sandbox"
)

// deskEnv is a console over a fresh sandbox for the desk screens' tests,
// with a second client that checks what the console changed through the
// API itself.
type deskEnv struct {
	sb    *sandbox.Sandbox
	check *client.Client
	root  *root
	now   time.Time
	// bodies records the method, path and body of every request the
	// console sent, for tests of what a PATCH carried.
	bodies *requestLog
	// journalDir and exportDir are the bulk directories, when enabled.
	journalDir string
	exportDir  string
	// restart builds another console over the same sandbox and
	// directories, as running biadmin again would.
	restart func() *root
}

// deskOptions vary the environment of one test.
type deskOptions struct {
	identities int
	// audit wraps the console's API with an audit log at this path.
	audit string
	// bulk enables bulk actions, with journals and exports in temporary
	// directories; journalDir reuses the directory of an earlier console.
	bulk       bool
	journalDir string
}

// requestLog keeps the requests that reached the sandbox.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.Path+" "+string(body))
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// matching returns the recorded requests that start with prefix, such as
// "PATCH /v1/".
func (l *requestLog) matching(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.reqs {
		if strings.HasPrefix(r, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func startDesk(t *testing.T, profile ProfileInfo, opts deskOptions) *deskEnv {
	t.Helper()
	log := &requestLog{}
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Identities: opts.identities, Middleware: log.middleware})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	now := time.Now()
	info := sb.Info()
	newClient := func(readOnly bool) *client.Client {
		c, err := client.New(client.Options{
			BaseURL: sb.URL(), TenantID: info.TenantID, RealmID: info.RealmID,
			Token:      client.StaticToken(info.APIToken),
			HTTPClient: &http.Client{Timeout: 10 * time.Second},
			ReadOnly:   readOnly,
		})
		if err != nil {
			t.Fatalf("client: %v", err)
		}
		return c
	}
	var api client.API = newClient(profile.ReadOnly)
	if profile.Name == "" {
		profile.Name = "sandbox"
	}
	var auditErr func() error
	if opts.audit != "" {
		l, err := audit.Open(opts.audit)
		if err != nil {
			t.Fatalf("open audit log: %v", err)
		}
		t.Cleanup(func() { l.Close() })
		api, auditErr = audit.Wrap(api, l, profile.Name), l.Err
	}
	var journalDir, exportDir string
	if opts.bulk {
		journalDir, exportDir = opts.journalDir, filepath.Join(t.TempDir(), "exports")
		if journalDir == "" {
			journalDir = filepath.Join(t.TempDir(), "journal")
		}
	}
	profile.TenantID, profile.RealmID = info.TenantID, info.RealmID
	profile.AuthenticatorConfigID = info.AuthenticatorConfigID
	profile.Sandbox = true
	mkRoot := func() *root {
		r := newRoot(Options{
			API:            api,
			Profile:        profile,
			SandboxURL:     sb.URL(),
			Logger:         slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Now:            func() time.Time { return now },
			AuditLogPath:   opts.audit,
			AuditLogErr:    auditErr,
			BulkJournalDir: journalDir,
			ExportDir:      exportDir,
		})
		r.flashTTL = time.Hour
		return r
	}
	return &deskEnv{sb: sb, check: newClient(false), root: mkRoot(), now: now, bodies: log,
		journalDir: journalDir, exportDir: exportDir, restart: mkRoot}
}

// run starts the console in a teatest program and waits for the header
// and the list's first page.
func (e *deskEnv) run(t *testing.T, width, height int) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, e.root, teatest.WithInitialTermSize(width, height))
	waitForText(t, tm, "Demo Realm", "Sandbox Tenant", "Sandbox realm with")
	return tm
}

// ctx returns a context for the checking client, bounded for the test.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// identity looks an identity up by username through the checking client.
func (e *deskEnv) identity(t *testing.T, username string) client.Identity {
	t.Helper()
	p, err := e.check.ListIdentities(testContext(t), client.ListIdentitiesOptions{Filter: client.UsernameEquals(username)})
	if err != nil {
		t.Fatalf("look up %s: %v", username, err)
	}
	if len(p.Items) != 1 {
		t.Fatalf("look up %s: %d identities", username, len(p.Items))
	}
	return p.Items[0]
}

// eventually polls cond until it holds or 15 seconds pass. The console
// changes the sandbox from its own goroutines, so a check right after the
// screen shows a result may still race the request's completion.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after 15s", what, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openIdentity finds username with the search and opens its detail
// screen, waiting for its tables and for more, which must be drawn by then:
// text drawn now is not drawn again for a later wait.
func openIdentity(t *testing.T, tm *teatest.TestModel, username string, more ...string) {
	t.Helper()
	tm.Type("/" + username)
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, append([]string{"Passkeys (credentials) (", "Enrollment jobs ("}, more...)...)
}

// outboxLink returns the binding link of the newest outbox message for the
// identity.
func (e *deskEnv) outboxLink(t *testing.T, identityID string) string {
	t.Helper()
	resp, err := http.Get(e.sb.URL() + "/_sandbox/outbox?identity_id=" + url.QueryEscape(identityID))
	if err != nil {
		t.Fatalf("outbox: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []struct {
			Link string `json:"link"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("outbox: %v", err)
	}
	if len(out.Messages) == 0 {
		t.Fatalf("outbox has no message for %s", identityID)
	}
	return out.Messages[len(out.Messages)-1].Link
}

// completeBinding plays the user: it posts the binding link, as the
// hosted page's button does, which enrolls a passkey and completes the job.
func completeBinding(t *testing.T, link string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.PostForm(link, url.Values{})
	if err != nil {
		t.Fatalf("complete binding: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete binding: status %d, want 303", resp.StatusCode)
	}
}

// describe formats a value for a failure message.
func describe(v any) string { return fmt.Sprintf("%+v", v) }
