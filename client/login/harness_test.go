package login_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/login"
	"github.com/biadmin/biadmin/sandbox"
)

// harness is a sandbox with counters on the OIDC endpoints, a management
// API client for the pre-flight, and helpers to add applications.
type harness struct {
	sb   *sandbox.Sandbox
	info sandbox.Info
	api  client.API

	tokenHits atomic.Int64
	jwksHits  atomic.Int64

	mu            sync.Mutex
	tokenAuth     []string // "basic", "post" or "none" per token request
	tokenRequests []url.Values
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{}
	sb, err := sandbox.Start(sandbox.Options{Middleware: h.count})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	h.sb, h.info = sb, sb.Info()
	api, err := client.New(client.Options{
		BaseURL:    sb.URL(),
		TenantID:   h.info.TenantID,
		RealmID:    h.info.RealmID,
		Token:      client.StaticToken(h.info.APIToken),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatalf("management client: %v", err)
	}
	h.api = api
	return h
}

// count records token and JWKS requests; for token requests it also notes
// how the client authenticated, restoring the body for the sandbox.
func (h *harness) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/token"):
			h.tokenHits.Add(1)
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			auth := "none"
			if _, _, ok := r.BasicAuth(); ok {
				auth = "basic"
			} else if form.Has("client_secret") {
				auth = "post"
			}
			h.mu.Lock()
			h.tokenAuth = append(h.tokenAuth, auth)
			h.tokenRequests = append(h.tokenRequests, form)
			h.mu.Unlock()
		case strings.HasSuffix(r.URL.Path, "/.well-known/jwks.json"):
			h.jwksHits.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

func (h *harness) authMethods() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.tokenAuth...)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// addApp registers an application with a loopback redirect URI on a free
// port and returns it with that URI.
func (h *harness) addApp(t *testing.T, spec sandbox.OIDCApplicationSpec) (sandbox.Application, string) {
	t.Helper()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freePort(t))
	spec.RedirectURIs = append(spec.RedirectURIs, redirect)
	if spec.AllowedScopes == nil {
		spec.AllowedScopes = []string{"email", "profile"}
	}
	app, err := h.sb.AddOIDCApplication(spec)
	if err != nil {
		t.Fatalf("add application: %v", err)
	}
	return app, redirect
}

// config is a login test of app through its loopback redirect URI, with
// the pre-flight on and a browser that is the given opener.
func (h *harness) config(app sandbox.Application, redirect string, opener login.Opener) login.Config {
	return login.Config{
		AuthBaseURL:   h.sb.URL(),
		ApplicationID: app.ID,
		API:           h.api,
		RedirectURI:   redirect,
		Opener:        opener,
		Timeout:       20 * time.Second,
		HTTPClient:    &http.Client{Timeout: 10 * time.Second},
	}
}

// runResult is what a finished run returned, with every event it sent.
type runResult struct {
	report *login.Report
	err    error
	events []login.Event
}

// start runs r in the background and returns a channel with its result.
// onEvent, when set, receives every event as it arrives.
func start(ctx context.Context, r *login.Runner, onEvent func(login.Event)) <-chan runResult {
	events := make(chan login.Event, 16)
	out := make(chan runResult, 1)
	var collected []login.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			collected = append(collected, ev)
			if onEvent != nil {
				onEvent(ev)
			}
		}
	}()
	go func() {
		rep, err := r.Run(ctx, events)
		<-done
		out <- runResult{report: rep, err: err, events: collected}
	}()
	return out
}

// runLogin runs a whole login test and waits at most 30 s for it.
func runLogin(t *testing.T, cfg login.Config) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := login.NewRunner(cfg)
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	select {
	case res := <-start(ctx, r, nil):
		return res
	case <-time.After(35 * time.Second):
		t.Fatal("login test did not finish within 35 s")
	}
	return runResult{}
}

// httpBrowser plays the user's browser with net/http: it loads the
// authorization URL, submits the sign-in form for one identity and follows
// the redirect to the redirect URI.
type httpBrowser struct {
	identity string // identity_id to pick; "" picks the first one listed
	follow   bool   // follow the final redirect; false stops and records it
	opened   atomic.Int64
	done     chan browserResult
}

type browserResult struct {
	status   int    // status of the last response
	body     string // body of the last response
	location string // the redirect to the redirect URI, when not followed
	err      error
}

func newHTTPBrowser(identity string, follow bool) *httpBrowser {
	return &httpBrowser{identity: identity, follow: follow, done: make(chan browserResult, 1)}
}

// Open implements login.Opener; like xdg-open it returns at once.
func (b *httpBrowser) Open(ctx context.Context, authURL string) error {
	b.opened.Add(1)
	// A real browser outlives the run that opened it, so the page loads
	// must not end when the run's context does.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	go func() {
		defer cancel()
		b.done <- b.signIn(bctx, authURL)
	}()
	return nil
}

var (
	requestIDPattern = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
	identityPattern  = regexp.MustCompile(`name="identity_id" value="([^"]+)"`)
	actionPattern    = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

func (b *httpBrowser) signIn(ctx context.Context, authURL string) browserResult {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Timeout: 10 * time.Second, Jar: jar}
	getReq, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	resp, err := hc.Do(getReq)
	if err != nil {
		return browserResult{err: fmt.Errorf("GET authorize: %w", err)}
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return browserResult{status: resp.StatusCode, body: string(page), err: fmt.Errorf("authorize page: HTTP %d: %s", resp.StatusCode, page)}
	}
	form, err := signInForm(string(page), b.identity)
	if err != nil {
		return browserResult{body: string(page), err: err}
	}
	action, _ := url.Parse(authURL)
	m := actionPattern.FindStringSubmatch(string(page))
	if m == nil {
		return browserResult{body: string(page), err: errors.New("sign-in page has no form")}
	}
	action, _ = action.Parse(m[1])

	if !b.follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(req)
	if err != nil {
		return browserResult{err: fmt.Errorf("submit sign-in: %w", err)}
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return browserResult{status: resp.StatusCode, body: string(body), location: resp.Header.Get("Location")}
}

// signInForm picks the identity from the sign-in page and builds the form.
func signInForm(page, identity string) (url.Values, error) {
	rid := requestIDPattern.FindStringSubmatch(page)
	if rid == nil {
		return nil, errors.New("sign-in page has no request_id")
	}
	ids := identityPattern.FindAllStringSubmatch(page, -1)
	if len(ids) == 0 {
		return nil, errors.New("sign-in page lists no identity")
	}
	pick := ids[0][1]
	if identity != "" {
		pick = ""
		for _, m := range ids {
			if m[1] == identity {
				pick = identity
			}
		}
		if pick == "" {
			return nil, fmt.Errorf("identity %s is not on the sign-in page", identity)
		}
	}
	return url.Values{"request_id": {rid[1]}, "identity_id": {pick}, "action": {"sign_in"}}, nil
}

// waitBrowser returns the browser's result or fails after 10 s.
func (b *httpBrowser) wait(t *testing.T) browserResult {
	t.Helper()
	select {
	case res := <-b.done:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("browser did not finish within 10 s")
	}
	return browserResult{}
}

// enrolledIdentity returns an enrolled, active identity of the demo realm
// with an email address, read through the management API.
func (h *harness) enrolledIdentity(t *testing.T) client.Identity {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := h.api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200}})
	if err != nil {
		t.Fatalf("list identities: %v", err)
	}
	for _, id := range page.Items {
		if id.EnrollmentStatus == client.EnrollmentEnrolled && id.Status == client.StatusActive && id.Traits.PrimaryEmailAddress != "" {
			return id
		}
	}
	t.Fatal("the seed has no enrolled, active identity with an email address")
	return client.Identity{}
}

// assertCheck fails unless the report has the check with this status and,
// for a failure, a detail that mentions every one of wants.
func assertCheck(t *testing.T, rep *login.Report, step, check string, status login.Status, wants ...string) {
	t.Helper()
	if rep == nil {
		t.Fatalf("no report; want %s/%s %s", step, check, status)
	}
	c := rep.Check(step, check)
	if c == nil {
		t.Fatalf("report has no check %s/%s; failures: %v", step, check, rep.Failures())
	}
	if c.Status != status {
		t.Fatalf("check %s/%s is %s (%s), want %s", step, check, c.Status, c.Detail, status)
	}
	for _, w := range wants {
		if !strings.Contains(c.Detail, w) {
			t.Errorf("check %s/%s detail %q does not mention %q", step, check, c.Detail, w)
		}
	}
}

// listenLoopback binds 127.0.0.1:port, as the engine's listener does.
func listenLoopback(port int) (net.Listener, error) {
	return net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
}

func clientListAll() client.ListIdentitiesOptions {
	return client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200}}
}
