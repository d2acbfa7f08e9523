package login_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/biadmin/biadmin/client/login"
	"github.com/biadmin/biadmin/sandbox"
)

func TestFlowClientSecretBasic(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	browser := newHTTPBrowser("", true)
	cfg := h.config(app, redirect, browser)
	cfg.AuthMethod = login.AuthBasic
	cfg.Scopes = []string{"email"}

	res := runLogin(t, cfg)
	assertPassed(t, res)
	if got := h.authMethods(); !slices.Equal(got, []string{"basic"}) {
		t.Errorf("token requests authenticated with %v, want exactly one basic", got)
	}
	page := browser.wait(t)
	if page.status != http.StatusOK || !strings.Contains(page.body, "redirect received") {
		t.Errorf("browser ended on HTTP %d %q, want the listener's result page", page.status, page.body)
	}
	assertCheck(t, res.report, login.StepIDToken, "signature", login.StatusPass, "RS256")
	assertCheck(t, res.report, login.StepUserinfo, "sub", login.StatusPass)
	if res.report.Tokens.Access.IsZero() || res.report.Tokens.ID.IsZero() {
		t.Error("report has no access or ID token")
	}
	if scope := res.report.IDTokenClaims["aud"]; scope == nil {
		t.Error("report has no decoded ID token claims")
	}
	if res.report.UserinfoClaims["email"] == nil {
		t.Errorf("userinfo claims %v have no email", res.report.UserinfoClaims)
	}
	assertEventsCoverSteps(t, res)
}

func TestFlowClientSecretPost(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	cfg := h.config(app, redirect, newHTTPBrowser("", true))
	cfg.AuthMethod = login.AuthPost

	res := runLogin(t, cfg)
	assertPassed(t, res)
	if got := h.authMethods(); !slices.Equal(got, []string{"post"}) {
		t.Errorf("token requests authenticated with %v, want exactly one post", got)
	}
	assertCheck(t, res.report, login.StepPreflight, "client_auth", login.StatusPass, "client_secret_post")
}

func TestFlowPublicPKCEClient(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{Public: true, DisplayName: "Public SPA"})
	cfg := h.config(app, redirect, newHTTPBrowser("", true))

	res := runLogin(t, cfg)
	assertPassed(t, res)
	if got := h.authMethods(); !slices.Equal(got, []string{"none"}) {
		t.Errorf("token requests authenticated with %v, want exactly one none", got)
	}
	if res.report.AuthMethod != login.AuthNone {
		t.Errorf("auth method %q, want none for a public client", res.report.AuthMethod)
	}
	h.mu.Lock()
	form := h.tokenRequests[0]
	h.mu.Unlock()
	if v := form.Get("code_verifier"); !login.ValidVerifier(v) {
		t.Errorf("token request code_verifier %q is not a valid PKCE verifier", v)
	}
	if form.Get("client_id") != app.ProtocolConfig.ClientID {
		t.Errorf("token request client_id %q, want %q", form.Get("client_id"), app.ProtocolConfig.ClientID)
	}
}

func TestFlowDemoApplicationFromSeed(t *testing.T) {
	// The seeded demo app registers http://127.0.0.1:8765/callback; the
	// test runs only when that port is free.
	h := newHarness(t)
	cfg := login.Config{
		AuthBaseURL: h.sb.URL(),
		API:         h.api,
		Opener:      newHTTPBrowser("", true),
		HTTPClient:  &http.Client{},
	}
	ln, err := listenLoopback(8765)
	if err != nil {
		t.Skipf("port 8765 is busy, so the seeded redirect URI cannot be served: %v", err)
	}
	_ = ln.Close()

	res := runLogin(t, cfg)
	var busy *login.PortInUseError
	if errors.As(res.err, &busy) {
		t.Skipf("port 8765 was taken by another process during the test: %v", res.err)
	}
	assertPassed(t, res)
	assertCheck(t, res.report, login.StepPreflight, "application", login.StatusPass, "only OIDC application")
	if res.report.ApplicationID != h.info.ApplicationID {
		t.Errorf("tested application %s, want the seeded %s", res.report.ApplicationID, h.info.ApplicationID)
	}
}

func TestExpectedSubjectMatches(t *testing.T) {
	h := newHarness(t)
	id := h.enrolledIdentity(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{SubjectField: "email"})
	cfg := h.config(app, redirect, newHTTPBrowser("", true))
	cfg.ExpectedSubject = id.ID
	cfg.LoginHint = id.Traits.Username

	res := runLogin(t, cfg)
	assertPassed(t, res)
	assertCheck(t, res.report, login.StepVerdict, "subject", login.StatusPass, id.ID)
	if sub := res.report.IDTokenClaims["sub"]; sub != id.Traits.PrimaryEmailAddress {
		t.Errorf("sub %v, want the email %s because subject_field is email", sub, id.Traits.PrimaryEmailAddress)
	}
}

func TestExpectedSubjectMismatchFails(t *testing.T) {
	h := newHarness(t)
	want := h.enrolledIdentity(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	// The browser signs in as someone else: the first listed identity that
	// is not the expected one.
	other := ""
	page, err := h.api.ListIdentities(t.Context(), clientListAll())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range page.Items {
		if id.ID != want.ID && id.EnrollmentStatus == "ENROLLED" && id.Status == "active" {
			other = id.ID
			break
		}
	}
	if other == "" {
		t.Fatalf("the seed has only one enrolled, active identity among %d: %+v", len(page.Items), page.Items)
	}
	cfg := h.config(app, redirect, newHTTPBrowser(other, true))
	cfg.ExpectedSubject = want.ID

	res := runLogin(t, cfg)
	if res.report.Passed() {
		t.Fatal("report passed although the wrong identity signed in")
	}
	assertCheck(t, res.report, login.StepVerdict, "subject", login.StatusFail, other, want.ID)
}

func assertPassed(t *testing.T, res runResult) {
	t.Helper()
	if res.err != nil {
		t.Fatalf("Run: %v\nfailures: %v", res.err, failures(res))
	}
	if !res.report.Passed() {
		t.Fatalf("report failed: %v", res.report.Failures())
	}
}

func failures(res runResult) []string {
	if res.report == nil {
		return nil
	}
	return res.report.Failures()
}

// assertEventsCoverSteps checks that every step of the report was announced
// and finished as an event, and that the authorization URL was sent whole.
func assertEventsCoverSteps(t *testing.T, res runResult) {
	t.Helper()
	started, finished := map[string]bool{}, map[string]bool{}
	sawURL := false
	for _, ev := range res.events {
		switch ev.Kind {
		case login.EventStepStarted:
			started[ev.Step] = true
		case login.EventStepFinished:
			finished[ev.Step] = true
			if ev.Result == nil {
				t.Errorf("step_finished event for %s has no result", ev.Step)
			}
		case login.EventAuthorizeURL:
			sawURL = strings.Contains(ev.URL, "code_challenge_method=S256") && strings.Contains(ev.URL, "nonce=")
		}
		if ev.Time.IsZero() {
			t.Errorf("event %s has no time", ev.Kind)
		}
	}
	for _, s := range res.report.Steps {
		if !started[s.Name] || !finished[s.Name] {
			t.Errorf("step %s: started event %v, finished event %v", s.Name, started[s.Name], finished[s.Name])
		}
	}
	if !sawURL {
		t.Error("no authorize_url event with the whole URL (S256 challenge and nonce)")
	}
}
