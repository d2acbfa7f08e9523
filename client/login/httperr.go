package login

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// maxBody caps what is read from any OIDC endpoint.
const maxBody = 1 << 20

// excerptLength is how many characters of an unexpected body an error shows.
const excerptLength = 160

// ResponseError is an unexpected response from an OIDC endpoint: a non-2xx
// status or a body that is not the JSON the protocol requires.
type ResponseError struct {
	Endpoint         string // "discovery", "jwks", "token", "userinfo"
	Status           int
	ContentType      string
	OAuthError       string // RFC 6749 §5.2 error, when the body had one
	ErrorDescription string
	Excerpt          string // sanitised start of a non-JSON body
	Reason           string // the problem with a 2xx response
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s endpoint returned HTTP %d", e.Endpoint, e.Status)
	ct := e.ContentType
	if ct == "" {
		ct = "no content type"
	}
	fmt.Fprintf(&b, " (%s)", ct)
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	if e.OAuthError != "" {
		b.WriteString(": error=" + e.OAuthError)
		if e.ErrorDescription != "" {
			b.WriteString(" error_description=" + strconvQuote(e.ErrorDescription))
		}
	}
	if e.Excerpt != "" {
		b.WriteString("; body starts: " + strconvQuote(e.Excerpt))
	}
	return b.String()
}

func strconvQuote(s string) string {
	return "\"" + strings.ReplaceAll(s, "\"", "'") + "\""
}

// readBody reads at most maxBody bytes of resp.Body.
func readBody(resp *http.Response) ([]byte, error) {
	return io.ReadAll(io.LimitReader(resp.Body, maxBody))
}

// isJSON reports whether a Content-Type names JSON (application/json or a
// +json suffix).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// describeResponse builds a ResponseError from a response whose body has
// been read. reason is set when the status was fine but the body was not.
func describeResponse(endpoint string, resp *http.Response, body []byte, reason string) *ResponseError {
	e := &ResponseError{
		Endpoint:    endpoint,
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		Reason:      reason,
	}
	var oauth struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &oauth) == nil && oauth.Error != "" {
		e.OAuthError = sanitize(truncate(oauth.Error, excerptLength))
		e.ErrorDescription = sanitize(truncate(oauth.ErrorDescription, 2*excerptLength))
		return e
	}
	if len(body) > 0 && !json.Valid(body) {
		e.Excerpt = excerpt(body)
	} else if len(body) > 0 && e.Reason == "" && resp.StatusCode >= 300 {
		e.Excerpt = excerpt(body)
	}
	return e
}

var (
	tagPattern    = regexp.MustCompile(`(?is)<(script|style|head)[^>]*>.*?</(script|style|head)>|<[^>]*>`)
	spacesPattern = regexp.MustCompile(`\s+`)
)

// excerpt returns a short, single-line, printable start of body. Markup is
// removed so an HTML error page reads as its text.
func excerpt(body []byte) string {
	s := string(body)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if strings.Contains(s, "<") {
		s = html.UnescapeString(tagPattern.ReplaceAllString(s, " "))
	}
	s = spacesPattern.ReplaceAllString(s, " ")
	s = strings.TrimSpace(sanitize(s))
	return truncate(s, excerptLength)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
