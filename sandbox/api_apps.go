package sandbox

import "net/http"

func (s *Sandbox) listApplications(rq *apiRequest) {
	realmID := rq.param("realm")
	p, ok := s.paging(rq, applicationPages, "applications:"+realmID, false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.st.applicationsOf(realmID)
	items, next := page(s, p, all)
	views := make([]Application, len(items))
	for i, a := range items {
		views[i] = *a
	}
	rq.json(http.StatusOK, listResponse("applications", views, len(all), next))
}

func (s *Sandbox) getApplication(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.application(rq.param("realm"), rq.param("application"))
	if a == nil {
		rq.notFound("Application", rq.param("application"))
		return
	}
	rq.json(http.StatusOK, *a)
}

// listAuthenticatorConfigs declares a filter parameter, but the spec
// documents no attribute for it, so any filter is rejected.
func (s *Sandbox) listAuthenticatorConfigs(rq *apiRequest) {
	realmID := rq.param("realm")
	p, ok := s.paging(rq, configPages, "authenticator-configs:"+realmID, true)
	if !ok {
		return
	}
	if p.filter != "" {
		rq.invalid(fieldViolation{Field: "filter", Description: "unsupported filter"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.st.authenticatorConfigsOf(realmID)
	items, next := page(s, p, all)
	views := make([]AuthenticatorConfig, len(items))
	for i, c := range items {
		views[i] = *c
	}
	rq.json(http.StatusOK, listResponse("authenticator_configs", views, len(all), next))
}

func (s *Sandbox) getAuthenticatorConfig(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.authenticatorConfig(rq.param("realm"), rq.param("config"))
	if c == nil {
		rq.notFound("AuthenticatorConfig", rq.param("config"))
		return
	}
	rq.json(http.StatusOK, *c)
}

// listTokens lists the live (not revoked, not expired) tokens the
// application issued, optionally only those of one principal.
func (s *Sandbox) listTokens(rq *apiRequest) {
	realmID, appID := rq.param("realm"), rq.param("application")
	p, ok := s.paging(rq, configPages, "tokens:"+appID, false)
	if !ok {
		return
	}
	q := rq.r.URL.Query()
	principalType, principalID := q.Get("principal_type"), q.Get("principal_id")
	if principalType != "" && principalType != "application" && principalType != "identity" {
		rq.invalid(fieldViolation{Field: "principal_type", Description: "invalid value; expected application or identity"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.application(realmID, appID) == nil {
		rq.notFound("Application", appID)
		return
	}
	var all []Token
	for _, t := range s.st.Tokens {
		if t.ApplicationID != appID || t.Revoked || t.Expires < rq.now.Unix() {
			continue
		}
		if principalType != "" && t.PrincipalType != principalType {
			continue
		}
		if principalID != "" && t.PrincipalID != principalID {
			continue
		}
		all = append(all, t.Token)
	}
	items, next := page(s, p, all)
	rq.json(http.StatusOK, listResponse("tokens", items, len(all), next))
}

// revokeToken marks the token revoked; bearer checks, introspection and
// ListTokens all see the change.
func (s *Sandbox) revokeToken(rq *apiRequest) {
	realmID, appID, tokenID := rq.param("realm"), rq.param("application"), rq.param("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.application(realmID, appID) == nil {
		rq.notFound("Application", appID)
		return
	}
	t := s.st.token(tokenID)
	if t == nil || t.ApplicationID != appID || t.Revoked {
		rq.notFound("Token", tokenID)
		return
	}
	t.Revoked = true
	s.changed()
	rq.empty()
}
