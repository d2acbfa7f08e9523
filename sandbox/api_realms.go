package sandbox

import "net/http"

func (s *Sandbox) getTenant(rq *apiRequest) {
	s.mu.Lock()
	t := s.st.Tenant
	s.mu.Unlock()
	rq.json(http.StatusOK, t)
}

func (s *Sandbox) listRealms(rq *apiRequest) {
	p, ok := s.paging(rq, standardPages, "realms", false)
	if !ok {
		return
	}
	s.mu.Lock()
	all := make([]Realm, 0, len(s.st.Realms))
	for _, r := range s.st.Realms {
		all = append(all, *r)
	}
	items, next := page(s, p, all)
	s.mu.Unlock()
	rq.json(http.StatusOK, listResponse("realms", items, len(all), next))
}

func (s *Sandbox) getRealm(rq *apiRequest) {
	s.mu.Lock()
	r := *s.st.realm(rq.param("realm"))
	s.mu.Unlock()
	rq.json(http.StatusOK, r)
}

// updateRealm merges display_name; read-only fields and classification are
// ignored.
func (s *Sandbox) updateRealm(rq *apiRequest) {
	var body struct {
		Realm *struct {
			DisplayName *string `json:"display_name"`
		} `json:"realm"`
	}
	if !rq.decode(&body) {
		return
	}
	var v violationList
	if body.Realm == nil {
		v.add("realm", "missing")
	} else {
		v.name("realm.display_name", body.Realm.DisplayName)
	}
	if len(v) > 0 {
		rq.invalid(v...)
		return
	}
	s.mu.Lock()
	r := s.st.realm(rq.param("realm"))
	if body.Realm.DisplayName != nil && *body.Realm.DisplayName != r.DisplayName {
		r.DisplayName = *body.Realm.DisplayName
	}
	r.UpdateTime = rq.now
	out := *r
	s.changed()
	s.mu.Unlock()
	rq.json(http.StatusOK, out)
}
