package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// managementAudience is the aud of every management API token.
const managementAudience = "beyondidentity"

// authenticate checks the bearer token of a management API request and
// returns its claims, or the HTTP status to reject it with. A missing,
// malformed, badly signed or foreign token gets 401, an expired or revoked
// one 401 (403 with the ExpiredTokens403 fault), and a token of another
// tenant or without a required scope 403.
func (s *Sandbox) authenticate(r *http.Request, scopes []string, pathTenant string) (map[string]any, int) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, http.StatusUnauthorized
	}
	stale := http.StatusUnauthorized
	if s.faults.expiredTokens403() {
		stale = http.StatusForbidden
	}

	claims, err := s.verifyJWT(strings.TrimSpace(token))
	switch {
	case errors.Is(err, errTokenExpired):
		return nil, stale
	case err != nil:
		return nil, http.StatusUnauthorized
	}
	if !audienceContains(claims["aud"], managementAudience) {
		return nil, http.StatusUnauthorized
	}
	jti, _ := claims["jti"].(string)
	s.mu.Lock()
	rec := s.st.token(jti)
	revoked := rec != nil && rec.Revoked
	s.mu.Unlock()
	if revoked {
		return nil, stale
	}
	if tenant, _ := claims["bi_t"].(string); tenant != pathTenant {
		return nil, http.StatusForbidden
	}
	scopeClaim, _ := claims["scope"].(string)
	granted := strings.Fields(scopeClaim)
	for _, need := range scopes {
		if !slices.Contains(granted, need) {
			return nil, http.StatusForbidden
		}
	}
	return claims, 0
}

// audienceContains accepts aud as a string or an array of strings, as RFC
// 7519 allows.
func audienceContains(aud any, want string) bool {
	switch v := aud.(type) {
	case string:
		return v == want
	case []any:
		for _, a := range v {
			if a == want {
				return true
			}
		}
	}
	return false
}

// newJTI returns a token id: 24 random bytes, 32 base64url characters.
func newJTI() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// mintManagementToken issues a client-credentials token of the Admin
// realm's management application and records it in the token store. The
// caller holds s.mu. A negative ttl backdates the token so it has already
// expired.
func (s *Sandbox) mintManagementToken(scopes []string, ttl time.Duration, displayName string) (string, error) {
	st := s.st
	app := st.appByID[st.ManagementAppID]
	now := s.now()
	exp := now.Add(ttl)
	iat := now
	if ttl <= 0 {
		iat = exp.Add(-time.Hour)
	}
	jti := newJTI()
	appPath := "tenants/" + st.Tenant.ID + "/realms/" + st.AdminRealmID + "/applications/" + app.ID
	iss := s.issuer(st.AdminRealmID, app.ID)
	claims := map[string]any{
		"iss":   iss,
		"sub":   app.ProtocolConfig.ClientID,
		"aud":   []string{managementAudience},
		"exp":   exp.Unix(),
		"iat":   iat.Unix(),
		"nbf":   iat.Unix(),
		"jti":   jti,
		"scope": strings.Join(scopes, " "),
		"azp":   appPath,
		"bi_p":  appPath,
		"bi_t":  st.Tenant.ID,
		"bi_r":  "*",
	}
	tok, err := s.signJWT(claims, withHeader("jku", iss+"/.well-known/jwks.json"))
	if err != nil {
		return "", err
	}
	st.addToken(&tokenRecord{
		Token: Token{
			ID: jti, DisplayName: displayName, Scopes: append([]string{}, scopes...),
			TokenSuffix: tok[len(tok)-11:], TokenFormat: "self_contained",
			Expires: exp.Unix(), IssuedAt: iat.Unix(), TokenType: "access",
		},
		TenantID: st.Tenant.ID, RealmID: st.AdminRealmID, ApplicationID: app.ID,
		PrincipalType: "application", PrincipalID: app.ID,
	})
	return tok, nil
}
