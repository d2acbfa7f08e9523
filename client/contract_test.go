package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// contract validates, in a sandbox middleware, every request the client
// sends and every response the sandbox returns against the API subset in
// testdata. Failures are collected and reported when the test ends, with
// the operation, the path and the reason.
type contract struct {
	doc    *openapi3.T
	router routers.Router

	mu        sync.Mutex
	failures  []string
	validated map[string]int // operationId → exchanges checked
	lenient   bool           // record nothing; for tests that break responses on purpose
}

// newContract loads the subset and registers a cleanup that fails t when
// any exchange broke the contract.
func newContract(t testing.TB) *contract {
	t.Helper()
	doc, err := loadSubset()
	if err != nil {
		t.Fatalf("load %s: %v", subsetPath, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("build router: %v", err)
	}
	c := &contract{doc: doc, router: router, validated: map[string]int{}}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, f := range c.failures {
			t.Errorf("contract: %s", f)
		}
	})
	return c
}

// setLenient turns recording of failures off or on, for tests that inject
// malformed responses.
func (c *contract) setLenient(on bool) {
	c.mu.Lock()
	c.lenient = on
	c.mu.Unlock()
}

func (c *contract) fail(op string, r *http.Request, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if len(reason) > 2000 {
		reason = reason[:2000] + "…"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.lenient {
		c.failures = append(c.failures, fmt.Sprintf("%s %s %s: %s", op, r.Method, r.URL.EscapedPath(), reason))
	}
}

// count returns how many exchanges of an operation were validated.
func (c *contract) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.validated[op]
}

// bearerPresent is the AuthenticationFunc: the contract requires a bearer
// token to be sent; whether the sandbox accepts it is the sandbox's job.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "BearerAuth" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	auth := in.RequestValidationInput.Request.Header.Get("Authorization")
	if token, ok := strings.CutPrefix(auth, "Bearer "); !ok || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token in the Authorization header")
	}
	return nil
}

func (c *contract) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Binding links and sandbox test pages share path shapes with API
		// operations (…/credential-binding-jobs/{id}:invokeAuthenticator
		// matches GetCredentialBindingJob) but are not part of the API.
		if strings.Contains(r.URL.Path, ":invokeAuthenticator") || strings.HasPrefix(r.URL.Path, "/_sandbox") {
			next.ServeHTTP(w, r)
			return
		}
		route, params, err := c.router.FindRoute(r)
		if err != nil {
			// OIDC paths are not in the subset; the client must not send
			// anything else that is missing from it.
			if r.Header.Get("User-Agent") == "biadmin" {
				c.fail("?", r, "no operation in the API subset matches: %v", err)
			}
			next.ServeHTTP(w, r)
			return
		}
		op := route.Operation.OperationID

		body, err := io.ReadAll(r.Body)
		if err != nil {
			c.fail(op, r, "read request body: %v", err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		check := r.Clone(r.Context())
		check.Body = io.NopCloser(bytes.NewReader(body))
		in := &openapi3filter.RequestValidationInput{
			Request:    check,
			PathParams: params,
			Route:      route,
			Options: &openapi3filter.Options{
				AuthenticationFunc: bearerPresent,
				MultiError:         true,
			},
		}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			c.fail(op, r, "invalid request: %v", err)
		}

		capture := &captureWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(capture, r)
		if capture.hijacked {
			return // a dropped connection has no response to check
		}
		c.checkResponse(op, r, in, capture)
		c.mu.Lock()
		c.validated[op]++
		c.mu.Unlock()
	})
}

func (c *contract) checkResponse(op string, r *http.Request, in *openapi3filter.RequestValidationInput, capture *captureWriter) {
	status := capture.status
	declared := in.Route.Operation.Responses.Status(status) != nil
	if !declared && status >= 400 {
		// Statuses the operation does not list (429 from a fault, 404 where
		// only some operations document it) must still carry the Error
		// shape.
		var v any
		if err := json.Unmarshal(capture.body.Bytes(), &v); err != nil {
			c.fail(op, r, "undeclared status %d with a body that is not JSON: %v", status, err)
			return
		}
		if err := c.doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
			c.fail(op, r, "undeclared status %d with a body that is not an Error: %v", status, err)
		}
		return
	}
	if !declared {
		c.fail(op, r, "status %d is not declared for the operation", status)
		return
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 capture.Header(),
		Body:                   io.NopCloser(bytes.NewReader(capture.body.Bytes())),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		c.fail(op, r, "invalid %d response: %v", status, err)
	}
	// The API description declares no body for DELETE and batchDelete; the
	// service sends an empty one.
	if content := in.Route.Operation.Responses.Status(status).Value.Content; len(content) == 0 && capture.body.Len() > 0 {
		c.fail(op, r, "status %d must have an empty body, got %d bytes", status, capture.body.Len())
	}
}

// captureWriter passes a response through while keeping a copy of it.
type captureWriter struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	wrote    bool
	hijacked bool
}

func (w *captureWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.wrote = true
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w *captureWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijacking is not supported")
	}
	w.hijacked = true
	return h.Hijack()
}

// TestContractCatchesViolations proves the middleware can fail: it feeds
// requests and responses that break the subset through it.
func TestContractCatchesViolations(t *testing.T) {
	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		auth    string
		status  int
		respond string
		want    string
	}{
		{"missing token", "GET", "/v1/tenants/t", "", "", 200, `{"id":"t"}`, "no bearer token"},
		{"read-only field in request", "POST", "/v1/tenants/t/realms/r/identities", `{"identity":{"id":"x","traits":{"type":"traits_v0","username":"a"}}}`, "Bearer x", 200, `{"id":"x"}`, `readOnly property "id" in request`},
		{"unwrapped body", "PATCH", "/v1/tenants/t/realms/r", `{"display_name":"x"}`, "Bearer x", 200, `{"id":"r"}`, `property "realm" is missing`},
		{"bad enum in response", "GET", "/v1/tenants/t/realms/r/identities/i", "", "Bearer x", 200, `{"id":"i","enrollment_status":"DONE"}`, "not one of the allowed values"},
		{"list without total_size", "GET", "/v1/tenants/t/realms/r/identities", "", "Bearer x", 200, `{"identities":[]}`, `property "total_size" is missing`},
		{"error without message", "GET", "/v1/tenants/t/realms/r/identities/i", "", "Bearer x", 404, `{"code":"not_found"}`, `property "message" is missing`},
		{"undeclared status not an Error", "GET", "/v1/tenants/t", "", "Bearer x", 429, `<html>`, "not JSON"},
		{"delete with a body", "DELETE", "/v1/tenants/t/realms/r/identities/i", "", "Bearer x", 200, `{}`, "empty body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &contract{validated: map[string]int{}}
			doc, err := loadSubset()
			if err != nil {
				t.Fatal(err)
			}
			c.doc = doc
			if c.router, err = gorillamux.NewRouter(doc); err != nil {
				t.Fatal(err)
			}
			h := c.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.respond)
			}))
			req, _ := http.NewRequest(tc.method, "http://127.0.0.1"+tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Content-Length", strconv.Itoa(len(tc.body)))
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			h.ServeHTTP(&discardWriter{header: http.Header{}}, req)
			if len(c.failures) == 0 {
				t.Fatalf("no contract failure recorded")
			}
			if !strings.Contains(strings.Join(c.failures, "\n"), tc.want) {
				t.Errorf("failures = %v, want one containing %q", c.failures, tc.want)
			}
		})
	}
}

type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
