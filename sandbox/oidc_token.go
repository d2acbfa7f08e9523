package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultTokenLifetime applies when an application's expires_after is 0.
const defaultTokenLifetime = 86400 * time.Second

// serveToken is the token endpoint: authorization_code (with PKCE),
// client_credentials and refresh_token, with client authentication by
// Basic, by client_secret in the body, or none for public clients.
func (s *Sandbox) serveToken(w http.ResponseWriter, r *http.Request, oa *oidcApplication) {
	faults := s.effectiveOIDCFaults()
	switch {
	case faults.TokenHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title><style>body{font-family:sans-serif}</style></head>"+
			"<body><center><h1>502 Bad Gateway</h1></center><hr><center>sandbox-proxy</center></body></html>\n")
		return
	case faults.TokenTextPlain:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "token service maintenance: requests are accepted but not processed\n")
		return
	}

	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the token request must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form does not parse")
		return
	}
	ca, e := readClientAuth(r)
	if e == nil {
		e = checkClient(ca, &oa.pc)
	}
	if e != nil {
		writeClientError(w, ca, e)
		return
	}
	opts, e := parseTokenOptions(r, &oa.pc)
	if e != nil {
		writeOAuthError(w, http.StatusBadRequest, e.Error, e.ErrorDescription)
		return
	}

	var resp map[string]any
	switch grant := r.PostForm.Get("grant_type"); grant {
	case "authorization_code":
		resp, e = s.grantAuthorizationCode(r, oa, ca, opts, faults)
	case "client_credentials":
		resp, e = s.grantClientCredentials(r, oa, opts, faults)
	case "refresh_token":
		resp, e = s.grantRefreshToken(r, oa, opts, faults)
	case "":
		e = &oauthError{"invalid_request", "grant_type is missing"}
	default:
		e = &oauthError{"unsupported_grant_type", "grant_type " + grant + " is not supported"}
	}
	if e != nil {
		status := http.StatusBadRequest
		if e.Error == "server_error" {
			status = http.StatusInternalServerError
		}
		writeOAuthError(w, status, e.Error, e.ErrorDescription)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// tokenOptions are the optional token request parameters of the service.
type tokenOptions struct {
	lifetime time.Duration
	custom   map[string]any
}

// parseTokenOptions reads expiration_time (seconds, at most the
// application's expires_after) and custom_claims (a JSON object that
// becomes bi_custom).
func parseTokenOptions(r *http.Request, pc *ProtocolConfig) (tokenOptions, *oauthError) {
	maxLifetime := defaultTokenLifetime
	if pc.TokenConfiguration != nil && pc.TokenConfiguration.ExpiresAfter > 0 {
		maxLifetime = time.Duration(pc.TokenConfiguration.ExpiresAfter) * time.Second
	}
	o := tokenOptions{lifetime: maxLifetime}
	if v := r.PostForm.Get("expiration_time"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || time.Duration(n)*time.Second > maxLifetime {
			return o, &oauthError{"invalid_request", fmt.Sprintf("expiration_time must be a whole number of seconds from 1 to %d", int64(maxLifetime/time.Second))}
		}
		o.lifetime = time.Duration(n) * time.Second
	}
	if v := r.PostForm.Get("custom_claims"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.custom); err != nil || o.custom == nil {
			return o, &oauthError{"invalid_request", "custom_claims must be a JSON object"}
		}
	}
	return o, nil
}

func (s *Sandbox) grantAuthorizationCode(r *http.Request, oa *oidcApplication, ca clientAuth, opts tokenOptions, faults OIDCFaultSettings) (map[string]any, *oauthError) {
	if !slices.Contains(oa.pc.GrantType, "authorization_code") {
		return nil, &oauthError{"unauthorized_client", "the application does not allow the authorization_code grant"}
	}
	code := r.PostForm.Get("code")
	if code == "" {
		return nil, &oauthError{"invalid_request", "code is missing"}
	}
	now := s.now()
	// The code is removed before any other check, so a failed attempt
	// burns it as the service does; it can never be redeemed twice.
	s.oidc.mu.Lock()
	ac := s.oidc.codes[hashSecret(code)]
	delete(s.oidc.codes, hashSecret(code))
	s.oidc.mu.Unlock()
	switch {
	case ac == nil:
		return nil, &oauthError{"invalid_grant", "the code is unknown or was already used"}
	case now.After(ac.expires):
		return nil, &oauthError{"invalid_grant", "the code expired; codes are valid for 60 seconds"}
	case ac.appID != oa.app.ID || ac.clientID != ca.clientID:
		return nil, &oauthError{"invalid_grant", "the code was issued to another client"}
	case r.PostForm.Get("redirect_uri") != ac.redirectURI:
		return nil, &oauthError{"invalid_grant", "redirect_uri differs from the one in the authorization request"}
	}
	if ac.challenge != "" {
		verifier := r.PostForm.Get("code_verifier")
		if verifier == "" {
			return nil, &oauthError{"invalid_grant", "code_verifier is missing; the authorization request had a code_challenge"}
		}
		if !pkceChallengeValid(verifier) {
			return nil, &oauthError{"invalid_grant", "code_verifier must be 43 to 128 unreserved characters"}
		}
		computed := verifier
		if ac.method == "S256" {
			sum := sha256.Sum256([]byte(verifier))
			computed = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if subtle.ConstantTimeCompare([]byte(computed), []byte(ac.challenge)) != 1 {
			return nil, &oauthError{"invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge"}
		}
	}

	s.mu.Lock()
	ident := s.st.identity(ac.realmID, ac.identityID)
	var identCopy Identity
	if ident != nil {
		identCopy = *ident
	}
	s.mu.Unlock()
	if ident == nil || identCopy.Status != statusActive {
		return nil, &oauthError{"invalid_grant", "the signed-in identity no longer exists or is suspended"}
	}
	return s.mint(mintRequest{
		oa: oa, identity: &identCopy, scopes: ac.scopes, nonce: ac.nonce, authTime: ac.authTime,
		opts: opts, faults: faults,
		idToken: slices.Contains(ac.scopes, "openid"),
		refresh: slices.Contains(ac.scopes, "offline_access"),
	})
}

func (s *Sandbox) grantClientCredentials(r *http.Request, oa *oidcApplication, opts tokenOptions, faults OIDCFaultSettings) (map[string]any, *oauthError) {
	if !slices.Contains(oa.pc.GrantType, "client_credentials") {
		return nil, &oauthError{"unauthorized_client", "the application does not allow the client_credentials grant"}
	}
	if oa.pc.Confidentiality == "public" {
		return nil, &oauthError{"unauthorized_client", "public clients cannot use client_credentials"}
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	for _, sc := range scopes {
		if !slices.Contains(oa.pc.AllowedScopes, sc) {
			return nil, &oauthError{"invalid_scope", "scope " + sc + " is not allowed for this application"}
		}
	}
	if len(scopes) == 0 {
		// The vendor CLI sends no scope and gets a working token, so the
		// default is every allowed scope.
		scopes = oa.pc.AllowedScopes
	}
	return s.mint(mintRequest{oa: oa, scopes: scopes, opts: opts, faults: faults})
}

func (s *Sandbox) grantRefreshToken(r *http.Request, oa *oidcApplication, opts tokenOptions, faults OIDCFaultSettings) (map[string]any, *oauthError) {
	raw := r.PostForm.Get("refresh_token")
	if raw == "" {
		return nil, &oauthError{"invalid_request", "refresh_token is missing"}
	}
	hash := hashSecret(raw)
	now := s.now()
	s.mu.Lock()
	var rec *tokenRecord
	for _, t := range s.st.Tokens {
		if t.TokenType == "refresh" && t.ReferenceHash == hash {
			rec = t
			break
		}
	}
	var ident *Identity
	var identCopy Identity
	var granted []string
	if rec != nil {
		granted = append(granted, rec.Scopes...)
		if rec.PrincipalType == "identity" {
			ident = s.st.identity(rec.RealmID, rec.PrincipalID)
			if ident != nil {
				identCopy = *ident
			}
		}
	}
	valid := rec != nil && !rec.Revoked && rec.ApplicationID == oa.app.ID && now.Unix() < rec.Expires
	s.mu.Unlock()
	if !valid {
		return nil, &oauthError{"invalid_grant", "the refresh token is unknown, expired, revoked or belongs to another client"}
	}
	if ident == nil || identCopy.Status != statusActive {
		return nil, &oauthError{"invalid_grant", "the identity of the refresh token no longer exists or is suspended"}
	}
	scopes := granted
	if req := strings.Fields(r.PostForm.Get("scope")); len(req) > 0 {
		for _, sc := range req {
			if !slices.Contains(granted, sc) {
				return nil, &oauthError{"invalid_scope", "scope " + sc + " was not granted to the refresh token"}
			}
		}
		scopes = req
	}
	resp, e := s.mint(mintRequest{oa: oa, identity: &identCopy, scopes: scopes, opts: opts, faults: faults})
	if e == nil {
		// NOTE: refresh tokens are not rotated; the same one keeps working
		// until it expires or is revoked.
		resp["refresh_token"] = raw
	}
	return resp, e
}
