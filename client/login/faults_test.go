package login_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client/login"
	"github.com/biadmin/biadmin/sandbox"
)

// Each sandbox fault must fail exactly the check that guards against it,
// with a reason that names the cause.
func TestSandboxFaultsFailTheRightCheck(t *testing.T) {
	cases := []struct {
		name  string
		fault func(*sandbox.OIDCFaultSettings)
		step  string
		check string
		wants []string
	}{
		{"wrong issuer", func(f *sandbox.OIDCFaultSettings) { f.WrongIssuer = true },
			login.StepIDToken, "iss", []string{"differs from the issuer"}},
		{"wrong issuer in discovery", func(f *sandbox.OIDCFaultSettings) { f.DiscoveryWrongIssuer = true },
			login.StepDiscovery, "issuer", []string{"differs from the expected issuer", "must match exactly"}},
		{"wrong audience", func(f *sandbox.OIDCFaultSettings) { f.WrongAudience = true },
			login.StepIDToken, "aud", []string{"does not contain the client_id"}},
		{"expired", func(f *sandbox.OIDCFaultSettings) { f.Expired = true },
			login.StepIDToken, "exp", []string{"expired", "ago", "allowed skew 1m0s"}},
		{"not yet valid", func(f *sandbox.OIDCFaultSettings) { f.NotYetValid = true },
			login.StepIDToken, "nbf", []string{"not valid before", "from now"}},
		{"bad signature", func(f *sandbox.OIDCFaultSettings) { f.BadSignature = true },
			login.StepIDToken, "signature", []string{"does not verify"}},
		{"alg none", func(f *sandbox.OIDCFaultSettings) { f.AlgNone = true },
			login.StepIDToken, "alg", []string{`"none"`, "unsigned"}},
		{"missing nonce", func(f *sandbox.OIDCFaultSettings) { f.MissingNonce = true },
			login.StepIDToken, "nonce", []string{"no nonce"}},
		{"wrong nonce", func(f *sandbox.OIDCFaultSettings) { f.WrongNonce = true },
			login.StepIDToken, "nonce", []string{"differs from the nonce sent"}},
		{"retired key", func(f *sandbox.OIDCFaultSettings) { f.RetiredKey = true },
			login.StepIDToken, "signature", []string{"not in the JWKS after one refetch", "does not publish"}},
		{"token endpoint answers HTML", func(f *sandbox.OIDCFaultSettings) { f.TokenHTML = true },
			login.StepToken, "response", []string{"HTTP 502", "text/html", "502 Bad Gateway"}},
		{"token endpoint answers text/plain", func(f *sandbox.OIDCFaultSettings) { f.TokenTextPlain = true },
			login.StepToken, "response", []string{"HTTP 200", "text/plain", "not JSON", "maintenance"}},
		{"state tampered in the redirect", func(f *sandbox.OIDCFaultSettings) { f.TamperState = true },
			login.StepCallback, "state", []string{"differs from the state sent", "not exchanged"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
			h.sb.OIDCFaults().Update(tc.fault)

			res := runLogin(t, h.config(app, redirect, newHTTPBrowser("", true)))
			if res.report.Passed() {
				t.Fatal("report passed despite the fault")
			}
			assertCheck(t, res.report, tc.step, tc.check, login.StatusFail, tc.wants...)
			c := res.report.Check(tc.step, tc.check)
			t.Logf("%s/%s: %s", tc.step, tc.check, c.Detail)
			if strings.Contains(c.Detail, "invalid character") {
				t.Errorf("detail is a raw JSON decoder error: %s", c.Detail)
			}
			if failed := res.report.Failures(); len(failed) == 0 {
				t.Error("Failures() is empty")
			}
		})
	}
}

func TestRetiredKeyRefetchesJWKSOnce(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	h.sb.OIDCFaults().Update(func(f *sandbox.OIDCFaultSettings) { f.RetiredKey = true })

	res := runLogin(t, h.config(app, redirect, newHTTPBrowser("", true)))
	assertCheck(t, res.report, login.StepIDToken, "signature", login.StatusFail)
	// One fetch during discovery, one refetch for the unknown kid, no more.
	if got := h.jwksHits.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2", got)
	}
}

func TestRotatedKeyFoundAfterOneRefetch(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	h.sb.OIDCFaults().Update(func(f *sandbox.OIDCFaultSettings) { f.RotateKey = true })

	res := runLogin(t, h.config(app, redirect, newHTTPBrowser("", true)))
	assertPassed(t, res)
	assertCheck(t, res.report, login.StepIDToken, "signature", login.StatusPass, "after one JWKS refetch")
	if got := h.jwksHits.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2", got)
	}
	if h.sb.OIDCFaults().Get().RotateKey {
		t.Error("RotateKey is still on after the token request; it should switch itself off")
	}
}

func TestTamperedStateMakesNoTokenRequest(t *testing.T) {
	h := newHarness(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{})
	// Set this one over HTTP, as a test in another process would.
	body, _ := json.Marshal(sandbox.OIDCFaultSettings{TamperState: true})
	resp, err := http.Post(h.sb.URL()+"/_sandbox/oidc-faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !h.sb.OIDCFaults().Get().TamperState {
		t.Fatalf("POST /_sandbox/oidc-faults: HTTP %d, TamperState %v", resp.StatusCode, h.sb.OIDCFaults().Get().TamperState)
	}
	browser := newHTTPBrowser("", true)

	res := runLogin(t, h.config(app, redirect, browser))
	assertCheck(t, res.report, login.StepCallback, "state", login.StatusFail, "differs from the state sent")
	var mismatch *login.StateMismatchError
	if !errors.As(res.err, &mismatch) {
		t.Errorf("Run error %v, want a *StateMismatchError", res.err)
	}
	if got := h.tokenHits.Load(); got != 0 {
		t.Errorf("token endpoint hit %d times after a wrong state, want 0", got)
	}
	page := browser.wait(t)
	if page.status != http.StatusBadRequest || !strings.Contains(page.body, "state") {
		t.Errorf("browser got HTTP %d %q (error %v), want a 400 page about the state", page.status, page.body, page.err)
	}
}

func TestOIDCFaultsEndpointRejectsUnknownSwitch(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.sb.URL()+"/_sandbox/oidc-faults", strings.NewReader(`{"wrong_isuer":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("misspelt switch: HTTP %d, want 400", resp.StatusCode)
	}
}
