// Package client is the Beyond Identity management API client the console
// uses: typed calls for the v1 REST API, pagination, one error type, retries
// with backoff for idempotent calls, and bearer token sources.
package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options configures New.
type Options struct {
	BaseURL           string // management API base, e.g. https://api-us.beyondidentity.com or the sandbox URL
	TenantID, RealmID string // RealmID may be empty until WithRealm picks one; realm calls fail until then
	Token             TokenSource
	HTTPClient        *http.Client // nil: a default with timeouts and no redirects
	Logger            *slog.Logger // nil: discard; never logs secrets
	ReadOnly          bool         // mutating calls fail with ErrReadOnly before any I/O
	MaxRetries        int          // retries of idempotent calls on 429/502/503/504; 0 = default 3, -1 = none
}

// Client calls the management API for one tenant and realm. It is safe for
// concurrent use.
type Client struct {
	base       string // scheme://host[/prefix] without a trailing slash
	tenantID   string
	realmID    string
	token      TokenSource
	httpClient *http.Client
	log        *slog.Logger
	readOnly   bool
	maxRetries int

	// Tests replace these to run retries without waiting.
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(max time.Duration) time.Duration
	now    func() time.Time
}

var _ API = (*Client)(nil)

const (
	defaultMaxRetries = 3
	backoffBase       = 200 * time.Millisecond
	backoffCap        = 10 * time.Second
	// maxRetryAfter is the longest Retry-After the client waits out. A longer
	// one is returned to the caller in APIError.RetryAfter instead, because a
	// console should not freeze for minutes.
	maxRetryAfter = time.Minute
)

// New validates opts and returns a client. BaseURL must use https unless its
// host is a loopback address, where plain http is accepted for the sandbox.
func New(opts Options) (*Client, error) {
	if err := checkBaseURL(opts.BaseURL, "base URL"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.TenantID) == "" {
		return nil, errors.New("tenant ID is missing")
	}
	if opts.Token == nil {
		return nil, errors.New("token source is missing: set an API token or client credentials")
	}
	c := &Client{
		base:       strings.TrimRight(opts.BaseURL, "/"),
		tenantID:   opts.TenantID,
		realmID:    opts.RealmID,
		token:      opts.Token,
		httpClient: opts.HTTPClient,
		log:        opts.Logger,
		readOnly:   opts.ReadOnly,
		maxRetries: opts.MaxRetries,
		sleep:      sleepContext,
		jitter:     func(max time.Duration) time.Duration { return rand.N(max + 1) },
		now:        time.Now,
	}
	if c.httpClient == nil {
		c.httpClient = defaultHTTPClient()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	return c, nil
}

// WithRealm returns a client for another realm of the same tenant that
// shares the token source, HTTP client and settings.
func (c *Client) WithRealm(realmID string) *Client {
	cp := *c
	cp.realmID = realmID
	return &cp
}

// TenantID returns the tenant the client is bound to.
func (c *Client) TenantID() string { return c.tenantID }

// RealmID returns the realm the client is bound to.
func (c *Client) RealmID() string { return c.realmID }

// ReadOnly reports whether mutating calls are refused.
func (c *Client) ReadOnly() bool { return c.readOnly }

// checkBaseURL accepts an absolute https URL, or http for a loopback host.
func checkBaseURL(raw, what string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid %s %q: %w", what, raw, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("invalid %s %q: want an absolute URL such as https://api-us.beyondidentity.com", what, raw)
	}
	if u.User != nil {
		return fmt.Errorf("invalid %s: it must not contain a user name or password", what)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("invalid %s %q: it must not have a query or fragment", what, raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("invalid %s %q: https is required; plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)", what, raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultHTTPClient honours the proxy environment variables and bounds each
// phase of a request. It follows no redirects: the API does not redirect,
// and following one could carry the bearer token to another URL.
func defaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   8,
			ForceAttemptHTTP2:     true,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// certificateError wraps a TLS verification failure in an error that
// explains how to make the certificate trusted. It returns nil for other
// errors.
func certificateError(err error) error {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
	)
	if errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &invalid) || errors.As(err, &hostname) {
		return fmt.Errorf("%w: %v; if a proxy or private CA issued the certificate, add that CA to the system trust store or set SSL_CERT_FILE to a PEM file that contains it", ErrUntrustedCertificate, err)
	}
	return nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExplainCertificateErrors wraps rt so a failed TLS certificate verification
// comes back as ErrUntrustedCertificate with the advice on how to trust the
// certificate. Callers that build their own *http.Client, such as the login
// tester, use it to give the same advice as the management API client.
func ExplainCertificateErrors(rt http.RoundTripper) http.RoundTripper {
	return certificateExplainer{next: rt}
}

type certificateExplainer struct{ next http.RoundTripper }

func (c certificateExplainer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		if explained := certificateError(err); explained != nil {
			return nil, explained
		}
	}
	return resp, err
}
