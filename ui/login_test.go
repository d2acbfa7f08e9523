package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/login"
	"github.com/biadmin/biadmin/sandbox"
)

// ListApplications lets the login tester of a console over fakeAPI load:
// the fake realm has no application.
func (f *fakeAPI) ListApplications(context.Context, client.ListOptions) (*client.Page[client.Application], error) {
	return &client.Page[client.Application]{}, nil
}

// syncBuffer is a bytes.Buffer safe for the log handler and the test to
// use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testBrowser plays the user's browser for the login tester: like
// xdg-open, Open returns at once and the sign-in runs in the background
// over net/http, submitting the sandbox's sign-in form.
type testBrowser struct {
	// identity is the identity_id to sign in as; "" takes the one the page
	// checked, else the first listed.
	identity string
	// fail, when set, is returned by Open, as when there is no display.
	fail error
	// release, when set, makes Open wait for it to close (or for the run
	// to end) before it signs in, which keeps the browser step running.
	release chan struct{}

	opened  atomic.Int32
	results chan error
	urls    chan string
}

func newTestBrowser() *testBrowser {
	return &testBrowser{results: make(chan error, 8), urls: make(chan string, 8)}
}

func (b *testBrowser) Open(ctx context.Context, authURL string) error {
	b.opened.Add(1)
	select {
	case b.urls <- authURL:
	default:
	}
	if b.fail != nil {
		return b.fail
	}
	if b.release != nil {
		select {
		case <-b.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	go func() {
		_, err := signInOverHTTP(authURL, b.identity, true)
		b.results <- err
	}()
	return nil
}

var (
	signInAction    = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	signInRequestID = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
	signInIdentity  = regexp.MustCompile(`name="identity_id" value="([^"]+)"[^>]*?( checked)?>`)
)

// signInOverHTTP loads the authorization URL, submits the sign-in form for
// identity and, with follow, follows the redirect to the redirect URI. It
// returns that redirect's address.
func signInOverHTTP(authURL, identity string, follow bool) (string, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Timeout: 10 * time.Second, Jar: jar}
	resp, err := hc.Get(authURL)
	if err != nil {
		return "", fmt.Errorf("GET authorize: %w", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("authorize page: HTTP %d: %s", resp.StatusCode, page)
	}
	action := signInAction.FindSubmatch(page)
	rid := signInRequestID.FindSubmatch(page)
	if action == nil || rid == nil {
		return "", fmt.Errorf("the sign-in page has no form: %s", page)
	}
	pick := ""
	for _, m := range signInIdentity.FindAllSubmatch(page, -1) {
		id := string(m[1])
		if (identity == "" && (pick == "" || len(m[2]) > 0)) || id == identity {
			pick = id
		}
	}
	if pick == "" || (identity != "" && pick != identity) {
		return "", fmt.Errorf("identity %q is not on the sign-in page: %s", identity, page)
	}
	base, _ := url.Parse(authURL)
	target, err := base.Parse(string(action[1]))
	if err != nil {
		return "", err
	}
	form := url.Values{"request_id": {string(rid[1])}, "identity_id": {pick}, "action": {"sign_in"}}
	var location string
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		location = req.URL.String()
		if !follow {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err = hc.PostForm(target.String(), form)
	if err != nil {
		return "", fmt.Errorf("submit sign-in: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !follow {
		if resp.StatusCode/100 != 3 {
			return "", fmt.Errorf("sign-in answered HTTP %d, not a redirect: %s", resp.StatusCode, body)
		}
		return resp.Header.Get("Location"), nil
	}
	if resp.StatusCode != http.StatusOK {
		return location, fmt.Errorf("the redirect to %s answered HTTP %d: %s", location, resp.StatusCode, body)
	}
	return location, nil
}

// loginConsole is a console over a fresh sandbox with an OIDC test
// application on a free loopback port, which the profile names as its
// login application.
type loginConsole struct {
	r        *root
	sb       *sandbox.Sandbox
	api      client.API
	app      sandbox.Application
	redirect string
	browser  *testBrowser
	log      *syncBuffer
	copied   *syncBuffer
	// tabKey is the number key of the tester's tab, found before the
	// program runs, because the model is the program's once it does.
	tabKey string
}

// freeLoopbackPort returns a port of 127.0.0.1 that was free a moment ago.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newLoginConsole starts the sandbox and the console. now fixes the
// console's clock, and so the engine's, when set.
func newLoginConsole(t *testing.T, browser *testBrowser, now func() time.Time) *loginConsole {
	t.Helper()
	return newLoginConsoleWith(t, browser, now, false)
}

// newLoginConsoleWith is newLoginConsole with a read-only profile when
// readOnly is set.
func newLoginConsoleWith(t *testing.T, browser *testBrowser, now func() time.Time, readOnly bool) *loginConsole {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freeLoopbackPort(t))
	app, err := sb.AddOIDCApplication(sandbox.OIDCApplicationSpec{
		DisplayName:   "Test App",
		RedirectURIs:  []string{redirect},
		AllowedScopes: []string{"email", "profile"},
	})
	if err != nil {
		t.Fatalf("add application: %v", err)
	}
	info := sb.Info()
	api, err := client.New(client.Options{
		BaseURL:    sb.URL(),
		TenantID:   info.TenantID,
		RealmID:    info.RealmID,
		Token:      client.StaticToken(info.APIToken),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		ReadOnly:   readOnly,
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	lc := &loginConsole{sb: sb, api: api, app: app, redirect: redirect, browser: browser, log: &syncBuffer{}, copied: &syncBuffer{}}
	lc.r = newRoot(Options{
		API: api,
		Profile: ProfileInfo{
			Name: "sandbox", TenantID: info.TenantID, RealmID: info.RealmID, Sandbox: true, ReadOnly: readOnly,
			AuthenticatorConfigID: info.AuthenticatorConfigID,
			AuthBaseURL:           info.AuthBaseURL, LoginApplicationID: app.ID,
		},
		SandboxURL:  sb.URL(),
		Logger:      slog.New(slog.NewTextHandler(io.MultiWriter(lc.log, testLogWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:         now,
		LoginOpener: browser,
		Clipboard:   lc.copied,
	})
	lc.r.flashTTL = time.Hour
	lc.tabKey = testerTabKey(t, lc.r)
	// A test that stops the program with tea.Quit leaves a run going;
	// this ends it, and the listener with it.
	t.Cleanup(lc.r.cancel)
	return lc
}

// testerTabKey returns the number key of the login tester's tab.
func testerTabKey(t *testing.T, r *root) string {
	t.Helper()
	for i, tb := range r.tabs {
		if _, ok := tb.stack[0].(*loginTester); ok {
			return fmt.Sprint(i + 1)
		}
	}
	t.Fatal("no login tester among the top-level screens")
	return ""
}

func tester(t *testing.T, r *root) *loginTester {
	t.Helper()
	for _, tb := range r.tabs {
		if lt, ok := tb.stack[0].(*loginTester); ok {
			return lt
		}
	}
	t.Fatal("no login tester among the top-level screens")
	return nil
}

// enrolledIdentities returns the demo realm's enrolled, active identities.
func enrolledIdentities(t *testing.T, api client.API) []client.Identity {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200}})
	if err != nil {
		t.Fatalf("list identities: %v", err)
	}
	var out []client.Identity
	for _, id := range page.Items {
		if id.EnrollmentStatus == client.EnrollmentEnrolled && id.Status == client.StatusActive {
			out = append(out, id)
		}
	}
	if len(out) < 2 {
		t.Fatalf("the seed has %d enrolled, active identities; the test needs 2", len(out))
	}
	return out
}

// startTester opens the tester tab, waits for the applications and starts
// a test with enter.
func startTester(t *testing.T, tm *teatest.TestModel, lc *loginConsole) {
	t.Helper()
	waitForText(t, tm, "of 40")
	tm.Send(keyMsg(lc.tabKey))
	waitForText(t, tm, "Test App (default)")
	tm.Send(keyMsg("enter"))
}

// assertNoSecrets fails when the log holds a token, an authorization
// code, the authorization URL's query or the pasted redirect.
func assertNoSecrets(t *testing.T, log string, rep *login.Report) {
	t.Helper()
	for i, name := range tokenNames {
		if s := tokenSecret(rep.Tokens, i); !s.IsZero() && strings.Contains(log, s.Reveal()) {
			t.Errorf("the log contains the %s", name)
		}
	}
	for _, leak := range []string{"code=", "state=", "nonce=", "code_challenge", "client_secret"} {
		if strings.Contains(log, leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
}

func TestLoginTesterPasses(t *testing.T) {
	browser := newTestBrowser()
	lc := newLoginConsole(t, browser, nil)
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(120, 40))
	startTester(t, tm, lc)
	waitForText(t, tm, "PASSED", "every check passed")
	if err := <-browser.results; err != nil {
		t.Fatalf("browser: %v", err)
	}

	// The access token is shown only on request, and copied whole.
	tm.Send(keyMsg("v"))
	tm.Send(keyMsg("c"))
	waitForText(t, tm, "Sent the access token (")
	tm.Send(keyMsg("v"))
	// r runs the same test again.
	tm.Send(keyMsg("r"))
	select {
	case err := <-browser.results:
		if err != nil {
			t.Fatalf("browser, second run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the second run did not open the browser within 15s")
	}
	waitForTextRepainting(t, tm, "PASSED")

	final := quitAndWait(t, tm)
	lt := tester(t, final)
	rep := lt.run.report
	if !rep.Passed() {
		t.Fatalf("the second run did not pass: %v", rep.Failures())
	}
	if got := browser.opened.Load(); got != 2 {
		t.Errorf("the browser was opened %d times for two runs", got)
	}
	if rep.ApplicationID != lc.app.ID {
		t.Errorf("tested application %s, want the profile's %s", rep.ApplicationID, lc.app.ID)
	}
	if want := []string{"openid", "email", "profile"}; fmt.Sprint(rep.Scopes) != fmt.Sprint(want) {
		t.Errorf("requested scopes %v, want %v (openid and the standard scopes the app allows)", rep.Scopes, want)
	}
	if rep.IDTokenClaims["email"] == nil || rep.UserinfoClaims["sub"] == nil {
		t.Errorf("claims missing: ID token %v, userinfo %v", rep.IDTokenClaims, rep.UserinfoClaims)
	}

	view := lt.View()
	access := rep.Tokens.Access.Reveal()
	// The end of a JWT is its signature, which no other token shares.
	if strings.Contains(view, access[len(access)-40:]) {
		t.Error("the access token is on screen unmasked after a new run")
	}
	if !strings.Contains(view, rep.Tokens.Access.String()) {
		t.Errorf("the view does not show the masked access token %s:\n%s", rep.Tokens.Access.String(), view)
	}
	for _, section := range []string{"Tokens", "ID token claims", "Userinfo claims", "Steps"} {
		if !strings.Contains(view, section) && !strings.Contains(strings.Join(lt.docLines(), "\n"), section) {
			t.Errorf("the verdict has no %q section", section)
		}
	}

	// The clipboard got one OSC 52 sequence per copy: the first run's
	// access token.
	copied := lc.copied.String()
	m := regexp.MustCompile(`^\x1b\]52;c;([A-Za-z0-9+/=]+)\a$`).FindStringSubmatch(copied)
	if m == nil {
		t.Fatalf("the clipboard output %q is not one OSC 52 sequence", copied)
	}
	token, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil || !strings.HasPrefix(string(token), "ey") || strings.Count(string(token), ".") != 2 {
		t.Errorf("the copied text is not a JWT: %q (%v)", token, err)
	}
	assertNoSecrets(t, lc.log.String(), rep)
	if strings.Contains(lc.log.String(), string(token)) {
		t.Error("the log contains the copied access token")
	}
	for _, step := range []string{"step=preflight status=pass", "step=verdict status=pass", "login test finished"} {
		if !strings.Contains(lc.log.String(), step) {
			t.Errorf("the log has no %q", step)
		}
	}
}

// TestLoginTesterReadOnly runs the tester in a read-only profile: it
// changes no data, so it stays, and its tokens stay masked.
func TestLoginTesterReadOnly(t *testing.T) {
	browser := newTestBrowser()
	lc := newLoginConsoleWith(t, browser, nil, true)
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(120, 40))
	startTester(t, tm, lc)
	waitForText(t, tm, "PASSED")
	tm.Send(tea.Quit())
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*root)
	if !strings.Contains(final.View(), "[READ-ONLY]") {
		t.Errorf("the console is not in read-only mode:\n%s", final.View())
	}
	lt := tester(t, final)
	if !lt.run.report.Passed() {
		t.Fatalf("the test failed in a read-only profile: %v", lt.run.report.Failures())
	}
	if view := lt.View(); strings.Contains(view, "eyJ") {
		t.Errorf("a token is shown unmasked:\n%s", view)
	}
}

func TestLoginTesterRevealShowsSelectedToken(t *testing.T) {
	browser := newTestBrowser()
	lc := newLoginConsole(t, browser, nil)
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(120, 40))
	startTester(t, tm, lc)
	waitForText(t, tm, "PASSED")
	// Select the ID token and show it.
	tm.Send(keyMsg("right"))
	tm.Send(keyMsg("v"))
	final := quitAndWait(t, tm)
	lt := tester(t, final)
	doc := strings.Join(lt.docLines(), "\n")
	id := lt.run.report.Tokens.ID.Reveal()
	if !strings.Contains(strings.ReplaceAll(stripDocIndent(doc), "\n", ""), id) {
		t.Errorf("the ID token is not shown whole after v:\n%s", doc)
	}
	access := lt.run.report.Tokens.Access.Reveal()
	if strings.Contains(strings.ReplaceAll(stripDocIndent(doc), "\n", ""), access[len(access)-40:]) {
		t.Error("the access token is shown although only the ID token was asked for")
	}
}

// stripDocIndent removes the indent of every line, so a token wrapped
// over several lines can be found by joining them.
func stripDocIndent(doc string) string {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

func TestLoginTesterWrongAudienceFails(t *testing.T) {
	browser := newTestBrowser()
	lc := newLoginConsole(t, browser, nil)
	lc.sb.OIDCFaults().Set(sandbox.OIDCFaultSettings{WrongAudience: true})
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(120, 40))
	startTester(t, tm, lc)
	waitForText(t, tm, "FAILED", "id_token/aud")
	final := quitAndWait(t, tm)
	lt := tester(t, final)
	c := lt.run.report.Check(login.StepIDToken, "aud")
	if c == nil || c.Status != login.StatusFail {
		t.Fatalf("id_token/aud = %+v, want a failure", c)
	}
	verdict := strings.Join(lt.verdictLines(), "\n")
	if !strings.Contains(verdict, "id_token/aud") {
		t.Errorf("the verdict does not list the failed check:\n%s", verdict)
	}
	if strings.Contains(verdict, "verdict/all") {
		t.Errorf("the verdict repeats the summary check:\n%s", verdict)
	}
}

func TestLoginTesterAsIdentity(t *testing.T) {
	browser := newTestBrowser()
	lc := newLoginConsole(t, browser, nil)
	ids := enrolledIdentities(t, lc.api)
	want, other := ids[0], ids[1]
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(120, 40))
	waitForText(t, tm, "of 40")

	// Find the identity and test as it: t switches to the tester and
	// starts at once.
	tm.Type("/" + want.Traits.Username)
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")
	tm.Send(keyMsg("t"))
	waitForText(t, tm, "PASSED", "expected identity "+want.Traits.Username)

	// Back in the settings, a hint naming another identity signs that one
	// in, so the sub no longer matches the expected identity.
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Expect sub")
	tm.Send(keyMsg("e"))
	for range want.Traits.Username {
		tm.Send(keyMsg("backspace"))
	}
	tm.Type(other.Traits.Username)
	tm.Send(keyMsg("enter"))
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "FAILED", "verdict/subject")

	final := quitAndWait(t, tm)
	lt := tester(t, final)
	rep := lt.run.report
	if lt.settings.hint != other.Traits.Username || lt.settings.expectID != want.ID {
		t.Fatalf("settings %+v, want hint %s and expected subject %s", lt.settings, other.Traits.Username, want.ID)
	}
	c := rep.Check(login.StepVerdict, "subject")
	if c == nil || c.Status != login.StatusFail || !strings.Contains(c.Detail, other.ID) || !strings.Contains(c.Detail, want.ID) {
		t.Fatalf("verdict/subject = %+v, want a failure naming %s and %s", c, other.ID, want.ID)
	}
	if sub := rep.IDTokenClaims["sub"]; sub != other.ID {
		t.Errorf("sub %v, want the hinted identity %s", sub, other.ID)
	}
}

func TestLoginTesterAsIdentityPassesSubject(t *testing.T) {
	browser := newTestBrowser()
	lc := newLoginConsole(t, browser, nil)
	want := enrolledIdentities(t, lc.api)[1]
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(100, 30))
	waitForText(t, tm, "of 40")
	// What the identity list's t sends, and the identity detail screen
	// may send too.
	tm.Send(testAsIdentity(want)())
	waitForText(t, tm, "PASSED")
	final := quitAndWait(t, tm)
	lt := tester(t, final)
	if final.current() != screen(lt) {
		t.Errorf("the screen on display is %q, want the login tester", final.current().Title())
	}
	c := lt.run.report.Check(login.StepVerdict, "subject")
	if c == nil || c.Status != login.StatusPass {
		t.Fatalf("verdict/subject = %+v, want a pass", c)
	}
	if sub := lt.run.report.IDTokenClaims["sub"]; sub != want.ID {
		t.Errorf("sub %v, want %s", sub, want.ID)
	}
}

func TestLoginTesterCancelFreesPort(t *testing.T) {
	browser := newTestBrowser()
	browser.release = make(chan struct{})
	lc := newLoginConsole(t, browser, nil)
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(120, 40))
	startTester(t, tm, lc)
	waitForText(t, tm, "listening on 127.0.0.1")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "CANCELLED")
	final := quitAndWait(t, tm)
	lt := tester(t, final)
	if !lt.run.cancelled || lt.run.report.Passed() {
		t.Fatalf("run cancelled=%v passed=%v, want a cancelled run", lt.run.cancelled, lt.run.report.Passed())
	}
	u, _ := url.Parse(lc.redirect)
	ln, err := net.Listen("tcp4", u.Host)
	if err != nil {
		t.Fatalf("the redirect port is still taken after the cancel: %v", err)
	}
	ln.Close()
}

func TestLoginTesterPastedRedirect(t *testing.T) {
	browser := newTestBrowser()
	browser.fail = errors.New("there is no display")
	lc := newLoginConsole(t, browser, nil)
	tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(200, 60))
	startTester(t, tm, lc)
	waitForText(t, tm, "The browser could not be opened: there is no display", "Redirect URL:")
	// The user copies the URL from the screen; the test takes it from the
	// browser that failed to open it.
	var authURL string
	select {
	case authURL = <-browser.urls:
	case <-time.After(5 * time.Second):
		t.Fatal("the browser was never asked to open a URL")
	}

	// A wrong address is refused with a reason, and the field stays.
	wrong := "http://127.0.0.1:1/elsewhere?code=x"
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(wrong), Paste: true})
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "the pasted address has path")

	location, err := signInOverHTTP(authURL, "", false)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(location), Paste: true})
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "PASSED")
	final := quitAndWait(t, tm)
	lt := tester(t, final)
	if c := lt.run.report.Check(login.StepCallback, "redirect"); c == nil || !strings.Contains(c.Detail, "pasted URL") {
		t.Errorf("callback/redirect = %+v, want the pasted URL as the source", c)
	}
	code := ""
	if u, err := url.Parse(location); err == nil {
		code = u.Query().Get("code")
	}
	if code == "" || strings.Contains(lc.log.String(), code) {
		t.Errorf("the log contains the pasted authorization code (or there was none: %q)", code)
	}
	if lt.run.paste.Value() != "" {
		t.Error("the paste field still holds the redirect URL with its code")
	}
	assertNoSecrets(t, lc.log.String(), lt.run.report)
}

func TestLoginTesterListsOnlyOAuthApps(t *testing.T) {
	lc := newLoginConsole(t, newTestBrowser(), nil)
	lt := tester(t, lc.r)
	lc.r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	settle(t, lc.r, lt.Init())
	var names []string
	for _, a := range lt.apps {
		names = append(names, a.DisplayName)
		if a.ProtocolConfig.Type != "oidc" && a.ProtocolConfig.Type != "oauth2" {
			t.Errorf("application %s of protocol %s is offered", a.DisplayName, a.ProtocolConfig.Type)
		}
	}
	if fmt.Sprint(names) != "[Demo App Test App]" {
		t.Errorf("applications %v, want the demo and the test application", names)
	}
	app, ok := lt.selectedApp()
	if !ok || app.ID != lc.app.ID {
		t.Errorf("preselected %+v, want the profile's login application %s", app, lc.app.ID)
	}
	// space unticks email, the scope under the cursor.
	lt.Update(keyMsg(" "))
	if s := lt.currentSettings(); fmt.Sprint(s.scopes) != "[profile]" {
		t.Errorf("scopes after unticking email = %v, want [profile]", s.scopes)
	}
	view := lt.View()
	for _, want := range []string{"Test App (default)", "oidc", "confidential", "1, 1 loopback", "[x] openid", "[ ] email", "[x] profile"} {
		if !strings.Contains(view, want) {
			t.Errorf("the picker does not show %q:\n%s", want, view)
		}
	}
}

// manualTester returns a tester in a console over fakeAPI, sized
// width x height, whose test handed the URL to the user as the engine does
// when no browser opens.
func manualTester(t *testing.T, width, height int) (*loginTester, string) {
	t.Helper()
	r := newTestRoot(t, newFakeAPI(3), ProfileInfo{Name: "test"})
	r.Update(tea.WindowSizeMsg{Width: width, Height: height})
	lt := tester(t, r)
	authURL := "http://127.0.0.1:8080/v1/tenants/t/realms/r/applications/a/authorize?client_id=c&redirect_uri=" +
		url.QueryEscape("http://127.0.0.1:8765/callback") + "&state=" + strings.Repeat("s", 43) + "&nonce=" + strings.Repeat("n", 43)
	qr, err := login.QRCode(authURL)
	if err != nil {
		t.Fatal(err)
	}
	lt.phase = loginRunning
	lt.run = &loginRun{id: 1, cancel: func() {}, paste: newPasteInput(lt.c, width)}
	for _, ev := range []login.Event{
		{Kind: login.EventStepStarted, Step: login.StepBrowser},
		{Kind: login.EventOpenManually, Step: login.StepBrowser, URL: authURL, QRCode: qr,
			Message: "the browser could not be opened: no display. Open the URL below."},
		{Kind: login.EventWaiting, Step: login.StepCallback, Message: "waiting for a pasted redirect URL"},
	} {
		lt.applyEvent(ev)
	}
	lt.clampScroll()
	return lt, authURL
}

func TestLoginTesterManualURLCutWithMark(t *testing.T) {
	lt, authURL := manualTester(t, 80, 24)
	view := lt.View()
	lines := strings.Split(view, "\n")
	cut := slices.IndexFunc(lines, func(l string) bool {
		return strings.HasSuffix(l, "…") && strings.HasPrefix(authURL, strings.TrimSuffix(l, "…"))
	})
	if cut < 0 {
		t.Errorf("the URL is not cut with a mark at 80 columns:\n%s", view)
	}
	if !strings.Contains(view, "o to show the URL alone") {
		t.Errorf("the view does not say that o shows the URL alone:\n%s", view)
	}
	if !lt.InputFocused() || !strings.Contains(view, "Redirect URL:") {
		t.Errorf("the paste field does not have focus (focused %v):\n%s", lt.InputFocused(), view)
	}
	if strings.Contains(view, "█") {
		t.Errorf("a QR code is drawn in a window too small for it:\n%s", view)
	}
	if got := len(strings.Split(view, "\n")); got != lt.height {
		t.Errorf("the view has %d lines, want the body's %d", got, lt.height)
	}
}

func TestLoginTesterManualURLWholeWhenWide(t *testing.T) {
	lt, authURL := manualTester(t, 400, 24)
	if view := lt.View(); !slices.Contains(strings.Split(view, "\n"), authURL) {
		t.Errorf("the URL is not whole on a line of its own at 400 columns:\n%s", view)
	}
	if view := lt.View(); !strings.Contains(view, "A larger window shows a QR code.") {
		t.Errorf("a window too low for the QR code does not say so:\n%s", view)
	}
}

// TestLoginTesterShowURLAlone checks that o hands the terminal to a pager
// with the whole sign-in URL, after esc left the paste field.
func TestLoginTesterShowURLAlone(t *testing.T) {
	lt, authURL := manualTester(t, 80, 24)
	lt.run.authURL = authURL
	lt.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if lt.InputFocused() {
		t.Fatal("esc did not leave the paste field")
	}
	_, cmd := lt.Update(keyMsg("o"))
	if cmd == nil {
		t.Fatal("o gives no command")
	}
	// tea.Exec's message is unexported; reflection reads the pager in it.
	msg := reflect.ValueOf(cmd())
	if msg.Kind() != reflect.Struct || msg.NumField() == 0 {
		t.Fatalf("o gives %T, not an exec message", cmd())
	}
	pager := msg.Field(0).Elem()
	if pager.Type() != reflect.TypeOf(&linkPager{}) {
		t.Fatalf("o runs %v, want a *linkPager", pager.Type())
	}
	if got := pager.Elem().FieldByName("link").String(); got != authURL {
		t.Errorf("the pager shows %q, want the sign-in URL %q", got, authURL)
	}
	if got := pager.Elem().FieldByName("heading").String(); !strings.Contains(got, "Sign-in URL") {
		t.Errorf("the pager's heading %q does not say it is the sign-in URL", got)
	}
}

func TestLoginTesterManualQRWhenTall(t *testing.T) {
	lt, _ := manualTester(t, 200, 80)
	view := lt.View()
	if !strings.Contains(view, "█") {
		t.Errorf("no QR code in a 200x80 window:\n%s", view)
	}
	if !regexp.MustCompile(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] browser`).MatchString(view) {
		t.Errorf("the running browser step has no spinner:\n%s", view)
	}
}

func TestClaimTextSanitizes(t *testing.T) {
	cases := []struct {
		name  string
		claim string
		value any
		want  string
	}{
		{"escape sequence", "name", "Eve\x1b[2J\x1b]0;pwned\a", "Eve\uFFFD\uFFFD"},
		{"newline", "name", "a\nb", "a b"},
		{"numeric date", "exp", json.Number("1767225600"), "1767225600 (2026-01-01 00:00 UTC)"},
		{"plain number", "age", json.Number("42"), "42"},
		{"array", "aud", []any{"a", "b"}, `["a","b"]`},
		{"object with control", "addr", map[string]any{"x": "\x07y"}, `{"x":"\u0007y"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := claimText(tc.claim, tc.value)
			if got != tc.want {
				t.Errorf("claimText(%q, %#v) = %q, want %q", tc.claim, tc.value, got, tc.want)
			}
			if strings.ContainsAny(got, "\x1b\a\n") {
				t.Errorf("claimText(%q) = %q keeps a control character", tc.claim, got)
			}
		})
	}
}

// waitForTextRepainting waits for texts like waitForText, but keeps asking
// the program to repaint the whole screen. A run that finishes within one
// frame leaves the screen as it was, so the renderer writes nothing new and
// a plain wait for the same text would time out.
func waitForTextRepainting(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ticker := time.NewTicker(200 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				tm.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
			}
		}
	}()
	defer func() {
		close(done)
		<-stopped
	}()
	waitForText(t, tm, texts...)
}
