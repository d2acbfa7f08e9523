package sandbox

import (
	"slices"
	"strings"
	"time"
)

// mintRequest is the input of one token response.
type mintRequest struct {
	oa       *oidcApplication
	identity *Identity // nil for client credentials
	scopes   []string
	nonce    string
	authTime time.Time
	opts     tokenOptions
	faults   OIDCFaultSettings
	idToken  bool
	refresh  bool
}

// subjectOf returns the sub of an identity under the application's
// subject_field.
func subjectOf(id *Identity, pc *ProtocolConfig) string {
	field := "id"
	if pc.TokenConfiguration != nil && pc.TokenConfiguration.SubjectField != "" {
		field = pc.TokenConfiguration.SubjectField
	}
	switch field {
	case "email":
		return id.Traits.PrimaryEmailAddress
	case "username":
		return id.Traits.Username
	case "external_id":
		return id.Traits.ExternalID
	}
	return id.ID
}

// displayNameOf is the name claim: the formatted name when set.
func displayNameOf(id *Identity) string {
	if id.Traits.FormattedName != "" {
		return id.Traits.FormattedName
	}
	return id.DisplayName
}

// mint signs the access token (and the ID and refresh tokens when asked),
// records each in the token store and returns the token response body.
func (s *Sandbox) mint(m mintRequest) (map[string]any, *oauthError) {
	oa, pc, f := m.oa, &m.oa.pc, m.faults
	now := s.now()
	iat, nbf, exp := now, now, now.Add(m.opts.lifetime)
	if f.Expired {
		iat, nbf, exp = now.Add(-2*time.Hour), now.Add(-2*time.Hour), now.Add(-time.Hour)
	}
	if f.NotYetValid {
		nbf = now.Add(time.Hour)
	}
	iss := oa.issuer
	if f.WrongIssuer {
		iss = s.url + "/v1/tenants/" + oa.tenantID + "/realms/" + oa.realmID
	}

	s.mu.Lock()
	isManagement := oa.app.ID == s.st.ManagementAppID
	audience := []string{pc.ClientID}
	if isManagement {
		audience = []string{managementAudience}
	} else if oa.app.ResourceServerID != "" {
		for _, rs := range s.st.ResourceServers {
			if rs.ID == oa.app.ResourceServerID {
				audience = append(audience, rs.Identifier)
			}
		}
	}
	s.mu.Unlock()

	realmClaim := oa.realmID
	if isManagement {
		realmClaim = "*"
	}
	principalType, principalID, principalPath, sub := "application", oa.app.ID, oa.appPath(), pc.ClientID
	if m.identity != nil {
		principalType, principalID = "identity", m.identity.ID
		principalPath = "tenants/" + oa.tenantID + "/realms/" + oa.realmID + "/identities/" + m.identity.ID
		sub = subjectOf(m.identity, pc)
		if sub == "" {
			return nil, &oauthError{"server_error", "the identity has no value for the application's subject_field"}
		}
	}

	signOpts, err := s.faultSignOptions(f, oa.issuer)
	if err != nil {
		return nil, &oauthError{"server_error", err.Error()}
	}

	lifetime := int64(exp.Sub(iat) / time.Second)
	accessJTI := newJTI()
	access := map[string]any{
		"iss": iss, "sub": sub, "aud": audience,
		"exp": exp.Unix(), "nbf": nbf.Unix(), "iat": iat.Unix(),
		"jti": accessJTI, "scope": strings.Join(m.scopes, " "),
		"azp": oa.appPath(), "bi_p": principalPath, "bi_t": oa.tenantID, "bi_r": realmClaim,
	}
	if m.opts.custom != nil {
		access["bi_custom"] = m.opts.custom
	}
	var records []*tokenRecord
	record := func(jti, value, tokenType, format string, expires time.Time, claims map[string]any) *tokenRecord {
		suffix := value
		if len(suffix) > 11 {
			suffix = suffix[len(suffix)-11:]
		}
		rec := &tokenRecord{
			Token: Token{
				ID: jti, DisplayName: oa.app.DisplayName, Scopes: slices.Clone(m.scopes),
				TokenSuffix: suffix, TokenFormat: format,
				Expires: expires.Unix(), IssuedAt: iat.Unix(), TokenType: tokenType,
			},
			TenantID: oa.tenantID, RealmID: oa.realmID, ApplicationID: oa.app.ID,
			PrincipalType: principalType, PrincipalID: principalID,
		}
		if format == "referential" {
			rec.ReferenceHash, rec.Claims = hashSecret(value), claims
		}
		records = append(records, rec)
		return rec
	}

	var accessToken string
	if pc.TokenFormat == "referential" {
		accessToken = randomToken()
		record(accessJTI, accessToken, "access", "referential", exp, access)
	} else {
		accessToken, err = s.signJWT(access, signOpts...)
		if err != nil {
			return nil, &oauthError{"server_error", err.Error()}
		}
		record(accessJTI, accessToken, "access", "self_contained", exp, nil)
	}
	resp := map[string]any{
		"access_token": accessToken,
		"token_type":   "Bearer",
		"expires_in":   lifetime,
		"scope":        strings.Join(m.scopes, " "),
	}

	if m.idToken && m.identity != nil {
		idJTI := newJTI()
		idAud := []string{pc.ClientID}
		if f.WrongAudience {
			idAud = []string{"another-client-" + pc.ClientID[:min(8, len(pc.ClientID))]}
		}
		claims := map[string]any{
			"iss": iss, "sub": sub, "aud": idAud,
			"exp": exp.Unix(), "nbf": nbf.Unix(), "iat": iat.Unix(),
			"jti": idJTI, "azp": oa.appPath(),
			"bi_p": principalPath, "bi_t": oa.tenantID, "bi_r": realmClaim,
			"name": displayNameOf(m.identity), "preferred_username": m.identity.Traits.Username,
		}
		if !m.authTime.IsZero() {
			claims["auth_time"] = m.authTime.Unix()
		}
		if email := m.identity.Traits.PrimaryEmailAddress; email != "" {
			claims["email"] = email
		}
		switch {
		case f.MissingNonce:
		case f.WrongNonce:
			claims["nonce"] = randomToken()
		case m.nonce != "":
			claims["nonce"] = m.nonce
		}
		idToken, err := s.signJWT(claims, signOpts...)
		if err != nil {
			return nil, &oauthError{"server_error", err.Error()}
		}
		record(idJTI, idToken, "identity", "self_contained", exp, nil)
		resp["id_token"] = idToken
	}

	if m.refresh && m.identity != nil {
		refresh := randomToken()
		record(newJTI(), refresh, "refresh", "referential", now.Add(refreshTokenLifetime), nil)
		resp["refresh_token"] = refresh
	}

	s.mu.Lock()
	for _, rec := range records {
		s.st.addToken(rec)
	}
	s.changed()
	s.mu.Unlock()
	return resp, nil
}

// faultSignOptions returns the signJWT options the switches ask for, with
// the jku header every token carries. RotateKey is consumed here.
func (s *Sandbox) faultSignOptions(f OIDCFaultSettings, issuer string) ([]signOption, error) {
	opts := []signOption{withHeader("jku", issuer+"/.well-known/jwks.json")}
	if s.OIDCFaults().takeRotateKey() {
		if err := s.keys.rotate(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.changed()
		s.mu.Unlock()
		s.log.Info("OIDC signing key rotated by fault", "kid", s.keys.current().kid)
	}
	switch {
	case f.AlgNone:
		opts = append(opts, withoutSignature())
	case f.BadSignature:
		k, err := s.unpublishedKey()
		if err != nil {
			return nil, err
		}
		opts = append(opts, withForeignKey(k.key))
	case f.RetiredKey:
		k, err := s.unpublishedKey()
		if err != nil {
			return nil, err
		}
		opts = append(opts, withForeignKey(k.key), withHeader("kid", k.kid))
	}
	return opts, nil
}

// unpublishedKey returns a signing key that is never in the JWKS, made once
// per sandbox because RSA key generation is slow.
func (s *Sandbox) unpublishedKey() (signingKey, error) {
	s.oidc.retiredOnce.Do(func() {
		ks := &keySet{}
		if err := ks.rotate(); err != nil {
			s.oidc.retiredErr = err
			return
		}
		s.oidc.retired = ks.current()
	})
	return s.oidc.retired, s.oidc.retiredErr
}
