package sandbox

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// lookupToken resolves a self-contained or referential token to its claims
// and store record. It returns ok=false for a token that is malformed,
// badly signed, expired, revoked or unknown.
func (s *Sandbox) lookupToken(raw string) (claims map[string]any, rec tokenRecord, ok bool) {
	now := s.now()
	if strings.Count(raw, ".") == 2 {
		c, err := s.verifyJWT(raw)
		if err != nil {
			return nil, rec, false
		}
		jti, _ := c["jti"].(string)
		s.mu.Lock()
		defer s.mu.Unlock()
		r := s.st.token(jti)
		if r == nil || r.Revoked {
			return nil, rec, false
		}
		return c, *r, true
	}
	hash := hashSecret(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.st.Tokens {
		if r.ReferenceHash == hash {
			if r.Revoked || now.Unix() >= r.Expires {
				return nil, rec, false
			}
			c := maps.Clone(r.Claims)
			if c == nil {
				c = map[string]any{"scope": strings.Join(r.Scopes, " "), "exp": r.Expires, "iat": r.IssuedAt, "jti": r.ID}
			}
			return c, *r, true
		}
	}
	return nil, rec, false
}

// serveUserinfo returns the signed-in identity's claims for a Bearer access
// token of this application that carries the openid scope.
func (s *Sandbox) serveUserinfo(w http.ResponseWriter, r *http.Request, oa *oidcApplication) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="userinfo"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "send the access token as a Bearer Authorization header")
		return
	}
	claims, rec, ok := s.lookupToken(strings.TrimSpace(token))
	if !ok || rec.TokenType != "access" || rec.ApplicationID != oa.app.ID {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired, revoked or for another application")
		return
	}
	scope, _ := claims["scope"].(string)
	if rec.PrincipalType != "identity" || !slices.Contains(strings.Fields(scope), "openid") {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="openid"`)
		writeOAuthError(w, http.StatusForbidden, "insufficient_scope", "userinfo needs a token issued to an identity with the openid scope")
		return
	}
	s.mu.Lock()
	id := s.st.identity(rec.RealmID, rec.PrincipalID)
	var body map[string]any
	if id != nil {
		body = map[string]any{
			"sub":                subjectOf(id, &oa.pc),
			"name":               displayNameOf(id),
			"preferred_username": id.Traits.Username,
		}
		if id.Traits.PrimaryEmailAddress != "" {
			body["email"] = id.Traits.PrimaryEmailAddress
		}
	}
	s.mu.Unlock()
	if body == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "the token's identity no longer exists")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

// serveRevoke is RFC 7009 revocation. After client authentication it
// returns 200 whether or not the token was known, valid or the client's, so
// the response reveals nothing. Only the client's own tokens are revoked.
func (s *Sandbox) serveRevoke(w http.ResponseWriter, r *http.Request, oa *oidcApplication) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
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
	raw := r.PostForm.Get("token")
	if raw == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "token is missing")
		return
	}
	jti := s.jtiOf(raw)
	hash := hashSecret(raw)
	s.mu.Lock()
	for _, rec := range s.st.Tokens {
		if rec.ApplicationID != oa.app.ID || rec.Revoked {
			continue
		}
		if (jti != "" && rec.ID == jti) || (rec.ReferenceHash != "" && rec.ReferenceHash == hash) {
			rec.Revoked = true
			s.changed()
			s.log.Info("OIDC token revoked", "jti", rec.ID, "application_id", oa.app.ID)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// jtiOf returns the jti of a JWT whose signature verifies, ignoring its
// expiry so an expired token can still be revoked; "" otherwise.
func (s *Sandbox) jtiOf(raw string) string {
	if strings.Count(raw, ".") != 2 {
		return ""
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return ""
	}
	pub, ok := s.keys.lookup(jws.Signatures[0].Header.KeyID)
	if !ok {
		return ""
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return ""
	}
	var c struct {
		JTI string `json:"jti"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return ""
	}
	return c.JTI
}

// serveIntrospect is RFC 7662 introspection for the realm. The caller
// authenticates as a confidential application of the realm (Basic or
// post) or with a Bearer management token carrying tokens:introspect. Any
// token that is not active in this realm gives {"active":false}.
func (s *Sandbox) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	s.introspect(rec, r)
	s.logRejection(r, rec, "")
}

func (s *Sandbox) introspect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	tenant, realm := r.PathValue("tenant"), r.PathValue("realm")
	s.mu.Lock()
	known := tenant == s.st.Tenant.ID && s.st.realm(realm) != nil
	s.mu.Unlock()
	if !known {
		writeOAuthError(w, http.StatusNotFound, "not_found", "unknown tenant or realm")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form does not parse")
		return
	}

	if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
		if _, status := s.authenticate(r, []string{"tokens:introspect"}, tenant); status != 0 {
			writeOAuthError(w, status, map[bool]string{true: "insufficient_scope", false: "invalid_token"}[status == http.StatusForbidden],
				"introspection needs a valid management token with tokens:introspect")
			return
		}
	} else {
		ca, e := readClientAuth(r)
		if e == nil {
			s.mu.Lock()
			app := s.st.applicationByClientID(ca.clientID)
			var pc ProtocolConfig
			inRealm := app != nil && app.RealmID == realm && app.ProtocolConfig != nil
			if inRealm {
				pc = cloneProtocolConfig(app.ProtocolConfig)
			}
			s.mu.Unlock()
			switch {
			case !inRealm:
				e = &oauthError{"invalid_client", "unknown client_id for this realm"}
			case pc.Confidentiality == "public":
				e = &oauthError{"invalid_client", "public clients cannot introspect"}
			default:
				e = checkClient(ca, &pc)
			}
		}
		if e != nil {
			writeClientError(w, ca, e)
			return
		}
	}

	w.Header().Set("Cache-Control", "no-store")
	raw := r.PostForm.Get("token")
	claims, rec, ok := s.lookupToken(raw)
	if raw == "" || !ok || rec.TenantID != tenant || rec.RealmID != realm {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	resp := map[string]any{"active": true}
	for _, k := range []string{"scope", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "azp", "bi_p", "bi_t", "bi_r", "bi_custom"} {
		if v, ok := claims[k]; ok {
			resp[k] = v
		}
	}
	s.mu.Lock()
	if app := s.st.appByID[rec.ApplicationID]; app != nil && app.ProtocolConfig != nil {
		resp["client_id"] = app.ProtocolConfig.ClientID
	}
	s.mu.Unlock()
	if rec.TokenType == "refresh" {
		resp["token_type"] = "refresh_token"
	} else {
		resp["token_type"] = "Bearer"
	}
	writeJSON(w, http.StatusOK, resp)
}
