package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

type flashLevel int

const (
	flashInfo flashLevel = iota
	flashSuccess
	flashError
	flashWarn
)

// flashMsg is a request to show text on the status line. The root logs
// errors, so a screen reports a failure once, with flash.
type flashMsg struct {
	level flashLevel
	text  string
}

// clearFlashMsg clears the status line if it still shows flash number seq.
type clearFlashMsg struct{ seq uint64 }

// flashTTL is how long a status message stays before it clears itself.
const flashTTL = 8 * time.Second

func flash(level flashLevel, text string) tea.Cmd {
	return func() tea.Msg { return flashMsg{level: level, text: text} }
}

// flashErr reports a failed request as a sentence on the status line.
func flashErr(what string, err error) tea.Cmd {
	return flash(flashError, what+": "+describeError(err))
}

// profileError is a failed request with the profile it ran under, so the
// message for a rejected token can name the profile and its credentials.
type profileError struct {
	profile ProfileInfo
	err     error
}

func (e *profileError) Error() string { return e.err.Error() }
func (e *profileError) Unwrap() error { return e.err }

// withProfile wraps err with the profile it happened under. It leaves nil,
// an error that already names a profile, and an error of the first-run
// screen (no profile yet) as they are.
func withProfile(err error, p ProfileInfo) error {
	var pe *profileError
	if err == nil || p.Name == "" || errors.As(err, &pe) {
		return err
	}
	return &profileError{profile: p, err: err}
}

// newTokenHint is the Admin Console path to a new management API token,
// for the message about a rejected one. The vendor's API description gives
// this path.
const newTokenHint = "get a new one in the Admin Console under Applications, Beyond Identity Management API, API Tokens"

// describeError turns an error into one sentence for the status line and
// the screens: what went wrong and, where there is one, what to do. Every
// screen shows errors through it. The text is sanitized because the API's
// message is untrusted.
func describeError(err error) string {
	var (
		apiErr  *client.APIError
		profile ProfileInfo
		pe      *profileError
	)
	if errors.As(err, &pe) {
		profile = pe.profile
	}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, client.ErrReadOnly):
		return "the profile is read-only, so nothing was changed"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("timed out after %s; check the connection and press r to retry", requestTimeout)
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &apiErr):
		return sanitize(describeAPIError(apiErr, profile))
	case errors.Is(err, client.ErrUntrustedCertificate):
		// The client's text ends with how to trust the certificate
		// (the system trust store, or SSL_CERT_FILE).
		return sanitize("the server's TLS certificate is not trusted, so no request was sent: " + err.Error())
	case errors.Is(err, client.ErrUnauthorized):
		// The token endpoint rejected a profile's client credentials.
		return sanitize(err.Error() + "; check the client ID and client secret" + profileClause(profile))
	}
	if text, ok := describeNetworkError(err); ok {
		if profile.Name != "" {
			text += " (profile " + profile.Name + ")"
		}
		return text
	}
	return sanitize(err.Error())
}

// describeNetworkError words a request that got no HTTP response: the
// host it went to, why, and what to check. It names only the host and
// port, because the rest of the URL may carry a token. It reports false
// for an error that is not about the network.
func describeNetworkError(err error) (string, bool) {
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		return "", false
	}
	host := "the server"
	if u, perr := url.Parse(urlErr.URL); perr == nil && u.Host != "" {
		host = sanitize(u.Host)
	}
	var (
		dnsErr *net.DNSError
		opErr  *net.OpError
		reason string
	)
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		reason = "no such host name"
	case errors.As(err, &dnsErr):
		reason = "the DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		reason = "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		reason = "no route to the host"
	case urlErr.Timeout():
		reason = "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		reason = "the connection closed before a response"
	case errors.As(err, &opErr):
		reason = sanitize(opErr.Err.Error())
	default:
		reason = sanitize(urlErr.Err.Error())
	}
	return "could not reach " + host + " (" + reason + "); check that the service is up and that the profile's api_base_url or region is right", true
}

// profileClause names the profile and its credentials for the end of a
// sentence, or returns "" when the error carries no profile.
func profileClause(p ProfileInfo) string {
	switch {
	case p.Name == "":
		return ""
	case p.Credentials == "":
		return " (profile " + p.Name + ")"
	default:
		return " (profile " + p.Name + ": " + p.Credentials + ")"
	}
}

func describeAPIError(e *client.APIError, profile ProfileInfo) string {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	var text string
	switch e.Status {
	case 401:
		// The request id is left out: the client logs it, and the
		// advice must fit the status line.
		return "the token was rejected (401): it is missing, expired or not from Beyond Identity; " +
			newTokenHint + profileClause(profile)
	case 403:
		// The client's text names the scopes the operation needs.
		them := "it"
		if len(client.RequiredScopes(e.Operation)) > 1 {
			them = "them"
		}
		if profile.Name == "" {
			return e.Error() + "; use a token that has " + them
		}
		return e.Error() + "; the token of profile " + profile.Name + " lacks " + them + ", so use one that has " + them
	case 429:
		text = "rate limited (429)"
		if e.RetryAfter > 0 {
			text += fmt.Sprintf("; try again in %s", e.RetryAfter.Round(time.Second))
		}
	default:
		text = fmt.Sprintf("%s (%d)", msg, e.Status)
		if e.Status >= 500 {
			text += "; the service failed, try again"
		}
	}
	if e.RequestID != "" {
		text += ", request id " + e.RequestID
	}
	return text
}
