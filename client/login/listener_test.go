package login_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client/login"
	"github.com/biadmin/biadmin/sandbox"
)

// noBrowser is an Opener for tests that drive the redirect themselves.
var noBrowser = login.OpenerFunc(func(context.Context, string) error { return nil })

// runUntilWaiting runs r until the waiting event arrives, then calls act and
// returns the run's result.
func runUntilWaiting(t *testing.T, ctx context.Context, r *login.Runner, act func(authURL string)) runResult {
	t.Helper()
	var authURL string
	waiting := make(chan string, 1)
	res := start(ctx, r, func(ev login.Event) {
		switch ev.Kind {
		case login.EventAuthorizeURL:
			authURL = ev.URL
		case login.EventWaiting:
			waiting <- authURL
		}
	})
	select {
	case u := <-waiting:
		act(u)
	case out := <-res:
		t.Fatalf("run ended before waiting for the redirect: %v %v", out.err, failures(out))
	case <-time.After(15 * time.Second):
		t.Fatal("run did not reach the redirect wait within 15 s")
	}
	select {
	case out := <-res:
		return out
	case <-time.After(25 * time.Second):
		t.Fatal("run did not end within 25 s")
	}
	return runResult{}
}

func get(t *testing.T, rawURL string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestListenerWrongStateSkipsToken(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	r, err := login.NewRunner(h.config(app, redirect, noBrowser))
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	res := runUntilWaiting(t, t.Context(), r, func(string) {
		status, body := get(t, redirect+"?code=stolen-code&state=forged-state")
		if status != http.StatusBadRequest || !strings.Contains(body, "state") {
			t.Errorf("listener answered HTTP %d %q to a wrong state, want a 400 page about the state", status, body)
		}
	})
	if elapsed := time.Since(started); elapsed > 10*time.Second {
		t.Errorf("run took %s to reject a wrong state; it should stop at once", elapsed)
	}
	assertCheck(t, res.report, login.StepCallback, "state", login.StatusFail, `"forged-state"`, "not exchanged")
	if got := h.tokenHits.Load(); got != 0 {
		t.Errorf("token endpoint hit %d times after a wrong state, want 0", got)
	}
	if res.report.Step(login.StepToken) != nil {
		t.Error("report has a token step although the state was wrong")
	}
}

func TestListenerServesOnlyCallbackPath(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	r, err := login.NewRunner(h.config(app, redirect, noBrowser))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base := strings.TrimSuffix(redirect, "/callback")
	res := runUntilWaiting(t, ctx, r, func(string) {
		for _, path := range []string{"/", "/favicon.ico", "/callback/extra", "/CALLBACK", "/other?code=x&state=y"} {
			if status, _ := get(t, base+path); status != http.StatusNotFound {
				t.Errorf("GET %s: HTTP %d, want 404", path, status)
			}
		}
		// The callback path without OAuth parameters gets an error page
		// but does not end the run.
		if status, _ := get(t, redirect); status != http.StatusBadRequest {
			t.Errorf("GET the callback without parameters: HTTP %d, want 400", status)
		}
		cancel()
	})
	assertCheck(t, res.report, login.StepCallback, "redirect", login.StatusFail, "cancelled")
	if !errors.Is(res.err, context.Canceled) {
		t.Errorf("Run error %v, want context.Canceled", res.err)
	}
}

func TestListenerAcceptsOneCallback(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	r, err := login.NewRunner(h.config(app, redirect, noBrowser))
	if err != nil {
		t.Fatal(err)
	}
	var statuses []int
	var mu sync.Mutex
	res := runUntilWaiting(t, t.Context(), r, func(authURL string) {
		b := newHTTPBrowser("", false)
		found := b.signIn(t.Context(), authURL)
		if found.err != nil || found.location == "" {
			t.Fatalf("sign-in did not redirect: %+v", found)
		}
		// Two copies of the same redirect at once: one is accepted, the
		// other is turned away (409) or finds the listener already closed.
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hc := &http.Client{Timeout: 5 * time.Second}
				resp, err := hc.Get(found.location)
				status := 0
				if err == nil {
					status = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				statuses = append(statuses, status)
				mu.Unlock()
			}()
		}
		wg.Wait()
	})
	assertPassed(t, res)
	ok := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusConflict, 0:
		default:
			t.Errorf("second callback got HTTP %d, want 409 or a closed connection", s)
		}
	}
	if ok != 1 {
		t.Errorf("callbacks answered %v, want exactly one 200", statuses)
	}
	if got := h.tokenHits.Load(); got != 1 {
		t.Errorf("token endpoint hit %d times, want 1", got)
	}
}

func TestSubmitRedirectAfterAcceptedIsRejected(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	cfg := h.config(app, redirect, noBrowser)
	cfg.NoListener = true
	r, err := login.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SubmitRedirect(redirect + "?code=x&state=y"); !errors.Is(err, login.ErrNotWaiting) {
		t.Errorf("SubmitRedirect before Run: %v, want ErrNotWaiting", err)
	}
	res := runUntilWaiting(t, t.Context(), r, func(authURL string) {
		found := newHTTPBrowser("", false).signIn(t.Context(), authURL)
		if found.err != nil || found.location == "" {
			t.Fatalf("sign-in did not redirect: %+v", found)
		}
		if err := r.SubmitRedirect("http://127.0.0.1:1/elsewhere?code=x"); err == nil || !strings.Contains(err.Error(), "path") {
			t.Errorf("SubmitRedirect with another path: %v, want an error naming the path", err)
		}
		if err := r.SubmitRedirect(found.location); err != nil {
			t.Errorf("SubmitRedirect of the real redirect: %v", err)
		}
		if err := r.SubmitRedirect(found.location); !errors.Is(err, login.ErrAlreadyHandled) && !errors.Is(err, login.ErrNotWaiting) {
			t.Errorf("second SubmitRedirect: %v, want ErrAlreadyHandled or ErrNotWaiting", err)
		}
	})
	assertPassed(t, res)
	assertCheck(t, res.report, login.StepCallback, "redirect", login.StatusPass, "pasted URL")
	if got := h.tokenHits.Load(); got != 1 {
		t.Errorf("token endpoint hit %d times, want 1", got)
	}
	if s := res.report.Step(login.StepListener); s == nil || s.Status != login.StatusSkip {
		t.Errorf("listener step %+v, want skipped with NoListener", s)
	}
}

func TestListenerBusyPortNamesFix(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	u, _ := url.Parse(redirect)
	ln, err := listenLoopback(mustPort(t, u))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	browser := newHTTPBrowser("", true)

	res := runLogin(t, h.config(app, redirect, browser))
	var busy *login.PortInUseError
	if !errors.As(res.err, &busy) || busy.Port != mustPort(t, u) {
		t.Errorf("Run error %v, want a *PortInUseError for the redirect port", res.err)
	}
	s := res.report.Step(login.StepListener)
	if s == nil || s.Status != login.StatusFail {
		t.Fatalf("listener step %+v, want failed", s)
	}
	for _, want := range []string{fmt.Sprintf("port %d", mustPort(t, u)), "already in use", "fix:", "register another loopback redirect URI"} {
		if !strings.Contains(s.Detail, want) {
			t.Errorf("listener detail %q does not mention %q", s.Detail, want)
		}
	}
	if browser.opened.Load() != 0 {
		t.Error("the browser was opened although nothing could receive the redirect")
	}
}

func TestListenerTimeoutFreesPort(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	cfg := h.config(app, redirect, noBrowser)
	cfg.Timeout = 300 * time.Millisecond

	started := time.Now()
	res := runLogin(t, cfg)
	if elapsed := time.Since(started); elapsed > 10*time.Second {
		t.Errorf("a 300 ms timeout took %s", elapsed)
	}
	assertCheck(t, res.report, login.StepCallback, "redirect", login.StatusFail, "no redirect within 300ms")
	u, _ := url.Parse(redirect)
	ln, err := listenLoopback(mustPort(t, u))
	if err != nil {
		t.Fatalf("port still busy right after the timeout: %v", err)
	}
	ln.Close()
}

func TestCancelFreesPortAtOnce(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	r, err := login.NewRunner(h.config(app, redirect, noBrowser))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	res := runUntilWaiting(t, ctx, r, func(string) { cancel() })
	if !errors.Is(res.err, context.Canceled) {
		t.Errorf("Run error %v, want context.Canceled", res.err)
	}
	u, _ := url.Parse(redirect)
	ln, err := listenLoopback(mustPort(t, u))
	if err != nil {
		t.Fatalf("port still busy right after cancel: %v", err)
	}
	ln.Close()
}

func TestAuthorizationErrorReportedAtOnce(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	r, err := login.NewRunner(h.config(app, redirect, noBrowser))
	if err != nil {
		t.Fatal(err)
	}
	res := runUntilWaiting(t, t.Context(), r, func(string) {
		status, body := get(t, redirect+"?error=access_denied&error_description=the+user+cancelled&state=whatever")
		if status != http.StatusBadRequest || !strings.Contains(body, "access_denied") {
			t.Errorf("listener answered HTTP %d %q, want a 400 page naming the error", status, body)
		}
	})
	assertCheck(t, res.report, login.StepCallback, "error", login.StatusFail, "access_denied", "the user cancelled")
	if got := h.tokenHits.Load(); got != 0 {
		t.Errorf("token endpoint hit %d times after an error redirect, want 0", got)
	}
}

func mustPort(t *testing.T, u *url.URL) int {
	t.Helper()
	var port int
	if _, err := fmt.Sscan(u.Port(), &port); err != nil {
		t.Fatalf("redirect URI %s has no port", u)
	}
	return port
}

func TestOpenerFailureHandsOverURL(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	failing := login.OpenerFunc(func(context.Context, string) error {
		return errors.New("xdg-open is not installed or not on PATH")
	})
	cfg := h.config(app, redirect, failing)
	cfg.NoListener = true
	r, err := login.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	manual := make(chan login.Event, 1)
	res := start(t.Context(), r, func(ev login.Event) {
		if ev.Kind == login.EventOpenManually {
			manual <- ev
		}
	})
	var ev login.Event
	select {
	case ev = <-manual:
	case <-time.After(15 * time.Second):
		t.Fatal("no open_manually event within 15 s")
	}
	if !strings.HasPrefix(ev.URL, h.sb.URL()) || !strings.Contains(ev.URL, "state=") {
		t.Errorf("open_manually URL %q is not the whole authorization URL", ev.URL)
	}
	if !strings.Contains(ev.QRCode, "█") {
		t.Errorf("open_manually has no QR code: %q", ev.QRCode)
	}
	if !strings.Contains(ev.Message, "xdg-open is not installed") || !strings.Contains(ev.Message, "paste") {
		t.Errorf("open_manually message %q does not give the reason and the paste option", ev.Message)
	}

	// The user signs in on another device and pastes the address.
	found := newHTTPBrowser("", false).signIn(t.Context(), ev.URL)
	if found.err != nil || found.location == "" {
		t.Fatalf("sign-in did not redirect: %+v", found)
	}
	if err := r.SubmitRedirect("  " + found.location + "\n"); err != nil {
		t.Fatalf("SubmitRedirect: %v", err)
	}
	var out runResult
	select {
	case out = <-res:
	case <-time.After(25 * time.Second):
		t.Fatal("run did not end within 25 s")
	}
	assertPassed(t, out)
	if s := out.report.Step(login.StepBrowser); s == nil || s.Status != login.StatusSkip || !strings.Contains(s.Detail, "xdg-open") {
		t.Errorf("browser step %+v, want skipped with the reason", s)
	}
}
