package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TokenSource supplies the bearer token for API calls. Implementations must
// be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	// Invalidate drops a cached token after the API rejected it.
	Invalidate()
}

// Refreshable is implemented by token sources that can fetch a new token.
// After a 401 or 403 the client calls Invalidate and retries the call once,
// but only when CanRefresh returns true, because a static token would be
// rejected again.
type Refreshable interface {
	TokenSource
	CanRefresh() bool
}

// StaticToken returns a TokenSource for a fixed API token, such as one
// created in the Admin Console. Its Invalidate does nothing.
func StaticToken(token string) TokenSource { return staticToken(token) }

type staticToken string

func (t staticToken) Token(context.Context) (string, error) {
	if strings.TrimSpace(string(t)) == "" {
		return "", errors.New("the API token is empty")
	}
	return string(t), nil
}

func (staticToken) Invalidate() {}

// ClientCredentialsOptions configures ClientCredentials.
type ClientCredentialsOptions struct {
	// TokenURL is the token endpoint of the management application, e.g.
	// https://auth-us.beyondidentity.com/v1/tenants/T/realms/R/applications/A/token.
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string     // empty: the application's allowed scopes
	HTTPClient   *http.Client // nil: the same default as New uses
	Now          func() time.Time
}

// refreshMargin is how long before expiry a cached token is replaced, so a
// token never expires in the middle of a call.
const refreshMargin = 60 * time.Second

// ClientCredentials returns a TokenSource that gets tokens with the OAuth 2.0
// client credentials grant, sending the client ID and secret in the
// Authorization header. It caches the token and fetches a new one 60 seconds
// before expiry; concurrent callers share one fetch.
func ClientCredentials(opts ClientCredentialsOptions) TokenSource {
	hc := opts.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &clientCredentialsSource{
		config: clientcredentials.Config{
			ClientID:     opts.ClientID,
			ClientSecret: opts.ClientSecret,
			TokenURL:     opts.TokenURL,
			Scopes:       opts.Scopes,
			// Auto-detection would send the secret a second time in the
			// body after a failure; the service accepts the header form.
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		httpClient: hc,
		now:        now,
	}
}

type clientCredentialsSource struct {
	config     clientcredentials.Config
	httpClient *http.Client
	now        func() time.Time

	mu       sync.Mutex
	token    string
	expiry   time.Time     // zero: the endpoint gave no lifetime
	fetching chan struct{} // closed when the fetch in flight ends
}

func (s *clientCredentialsSource) CanRefresh() bool { return true }

func (s *clientCredentialsSource) Invalidate() {
	s.mu.Lock()
	s.token = ""
	s.mu.Unlock()
}

func (s *clientCredentialsSource) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		if s.token != "" && (s.expiry.IsZero() || s.now().Before(s.expiry.Add(-refreshMargin))) {
			token := s.token
			s.mu.Unlock()
			return token, nil
		}
		if wait := s.fetching; wait != nil {
			s.mu.Unlock()
			select {
			case <-wait:
				continue // the fetch may have failed; look again
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		done := make(chan struct{})
		s.fetching = done
		s.mu.Unlock()

		token, expiry, err := s.fetch(ctx)

		s.mu.Lock()
		s.fetching = nil
		if err == nil {
			s.token, s.expiry = token, expiry
		}
		close(done)
		s.mu.Unlock()
		if err != nil {
			return "", err
		}
		return token, nil
	}
}

func (s *clientCredentialsSource) fetch(ctx context.Context) (string, time.Time, error) {
	if err := checkBaseURL(s.config.TokenURL, "token URL"); err != nil {
		return "", time.Time{}, err
	}
	if s.config.ClientID == "" || s.config.ClientSecret == "" {
		return "", time.Time{}, errors.New("client credentials need a client ID and a client secret")
	}
	start := s.now()
	tok, err := s.config.Token(context.WithValue(ctx, oauth2.HTTPClient, s.httpClient))
	if err != nil {
		return "", time.Time{}, tokenError(s.config.TokenURL, err)
	}
	if tt := tok.Type(); !strings.EqualFold(tt, "bearer") {
		return "", time.Time{}, fmt.Errorf("token endpoint %s returned token type %q, want Bearer", s.config.TokenURL, sanitize(tt, 40))
	}
	var expiry time.Time
	switch {
	case tok.ExpiresIn > 0:
		expiry = start.Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !tok.Expiry.IsZero():
		// Expiry was computed with the wall clock; carry the remaining
		// lifetime over to the injected one.
		expiry = start.Add(time.Until(tok.Expiry))
	}
	return tok.AccessToken, expiry, nil
}

// tokenError rewrites an oauth2 error without its raw response body, which
// may be a whole HTML page.
func tokenError(tokenURL string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		msg := sanitize(re.ErrorCode, 100)
		if re.ErrorDescription != "" {
			msg += ": " + sanitize(re.ErrorDescription, 300)
		}
		if msg == "" {
			msg = excerpt(re.Body)
		}
		if status == http.StatusUnauthorized || re.ErrorCode == "invalid_client" {
			return fmt.Errorf("token endpoint %s rejected the client credentials (%w, HTTP %d): %s", tokenURL, ErrUnauthorized, status, msg)
		}
		return fmt.Errorf("token endpoint %s returned HTTP %d: %s", tokenURL, status, msg)
	}
	if tlsErr := certificateError(err); tlsErr != nil {
		return tlsErr
	}
	return fmt.Errorf("get a token from %s: %w", tokenURL, err)
}
