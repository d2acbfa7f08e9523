package login

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ErrAlreadyHandled is returned by SubmitRedirect, and shown by the listener,
// when a redirect has already been accepted or rejected for this run.
var ErrAlreadyHandled = errors.New("this login test already received its redirect")

// ErrNotWaiting is returned by SubmitRedirect before the run waits for a
// redirect.
var ErrNotWaiting = errors.New("the login test is not waiting for a redirect")

// PortInUseError means the loopback redirect port is taken, so the redirect
// could not be received.
type PortInUseError struct {
	Port        int
	RedirectURI string
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d on 127.0.0.1 is already in use, so the redirect to %s cannot be received; "+
		"fix: stop the program holding the port (`ss -ltnp 'sport = :%d'` names it), "+
		"or register another loopback redirect URI with a free port on the application and test with that one",
		e.Port, e.RedirectURI, e.Port)
}

// StateMismatchError means the redirect's state is not the one this run
// sent: a stale browser tab, a replayed link or a forged redirect. The code
// is not exchanged.
type StateMismatchError struct {
	Sent, Received string
}

func (e *StateMismatchError) Error() string {
	if e.Received == "" {
		return "the redirect carries no state; the code was not exchanged"
	}
	return fmt.Sprintf("the redirect's state %q differs from the state sent %q; the code was not exchanged",
		truncate(e.Received, 64), truncate(e.Sent, 64))
}

// AuthorizationError is an error the authorization server sent to the
// redirect URI (RFC 6749 §4.1.2.1).
type AuthorizationError struct {
	Code        string
	Description string
	URI         string
}

func (e *AuthorizationError) Error() string {
	s := "the authorization server redirected with error=" + e.Code
	if e.Description != "" {
		s += " error_description=" + strconvQuote(e.Description)
	}
	if e.URI != "" {
		s += " error_uri=" + e.URI
	}
	return s
}

// callback is the redirect the run accepted or rejected.
type callback struct {
	code   Secret
	state  string
	err    error
	source string // "listener" or "pasted URL"
}

// callbackGate accepts the first redirect that looks like an OAuth redirect
// and passes it to the waiting run; later ones are turned away.
type callbackGate struct {
	expectedState string
	result        chan callback

	mu     sync.Mutex
	closed bool
}

func newCallbackGate(state string) *callbackGate {
	return &callbackGate{expectedState: state, result: make(chan callback, 1)}
}

// errNotOAuthRedirect means a request reached the callback path without code,
// state or error, e.g. a user reloading the page. It gets an error page and
// does not end the run.
var errNotOAuthRedirect = errors.New("this is not an OAuth redirect: it has no code, state or error")

// handle decides on the query of a redirect. It returns nil when the redirect
// was accepted with a code, the reason otherwise.
func (g *callbackGate) handle(q url.Values, source string) error {
	code, state, oauthErr := q.Get("code"), q.Get("state"), q.Get("error")
	if code == "" && state == "" && oauthErr == "" {
		return errNotOAuthRedirect
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrAlreadyHandled
	}
	g.closed = true

	cb := callback{state: state, source: source}
	switch {
	case oauthErr != "":
		cb.err = &AuthorizationError{
			Code:        sanitize(truncate(oauthErr, 100)),
			Description: sanitize(truncate(q.Get("error_description"), 300)),
			URI:         sanitize(truncate(q.Get("error_uri"), 200)),
		}
	case state != g.expectedState:
		cb.err = &StateMismatchError{Sent: g.expectedState, Received: sanitize(state)}
	case code == "":
		cb.err = errors.New("the redirect has the right state but no code")
	default:
		cb.code = NewSecret(code)
	}
	g.result <- cb
	return cb.err
}

// loopbackServer serves the callback path on 127.0.0.1 until closed.
type loopbackServer struct {
	srv  *http.Server
	done chan struct{}
}

// listenLoopback binds 127.0.0.1:port of the redirect URI and serves its path
// only; every other path is a 404.
func listenLoopback(lr loopbackRedirect, gate *callbackGate) (*loopbackServer, error) {
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(lr.port)))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &PortInUseError{Port: lr.port, RedirectURI: lr.raw}
		}
		return nil, fmt.Errorf("listen on 127.0.0.1:%d for %s: %w", lr.port, lr.raw, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.EscapedPath() != lr.path {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		err := gate.handle(r.URL.Query(), "listener")
		writeResultPage(w, err)
	})
	s := &loopbackServer{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      10 * time.Second,
			IdleTimeout:       5 * time.Second,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// close stops accepting at once and lets a page being written finish, for at
// most two seconds. The port is free when close returns.
func (s *loopbackServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// writeResultPage sends the browser a plain page with the outcome.
func writeResultPage(w http.ResponseWriter, err error) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Connection", "close")
	status, title, text := http.StatusOK, "Login test: redirect received",
		"biadmin received the authorization code and is checking the tokens. You can close this tab and return to biadmin."
	switch {
	case errors.Is(err, errNotOAuthRedirect):
		status, title, text = http.StatusBadRequest, "Login test: not a redirect", err.Error()
	case errors.Is(err, ErrAlreadyHandled):
		status, title, text = http.StatusConflict, "Login test: already handled",
			"This login test already received a redirect; this one was ignored. Start a new test to try again."
	case err != nil:
		status, title, text = http.StatusBadRequest, "Login test failed", err.Error()
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>"+
		"<body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}
