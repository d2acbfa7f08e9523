package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// call describes one API operation invocation.
type call struct {
	op     string // operationId, for errors and logs
	method string
	path   string // escaped, from tenantPath or realmPath
	query  url.Values
	body   any // JSON request body; nil sends none
	out    any // decoded from a 2xx body; nil ignores the body
	// retry marks idempotent calls: they are retried on 429, 502, 503 and
	// 504, and GETs also on transport errors.
	retry bool
	// mutating calls fail with ErrReadOnly on a read-only client.
	mutating bool
}

const (
	maxResponseBody = 64 << 20 // a page of 200 identities is well under 1 MiB
	maxErrorBody    = 64 << 10
)

// do runs k, retrying as its policy allows, and decodes the result into
// k.out. Every error it returns names the operation.
func (c *Client) do(ctx context.Context, k call) error {
	if k.mutating && c.readOnly {
		return fmt.Errorf("%s: %w", k.op, ErrReadOnly)
	}
	var payload []byte
	if k.body != nil {
		var err error
		if payload, err = json.Marshal(k.body); err != nil {
			return fmt.Errorf("%s: encode request: %w", k.op, err)
		}
	}
	target := c.base + k.path
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}

	start := time.Now()
	retries := 0
	tokenRefreshed := false
	for {
		status, requestID, err := c.attempt(ctx, k, target, payload)
		recordRequestID(ctx, requestID)
		if err == nil {
			c.log.LogAttrs(ctx, slog.LevelDebug, "api call",
				slog.String("operation", k.op), slog.String("method", k.method), slog.String("path", k.path),
				slog.Int("status", status), slog.Duration("duration", time.Since(start)),
				slog.String("request_id", requestID), slog.Int("retries", retries))
			return nil
		}

		var apiErr *APIError
		isAPIErr := errors.As(err, &apiErr)
		var wait time.Duration
		switch {
		case isAPIErr && (status == http.StatusUnauthorized || status == http.StatusForbidden) && !tokenRefreshed && c.canRefreshToken():
			// The cached token may have expired or been revoked early:
			// fetch a new one and try once more.
			tokenRefreshed = true
			c.token.Invalidate()
			c.log.LogAttrs(ctx, slog.LevelInfo, "api token rejected, fetching a new one",
				slog.String("operation", k.op), slog.String("path", k.path), slog.Int("status", status),
				slog.String("request_id", requestID))
			continue
		case k.retry && retries < c.maxRetries && isAPIErr && retryableStatus(status):
			wait = apiErr.RetryAfter
			if wait == 0 {
				wait = c.backoff(retries)
			}
			if wait > maxRetryAfter {
				return c.fail(ctx, k, start, retries, err)
			}
		case k.retry && retries < c.maxRetries && !isAPIErr && k.method == http.MethodGet && transient(ctx, err):
			wait = c.backoff(retries)
		default:
			return c.fail(ctx, k, start, retries, err)
		}

		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Sleeping would only end in a timeout; report the real failure.
			return c.fail(ctx, k, start, retries, err)
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "api call failed, retrying",
			slog.String("operation", k.op), slog.String("method", k.method), slog.String("path", k.path),
			slog.Int("status", status), slog.String("error", err.Error()), slog.Duration("wait", wait),
			slog.Int("retry", retries+1), slog.String("request_id", requestID))
		if serr := c.sleep(ctx, wait); serr != nil {
			return c.fail(ctx, k, start, retries, fmt.Errorf("%w; gave up waiting to retry: %w", err, serr))
		}
		retries++
	}
}

func (c *Client) fail(ctx context.Context, k call, start time.Time, retries int, err error) error {
	attrs := []slog.Attr{
		slog.String("operation", k.op), slog.String("method", k.method), slog.String("path", k.path),
		slog.Duration("duration", time.Since(start)), slog.Int("retries", retries),
		slog.String("error", err.Error()),
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, slog.Int("status", apiErr.Status), slog.String("request_id", apiErr.RequestID))
		c.log.LogAttrs(ctx, slog.LevelWarn, "api call failed", attrs...)
		return err
	}
	level := slog.LevelWarn
	if errors.Is(err, context.Canceled) {
		// The caller gave up (the user pressed esc or quit): not a failure.
		level = slog.LevelDebug
	}
	c.log.LogAttrs(ctx, level, "api call failed", attrs...)
	return fmt.Errorf("%s: %w", k.op, err)
}

// attempt sends the request once. It returns the HTTP status (0 when no
// response arrived), the request id and an *APIError for a non-2xx status.
func (c *Client) attempt(ctx context.Context, k call, target string, payload []byte) (int, string, error) {
	if err := ctx.Err(); err != nil {
		return 0, "", err
	}
	token, err := c.token.Token(ctx)
	if err != nil {
		return 0, "", &tokenSourceError{err}
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, target, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "biadmin")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		if tlsErr := certificateError(err); tlsErr != nil {
			return 0, "", tlsErr
		}
		return 0, "", err
	}
	defer resp.Body.Close()
	requestID := sanitize(resp.Header.Get("X-Request-Id"), 100)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return resp.StatusCode, requestID, parseError(k.op, resp, data, c.now())
	}
	if k.out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return resp.StatusCode, requestID, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return resp.StatusCode, requestID, fmt.Errorf("read response: %w", err)
	}
	if len(data) > maxResponseBody {
		return resp.StatusCode, requestID, fmt.Errorf("response larger than %d MiB", maxResponseBody>>20)
	}
	if err := decodeBody(data, k.out); err != nil {
		return resp.StatusCode, requestID, &DecodeError{
			Status: resp.StatusCode, ContentType: sanitize(resp.Header.Get("Content-Type"), 100),
			Excerpt: excerpt(data), RequestID: requestID, err: err,
		}
	}
	return resp.StatusCode, requestID, nil
}

// decodeBody decodes a 2xx body. A type with its own decoder gets the bytes
// directly, which saves json.Unmarshal's validation pass over a whole page.
func decodeBody(data []byte, out any) error {
	if u, ok := out.(json.Unmarshaler); ok {
		return u.UnmarshalJSON(data)
	}
	return json.Unmarshal(data, out)
}

// DecodeError is a 2xx response whose body is not the JSON the operation
// returns, such as an HTML page from a captive portal or a cut-off body.
type DecodeError struct {
	Status      int
	ContentType string
	Excerpt     string // the start of the body, sanitized
	RequestID   string
	err         error
}

func (e *DecodeError) Error() string {
	msg := fmt.Sprintf("the response is not the expected JSON (HTTP %d", e.Status)
	if e.ContentType != "" {
		msg += ", " + e.ContentType
	}
	if e.RequestID != "" {
		msg += ", request id " + e.RequestID
	}
	msg += ")"
	if e.Excerpt != "" {
		msg += ": " + strconv.Quote(e.Excerpt)
	}
	return msg
}

func (e *DecodeError) Unwrap() error { return e.err }

func (c *Client) canRefreshToken() bool {
	r, ok := c.token.(Refreshable)
	return ok && r.CanRefresh()
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// transient reports whether a transport error may go away on retry: not a
// cancelled or expired context, not a certificate problem, not a token
// source failure.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, ErrUntrustedCertificate) {
		return false
	}
	var tokenErr *tokenSourceError
	var decode *DecodeError
	return !errors.As(err, &tokenErr) && !errors.As(err, &decode)
}

// tokenSourceError is a failure of the TokenSource; retrying the API call
// would not help.
type tokenSourceError struct{ err error }

func (e *tokenSourceError) Error() string { return "get API token: " + e.err.Error() }
func (e *tokenSourceError) Unwrap() error { return e.err }

// backoff returns the wait before retry number n (0-based): exponential from
// backoffBase, capped at backoffCap, with the upper half jittered so clients
// that failed together do not retry together.
func (c *Client) backoff(n int) time.Duration {
	d := backoffCap
	if n < 16 {
		d = min(backoffBase<<n, backoffCap)
	}
	half := d / 2
	return half + c.jitter(half)
}

// tenantPath joins escaped segments under /v1/tenants/{tenant_id}.
func (c *Client) tenantPath(segments ...string) string {
	return "/v1/tenants/" + escapeSegment(c.tenantID) + joinSegments(segments)
}

// realmPath joins escaped segments under .../realms/{realm_id}. It fails
// before any I/O when no realm is selected.
func (c *Client) realmPath(op string, segments ...string) (string, error) {
	if c.realmID == "" {
		return "", fmt.Errorf("%s: no realm selected", op)
	}
	return c.tenantPath("realms", c.realmID) + joinSegments(segments), nil
}

func joinSegments(segments []string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(escapeSegment(s))
	}
	return b.String()
}

// escapeSegment escapes one path segment. Colons are escaped too, because
// a literal colon would turn an ID into a custom method such as ":revoke",
// and "." or ".." would be taken as relative path steps.
func escapeSegment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// requireIDs checks name/value pairs of path IDs; an empty ID would address
// another resource (GET .../identities/ is the list).
func requireIDs(op string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return fmt.Errorf("%s: %s is empty", op, pairs[i])
		}
	}
	return nil
}

// pageQuery encodes the paging parameters; zero values are left out so the
// service's defaults apply.
func pageQuery(opts ListOptions, skip bool) url.Values {
	q := url.Values{}
	if opts.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(opts.PageSize))
	}
	if opts.PageToken != "" {
		q.Set("page_token", opts.PageToken)
	}
	if skip && opts.Skip > 0 {
		q.Set("skip", strconv.Itoa(opts.Skip))
	}
	return q
}

// listBody decodes a list envelope {<key>: [...], total_size,
// next_page_token} in one pass. next_page_token may be absent, null or "".
type listBody[T any] struct {
	key   string
	page  Page[T]
	found bool
}

func (l *listBody[T]) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("list response is not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		switch key {
		case l.key:
			l.found = true
			if err := dec.Decode(&l.page.Items); err != nil {
				return fmt.Errorf("%s: %w", l.key, err)
			}
		case "total_size":
			var n *int
			if err := dec.Decode(&n); err != nil {
				return fmt.Errorf("total_size: %w", err)
			}
			if n != nil {
				l.page.TotalSize = *n
			}
		case "next_page_token":
			var s *string
			if err := dec.Decode(&s); err != nil {
				return fmt.Errorf("next_page_token: %w", err)
			}
			if s != nil {
				l.page.NextPageToken = *s
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return errors.New("list response is not a complete JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("list response has data after the JSON object")
	}
	if !l.found {
		return fmt.Errorf("list response has no %q array", l.key)
	}
	return nil
}

// list runs a list call and returns its page.
func list[T any](ctx context.Context, c *Client, op, path, key string, query url.Values) (*Page[T], error) {
	body := &listBody[T]{key: key}
	if err := c.do(ctx, call{op: op, method: http.MethodGet, path: path, query: query, out: body, retry: true}); err != nil {
		return nil, err
	}
	return &body.page, nil
}

// run runs k and returns its decoded result.
func run[T any](ctx context.Context, c *Client, k call) (*T, error) {
	var out T
	k.out = &out
	if err := c.do(ctx, k); err != nil {
		return nil, err
	}
	return &out, nil
}
