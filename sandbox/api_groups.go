package sandbox

import "net/http"

func (s *Sandbox) listGroups(rq *apiRequest) {
	realmID := rq.param("realm")
	p, ok := s.paging(rq, standardPages, "groups:"+realmID, false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []Group
	for _, g := range s.st.Groups {
		if g.RealmID == realmID {
			all = append(all, *g)
		}
	}
	items, next := page(s, p, all)
	rq.json(http.StatusOK, listResponse("groups", items, len(all), next))
}

// group looks up the path's group and writes the 404 itself when it is
// missing. The caller holds s.mu.
func (s *Sandbox) group(rq *apiRequest) *Group {
	g := s.st.group(rq.param("realm"), rq.param("group"))
	if g == nil {
		rq.notFound("Group", rq.param("group"))
	}
	return g
}

func (s *Sandbox) getGroup(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.group(rq); g != nil {
		rq.json(http.StatusOK, *g)
	}
}

// listGroupMembers lists the group's identities in the order they joined.
func (s *Sandbox) listGroupMembers(rq *apiRequest) {
	groupID := rq.param("group")
	p, ok := s.paging(rq, standardPages, "members:"+groupID, false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.group(rq) == nil {
		return
	}
	members := s.st.membersOf[groupID]
	ids, next := page(s, p, members)
	views := make([]Identity, 0, len(ids))
	for _, idID := range ids {
		views = append(views, s.st.identityView(s.st.identityByID[idID], rq.now))
	}
	rq.json(http.StatusOK, listResponse("identities", views, len(members), next))
}

// memberIDs decodes and validates the {identity_ids:[...]} body of the
// membership calls. Duplicates are harmless there, so they are allowed.
func memberIDs(rq *apiRequest) ([]string, bool) {
	var body struct {
		IdentityIDs []string `json:"identity_ids"`
	}
	if !rq.decode(&body) {
		return nil, false
	}
	var v violationList
	v.idList("identity_ids", body.IdentityIDs, false)
	if len(v) > 0 {
		rq.invalid(v...)
		return nil, false
	}
	return body.IdentityIDs, true
}

// addGroupMembers adds identities that are not members yet and returns the
// group. Every id must name an identity of the realm, or nothing changes.
func (s *Sandbox) addGroupMembers(rq *apiRequest) {
	ids, ok := memberIDs(rq)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(rq)
	if g == nil {
		return
	}
	for _, idID := range ids {
		if s.st.identity(g.RealmID, idID) == nil {
			rq.notFound("Identity", idID)
			return
		}
	}
	changed := false
	for _, idID := range ids {
		changed = s.st.addMember(g.ID, idID) || changed
	}
	if changed {
		s.changed()
	}
	rq.json(http.StatusOK, *g)
}

// deleteGroupMembers removes the listed identities from the group; ids
// that are not members, or not identities at all, are ignored.
func (s *Sandbox) deleteGroupMembers(rq *apiRequest) {
	ids, ok := memberIDs(rq)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(rq)
	if g == nil {
		return
	}
	set := make(map[string]bool, len(ids))
	for _, idID := range ids {
		set[idID] = true
	}
	if s.st.removeMembers(g.ID, set) {
		s.changed()
	}
	rq.json(http.StatusOK, *g)
}
