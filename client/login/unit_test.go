package login

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDescribeResponseHTMLBody(t *testing.T) {
	resp := &http.Response{StatusCode: 502, Header: http.Header{"Content-Type": {"text/html"}}}
	body := []byte("<html><head><title>x</title><script>alert(1)</script></head><body>\n<h1>Bad &amp; Gateway</h1>\x1b[31m</body></html>")
	got := describeResponse("token", resp, body, "").Error()
	for _, want := range []string{"token endpoint", "HTTP 502", "text/html", `"Bad & Gateway ?[31m"`} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q does not contain %q", got, want)
		}
	}
	for _, bad := range []string{"<h1>", "alert", "\x1b"} {
		if strings.Contains(got, bad) {
			t.Errorf("error %q contains %q", got, bad)
		}
	}
}

func TestDescribeResponseOAuthError(t *testing.T) {
	resp := &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {"application/json"}}}
	got := describeResponse("token", resp, []byte(`{"error":"invalid_grant","error_description":"the code was already used"}`), "").Error()
	for _, want := range []string{"HTTP 400", "application/json", "error=invalid_grant", `error_description="the code was already used"`} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q does not contain %q", got, want)
		}
	}
}

func TestDescribeResponseTruncatesLongBody(t *testing.T) {
	resp := &http.Response{StatusCode: 500, Header: http.Header{}}
	got := describeResponse("discovery", resp, bytes.Repeat([]byte("abc "), 1000), "")
	if n := len([]rune(got.Excerpt)); n > excerptLength+1 {
		t.Errorf("excerpt has %d characters, want at most %d", n, excerptLength+1)
	}
	if !strings.Contains(got.Error(), "no content type") {
		t.Errorf("error %q does not say the content type is missing", got.Error())
	}
}

func TestParseLoopbackRedirect(t *testing.T) {
	good := map[string]int{
		"http://127.0.0.1:8765/callback": 8765,
		"http://localhost:9000/cb":       9000,
	}
	for raw, port := range good {
		lr, err := parseLoopbackRedirect(raw)
		if err != nil || lr.port != port {
			t.Errorf("parseLoopbackRedirect(%q) = %+v, %v; want port %d", raw, lr, err, port)
		}
	}
	bad := map[string]string{
		"https://127.0.0.1:8765/callback": "scheme",
		"http://10.0.0.1:8765/callback":   "host",
		"http://[::1]:8765/callback":      "host",
		"http://127.0.0.1/callback":       "fixed port",
		"http://127.0.0.1:8765/cb?x=1":    "query",
	}
	for raw, want := range bad {
		if _, err := parseLoopbackRedirect(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseLoopbackRedirect(%q) error %v, want one mentioning %q", raw, err, want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	_, err := NewRunner(Config{AuthBaseURL: "http://auth.example.com"})
	if err == nil {
		t.Fatal("NewRunner accepted plain http to a remote host and no IDs")
	}
	for _, want := range []string{"only loopback hosts may use plain http", "tenant ID is missing", "client ID is missing", "redirect URI is missing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	_, err = NewRunner(Config{
		AuthBaseURL: "https://auth-us.beyondidentity.com", TenantID: "t", RealmID: "r", ApplicationID: "a",
		ClientID: "c", RedirectURI: "http://127.0.0.1:8765/callback", AuthMethod: "private_key_jwt",
	})
	if err == nil || !strings.Contains(err.Error(), "private_key_jwt") {
		t.Errorf("unsupported auth method: error %v", err)
	}
}

func TestCallbackGateFirstRedirectWins(t *testing.T) {
	g := newCallbackGate("expected")
	if err := g.handle(url.Values{}, "listener"); !errors.Is(err, errNotOAuthRedirect) {
		t.Fatalf("empty query: %v, want errNotOAuthRedirect", err)
	}
	if err := g.handle(url.Values{"code": {"c"}, "state": {"expected"}}, "listener"); err != nil {
		t.Fatalf("first redirect: %v", err)
	}
	if err := g.handle(url.Values{"code": {"c2"}, "state": {"expected"}}, "listener"); !errors.Is(err, ErrAlreadyHandled) {
		t.Fatalf("second redirect: %v, want ErrAlreadyHandled", err)
	}
	cb := <-g.result
	if cb.code.Reveal() != "c" || cb.err != nil {
		t.Fatalf("accepted callback %+v, want the first code", cb)
	}
}

func TestCallbackGateErrorsNeverContainCode(t *testing.T) {
	g := newCallbackGate("expected")
	err := g.handle(url.Values{"code": {"SECRET-CODE"}, "state": {"wrong"}}, "listener")
	var sm *StateMismatchError
	if !errors.As(err, &sm) {
		t.Fatalf("error %v, want StateMismatchError", err)
	}
	if strings.Contains(err.Error(), "SECRET-CODE") {
		t.Errorf("error %q contains the code", err)
	}
}

func TestOpenSystemReportsFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	err := openSystem(ctx, "http://x", env(map[string]string{"SSH_CONNECTION": "1 2 3 4"}), "linux")
	if err == nil || !strings.Contains(err.Error(), "SSH session without a display") {
		t.Errorf("SSH without display: %v", err)
	}
	err = openSystem(ctx, "http://x", env(nil), "linux")
	if err == nil || !strings.Contains(err.Error(), "no display") {
		t.Errorf("no display: %v", err)
	}
	err = openSystem(ctx, "http://x", env(map[string]string{"BROWSER": "false"}), "linux")
	if err == nil || !strings.Contains(err.Error(), "$BROWSER failed") {
		t.Errorf("failing $BROWSER: %v", err)
	}
	err = openSystem(ctx, "http://x", env(map[string]string{"BROWSER": "no-such-browser-binary"}), "linux")
	if err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("missing $BROWSER binary: %v", err)
	}
	if err := openSystem(ctx, "http://x", env(map[string]string{"BROWSER": "true %s"}), "linux"); err != nil {
		t.Errorf("succeeding $BROWSER: %v", err)
	}
}

func TestQRCodeRendersText(t *testing.T) {
	qr, err := QRCode("http://127.0.0.1:1/v1/tenants/t/realms/r/applications/a/authorize?client_id=x&state=y")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(qr, "\n"), "\n")
	if len(lines) < 10 || !strings.ContainsAny(qr, "█▀▄") {
		t.Fatalf("QR code looks empty: %q", qr)
	}
	if strings.Contains(qr, "\x1b") {
		t.Error("QR code contains escape sequences")
	}
	if _, err := QRCode(strings.Repeat("x", 5000)); err == nil {
		t.Error("QRCode accepted 5000 characters, more than a QR code holds")
	}
}

func TestReportJSONAndTextMaskTokens(t *testing.T) {
	r := &Report{
		Steps:  []Step{{Name: StepVerdict, Status: StatusPass, Checks: []Check{{Name: "all", Status: StatusPass, Detail: "ok\x1b[2J"}}}},
		Tokens: Tokens{Access: NewSecret("ACCESS-VALUE"), ID: NewSecret("ID-VALUE"), Refresh: NewSecret("REFRESH-VALUE")},
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := RenderText(&text, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"json": string(js), "text": text.String()} {
		for _, secret := range []string{"ACCESS-VALUE", "ID-VALUE", "REFRESH-VALUE"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output contains %s", name, secret)
			}
		}
	}
	if strings.Contains(text.String(), "\x1b") {
		t.Error("text output contains an escape sequence from a detail")
	}
	var decoded map[string]any
	if err := json.Unmarshal(js, &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded["passed"] != true {
		t.Errorf("JSON passed = %v, want true", decoded["passed"])
	}
	if !strings.Contains(text.String(), "PASSED") {
		t.Errorf("text output %q has no verdict", text.String())
	}
}

func TestReportPassedNeedsVerdict(t *testing.T) {
	r := &Report{Steps: []Step{{Name: StepPreflight, Status: StatusPass}}}
	if r.Passed() {
		t.Error("a report that stopped before the verdict passed")
	}
	r.Steps = append(r.Steps, Step{Name: StepVerdict, Status: StatusPass, Checks: []Check{{Name: "subject", Status: StatusFail}}})
	if r.Passed() {
		t.Error("a report with a failed check passed")
	}
}

func TestExchangeCodeDoesNotFollowRedirects(t *testing.T) {
	var elsewhere int
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { elsewhere++ })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cfg := Config{ClientID: "c", ClientSecret: NewSecret("s"), AuthMethod: AuthPost, RedirectURI: "http://127.0.0.1:1/cb",
		HTTPClient: srv.Client(), Now: time.Now}
	_, err := exchangeCode(context.Background(), &cfg, srv.URL+"/token", NewSecret("the-code"), strings.Repeat("v", 43))
	var re *ResponseError
	if !errors.As(err, &re) || re.Status != http.StatusTemporaryRedirect {
		t.Fatalf("error %v, want a ResponseError with HTTP 307", err)
	}
	if elsewhere != 0 {
		t.Errorf("the code was resent to the redirect target %d times", elsewhere)
	}
	if strings.Contains(err.Error(), "the-code") {
		t.Errorf("error %q contains the code", err)
	}
}
