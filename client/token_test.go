package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testClientID     = "client-id-4d2f"
	testClientSecret = "client-secret-8e1a0b"
)

// tokenEndpoint is an httptest OAuth 2.0 token endpoint for the client
// credentials grant. It checks how the client authenticates and counts the
// tokens it issues.
type tokenEndpoint struct {
	t         *testing.T
	issued    atomic.Int32
	delay     time.Duration
	expiresIn int
	tokenType string
	reply     func(w http.ResponseWriter) bool // returns true when it wrote the response
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.reply != nil && e.reply(w) {
		return
	}
	if r.Method != http.MethodPost {
		e.t.Errorf("token request method = %s", r.Method)
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != testClientID || secret != testClientSecret {
		e.t.Errorf("token request Basic auth = %q, %q, %v", id, secret, ok)
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if form.Get("grant_type") != "client_credentials" {
		e.t.Errorf("grant_type = %q", form.Get("grant_type"))
	}
	if form.Has("client_secret") || form.Has("client_id") {
		e.t.Errorf("credentials sent in the body too: %s", body)
	}
	if got := form.Get("scope"); got != "identities:read realms:read" {
		e.t.Errorf("scope = %q", got)
	}
	if e.delay > 0 {
		time.Sleep(e.delay)
	}
	n := e.issued.Add(1)
	tokenType := e.tokenType
	if tokenType == "" {
		tokenType = "Bearer"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": fmt.Sprintf("access-%d", n),
		"token_type":   tokenType,
		"expires_in":   e.expiresIn,
		"scope":        form.Get("scope"),
	})
}

// fakeClock is an injectable clock safe for concurrent reads.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTokenSource(t *testing.T, endpoint *tokenEndpoint, clock *fakeClock) (TokenSource, *httptest.Server) {
	t.Helper()
	endpoint.t = t
	srv := httptest.NewServer(endpoint)
	t.Cleanup(srv.Close)
	opts := ClientCredentialsOptions{
		TokenURL:     srv.URL + "/v1/tenants/t/realms/r/applications/a/token",
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		Scopes:       []string{"identities:read", "realms:read"},
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	}
	if clock != nil {
		opts.Now = clock.Now
	}
	return ClientCredentials(opts), srv
}

func TestClientCredentialsCaches(t *testing.T) {
	endpoint := &tokenEndpoint{expiresIn: 3600}
	src, _ := newTokenSource(t, endpoint, nil)
	ctx := testContext(t)
	for range 5 {
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tok != "access-1" {
			t.Errorf("token = %q, want access-1", tok)
		}
	}
	if endpoint.issued.Load() != 1 {
		t.Errorf("tokens issued = %d, want 1", endpoint.issued.Load())
	}
	if r, ok := src.(Refreshable); !ok || !r.CanRefresh() {
		t.Error("client credentials source is not Refreshable")
	}
}

func TestClientCredentialsRefreshesBeforeExpiry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	endpoint := &tokenEndpoint{expiresIn: 600}
	src, _ := newTokenSource(t, endpoint, clock)
	ctx := testContext(t)

	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(600*time.Second - refreshMargin - time.Second)
	if tok, _ := src.Token(ctx); tok != first {
		t.Errorf("61 s before expiry: token = %q, want the cached %q", tok, first)
	}
	clock.Advance(2 * time.Second)
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok == first || endpoint.issued.Load() != 2 {
		t.Errorf("59 s before expiry: token = %q after %d fetches, want a new one", tok, endpoint.issued.Load())
	}
}

func TestClientCredentialsInvalidate(t *testing.T) {
	endpoint := &tokenEndpoint{expiresIn: 3600}
	src, _ := newTokenSource(t, endpoint, nil)
	ctx := testContext(t)
	a, _ := src.Token(ctx)
	src.Invalidate()
	b, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || endpoint.issued.Load() != 2 {
		t.Errorf("tokens %q then %q after %d fetches; want a new token", a, b, endpoint.issued.Load())
	}
}

func TestClientCredentialsConcurrentCallersShareOneFetch(t *testing.T) {
	endpoint := &tokenEndpoint{expiresIn: 3600, delay: 50 * time.Millisecond}
	src, _ := newTokenSource(t, endpoint, nil)
	ctx := testContext(t)
	var wg sync.WaitGroup
	tokens := make([]string, 50)
	errs := make([]error, 50)
	for i := range tokens {
		wg.Go(func() { tokens[i], errs[i] = src.Token(ctx) })
	}
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] != "access-1" {
			t.Errorf("caller %d: %q, %v", i, tokens[i], errs[i])
		}
	}
	if endpoint.issued.Load() != 1 {
		t.Errorf("tokens issued = %d, want 1", endpoint.issued.Load())
	}

	// Concurrent Invalidate and Token calls must not race.
	for range 20 {
		wg.Go(func() {
			src.Invalidate()
			if _, err := src.Token(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestClientCredentialsWaiterHonoursContext(t *testing.T) {
	release := make(chan struct{})
	endpoint := &tokenEndpoint{expiresIn: 3600}
	endpoint.reply = func(w http.ResponseWriter) bool {
		<-release
		return false
	}
	src, _ := newTokenSource(t, endpoint, nil)
	defer close(release)

	go func() { _, _ = src.Token(testContext(t)) }()
	time.Sleep(20 * time.Millisecond) // let the first caller start the fetch
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting caller: err = %v, want DeadlineExceeded", err)
	}
}

func TestClientCredentialsErrors(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		body       string
		want       string
		wantUnauth bool
	}{
		{"invalid client", 401, `{"error":"invalid_client","error_description":"client authentication failed"}`, "invalid_client: client authentication failed", true},
		{"html page", 502, "<html><body><h1>Bad gateway</h1></body></html>", "HTTP 502: Bad gateway", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := &tokenEndpoint{}
			endpoint.reply = func(w http.ResponseWriter) bool {
				if strings.HasPrefix(tc.body, "{") {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
				return true
			}
			src, _ := newTokenSource(t, endpoint, nil)
			_, err := src.Token(testContext(t))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
			if errors.Is(err, ErrUnauthorized) != tc.wantUnauth {
				t.Errorf("errors.Is(err, ErrUnauthorized) = %v", !tc.wantUnauth)
			}
			for _, bad := range []string{testClientSecret, "<", "\n"} {
				if strings.Contains(err.Error(), bad) {
					t.Errorf("err contains %q: %q", bad, err)
				}
			}
		})
	}
}

func TestClientCredentialsRejectsBadSetup(t *testing.T) {
	ctx := testContext(t)
	src := ClientCredentials(ClientCredentialsOptions{TokenURL: "http://auth.example.com/token", ClientID: "a", ClientSecret: "b"})
	if _, err := src.Token(ctx); err == nil || !strings.Contains(err.Error(), "https is required") {
		t.Errorf("http token URL: err = %v", err)
	}
	src = ClientCredentials(ClientCredentialsOptions{TokenURL: "https://127.0.0.1:1/token", ClientID: "a"})
	if _, err := src.Token(ctx); err == nil || !strings.Contains(err.Error(), "client secret") {
		t.Errorf("no secret: err = %v", err)
	}

	endpoint := &tokenEndpoint{expiresIn: 60, tokenType: "mac"}
	bad, _ := newTokenSource(t, endpoint, nil)
	if _, err := bad.Token(ctx); err == nil || !strings.Contains(err.Error(), "want Bearer") {
		t.Errorf("token type mac: err = %v", err)
	}
}

// TestClientRetriesOnceWithNewClientCredentialsToken wires ClientCredentials
// into a client whose API rejects the first token.
func TestClientRetriesOnceWithNewClientCredentialsToken(t *testing.T) {
	endpoint := &tokenEndpoint{expiresIn: 3600}
	src, _ := newTokenSource(t, endpoint, nil)
	var requests atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("Authorization") != "Bearer access-2" {
			writeAPIError(w, http.StatusUnauthorized, "unauthorized", "unauthorized")
			return
		}
		writeJSON(w, http.StatusOK, tenantJSON)
	}))
	defer api.Close()
	c, _ := newTestClient(t, api, func(o *Options) { o.Token = src })

	if _, err := c.GetTenant(testContext(t)); err != nil {
		t.Fatalf("GetTenant: %v", err)
	}
	if requests.Load() != 2 || endpoint.issued.Load() != 2 {
		t.Errorf("API requests = %d, tokens issued = %d; want 2 and 2", requests.Load(), endpoint.issued.Load())
	}
}
