package sandbox

import "net/http"

// wildcardIdentity in an identity path segment lists across every identity
// of the realm (ListCredentials and ListCredentialBindingJobs only).
const wildcardIdentity = "-"

func (s *Sandbox) listCredentials(rq *apiRequest) {
	realmID, identityID := rq.param("realm"), rq.param("identity")
	p, ok := s.paging(rq, standardPages, "credentials:"+realmID+":"+identityID, false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Credential
	if identityID == wildcardIdentity {
		for _, c := range s.st.Credentials {
			if c.RealmID == realmID {
				all = append(all, c)
			}
		}
	} else {
		if s.st.identity(realmID, identityID) == nil {
			rq.notFound("Identity", identityID)
			return
		}
		all = s.st.credentialsOf(identityID)
	}
	items, next := page(s, p, all)
	views := make([]Credential, len(items))
	for i, c := range items {
		views[i] = *c
	}
	rq.json(http.StatusOK, listResponse("credentials", views, len(all), next))
}

// credential looks up the path's identity and credential and writes the
// 404 itself when either is missing. The caller holds s.mu.
func (s *Sandbox) credential(rq *apiRequest) *Credential {
	realmID, identityID, credID := rq.param("realm"), rq.param("identity"), rq.param("credential")
	if s.st.identity(realmID, identityID) == nil {
		rq.notFound("Identity", identityID)
		return nil
	}
	c := s.st.credentialByID[credID]
	if c == nil || c.IdentityID != identityID {
		rq.notFound("Credential", credID)
		return nil
	}
	return c
}

func (s *Sandbox) getCredential(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.credential(rq); c != nil {
		rq.json(http.StatusOK, *c)
	}
}

// revokeCredential sets the credential REVOKED; the identity's derived
// enrollment_status follows on its next read. Revoking twice is a no-op.
func (s *Sandbox) revokeCredential(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.credential(rq)
	if c == nil {
		return
	}
	if c.State != credentialRevoked {
		c.State = credentialRevoked
		c.UpdateTime = rq.now
		s.changed()
	}
	rq.json(http.StatusOK, *c)
}
