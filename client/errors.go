package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors for errors.Is. An *APIError matches the one for its HTTP
// status; ErrReadOnly comes from the client itself, before any I/O.
var (
	ErrBadRequest    = errors.New("bad request")
	ErrUnauthorized  = errors.New("unauthorized")
	ErrForbidden     = errors.New("forbidden")
	ErrNotFound      = errors.New("not found")
	ErrConflict      = errors.New("conflict")
	ErrUnprocessable = errors.New("unprocessable entity")
	ErrRateLimited   = errors.New("rate limited")
	ErrReadOnly      = errors.New("the profile is read-only")

	// ErrUntrustedCertificate matches a failed TLS certificate verification,
	// typically a proxy or private CA the system trust store does not know.
	ErrUntrustedCertificate = errors.New("TLS certificate not trusted")
)

// APIError is a failed API call: the HTTP status, the API's Error object
// (code, message and details) and what the client knows about the call.
// Its text never contains the bearer token or a request body.
type APIError struct {
	Status          int
	Code            string // lower snake case status name, e.g. "not_found"
	Message         string
	FieldViolations []FieldViolation
	Resource        *ResourceInfo
	BatchErrors     []BatchOperationError
	RequestID       string        // X-Request-Id response header
	RetryAfter      time.Duration // Retry-After response header; 0 when absent
	Operation       string        // operationId in the API description, e.g. "CreateIdentity"
}

// FieldViolation names one invalid request field, e.g. Field
// "identity.traits.username" with Description "missing".
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// ResourceInfo identifies the resource an error is about.
type ResourceInfo struct {
	ResourceType string `json:"resource_type"`
	ID           string `json:"id"`
	Description  string `json:"description"`
}

// BatchOperationError is one group of failures of a batch call. The service
// spells these keys with capitals.
type BatchOperationError struct {
	Description  string   `json:"Description"`
	IDs          []string `json:"IDs"`
	ResourceType string   `json:"ResourceType"`
}

// Violation returns the description of the first violation whose field path
// equals field, such as "identity.traits.username" or "page_token".
func (e *APIError) Violation(field string) (string, bool) {
	for _, v := range e.FieldViolations {
		if v.Field == field {
			return v.Description, true
		}
	}
	return "", false
}

// Is makes errors.Is(err, ErrNotFound) and the other status sentinels work.
func (e *APIError) Is(target error) bool {
	switch e.Status {
	case http.StatusBadRequest:
		return target == ErrBadRequest
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusConflict:
		return target == ErrConflict
	case http.StatusUnprocessableEntity:
		return target == ErrUnprocessable
	case http.StatusTooManyRequests:
		return target == ErrRateLimited
	}
	return false
}

func (e *APIError) Error() string {
	var b strings.Builder
	op := e.Operation
	if op == "" {
		op = "request"
	}
	if e.Status == http.StatusForbidden {
		// The usual cause is a token without the operation's scope, so name
		// the scopes the operation needs.
		fmt.Fprintf(&b, "forbidden: %s", op)
		if scopes := RequiredScopes(e.Operation); len(scopes) > 0 {
			word := "scope"
			if len(scopes) > 1 {
				word = "scopes"
			}
			fmt.Fprintf(&b, " needs %s %s", word, strings.Join(scopes, " and "))
		}
		if e.Message != "" && e.Message != "forbidden" {
			fmt.Fprintf(&b, " (%s)", e.Message)
		}
	} else {
		fmt.Fprintf(&b, "%s failed: %s", op, e.Message)
	}

	for _, v := range e.FieldViolations {
		fmt.Fprintf(&b, "; %s: %s", v.Field, v.Description)
	}
	if e.Resource != nil && e.Resource.ID != "" {
		fmt.Fprintf(&b, "; %s %s", e.Resource.ResourceType, e.Resource.ID)
	}
	for _, be := range e.BatchErrors {
		fmt.Fprintf(&b, "; %s: %s", be.Description, strings.Join(be.IDs, ", "))
	}

	fmt.Fprintf(&b, " (HTTP %d", e.Status)
	if e.RequestID != "" {
		fmt.Fprintf(&b, ", request id %s", e.RequestID)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	b.WriteString(")")
	return b.String()
}

// wireError is the API's Error schema.
type wireError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

type wireDetail struct {
	Type string `json:"type"`
	// FieldViolations
	FieldViolations []FieldViolation `json:"field_violations"`
	// ResourceInfo
	ResourceType string `json:"resource_type"`
	ID           string `json:"id"`
	Description  string `json:"description"`
	// BatchOperationErrors
	Errors []BatchOperationError `json:"errors"`
}

// parseError builds the APIError for a non-2xx response. The body may be cut
// short. A body that is not the API's JSON Error, such as an HTML page from a
// proxy, still gives a readable Message.
func parseError(operation string, resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{
		Status:     resp.StatusCode,
		RequestID:  sanitize(resp.Header.Get("X-Request-Id"), 100),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
		Operation:  operation,
	}
	var w wireError
	if err := json.Unmarshal(body, &w); err == nil && (w.Code != "" || w.Message != "") {
		e.Code = sanitize(w.Code, 100)
		e.Message = sanitize(w.Message, 500)
		for _, raw := range w.Details {
			var d wireDetail
			if json.Unmarshal(raw, &d) != nil {
				continue
			}
			switch d.Type {
			case "FieldViolations":
				for _, v := range d.FieldViolations {
					e.FieldViolations = append(e.FieldViolations, FieldViolation{
						Field:       sanitize(v.Field, 200),
						Description: sanitize(v.Description, 500),
					})
				}
			case "ResourceInfo":
				if e.Resource == nil {
					e.Resource = &ResourceInfo{
						ResourceType: sanitize(d.ResourceType, 100),
						ID:           sanitize(d.ID, 100),
						Description:  sanitize(d.Description, 500),
					}
				}
			case "BatchOperationErrors":
				for _, be := range d.Errors {
					e.BatchErrors = append(e.BatchErrors, BatchOperationError{
						Description:  sanitize(be.Description, 500),
						IDs:          be.IDs,
						ResourceType: sanitize(be.ResourceType, 100),
					})
				}
			}
		}
	} else {
		e.Message = excerpt(body)
	}
	if e.Code == "" {
		e.Code = statusCode(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = strings.ToLower(http.StatusText(resp.StatusCode))
	}
	if e.Message == "" {
		e.Message = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return e
}

// statusCode returns the API's code for an HTTP status: its name in lower
// snake case, e.g. "too_many_requests".
func statusCode(status int) string {
	text := http.StatusText(status)
	if text == "" {
		return "http_" + strconv.Itoa(status)
	}
	return strings.ReplaceAll(strings.ToLower(strings.ReplaceAll(text, "-", " ")), " ", "_")
}

// parseRetryAfter reads a Retry-After value in delay seconds or as an HTTP
// date. It returns 0 for an absent, malformed or past value.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// A day is far beyond anything worth waiting for; clamp so the
		// multiplication cannot overflow.
		secs = min(secs, 86400)
		return time.Duration(secs) * time.Second
	}
	if when, err := http.ParseTime(value); err == nil {
		if d := when.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// excerpt turns a body that is not the API's JSON error into a short,
// single-line text: markup removed, control characters dropped, at most 160
// characters.
func excerpt(body []byte) string {
	s := string(body)
	if strings.Contains(s, "<") {
		s = stripTags(s)
	}
	return sanitize(s, 160)
}

// stripTags removes HTML tags and the content of script and style elements.
func stripTags(s string) string {
	var b strings.Builder
	lower := strings.ToLower(s)
	for i := 0; i < len(s); {
		if s[i] != '<' {
			b.WriteByte(s[i])
			i++
			continue
		}
		for _, skip := range []string{"script", "style"} {
			if strings.HasPrefix(lower[i+1:], skip) {
				if end := strings.Index(lower[i:], "</"+skip); end >= 0 {
					i += end
				}
			}
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		b.WriteByte(' ')
		i += end + 1
	}
	return b.String()
}

// sanitize makes text from the wire safe to show on one line: invalid UTF-8
// and control characters become spaces, runs of spaces collapse, and the
// result is cut to max runes with an ellipsis.
func sanitize(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range strings.ToValidUTF8(s, " ") {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) ||
			unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
