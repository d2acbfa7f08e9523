package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The OIDC provider: per application a discovery document, JWKS, authorize
// (an HTML page that signs in an enrolled, active identity), token, userinfo
// and revoke, plus the realm's introspect endpoint. Every token it mints is
// recorded in the token store the management API's ListTokens and
// RevokeToken use, so a revocation on either side is seen by both.

// Lifetimes of OIDC artefacts.
const (
	// authRequestLifetime bounds how long the sign-in page stays usable.
	authRequestLifetime = 10 * time.Minute
	// authCodeLifetime is short, as RFC 6749 §4.1.2 recommends; codes are
	// also single use.
	authCodeLifetime = 60 * time.Second
	// refreshTokenLifetime is a sandbox choice; the service does not
	// document one.
	refreshTokenLifetime = 30 * 24 * time.Hour
)

// oidcState holds OIDC-only state: pending sign-in pages, authorization
// codes and the fault switches. It is not persisted: a restart invalidates
// codes and open sign-in pages, as a real deployment would.
type oidcState struct {
	mu       sync.Mutex
	requests map[string]*authRequest // by request id (the form's hidden field)
	codes    map[string]*authCode    // by hashSecret(code)

	faultsOnce sync.Once
	faults     *OIDCFaultSwitches

	retiredOnce sync.Once
	retired     signingKey
	retiredErr  error
}

// authRequest is a validated authorization request waiting for the user to
// pick an identity on the sign-in page.
type authRequest struct {
	id          string
	realmID     string
	appID       string
	clientID    string
	redirectURI string
	scopes      []string
	state       string
	nonce       string
	challenge   string
	method      string // "S256", "plain" or "" when PKCE is not used
	loginHint   string
	expires     time.Time
}

// authCode is an issued authorization code, redeemable once.
type authCode struct {
	realmID     string
	appID       string
	clientID    string
	redirectURI string
	scopes      []string
	nonce       string
	challenge   string
	method      string
	identityID  string
	authTime    time.Time
	expires     time.Time
}

// registerOIDC adds the OIDC provider routes to mux. The router sends a
// request here when no management API route matches it and mux has a
// pattern for it. Patterns carry no method so that a wrong method gets an
// OAuth-shaped 405 instead of the management API's 404.
func (s *Sandbox) registerOIDC(mux *http.ServeMux) {
	const app = "/v1/tenants/{tenant}/realms/{realm}/applications/{app}"
	mux.HandleFunc(app+"/.well-known/openid-configuration", s.oidcApp(s.serveDiscovery, http.MethodGet))
	mux.HandleFunc(app+"/.well-known/jwks.json", s.oidcApp(s.serveJWKS, http.MethodGet))
	mux.HandleFunc(app+"/authorize", s.oidcApp(s.serveAuthorize, http.MethodGet, http.MethodPost))
	mux.HandleFunc(app+"/token", s.oidcApp(s.serveToken, http.MethodPost))
	mux.HandleFunc(app+"/userinfo", s.oidcApp(s.serveUserinfo, http.MethodGet, http.MethodPost))
	mux.HandleFunc(app+"/revoke", s.oidcApp(s.serveRevoke, http.MethodPost))
	mux.HandleFunc("/v1/tenants/{tenant}/realms/{realm}/introspect", s.serveIntrospect)
}

// oidcApplication is an application resolved from an issuer path, with a
// copy of what handlers need so they can work without holding s.mu.
type oidcApplication struct {
	tenantID string
	realmID  string
	app      Application
	pc       ProtocolConfig
	issuer   string
}

// appPath is the azp and bi_p value of the application:
// tenants/{t}/realms/{r}/applications/{app}.
func (a *oidcApplication) appPath() string {
	return "tenants/" + a.tenantID + "/realms/" + a.realmID + "/applications/" + a.app.ID
}

// oidcApp resolves the application of the issuer path and checks the
// method before calling h. Unknown tenants, realms and applications, and
// SAML applications, get a 404 JSON error.
func (s *Sandbox) oidcApp(h func(http.ResponseWriter, *http.Request, *oidcApplication), methods ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allowed := false
		for _, m := range methods {
			if r.Method == m {
				allowed = true
			}
		}
		if !allowed {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "method "+r.Method+" is not allowed here")
			return
		}
		tenant, realm, appID := r.PathValue("tenant"), r.PathValue("realm"), r.PathValue("app")
		s.mu.Lock()
		var oa *oidcApplication
		if tenant == s.st.Tenant.ID {
			if a := s.st.application(realm, appID); a != nil && a.ProtocolConfig != nil &&
				(a.ProtocolConfig.Type == "oidc" || a.ProtocolConfig.Type == "oauth2") {
				oa = &oidcApplication{tenantID: tenant, realmID: realm, app: *a, pc: cloneProtocolConfig(a.ProtocolConfig), issuer: s.issuer(realm, appID)}
				oa.app.ProtocolConfig = &oa.pc
			}
		}
		s.mu.Unlock()
		if oa == nil {
			s.log.Info("OIDC request for an unknown application", "method", r.Method, "path", r.URL.Path)
			writeOAuthError(w, http.StatusNotFound, "not_found", "no OAuth2 or OIDC application at this issuer")
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		h(rec, r, oa)
		s.logRejection(r, rec, oa.app.ID)
	}
}

// statusRecorder remembers the status a handler wrote, so rejections can be
// logged in one place.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (rec *statusRecorder) WriteHeader(status int) {
	rec.status = status
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// logRejection logs a request the provider rejected: a 4xx or 5xx response,
// or an authorization redirect carrying an error. Neither the status nor
// the OAuth error code carries a secret.
func (s *Sandbox) logRejection(r *http.Request, rec *statusRecorder, appID string) {
	oauthErr := ""
	if loc, err := url.Parse(rec.Header().Get("Location")); err == nil && rec.status == http.StatusFound {
		oauthErr = loc.Query().Get("error")
	}
	if rec.status < http.StatusBadRequest && oauthErr == "" {
		return
	}
	s.log.Info("OIDC request rejected", "method", r.Method, "path", r.URL.Path, "status", rec.status,
		"error", oauthErr, "application_id", appID)
}

func cloneProtocolConfig(pc *ProtocolConfig) ProtocolConfig {
	c := *pc
	c.AllowedScopes = append([]string(nil), pc.AllowedScopes...)
	c.GrantType = append([]string(nil), pc.GrantType...)
	c.RedirectURIs = append([]string(nil), pc.RedirectURIs...)
	if pc.TokenConfiguration != nil {
		tc := *pc.TokenConfiguration
		c.TokenConfiguration = &tc
	}
	return c
}

// serveDiscovery serves the OpenID Provider metadata. The service publishes
// none, so the fields follow the spec's oidc_configuration shape plus the
// standard OIDC Discovery names.
func (s *Sandbox) serveDiscovery(w http.ResponseWriter, r *http.Request, oa *oidcApplication) {
	issuer := oa.issuer
	if s.OIDCFaults().Get().DiscoveryWrongIssuer {
		issuer += "/"
	}
	scopes := append([]string{"openid", "offline_access"}, oa.pc.AllowedScopes...)
	doc := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                oa.issuer + "/authorize",
		"token_endpoint":                        oa.issuer + "/token",
		"userinfo_endpoint":                     oa.issuer + "/userinfo",
		"jwks_uri":                              oa.issuer + "/.well-known/jwks.json",
		"introspection_endpoint":                s.url + "/v1/tenants/" + oa.tenantID + "/realms/" + oa.realmID + "/introspect",
		"revocation_endpoint":                   oa.issuer + "/revoke",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials", "refresh_token"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"scopes_supported":                      scopes,
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"sub", "name", "preferred_username", "email", "iss", "aud", "exp", "iat", "nbf", "nonce", "azp"},
	}
	writeJSON(w, http.StatusOK, doc)
}

func (s *Sandbox) serveJWKS(w http.ResponseWriter, r *http.Request, _ *oidcApplication) {
	writeJSON(w, http.StatusOK, s.keys.publicJWKS())
}

// oauthError is the RFC 6749 §5.2 error body.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, oauthError{Error: code, ErrorDescription: description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"server_error"}`)
	}
	writeJSONBody(w, status, body)
}

// clientAuth is the client identification of a token, revoke or
// introspect request.
type clientAuth struct {
	clientID  string
	secret    string
	hasSecret bool
	basic     bool
}

// readClientAuth takes the client credentials from the Basic header or the
// form, rejecting a request that uses both (RFC 6749 §2.3).
func readClientAuth(r *http.Request) (clientAuth, *oauthError) {
	if user, pass, ok := r.BasicAuth(); ok {
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return clientAuth{}, &oauthError{"invalid_client", "the Basic credentials are not form-encoded"}
		}
		if r.PostForm.Has("client_secret") {
			return clientAuth{}, &oauthError{"invalid_request", "the client authenticated with both Basic and client_secret; use one method"}
		}
		if bodyID := r.PostForm.Get("client_id"); bodyID != "" && bodyID != id {
			return clientAuth{}, &oauthError{"invalid_request", "client_id in the body differs from the Basic user"}
		}
		return clientAuth{clientID: id, secret: secret, hasSecret: true, basic: true}, nil
	}
	ca := clientAuth{clientID: r.PostForm.Get("client_id")}
	if r.PostForm.Has("client_secret") {
		ca.secret, ca.hasSecret = r.PostForm.Get("client_secret"), true
	}
	return ca, nil
}

// checkClient authenticates the client against the application, which
// must be the one the credentials name. Confidential applications need
// their secret (Basic or post); public ones must send none.
func checkClient(ca clientAuth, pc *ProtocolConfig) *oauthError {
	if ca.clientID == "" {
		return &oauthError{"invalid_client", "no client authentication: send client_id (and client_secret for a confidential client)"}
	}
	if subtle.ConstantTimeCompare([]byte(ca.clientID), []byte(pc.ClientID)) != 1 {
		return &oauthError{"invalid_client", "unknown client_id for this application"}
	}
	if pc.Confidentiality == "public" {
		if ca.hasSecret {
			return &oauthError{"invalid_client", "this is a public client: it must not send a client secret (token_endpoint_auth_method none)"}
		}
		return nil
	}
	if !ca.hasSecret {
		return &oauthError{"invalid_client", "this is a confidential client: authenticate with client_secret_basic or client_secret_post"}
	}
	if subtle.ConstantTimeCompare([]byte(ca.secret), []byte(pc.ClientSecret)) != 1 {
		return &oauthError{"invalid_client", "client authentication failed"}
	}
	return nil
}

// writeClientError rejects a failed client authentication: 401, with a
// Basic challenge when the client tried Basic (RFC 6749 §5.2).
func writeClientError(w http.ResponseWriter, ca clientAuth, e *oauthError) {
	status := http.StatusBadRequest
	if e.Error == "invalid_client" {
		status = http.StatusUnauthorized
		if ca.basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		}
	}
	writeOAuthError(w, status, e.Error, e.ErrorDescription)
}
