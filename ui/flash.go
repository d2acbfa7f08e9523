package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

type flashLevel int

const (
	flashInfo flashLevel = iota
	flashSuccess
	flashError
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

// describeError turns an error from the client into one sentence for the
// status line: what went wrong and, where there is one, what to do. The
// text is sanitized because the API's message is untrusted.
func describeError(err error) string {
	var apiErr *client.APIError
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
		return sanitize(describeAPIError(apiErr))
	default:
		return sanitize(err.Error())
	}
}

func describeAPIError(e *client.APIError) string {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	var text string
	switch e.Status {
	case 401:
		text = "the API token was rejected (401); check the profile's credentials"
	case 403:
		// The client's text names the scopes the operation needs.
		return e.Error() + "; use a token with that scope for this tenant"
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
