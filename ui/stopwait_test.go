package ui

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/sandbox"
)

// slowAnswers makes the sandbox answer changes late, as a busy service
// does: the change is made at once, whatever the client does, and only
// the answer waits. Reads are not delayed, so a look-up after esc sees
// the change at once.
type slowAnswers struct{ delay atomic.Int64 }

func (s *slowAnswers) set(d time.Duration) { s.delay.Store(int64(d)) }

func (s *slowAnswers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := time.Duration(s.delay.Load())
		if d == 0 || r.Method == http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// slowEnv is a console over a sandbox whose answers to changes can be
// made slow, and a client to check the sandbox with.
type slowEnv struct {
	sb    *sandbox.Sandbox
	slow  *slowAnswers
	check *client.Client
	root  *root
}

func startSlowEnv(t *testing.T) *slowEnv {
	t.Helper()
	slow := &slowAnswers{}
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Middleware: slow.wrap})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	info := sb.Info()
	newClient := func() *client.Client {
		c, err := client.New(client.Options{BaseURL: sb.URL(), TenantID: info.TenantID, RealmID: info.RealmID,
			Token: client.StaticToken(info.APIToken), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
		if err != nil {
			t.Fatalf("client: %v", err)
		}
		return c
	}
	now := time.Now()
	r := newRoot(Options{
		API: newClient(),
		Profile: ProfileInfo{Name: "sandbox", TenantID: info.TenantID, RealmID: info.RealmID,
			AuthenticatorConfigID: info.AuthenticatorConfigID, Sandbox: true},
		SandboxURL: sb.URL(),
		Logger:     slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        func() time.Time { return now },
	})
	r.flashTTL = time.Hour
	return &slowEnv{sb: sb, slow: slow, check: newClient(), root: r}
}

func (e *slowEnv) run(t *testing.T) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, e.root, teatest.WithInitialTermSize(120, 40))
	waitForText(t, tm, "Demo Realm", "Sandbox Tenant", "1-")
	return tm
}

// find returns the first identity match accepts.
func (e *slowEnv) find(t *testing.T, match func(client.Identity) bool) client.Identity {
	t.Helper()
	p, err := e.check.ListIdentities(testContext(t), client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200}})
	if err != nil {
		t.Fatalf("list identities: %v", err)
	}
	for _, id := range p.Items {
		if match(id) {
			return id
		}
	}
	t.Fatal("the seed has no such identity")
	return client.Identity{}
}

// slowDelay is how late a change is answered: long enough that esc comes
// while the console waits.
const slowDelay = 3 * time.Second

// TestStopWaitingForCreateChecksTheUsername presses esc while a create is
// slow. The service made the user anyway, so the form must not say
// "Cancelled": it says the user may have been created, looks the username
// up and, finding it, offers the enrollment email as a success does.
func TestStopWaitingForCreateChecksTheUsername(t *testing.T) {
	env := startSlowEnv(t)
	tm := env.run(t)
	tm.Send(keyMsg("n"))
	waitForText(t, tm, "Create a user in this realm")
	tm.Type("zoe.q")
	tm.Send(keyMsg("tab"))
	tm.Type("zoe.q@example.com")
	env.slow.set(slowDelay)
	tm.Send(keyMsg("ctrl+s"))
	waitForText(t, tm, "Creating…")
	tm.Send(keyMsg("esc"))
	// The look-up is quick, so its answer may replace "Stopped waiting…"
	// before a frame shows it.
	waitForText(t, tm, "zoe.q was created.", "Send the enrollment email to zoe.q@example.com now?")
	r := quitAndWait(t, tm)
	if r.flash.text == "Cancelled." {
		t.Error("esc on a create said Cancelled.")
	}
	f, ok := r.current().(*createUser)
	if !ok || f.created == nil || f.created.Traits.Username != "zoe.q" {
		t.Fatalf("screen %T does not offer the email for the created zoe.q", r.current())
	}
}

// TestStopWaitingForCreateThatWasNotMade stops waiting for a create the
// service then drops: the look-up finds no user and the form says so,
// ready to try again.
func TestStopWaitingForCreateThatWasNotMade(t *testing.T) {
	env := startSlowEnv(t)
	tm := env.run(t)
	tm.Send(keyMsg("n"))
	waitForText(t, tm, "Create a user in this realm")
	tm.Type("yan.q")
	env.sb.Faults().SetLatency(time.Second)
	env.sb.Faults().DropConnections(1)
	tm.Send(keyMsg("ctrl+s"))
	waitForText(t, tm, "Creating…")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "yan.q was not created; press ctrl+s to try again.")
	r := quitAndWait(t, tm)
	f, ok := r.current().(*createUser)
	if !ok || f.created != nil || f.fields[fieldUsername].input.Value() != "yan.q" {
		t.Fatalf("screen %T: want the form with yan.q kept and nothing created", r.current())
	}
}

// TestStopWaitingForEnrollmentReloadsJobs presses esc while an enrollment
// email is slow: the email goes anyway, so the screen says it may have
// been sent and lists the new job.
func TestStopWaitingForEnrollmentReloadsJobs(t *testing.T) {
	env := startSlowEnv(t)
	target := env.find(t, func(id client.Identity) bool {
		return id.EnrollmentStatus == client.EnrollmentUnenrolled && id.Status == client.StatusActive &&
			id.Traits.PrimaryEmailAddress != ""
	})
	before, err := env.check.ListCredentialBindingJobs(testContext(t), target.ID, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tm := env.run(t)
	tm.Type("/" + target.Traits.Username)
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")
	tm.Send(keyMsg("e"))
	waitForText(t, tm, "Earlier enrollment jobs")
	env.slow.set(slowDelay)
	tm.Send(keyMsg("enter"))
	time.Sleep(300 * time.Millisecond)
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Stopped waiting. The request was already sent, so the enrollment email may have been sent; refreshing.")
	after, err := env.check.ListCredentialBindingJobs(testContext(t), target.ID, client.ListOptions{})
	if err != nil || len(after.Items) != len(before.Items)+1 {
		t.Fatalf("jobs in the service: %v, %d, want one more than %d", err, len(after.Items), len(before.Items))
	}
	time.Sleep(500 * time.Millisecond)
	r := quitAndWait(t, tm)
	e, ok := r.current().(*enrollment)
	if !ok {
		t.Fatalf("screen = %T, want the enrollment screen", r.current())
	}
	if len(e.jobs) != len(after.Items) {
		t.Errorf("the screen lists %d jobs, want the %d the service has", len(e.jobs), len(after.Items))
	}
}

// TestStopWaitingForSuspendRefreshesDetail presses esc on a slow suspend:
// the confirmation leaves with the truthful sentence and the detail screen
// reloads to show the identity suspended.
func TestStopWaitingForSuspendRefreshesDetail(t *testing.T) {
	env := startSlowEnv(t)
	target := env.find(t, enrolledActive)
	tm := env.run(t)
	tm.Type("/" + target.Traits.Username)
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Passkeys (credentials) (")
	tm.Send(keyMsg("s"))
	waitForText(t, tm, "Suspend "+target.Traits.Username+"?")
	env.slow.set(slowDelay)
	tm.Send(keyMsg("y"))
	waitForText(t, tm, "Working… esc stops waiting.")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "so "+target.Traits.Username+" may have been suspended; refreshing.")
	time.Sleep(500 * time.Millisecond)
	r := quitAndWait(t, tm)
	d, ok := r.current().(*identityDetail)
	if !ok {
		t.Fatalf("screen = %T, want the detail screen", r.current())
	}
	if d.identity.Status != client.StatusSuspended {
		t.Errorf("detail shows status %q, want suspended after the reload", d.identity.Status)
	}
}
