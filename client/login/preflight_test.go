package login_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/login"
	"github.com/biadmin/biadmin/sandbox"
)

func TestPreflightListsEveryMismatch(t *testing.T) {
	h := newHarness(t)
	app, _ := h.addApp(t, sandbox.OIDCApplicationSpec{Public: true, PKCE: "plain", AllowedScopes: []string{"email"}})
	browser := newHTTPBrowser("", true)
	cfg := h.config(app, "http://127.0.0.1:1/not-registered", browser)
	cfg.AuthMethod = login.AuthBasic
	cfg.ClientSecret = login.NewSecret("a-secret-the-public-app-does-not-have")
	cfg.Scopes = []string{"email", "payments:write"}

	res := runLogin(t, cfg)
	if res.err == nil {
		t.Fatal("Run succeeded despite pre-flight mismatches")
	}
	assertCheck(t, res.report, login.StepPreflight, "redirect_uri", login.StatusFail, "http://127.0.0.1:1/not-registered", "must match exactly")
	assertCheck(t, res.report, login.StepPreflight, "client_auth", login.StatusFail, "public", "client_secret_basic")
	assertCheck(t, res.report, login.StepPreflight, "pkce", login.StatusFail, "plain", "S256")
	assertCheck(t, res.report, login.StepPreflight, "scopes", login.StatusFail, "payments:write")
	for _, name := range []string{"redirect_uri", "client_auth", "pkce", "scopes"} {
		if c := res.report.Check(login.StepPreflight, name); c.Fix == "" {
			t.Errorf("pre-flight check %s failed without a fix", name)
		}
	}
	if browser.opened.Load() != 0 {
		t.Error("the browser was opened although the pre-flight failed")
	}
	if res.report.Step(login.StepDiscovery) != nil {
		t.Error("the run went on to discovery although the pre-flight failed")
	}
}

func TestPreflightRejectsOAuth2Application(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{Type: "oauth2"})
	browser := newHTTPBrowser("", true)

	res := runLogin(t, h.config(app, redirect, browser))
	if res.err == nil {
		t.Fatal("Run succeeded for an OAuth2 application")
	}
	assertCheck(t, res.report, login.StepPreflight, "protocol", login.StatusFail, "oauth2", "not oidc")
	if browser.opened.Load() != 0 {
		t.Error("the browser was opened for an OAuth2 application")
	}
}

func TestPreflightUnknownApplication(t *testing.T) {
	h := newHarness(t)
	cfg := login.Config{
		AuthBaseURL:   h.sb.URL(),
		API:           h.api,
		ApplicationID: "00000000-0000-4000-8000-000000000000",
		Opener:        noBrowser,
	}
	res := runLogin(t, cfg)
	assertCheck(t, res.report, login.StepPreflight, "application", login.StatusFail, "00000000-0000-4000-8000-000000000000")
}

func TestIgnorePreflightGoesOn(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	cfg := h.config(app, redirect, newHTTPBrowser("", true))
	cfg.Scopes = []string{"not-allowed"}
	cfg.IgnorePreflight = true

	res := runLogin(t, cfg)
	assertCheck(t, res.report, login.StepPreflight, "scopes", login.StatusFail, "not-allowed")
	// The provider rejects the scope in the redirect, which the callback
	// step reports.
	assertCheck(t, res.report, login.StepCallback, "error", login.StatusFail, "invalid_scope")
	if res.report.Passed() {
		t.Error("report passed with a failed pre-flight")
	}
}

func TestRunWithoutManagementAPI(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	cfg := login.Config{
		AuthBaseURL:   h.sb.URL(),
		TenantID:      h.info.TenantID,
		RealmID:       h.info.RealmID,
		ApplicationID: app.ID,
		ClientID:      app.ProtocolConfig.ClientID,
		ClientSecret:  login.NewSecret(app.ProtocolConfig.ClientSecret),
		RedirectURI:   redirect,
		Opener:        newHTTPBrowser("", true),
	}
	res := runLogin(t, cfg)
	assertPassed(t, res)
	if s := res.report.Step(login.StepPreflight); s == nil || s.Status != login.StatusSkip {
		t.Errorf("pre-flight step %+v, want skipped without API access", s)
	}
	if res.report.AuthMethod != login.AuthBasic {
		t.Errorf("auth method %q, want client_secret_basic when a secret is set", res.report.AuthMethod)
	}
}

func TestDiscoveryErrorShowsStatusAndBody(t *testing.T) {
	h := newHarness(t)
	cfg := login.Config{
		AuthBaseURL:   h.sb.URL(),
		TenantID:      h.info.TenantID,
		RealmID:       h.info.RealmID,
		ApplicationID: "00000000-0000-4000-8000-000000000000",
		ClientID:      "client",
		RedirectURI:   "http://127.0.0.1:1/callback",
		Opener:        noBrowser,
	}
	res := runLogin(t, cfg)
	if res.err == nil {
		t.Fatal("Run succeeded with an unknown application")
	}
	assertCheck(t, res.report, login.StepDiscovery, "document", login.StatusFail,
		"discovery endpoint returned HTTP 404", "application/json", "error=not_found")
}

// A rejected token needs a new token; advice to grant a scope would send
// the admin the wrong way.
func TestPreflightRejectedTokenAdvice(t *testing.T) {
	h := newHarness(t)
	api, err := client.New(client.Options{
		BaseURL:    h.sb.URL(),
		TenantID:   h.info.TenantID,
		RealmID:    h.info.RealmID,
		Token:      client.StaticToken("not-a-token"),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := runLogin(t, login.Config{AuthBaseURL: h.sb.URL(), API: api, Opener: noBrowser})
	check := res.report.Check(login.StepPreflight, "application")
	if check == nil || check.Status != login.StatusFail {
		t.Fatalf("application check = %+v, want a failure", check)
	}
	if !strings.Contains(check.Fix, "get a new one") {
		t.Errorf("fix %q does not say to get a new token", check.Fix)
	}
	if strings.Contains(check.Fix, "grant") {
		t.Errorf("fix %q asks for a scope although the token was rejected", check.Fix)
	}
}
