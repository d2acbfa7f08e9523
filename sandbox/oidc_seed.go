package sandbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// OIDCApplicationSpec describes an OAuth2 or OIDC application that a test
// adds to a realm with AddOIDCApplication. Zero fields take the defaults
// named on each.
type OIDCApplicationSpec struct {
	RealmID       string   // default: the demo realm
	DisplayName   string   // default: "Test App"
	Type          string   // "oidc" (default) or "oauth2"
	Public        bool     // public client: no secret, PKCE required
	PKCE          string   // "disabled", "plain" or "s256" (default)
	RedirectURIs  []string // exact redirect URIs
	AllowedScopes []string // besides openid, which is never stored
	GrantTypes    []string // default: authorization_code
	SubjectField  string   // id (default), email, username or external_id
	ExpiresAfter  uint32   // token lifetime in seconds; default 86400
	TokenFormat   string   // self_contained (default) or referential
}

// AddOIDCApplication creates an application as the (unmodelled) management
// API call would, for tests that need a public client, another redirect
// URI or other settings than the seeded demo app. It returns the stored
// application, client_id and client_secret included.
func (s *Sandbox) AddOIDCApplication(spec OIDCApplicationSpec) (Application, error) {
	if spec.DisplayName == "" {
		spec.DisplayName = "Test App"
	}
	if spec.Type == "" {
		spec.Type = "oidc"
	}
	if spec.PKCE == "" {
		spec.PKCE = "s256"
	}
	if len(spec.GrantTypes) == 0 {
		spec.GrantTypes = []string{"authorization_code"}
	}
	if spec.SubjectField == "" {
		spec.SubjectField = "id"
	}
	if spec.ExpiresAfter == 0 {
		spec.ExpiresAfter = demoTokenLifetime
	}
	if spec.TokenFormat == "" {
		spec.TokenFormat = "self_contained"
	}
	switch {
	case spec.Type != "oidc" && spec.Type != "oauth2":
		return Application{}, fmt.Errorf("application type %q is invalid: use oidc or oauth2", spec.Type)
	case !slices.Contains([]string{"disabled", "plain", "s256"}, spec.PKCE):
		return Application{}, fmt.Errorf("pkce %q is invalid: use disabled, plain or s256", spec.PKCE)
	case spec.Public && spec.PKCE == "disabled":
		return Application{}, errors.New("public applications must enable PKCE")
	case spec.Public && slices.Contains(spec.GrantTypes, "client_credentials"):
		return Application{}, errors.New("public applications cannot use client_credentials")
	case slices.Contains(spec.AllowedScopes, "openid"):
		return Application{}, errors.New("openid is implied and must not be in allowed_scopes")
	}

	pc := &ProtocolConfig{
		Type:                    spec.Type,
		AllowedScopes:           slices.Clone(spec.AllowedScopes),
		ClientID:                randomAlnum(24),
		Confidentiality:         "confidential",
		TokenEndpointAuthMethod: "client_secret_basic",
		GrantType:               slices.Clone(spec.GrantTypes),
		RedirectURIs:            slices.Clone(spec.RedirectURIs),
		TokenConfiguration:      &TokenConfiguration{ExpiresAfter: spec.ExpiresAfter, TokenSigningAlgorithm: "RS256", SubjectField: spec.SubjectField},
		PKCE:                    spec.PKCE,
		TokenFormat:             spec.TokenFormat,
	}
	if spec.Public {
		pc.Confidentiality, pc.TokenEndpointAuthMethod = "public", "none"
	} else {
		pc.ClientSecret = randomAlnum(48)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	realmID := spec.RealmID
	if realmID == "" {
		realmID = s.st.RealmID
	}
	if s.st.realm(realmID) == nil {
		return Application{}, fmt.Errorf("realm %s not found", realmID)
	}
	app := &Application{
		ID: randomUUID(), RealmID: realmID, TenantID: s.st.Tenant.ID,
		AuthenticatorConfigID: s.st.AuthenticatorConfigID, DisplayName: spec.DisplayName,
		ProtocolConfig: pc,
	}
	s.st.Applications = append(s.st.Applications, app)
	s.st.indexApplication(app)
	s.changed()
	out := *app
	c := cloneProtocolConfig(pc)
	out.ProtocolConfig = &c
	return out, nil
}

// RotateSigningKey adds a new signing key, which signs from now on and is
// published in every application's JWKS. Older keys stay published, so
// tokens already issued keep verifying. It returns the new kid.
func (s *Sandbox) RotateSigningKey() (string, error) {
	if err := s.keys.rotate(); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.changed()
	s.mu.Unlock()
	kid := s.keys.current().kid
	s.log.Info("OIDC signing key rotated", "kid", kid)
	return kid, nil
}

// randomAlnum returns n random letters and digits, the alphabet of client
// IDs and secrets.
func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(fmt.Sprintf("sandbox: read random bytes: %v", err))
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}
