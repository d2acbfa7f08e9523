package login

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/biadmin/biadmin/client"
)

// AuthMethod is the client authentication method at the token endpoint.
type AuthMethod string

// Client authentication methods of RFC 6749 §2.3.1 and OIDC Core §9.
// Confidential applications may use basic or post; public ones only none.
const (
	AuthBasic AuthMethod = "client_secret_basic"
	AuthPost  AuthMethod = "client_secret_post"
	AuthNone  AuthMethod = "none"
)

// Defaults for Config.
const (
	DefaultTimeout   = 3 * time.Minute
	DefaultClockSkew = 60 * time.Second
	// defaultVerifierLength is the longest verifier RFC 7636 allows, for the
	// most entropy.
	defaultVerifierLength = 128
)

// Config sets up one login test. Fields left empty are filled from the
// application when API is set (pre-flight); without API, ClientID and
// RedirectURI are required.
type Config struct {
	// AuthBaseURL is the auth host, e.g. https://auth-us.beyondidentity.com
	// or the sandbox URL. The issuer is
	// {AuthBaseURL}/v1/tenants/{TenantID}/realms/{RealmID}/applications/{ApplicationID}.
	AuthBaseURL string
	// TenantID and RealmID default to API.TenantID() and API.RealmID().
	TenantID string
	RealmID  string
	// ApplicationID is the application under test. When empty and API is
	// set, the realm's only OIDC application with a loopback redirect URI
	// is used.
	ApplicationID string

	// API is the management API bound to the realm. When set, the pre-flight
	// reads the application and checks it against what the test will send.
	API client.API

	// ClientID defaults to the application's client_id.
	ClientID string
	// ClientSecret defaults to the application's client_secret (confidential
	// applications only).
	ClientSecret Secret
	// AuthMethod is the client authentication at the token endpoint. Empty
	// means client_secret_basic for confidential applications and none for
	// public ones; it is never guessed by trial, because a failed attempt
	// burns the single-use code.
	AuthMethod AuthMethod
	// RedirectURI is the loopback redirect URI to listen on, e.g.
	// http://127.0.0.1:8765/callback. It must be registered on the
	// application. Empty means the application's first loopback redirect URI.
	RedirectURI string
	// Scopes are requested besides openid; each must be in the application's
	// allowed_scopes.
	Scopes []string
	// LoginHint is sent as login_hint when set.
	LoginHint string
	// ExpectedSubject is the identity ID the test must sign in as. When set,
	// the verdict checks the ID token's sub against it (or against the
	// identity's email, username or external ID when the application's
	// subject_field names that trait and API is set).
	ExpectedSubject string

	// Timeout bounds the wait for the redirect; 0 means DefaultTimeout.
	Timeout time.Duration
	// ClockSkew is the allowance for exp, iat and nbf; 0 means
	// DefaultClockSkew. Use a negative value for no allowance.
	ClockSkew time.Duration
	// HTTPClient is used for discovery, JWKS, token and userinfo calls; nil
	// means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Opener opens the authorization URL; nil means SystemOpener().
	Opener Opener
	// NoBrowser skips opening a browser: the URL and QR code are sent as an
	// EventOpenManually at once.
	NoBrowser bool
	// NoListener skips the loopback listener; the redirect must then come
	// through Runner.SubmitRedirect.
	NoListener bool
	// IgnorePreflight goes on to the browser even when the pre-flight found
	// mismatches (they still fail the report).
	IgnorePreflight bool
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// withDefaults returns a copy of c with defaults applied and checks what can
// be checked before any I/O.
func (c Config) withDefaults() (Config, error) {
	if c.API != nil {
		if c.TenantID == "" {
			c.TenantID = c.API.TenantID()
		}
		if c.RealmID == "" {
			c.RealmID = c.API.RealmID()
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultClockSkew
	} else if c.ClockSkew < 0 {
		c.ClockSkew = 0
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: client.ExplainCertificateErrors(http.DefaultTransport)}
	}
	if c.Opener == nil {
		c.Opener = SystemOpener()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.AuthBaseURL = strings.TrimRight(c.AuthBaseURL, "/")

	var errs []error
	if err := checkBaseURL(c.AuthBaseURL); err != nil {
		errs = append(errs, err)
	}
	if c.TenantID == "" {
		errs = append(errs, errors.New("tenant ID is missing"))
	}
	if c.RealmID == "" {
		errs = append(errs, errors.New("realm ID is missing"))
	}
	if c.API == nil {
		if c.ApplicationID == "" {
			errs = append(errs, errors.New("application ID is missing (it can be found only with management API access)"))
		}
		if c.ClientID == "" {
			errs = append(errs, errors.New("client ID is missing (it is read from the application only with management API access)"))
		}
		if c.RedirectURI == "" {
			errs = append(errs, errors.New("redirect URI is missing (it is read from the application only with management API access)"))
		}
	}
	switch c.AuthMethod {
	case "", AuthBasic, AuthPost, AuthNone:
	default:
		errs = append(errs, fmt.Errorf("auth method %q is invalid: use client_secret_basic, client_secret_post or none", c.AuthMethod))
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			errs = append(errs, fmt.Errorf("scope %q is invalid: scopes are single words", s))
		}
	}
	if c.RedirectURI != "" {
		if _, err := parseLoopbackRedirect(c.RedirectURI); err != nil {
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

// issuer returns the application's issuer URL.
func (c Config) issuer() string {
	return c.AuthBaseURL + "/v1/tenants/" + url.PathEscape(c.TenantID) +
		"/realms/" + url.PathEscape(c.RealmID) +
		"/applications/" + url.PathEscape(c.ApplicationID)
}

// applicationPath is the value Beyond Identity puts in azp:
// tenants/{t}/realms/{r}/applications/{app}.
func (c Config) applicationPath() string {
	return "tenants/" + c.TenantID + "/realms/" + c.RealmID + "/applications/" + c.ApplicationID
}

// requestedScopes returns openid followed by the extra scopes, without
// duplicates.
func (c Config) requestedScopes() []string {
	out := []string{"openid"}
	for _, s := range c.Scopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func checkBaseURL(raw string) error {
	if raw == "" {
		return errors.New("auth base URL is missing")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("auth base URL %q is invalid: want https://host", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("auth base URL %q uses http: only loopback hosts may use plain http, use https", raw)
	}
	return fmt.Errorf("auth base URL %q is invalid: the scheme must be https", raw)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackRedirect is a parsed loopback redirect URI.
type loopbackRedirect struct {
	raw  string
	port int
	path string
}

// parseLoopbackRedirect accepts http://127.0.0.1:PORT/path and
// http://localhost:PORT/path. The listener binds 127.0.0.1 only; a
// localhost URI works because browsers try 127.0.0.1 for localhost.
func parseLoopbackRedirect(raw string) (loopbackRedirect, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return loopbackRedirect{}, fmt.Errorf("redirect URI %q is invalid: %v", raw, err)
	}
	if u.Scheme != "http" {
		return loopbackRedirect{}, fmt.Errorf("redirect URI %q is not a loopback URI: the scheme must be http", raw)
	}
	host := u.Hostname()
	if host != "127.0.0.1" && !strings.EqualFold(host, "localhost") {
		return loopbackRedirect{}, fmt.Errorf("redirect URI %q is not a loopback URI: the host must be 127.0.0.1 or localhost", raw)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port <= 0 || port > 65535 {
		return loopbackRedirect{}, fmt.Errorf("redirect URI %q has no fixed port: register a URI such as http://127.0.0.1:8765/callback", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return loopbackRedirect{}, fmt.Errorf("redirect URI %q must not have a query or fragment", raw)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return loopbackRedirect{raw: raw, port: port, path: path}, nil
}

// firstLoopbackRedirect returns the first registered URI the listener can
// serve, preferring 127.0.0.1 over localhost.
func firstLoopbackRedirect(uris []string) (string, bool) {
	fallback := ""
	for _, u := range uris {
		lr, err := parseLoopbackRedirect(u)
		if err != nil {
			continue
		}
		if strings.Contains(lr.raw, "://127.0.0.1:") {
			return u, true
		}
		if fallback == "" {
			fallback = u
		}
	}
	return fallback, fallback != ""
}
