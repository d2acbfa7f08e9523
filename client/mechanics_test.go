package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests exercise the client's own mechanics (retries, backoff, error
// parsing, paths, read-only mode) against small httptest servers that
// misbehave on purpose. The API's behaviour is tested against the sandbox
// in sandbox_test.go.

const testToken = "test-token-5f0c2a9d1e7b"

// sleepRecorder replaces Client.sleep so retries do not wait.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient returns a client for srv with sleeps recorded instead of
// taken.
func newTestClient(t *testing.T, srv *httptest.Server, mutate func(*Options)) (*Client, *sleepRecorder) {
	t.Helper()
	opts := Options{
		BaseURL:    srv.URL,
		TenantID:   "0001f1f460b1ace6",
		RealmID:    "19a95130480dfa79",
		Token:      StaticToken(testToken),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rec := &sleepRecorder{}
	c.sleep = rec.sleep
	return c, rec
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, code, message string, details ...any) {
	body := map[string]any{"code": code, "message": message}
	if len(details) > 0 {
		body["details"] = details
	}
	writeJSON(w, status, body)
}

var tenantJSON = map[string]any{
	"id": "0001f1f460b1ace6", "display_name": "Test Tenant",
	"create_time": "2022-01-28T12:00:02.423Z", "update_time": "2022-04-19T15:17:21.186Z",
}

func TestNewBaseURLRules(t *testing.T) {
	cases := []struct {
		url     string
		wantErr string
	}{
		{"https://api-us.beyondidentity.com", ""},
		{"https://api.us1.beyondidentity-gov.com/", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://127.1.2.3", ""},
		{"http://[::1]:9000", ""},
		{"http://localhost:9000", ""},
		{"http://api-us.beyondidentity.com", "https is required"},
		{"http://10.0.0.1:8080", "https is required"},
		{"http://localhost.example.com", "https is required"},
		{"ftp://127.0.0.1", "absolute URL"},
		{"api-us.beyondidentity.com", "absolute URL"},
		{"", "absolute URL"},
		{"https://user:pw@api-us.beyondidentity.com", "user name or password"},
		{"https://api-us.beyondidentity.com?x=1", "query or fragment"},
	}
	for _, tc := range cases {
		_, err := New(Options{BaseURL: tc.url, TenantID: "t", Token: StaticToken("x")})
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("New(%q) = %v, want no error", tc.url, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("New(%q) = %v, want an error containing %q", tc.url, err, tc.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("New(%q) error leaks the URL password: %v", tc.url, err)
		}
	}
}

func TestNewRequiresTenantAndToken(t *testing.T) {
	if _, err := New(Options{BaseURL: "https://api-us.beyondidentity.com", Token: StaticToken("x")}); err == nil {
		t.Error("New without tenant ID: no error")
	}
	if _, err := New(Options{BaseURL: "https://api-us.beyondidentity.com", TenantID: "t"}); err == nil {
		t.Error("New without token source: no error")
	}
}

func TestRetryOn503ThenSuccess(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			writeAPIError(w, http.StatusServiceUnavailable, "service_unavailable", "try later")
			return
		}
		writeJSON(w, http.StatusOK, tenantJSON)
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv, nil)

	tenant, err := c.GetTenant(testContext(t))
	if err != nil {
		t.Fatalf("GetTenant: %v", err)
	}
	if tenant.DisplayName != "Test Tenant" {
		t.Errorf("DisplayName = %q", tenant.DisplayName)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
	waits := rec.all()
	if len(waits) != 2 {
		t.Fatalf("slept %d times, want 2", len(waits))
	}
	// Retry n waits between half and all of min(200ms<<n, 10s).
	for n, w := range waits {
		full := backoffBase << n
		if w < full/2 || w > full {
			t.Errorf("wait %d = %v, want within [%v, %v]", n, w, full/2, full)
		}
	}
}

func TestBackoffCapped(t *testing.T) {
	c, err := New(Options{BaseURL: "https://api-us.beyondidentity.com", TenantID: "t", Token: StaticToken("x")})
	if err != nil {
		t.Fatal(err)
	}
	for n := range 70 {
		d := c.backoff(n)
		if d > backoffCap || d < 0 {
			t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, backoffCap)
		}
	}
	c.jitter = func(max time.Duration) time.Duration { return max }
	if d := c.backoff(30); d != backoffCap {
		t.Errorf("backoff(30) with full jitter = %v, want the cap %v", d, backoffCap)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"seconds", "3", 3 * time.Second},
		{"http date", now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.value)
					writeAPIError(w, http.StatusTooManyRequests, "too_many_requests", "slow down")
					return
				}
				writeJSON(w, http.StatusOK, tenantJSON)
			}))
			defer srv.Close()
			c, rec := newTestClient(t, srv, nil)
			c.now = func() time.Time { return now }

			if _, err := c.GetTenant(testContext(t)); err != nil {
				t.Fatalf("GetTenant: %v", err)
			}
			waits := rec.all()
			if len(waits) != 1 || waits[0] != tc.want {
				t.Errorf("waits = %v, want [%v]", waits, tc.want)
			}
		})
	}
}

func TestRetryAfterTooLongReturned(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "3600")
		writeAPIError(w, http.StatusTooManyRequests, "too_many_requests", "queue full")
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv, nil)

	_, err := c.GetTenant(testContext(t))
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Hour {
		t.Errorf("RetryAfter = %v, want 1h", apiErr.RetryAfter)
	}
	if calls.Load() != 1 || len(rec.all()) != 0 {
		t.Errorf("requests = %d, sleeps = %d; want 1 and 0", calls.Load(), len(rec.all()))
	}
}

func TestRetriesBoundedByMaxRetries(t *testing.T) {
	for _, tc := range []struct {
		maxRetries int
		want       int32
	}{{0, 4}, {1, 2}, {-1, 1}} {
		t.Run(fmt.Sprint(tc.maxRetries), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				writeAPIError(w, http.StatusBadGateway, "bad_gateway", "upstream down")
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = tc.maxRetries })

			_, err := c.GetTenant(testContext(t))
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadGateway {
				t.Fatalf("err = %v, want an APIError with status 502", err)
			}
			if got := calls.Load(); got != tc.want {
				t.Errorf("requests = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeAPIError(w, http.StatusServiceUnavailable, "service_unavailable", "down")
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, nil)
	c.sleep = sleepContext // real waits, cut short by the context

	ctx, cancel := context.WithCancel(testContext(t))
	c.jitter = func(time.Duration) time.Duration { cancel(); return 0 }
	start := time.Now()
	_, err := c.GetTenant(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable {
		t.Errorf("err = %v, want it to carry the 503", err)
	}
	if calls.Load() != 1 {
		t.Errorf("requests = %d, want 1", calls.Load())
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func TestRetryNotStartedPastDeadline(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "30")
		writeAPIError(w, http.StatusServiceUnavailable, "service_unavailable", "down")
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.GetTenant(ctx)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable || apiErr.RetryAfter != 30*time.Second {
		t.Errorf("err = %v, want the 503 with its Retry-After", err)
	}
	if len(rec.all()) != 0 || calls.Load() != 1 {
		t.Errorf("sleeps = %v, requests = %d; want none and 1", rec.all(), calls.Load())
	}
}

func TestCreatingCallsNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeAPIError(w, http.StatusServiceUnavailable, "service_unavailable", "down")
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv, nil)
	ctx := testContext(t)

	checks := map[string]func() error{
		"CreateIdentity": func() error {
			_, err := c.CreateIdentity(ctx, IdentityCreate{DisplayName: "A", Traits: Traits{Username: "a"}})
			return err
		},
		"CreateCredentialBindingJob": func() error {
			_, err := c.CreateCredentialBindingJob(ctx, "i1", CredentialBindingJobCreate{DeliveryMethod: DeliveryEmail, AuthenticatorConfigID: "ac"})
			return err
		},
		"CreateBatchCredentialBindingJob": func() error {
			_, err := c.CreateBatchCredentialBindingJob(ctx, BatchCredentialBindingJobCreate{IdentityIDs: []string{"i1"}})
			return err
		},
		"RevokeCredential": func() error { _, err := c.RevokeCredential(ctx, "i1", "c1"); return err },
		"SetCredentialBindingJobRevoked": func() error {
			_, err := c.RevokeCredentialBindingJob(ctx, "i1", "j1")
			return err
		},
		"DeleteIdentity":        func() error { return c.DeleteIdentity(ctx, "i1") },
		"BatchDeleteIdentities": func() error { return c.BatchDeleteIdentities(ctx, []string{"i1"}) },
		"AddGroupMembers": func() error {
			_, err := c.AddGroupMembers(ctx, "g1", []string{"i1"})
			return err
		},
	}
	for op, run := range checks {
		calls.Store(0)
		err := run()
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Operation != op {
			t.Errorf("%s: err = %v, want an APIError for operation %s", op, err, op)
		}
		if calls.Load() != 1 {
			t.Errorf("%s: %d requests, want 1", op, calls.Load())
		}
	}
	if len(rec.all()) != 0 {
		t.Errorf("slept %v, want no retries", rec.all())
	}
}

func TestPatchRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			writeAPIError(w, http.StatusGatewayTimeout, "gateway_timeout", "slow")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "19a95130480dfa79", "display_name": "Renamed"})
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, nil)
	name := "Renamed"
	realm, err := c.UpdateRealm(testContext(t), RealmPatch{DisplayName: &name})
	if err != nil || realm.DisplayName != "Renamed" {
		t.Fatalf("UpdateRealm = %+v, %v", realm, err)
	}
	if calls.Load() != 2 {
		t.Errorf("requests = %d, want 2", calls.Load())
	}
}

// TestConnectionErrorRetriedForGet drops the first connection without a
// response. A GET is retried, a POST is not.
func TestConnectionErrorRetriedForGet(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		if r.Method == http.MethodPost {
			writeJSON(w, http.StatusOK, map[string]any{"id": "i1"})
			return
		}
		writeJSON(w, http.StatusOK, tenantJSON)
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv, nil)
	ctx := testContext(t)

	if _, err := c.GetTenant(ctx); err != nil {
		t.Fatalf("GetTenant after a dropped connection: %v", err)
	}
	if calls.Load() != 2 || len(rec.all()) != 1 {
		t.Errorf("requests = %d, sleeps = %d; want 2 and 1", calls.Load(), len(rec.all()))
	}

	calls.Store(0)
	_, err := c.CreateIdentity(ctx, IdentityCreate{DisplayName: "A", Traits: Traits{Username: "a"}})
	if err == nil {
		t.Fatal("CreateIdentity over a dropped connection succeeded")
	}
	if !strings.HasPrefix(err.Error(), "CreateIdentity: ") {
		t.Errorf("err = %q, want it to start with the operation", err)
	}
	if calls.Load() != 1 {
		t.Errorf("CreateIdentity requests = %d, want 1", calls.Load())
	}
}

func TestErrorParsing(t *testing.T) {
	cases := []struct {
		status   int
		body     any
		sentinel error
		check    func(t *testing.T, e *APIError)
	}{
		{
			status: 400, sentinel: ErrBadRequest,
			body: map[string]any{"code": "bad_request", "message": "invalid parameters", "details": []any{
				map[string]any{"type": "FieldViolations", "field_violations": []any{
					map[string]any{"field": "identity.traits.username", "description": "missing"},
					map[string]any{"field": "identity.display_name", "description": "empty string"},
				}},
			}},
			check: func(t *testing.T, e *APIError) {
				if d, ok := e.Violation("identity.traits.username"); !ok || d != "missing" {
					t.Errorf("Violation(username) = %q, %v", d, ok)
				}
				if d, ok := e.Violation("identity.display_name"); !ok || d != "empty string" {
					t.Errorf("Violation(display_name) = %q, %v", d, ok)
				}
				if _, ok := e.Violation("identity.status"); ok {
					t.Error("Violation(status) found")
				}
				if !strings.Contains(e.Error(), "identity.traits.username: missing") {
					t.Errorf("Error() = %q, want the violation", e.Error())
				}
			},
		},
		{
			status: 404, sentinel: ErrNotFound,
			body: map[string]any{"code": "not_found", "message": "identity not found", "details": []any{
				map[string]any{"type": "ResourceInfo", "resource_type": "Identity", "id": "51c3c2d2907d6b40", "description": "identity not found"},
			}},
			check: func(t *testing.T, e *APIError) {
				if e.Resource == nil || e.Resource.ResourceType != "Identity" || e.Resource.ID != "51c3c2d2907d6b40" {
					t.Errorf("Resource = %+v", e.Resource)
				}
			},
		},
		{
			status: 404, sentinel: ErrNotFound,
			body: map[string]any{"code": "not_found", "message": "identities not found", "details": []any{
				map[string]any{"type": "BatchOperationErrors", "description": "some identities were not found", "errors": []any{
					map[string]any{"Description": "identity not found", "IDs": []string{"a1", "b2"}, "ResourceType": "Identity"},
				}},
			}},
			check: func(t *testing.T, e *APIError) {
				if len(e.BatchErrors) != 1 || len(e.BatchErrors[0].IDs) != 2 || e.BatchErrors[0].IDs[1] != "b2" {
					t.Errorf("BatchErrors = %+v", e.BatchErrors)
				}
			},
		},
		{status: 401, sentinel: ErrUnauthorized, body: map[string]any{"code": "unauthorized", "message": "unauthorized"}},
		{status: 403, sentinel: ErrForbidden, body: map[string]any{"code": "forbidden", "message": "forbidden"},
			check: func(t *testing.T, e *APIError) {
				if !strings.HasPrefix(e.Error(), "forbidden: CreateIdentity needs scope identities:create") {
					t.Errorf("Error() = %q", e.Error())
				}
			}},
		{status: 409, sentinel: ErrConflict, body: map[string]any{"code": "conflict", "message": "username already exists"}},
		{status: 422, sentinel: ErrUnprocessable, body: map[string]any{"code": "unprocessable_entity", "message": "Identity missing email address"}},
		{status: 429, sentinel: ErrRateLimited, body: map[string]any{"code": "too_many_requests", "message": "too many requests"}},
	}
	sentinels := []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrUnprocessable, ErrRateLimited, ErrReadOnly}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "req-42")
				writeJSON(w, tc.status, tc.body)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = -1 })

			_, err := c.CreateIdentity(testContext(t), IdentityCreate{DisplayName: "A", Traits: Traits{Username: "a"}})
			var e *APIError
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if e.Status != tc.status || e.RequestID != "req-42" || e.Operation != "CreateIdentity" {
				t.Errorf("Status, RequestID, Operation = %d, %q, %q", e.Status, e.RequestID, e.Operation)
			}
			body := tc.body.(map[string]any)
			if e.Code != body["code"] || e.Message != body["message"] {
				t.Errorf("Code, Message = %q, %q", e.Code, e.Message)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tc.sentinel; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if !strings.Contains(e.Error(), "request id req-42") {
				t.Errorf("Error() = %q, want the request id", e.Error())
			}
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}

func TestForbiddenNamesAllScopes(t *testing.T) {
	e := &APIError{Status: 403, Code: "forbidden", Message: "forbidden", Operation: "AddGroupMembers"}
	want := "forbidden: AddGroupMembers needs scopes groups:update and identities:read (HTTP 403)"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	page := `<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style>
<script>var x = "<b>";</script></head><body><h1>502 Bad Gateway</h1>
<p>The proxy could not reach upstream.` + "\x1b[31m" + `</p></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, page)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = -1 })

	_, err := c.GetTenant(testContext(t))
	var e *APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if e.Code != "bad_gateway" {
		t.Errorf("Code = %q, want bad_gateway", e.Code)
	}
	for _, bad := range []string{"<", ">", "invalid character", "color:red", "var x", "\x1b"} {
		if strings.Contains(e.Message, bad) || strings.Contains(e.Error(), bad) {
			t.Errorf("error contains %q: %q", bad, e.Error())
		}
	}
	if !strings.Contains(e.Message, "The proxy could not reach upstream.") {
		t.Errorf("Message = %q, want the page text", e.Message)
	}
	if len([]rune(e.Message)) > 161 {
		t.Errorf("Message is %d runes long", len([]rune(e.Message)))
	}
}

func TestMalformedSuccessBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Sign in to the Wi-Fi</body></html>")
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, nil)

	_, err := c.GetTenant(testContext(t))
	var d *DecodeError
	if !errors.As(err, &d) {
		t.Fatalf("err = %v, want *DecodeError", err)
	}
	if !strings.HasPrefix(err.Error(), "GetTenant: ") || !strings.Contains(err.Error(), "Sign in to the Wi-Fi") {
		t.Errorf("err = %q", err)
	}
	if strings.Contains(err.Error(), "invalid character") {
		t.Errorf("err = %q leaks the JSON decoder message", err)
	}
}

func TestListEnvelopeDecoding(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		wantToken string
		wantErr   bool
	}{
		{"token absent", `{"identities":[{"id":"a"}],"total_size":3}`, "", false},
		{"token null", `{"identities":[{"id":"a"}],"total_size":3,"next_page_token":null}`, "", false},
		{"token empty", `{"identities":[{"id":"a"}],"total_size":3,"next_page_token":""}`, "", false},
		{"token set", `{"next_page_token":"tok2","unknown":{"x":[1,2]},"identities":[{"id":"a","new_field":1}],"total_size":3}`, "tok2", false},
		{"no items key", `{"total_size":0}`, "", true},
		{"not an object", `[1,2]`, "", true},
		{"cut short", `{"identities":[{"id":"a"}],"total_size":3`, "", true},
		{"trailing data", `{"identities":[{"id":"a"}],"total_size":3} {}`, "", true},
		{"empty body", ``, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv, nil)
			page, err := c.ListIdentities(testContext(t), ListIdentitiesOptions{})
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error for %s", tc.body)
				}
				return
			}
			if err != nil {
				t.Fatalf("ListIdentities: %v", err)
			}
			if len(page.Items) != 1 || page.Items[0].ID != "a" || page.TotalSize != 3 || page.NextPageToken != tc.wantToken {
				t.Errorf("page = %+v", page)
			}
		})
	}
}

// TestRequestShapes checks methods, escaped paths with literal custom-method
// colons, query parameters and wrapped bodies.
func TestRequestShapes(t *testing.T) {
	type seen struct{ method, uri, body string }
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, string(b)})
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		switch {
		case r.Method == http.MethodDelete || strings.HasSuffix(r.URL.Path, ":batchDelete"):
			w.WriteHeader(http.StatusOK)
		case strings.Contains(r.URL.Path, "/identities") && strings.HasSuffix(r.URL.Path, "/identities"):
			writeJSON(w, http.StatusOK, map[string]any{"identities": []any{}, "total_size": 0})
		case strings.HasSuffix(r.URL.Path, ":listGroups"):
			writeJSON(w, http.StatusOK, map[string]any{"groups": []any{}, "total_size": 0})
		default:
			writeJSON(w, http.StatusOK, map[string]any{})
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, nil)
	ctx := testContext(t)
	const R = "/v1/tenants/0001f1f460b1ace6/realms/19a95130480dfa79"

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.ListIdentities(ctx, ListIdentitiesOptions{
		ListOptions: ListOptions{PageSize: 50, PageToken: "a+b/c", Skip: 10},
		Filter:      UsernameEquals(`jo "the" \ man`),
	})
	must(err)
	_, err = c.ListIdentityGroups(ctx, "id:1/x", ListOptions{})
	must(err)
	_, err = c.RevokeCredentialBindingJob(ctx, "i1", "j1")
	must(err)
	_, err = c.RevokeCredential(ctx, "i1", "c1")
	must(err)
	must(c.BatchDeleteIdentities(ctx, []string{"a", "b"}))
	must(c.DeleteIdentity(ctx, ".."))
	_, err = c.CreateIdentity(ctx, IdentityCreate{DisplayName: "Jo", Traits: Traits{Username: "jo"}})
	must(err)
	email := "jo@example.com"
	_, err = c.UpdateIdentity(ctx, "i1", IdentityPatch{Traits: &Traits{PrimaryEmailAddress: email}})
	must(err)
	_, err = c.CreateBatchCredentialBindingJob(ctx, BatchCredentialBindingJobCreate{
		IdentityIDs: []string{"i1"},
		JobTemplate: BatchJobTemplate{AuthenticatorConfigID: "ac", ExpireTime: time.Now()},
	})
	must(err)

	want := []seen{
		{"GET", R + `/identities?filter=traits.username+eq+%22jo+%5C%22the%5C%22+%5C%5C+man%22&page_size=50&page_token=a%2Bb%2Fc&skip=10`, ""},
		{"GET", R + "/identities/id%3A1%2Fx:listGroups", ""},
		{"POST", R + "/identities/i1/credential-binding-jobs/j1:revoke", "{}"},
		{"POST", R + "/identities/i1/credentials/c1:revoke", ""},
		{"POST", R + "/identities:batchDelete", `{"ids":["a","b"]}`},
		{"DELETE", R + "/identities/%2E%2E", ""},
		{"POST", R + "/identities", `{"identity":{"display_name":"Jo","traits":{"type":"traits_v0","username":"jo"}}}`},
		{"PATCH", R + "/identities/i1", `{"identity":{"traits":{"type":"traits_v0","primary_email_address":"jo@example.com"}}}`},
		{"POST", R + "/batch-credential-binding-jobs", `{"batch_credential_binding_job":{"identity_ids":["i1"],"job_template":{"authenticator_config_id":"ac"}}}`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestEmptyIDsRejectedBeforeIO(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	c, _ := newTestClient(t, srv, nil)
	ctx := testContext(t)
	if _, err := c.GetIdentity(ctx, ""); err == nil || !strings.Contains(err.Error(), "identity ID is empty") {
		t.Errorf("GetIdentity(\"\") = %v", err)
	}
	if _, err := c.GetCredential(ctx, "i1", " "); err == nil || !strings.Contains(err.Error(), "credential ID is empty") {
		t.Errorf("GetCredential(i1, \" \") = %v", err)
	}
	if err := c.BatchDeleteIdentities(ctx, nil); err == nil {
		t.Error("BatchDeleteIdentities(nil): no error")
	}
	if err := c.BatchDeleteIdentities(ctx, make([]string, 1001)); err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Errorf("BatchDeleteIdentities(1001 IDs) = %v", err)
	}
	if _, err := c.WithRealm("").GetRealm(ctx); err == nil || !strings.Contains(err.Error(), "no realm selected") {
		t.Errorf("GetRealm without realm = %v", err)
	}
	if _, err := c.ListApplications(ctx, ListOptions{Skip: 3}); err == nil {
		t.Error("ListApplications with skip: no error")
	}
	if calls.Load() != 0 {
		t.Errorf("server saw %d requests, want 0", calls.Load())
	}
}

func TestReadOnlyBlocksEveryMutation(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	counting := &countingToken{}
	c, _ := newTestClient(t, srv, func(o *Options) { o.ReadOnly = true; o.Token = counting })
	ctx := testContext(t)
	name := "x"
	mutations := map[string]func() error{
		"UpdateRealm": func() error { _, err := c.UpdateRealm(ctx, RealmPatch{DisplayName: &name}); return err },
		"CreateIdentity": func() error {
			_, err := c.CreateIdentity(ctx, IdentityCreate{DisplayName: "A", Traits: Traits{Username: "a"}})
			return err
		},
		"UpdateIdentity": func() error {
			_, err := c.UpdateIdentity(ctx, "i1", IdentityPatch{DisplayName: &name})
			return err
		},
		"DeleteIdentity":        func() error { return c.DeleteIdentity(ctx, "i1") },
		"BatchDeleteIdentities": func() error { return c.BatchDeleteIdentities(ctx, []string{"i1"}) },
		"RevokeCredential":      func() error { _, err := c.RevokeCredential(ctx, "i1", "c1"); return err },
		"CreateCredentialBindingJob": func() error {
			_, err := c.CreateCredentialBindingJob(ctx, "i1", CredentialBindingJobCreate{DeliveryMethod: DeliveryReturn, AuthenticatorConfigID: "ac"})
			return err
		},
		"SetCredentialBindingJobRevoked": func() error {
			_, err := c.RevokeCredentialBindingJob(ctx, "i1", "j1")
			return err
		},
		"CreateBatchCredentialBindingJob": func() error {
			_, err := c.CreateBatchCredentialBindingJob(ctx, BatchCredentialBindingJobCreate{IdentityIDs: []string{"i1"}})
			return err
		},
		"AddGroupMembers": func() error {
			_, err := c.AddGroupMembers(ctx, "g1", []string{"i1"})
			return err
		},
		"DeleteGroupMembers": func() error {
			_, err := c.DeleteGroupMembers(ctx, "g1", []string{"i1"})
			return err
		},
	}
	for op, run := range mutations {
		err := run()
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: err = %v, want ErrReadOnly", op, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), op+": ") {
			t.Errorf("%s: err = %q, want the operation name first", op, err)
		}
	}
	if calls.Load() != 0 || counting.calls.Load() != 0 {
		t.Errorf("requests = %d, token fetches = %d; want no I/O", calls.Load(), counting.calls.Load())
	}
	if !c.ReadOnly() {
		t.Error("ReadOnly() = false")
	}
}

// countingToken is a refreshable token source that hands out a new token
// after each Invalidate.
type countingToken struct {
	calls       atomic.Int32
	invalidated atomic.Int32
}

func (s *countingToken) Token(context.Context) (string, error) {
	s.calls.Add(1)
	return fmt.Sprintf("tok-%d", s.invalidated.Load()), nil
}
func (s *countingToken) Invalidate()      { s.invalidated.Add(1) }
func (s *countingToken) CanRefresh() bool { return true }

func TestTokenRefreshedOnceAfterRejection(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var tokens []string
			var mu sync.Mutex
			var rejectAll atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				tokens = append(tokens, r.Header.Get("Authorization"))
				mu.Unlock()
				if r.Header.Get("Authorization") == "Bearer tok-1" && !rejectAll.Load() {
					writeJSON(w, http.StatusOK, tenantJSON)
					return
				}
				writeAPIError(w, status, statusCode(status), "rejected")
			}))
			defer srv.Close()
			src := &countingToken{}
			c, _ := newTestClient(t, srv, func(o *Options) { o.Token = src })

			// The stale token is rejected, the new one accepted.
			if _, err := c.GetTenant(testContext(t)); err != nil {
				t.Fatalf("GetTenant: %v", err)
			}
			if len(tokens) != 2 || tokens[0] != "Bearer tok-0" || tokens[1] != "Bearer tok-1" {
				t.Errorf("tokens sent = %v", tokens)
			}
			if src.invalidated.Load() != 1 {
				t.Errorf("Invalidate called %d times, want 1", src.invalidated.Load())
			}

			// A rejection of the new token too is returned after one retry,
			// even for a creating call.
			mu.Lock()
			tokens = nil
			mu.Unlock()
			rejectAll.Store(true)
			_, err := c.CreateIdentity(testContext(t), IdentityCreate{DisplayName: "A", Traits: Traits{Username: "a"}})
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != status {
				t.Fatalf("err = %v, want status %d", err, status)
			}
			if len(tokens) != 2 || src.invalidated.Load() != 2 {
				t.Errorf("requests = %d, invalidations = %d; want 2 and 2", len(tokens), src.invalidated.Load())
			}
		})
	}
}

func TestStaticTokenNotRetriedAfterRejection(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeAPIError(w, http.StatusUnauthorized, "unauthorized", "unauthorized")
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, nil)
	_, err := c.GetTenant(testContext(t))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if calls.Load() != 1 {
		t.Errorf("requests = %d, want 1", calls.Load())
	}
}

func TestEmptyStaticToken(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	c, _ := newTestClient(t, srv, func(o *Options) { o.Token = StaticToken("  ") })
	_, err := c.GetTenant(testContext(t))
	if err == nil || !strings.Contains(err.Error(), "API token is empty") {
		t.Errorf("err = %v", err)
	}
	if calls.Load() != 0 {
		t.Errorf("requests = %d, want 0", calls.Load())
	}
}

// TestUntrustedCertificate uses the default HTTP client, which does not
// trust the httptest CA.
func TestUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, tenantJSON)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	srv.StartTLS()
	defer srv.Close()
	c, _ := newTestClient(t, srv, func(o *Options) { o.HTTPClient = nil })
	_, err := c.GetTenant(testContext(t))
	if !errors.Is(err, ErrUntrustedCertificate) {
		t.Fatalf("err = %v, want ErrUntrustedCertificate", err)
	}
	if !strings.Contains(err.Error(), "SSL_CERT_FILE") || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("err = %q, want advice on certificate trust and SSL_CERT_FILE", err)
	}

	// With the CA trusted the same call works.
	c2, _ := newTestClient(t, srv, func(o *Options) { o.HTTPClient = srv.Client() })
	if _, err := c2.GetTenant(testContext(t)); err != nil {
		t.Errorf("GetTenant with the CA trusted: %v", err)
	}
}

func TestDefaultClientFollowsNoRedirect(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		writeJSON(w, http.StatusOK, tenantJSON)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, func(o *Options) { o.HTTPClient = nil; o.MaxRetries = -1 })
	_, err := c.GetTenant(testContext(t))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTemporaryRedirect {
		t.Errorf("err = %v, want an APIError with status 307", err)
	}
	if leaked.Load() != 0 {
		t.Error("the token was sent to the redirect target")
	}
}

// TestLogsCarryNoSecrets runs calls that see a token, a binding link and a
// client secret, and checks the debug log for them.
func TestLogsCarryNoSecrets(t *testing.T) {
	const (
		link   = "http://127.0.0.1/v1/tenants/t/realms/r/identities/i/credential-binding-jobs/j:invokeAuthenticator?token=link-secret-9d8c7b"
		secret = "client-secret-0a1b2c3d4e5f"
	)
	var calls, appCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", n))
		switch {
		case strings.HasSuffix(r.URL.Path, "/credential-binding-jobs"):
			writeJSON(w, http.StatusOK, map[string]any{
				"credential_binding_job":  map[string]any{"id": "j", "delivery_method": "RETURN", "state": "LINK_SENT"},
				"credential_binding_link": link,
			})
		case strings.Contains(r.URL.Path, "/applications/"):
			if appCalls.Add(1) == 1 {
				writeAPIError(w, http.StatusServiceUnavailable, "service_unavailable", "down")
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": "a", "protocol_config": map[string]any{"type": "oidc", "client_secret": secret}})
		default:
			writeAPIError(w, http.StatusNotFound, "not_found", "identity not found")
		}
	}))
	defer srv.Close()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := newTestClient(t, srv, func(o *Options) { o.Logger = logger })
	ctx := testContext(t)

	created, err := c.CreateCredentialBindingJob(ctx, "i", CredentialBindingJobCreate{DeliveryMethod: DeliveryReturn, AuthenticatorConfigID: "ac"})
	if err != nil || created.Link != link {
		t.Fatalf("CreateCredentialBindingJob = %+v, %v", created, err)
	}
	app, err := c.GetApplication(ctx, "a")
	if err != nil || app.ProtocolConfig.ClientSecret != secret {
		t.Fatalf("GetApplication = %+v, %v", app, err)
	}
	if _, err := c.GetIdentity(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetIdentity = %v", err)
	}

	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, s := range []string{testToken, "link-secret", secret, "Bearer"} {
		if strings.Contains(out, s) {
			t.Errorf("log contains %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"operation":"GetApplication"`, `"status":503`, `"retries":1`, `"request_id":"req-2"`, `"path":"/v1/tenants/`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %s:\n%s", s, out)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestErrorsNeverContainToken checks the text of every error kind the
// client returns.
func TestErrorsNeverContainToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page_token") {
		case "html":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "<html>"+r.Header.Get("Authorization")+"</html>")
		case "drop":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		default:
			writeAPIError(w, http.StatusForbidden, "forbidden", "forbidden")
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxRetries = -1 })
	ctx := testContext(t)
	for _, token := range []string{"", "drop"} {
		_, err := c.ListRealms(ctx, ListOptions{PageToken: token})
		if err == nil {
			t.Fatalf("page_token %q: no error", token)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("page_token %q: error contains the token: %v", token, err)
		}
	}
	// NOTE: a server that echoes the Authorization header into its error
	// page would put the token into APIError.Message. The client cannot
	// tell a token apart from other text, so it only removes markup.
	_, err := c.ListRealms(ctx, ListOptions{PageToken: "html"})
	if err == nil {
		t.Fatal("no error for a 500")
	}
}

func TestAllIterates(t *testing.T) {
	pages := map[string]*Page[int]{
		"":  {Items: []int{1, 2}, NextPageToken: "b"},
		"b": {Items: []int{}, NextPageToken: "c"},
		"c": {Items: []int{3}},
	}
	fetch := func(_ context.Context, token string) (*Page[int], error) { return pages[token], nil }
	var got []int
	for v, err := range All(testContext(t), fetch) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("got %v", got)
	}

	// Breaking early stops fetching.
	fetches := 0
	counting := func(ctx context.Context, token string) (*Page[int], error) { fetches++; return fetch(ctx, token) }
	for v := range All(testContext(t), counting) {
		if v == 2 {
			break
		}
	}
	if fetches != 1 {
		t.Errorf("fetches after break = %d, want 1", fetches)
	}
}

func TestAllStopsOnErrorAndRepeatedToken(t *testing.T) {
	boom := errors.New("boom")
	fetch := func(_ context.Context, token string) (*Page[int], error) {
		if token == "x" {
			return nil, boom
		}
		return &Page[int]{Items: []int{1}, NextPageToken: "x"}, nil
	}
	var errs []error
	n := 0
	for _, err := range All(testContext(t), fetch) {
		if err != nil {
			errs = append(errs, err)
		} else {
			n++
		}
	}
	if n != 1 || len(errs) != 1 || !errors.Is(errs[0], boom) {
		t.Errorf("items = %d, errs = %v", n, errs)
	}

	loop := func(_ context.Context, token string) (*Page[int], error) {
		return &Page[int]{Items: []int{1}, NextPageToken: "same"}, nil
	}
	n, errs = 0, nil
	for _, err := range All(testContext(t), loop) {
		if err != nil {
			errs = append(errs, err)
		} else {
			n++
		}
	}
	if n != 2 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "did not advance") {
		t.Errorf("items = %d, errs = %v", n, errs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range All(ctx, fetch) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	}
}

func TestWithRealmSharesSettings(t *testing.T) {
	c, err := New(Options{BaseURL: "https://api-eu.beyondidentity.com/", TenantID: "t", RealmID: "r1", Token: StaticToken("x"), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	c2 := c.WithRealm("r2")
	if c.RealmID() != "r1" || c2.RealmID() != "r2" || c2.TenantID() != "t" || !c2.ReadOnly() {
		t.Errorf("realms %q, %q; tenant %q; read-only %v", c.RealmID(), c2.RealmID(), c2.TenantID(), c2.ReadOnly())
	}
	if c2.base != "https://api-eu.beyondidentity.com" {
		t.Errorf("base = %q, want no trailing slash", c2.base)
	}
}

func TestSanitize(t *testing.T) {
	cases := map[string]string{
		"plain":                   "plain",
		"  a \n\t b  ":            "a b",
		"a\x1b[31mred\x1b[0m":     "a [31mred [0m",
		"bad\xffutf8":             "bad utf8",
		"zero\u200bwidth\u202egx": "zero width gx",
	}
	for in, want := range cases {
		if got := sanitize(in, 100); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sanitize(strings.Repeat("x", 50), 10); got != strings.Repeat("x", 10)+"…" {
		t.Errorf("cut = %q", got)
	}
}
