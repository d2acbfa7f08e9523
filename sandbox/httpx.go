package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// maxBodyBytes bounds request bodies; a batch of 1000 ids is about 20 KB.
const maxBodyBytes = 1 << 20

// Error is the spec's Error schema: {code, message, details?}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details,omitempty"`
}

type fieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

type fieldViolationsDetail struct {
	Type            string           `json:"type"`
	FieldViolations []fieldViolation `json:"field_violations"`
}

type resourceInfoDetail struct {
	Type         string `json:"type"`
	ResourceType string `json:"resource_type"`
	ID           string `json:"id"`
	Description  string `json:"description"`
}

// batchOperationError uses capitalised keys, exactly as the spec's
// BatchDeleteIdentities example shows.
type batchOperationError struct {
	Description  string   `json:"Description"`
	IDs          []string `json:"IDs"`
	ResourceType string   `json:"ResourceType"`
}

type batchOperationErrorsDetail struct {
	Type        string                `json:"type"`
	Description string                `json:"description"`
	Errors      []batchOperationError `json:"errors"`
}

func violations(vs ...fieldViolation) fieldViolationsDetail {
	return fieldViolationsDetail{Type: "FieldViolations", FieldViolations: vs}
}

func resourceInfo(resourceType, id, description string) resourceInfoDetail {
	return resourceInfoDetail{Type: "ResourceInfo", ResourceType: resourceType, ID: id, Description: description}
}

// statusCode is the error code the spec derives from an HTTP status: its
// name in lower snake case.
func statusCode(status int) string {
	switch status {
	case http.StatusUnprocessableEntity:
		return "unprocessable_entity"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	}
	text := http.StatusText(status)
	if text == "" {
		return "unknown"
	}
	return strings.ReplaceAll(strings.ToLower(text), " ", "_")
}

// apiRequest is one management API request on its way through a handler.
type apiRequest struct {
	log       *slog.Logger
	w         http.ResponseWriter
	r         *http.Request
	params    map[string]string
	claims    map[string]any
	malformed bool
	now       time.Time
}

func (rq *apiRequest) param(name string) string { return rq.params[name] }

// json writes v with status. The malformed-body fault truncates the body.
func (rq *apiRequest) json(status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(`{"code":"internal_server_error","message":"internal error"}`)
		status = http.StatusInternalServerError
	}
	if rq.malformed {
		body = body[:len(body)/2]
	}
	writeJSONBody(rq.w, status, body)
}

func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// empty writes 200 with an empty body, as DELETE and batchDelete return.
func (rq *apiRequest) empty() {
	rq.w.WriteHeader(http.StatusOK)
}

// fail writes an Error body and logs it at debug level.
func (rq *apiRequest) fail(status int, message string, details ...any) {
	if rq.log != nil {
		rq.log.Debug("request failed", "method", rq.r.Method, "path", rq.r.URL.Path, "status", status, "message", message)
	}
	rq.json(status, apiError{Code: statusCode(status), Message: message, Details: details})
}

func (rq *apiRequest) invalid(vs ...fieldViolation) {
	rq.fail(http.StatusBadRequest, "invalid parameters", violations(vs...))
}

func (rq *apiRequest) notFound(resourceType, id string) {
	msg := strings.ToLower(resourceTypeWords(resourceType)) + " not found"
	rq.fail(http.StatusNotFound, msg, resourceInfo(resourceType, id, msg))
}

// resourceTypeWords turns "CredentialBindingJob" into "credential binding
// job" for messages.
func resourceTypeWords(t string) string {
	var b strings.Builder
	for i, r := range t {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// errBadJSON is the message of the 400 decode writes for a body that is not
// a JSON object of the expected shape.
var errBadJSON = errors.New("invalid request")

// decode reads a JSON request body into v. Unknown fields are tolerated
// because read-only fields sent back on a write are ignored, not rejected.
func (rq *apiRequest) decode(v any) bool {
	return rq.decodeBody(v, false)
}

// decodeOptional is decode for bodies the spec shows as {} and clients may
// leave out.
func (rq *apiRequest) decodeOptional(v any) bool {
	return rq.decodeBody(v, true)
}

func (rq *apiRequest) decodeBody(v any, optional bool) bool {
	data, err := io.ReadAll(io.LimitReader(rq.r.Body, maxBodyBytes+1))
	if err != nil || len(data) > maxBodyBytes {
		rq.fail(http.StatusBadRequest, errBadJSON.Error())
		return false
	}
	data = bytes.TrimSpace(data)
	if optional && len(data) == 0 {
		return true
	}
	if len(data) == 0 || data[0] != '{' || json.Unmarshal(data, v) != nil {
		rq.fail(http.StatusBadRequest, errBadJSON.Error())
		return false
	}
	return true
}

// randomID returns n random hex characters for ids created at run time.
func randomID(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func randomUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomToken returns a 256-bit random secret, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret digests a link token or referential token with SHA-256 for
// storage, so the state file holds no usable link or referential token.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
