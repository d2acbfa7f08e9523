package sandbox

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
)

// identityWrite is the `identity` object of CreateIdentity and
// UpdateIdentity. Pointers tell an absent field from an empty one; traits
// stay raw so that PATCH can merge them field by field.
type identityWrite struct {
	DisplayName *string                    `json:"display_name"`
	Status      *string                    `json:"status"`
	Traits      map[string]json.RawMessage `json:"traits"`
}

// traitField maps each Traits_v0 JSON name to its struct field index.
var traitField = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[Traits]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}()

// mergeTraits copies every trait present in raw onto dst and records
// violations: type must be traits_v0, values must be strings, names must be
// Traits_v0 fields, and a username must be a valid name.
func mergeTraits(dst *Traits, raw map[string]json.RawMessage, v *violationList) {
	rv := reflect.ValueOf(dst).Elem()
	for name, value := range raw {
		field := "identity.traits." + name
		idx, known := traitField[name]
		if !known {
			v.add(field, "unknown field")
			continue
		}
		var str string
		if json.Unmarshal(value, &str) != nil {
			v.add(field, "must be a string")
			continue
		}
		rv.Field(idx).SetString(str)
	}
	typ, hasType := raw["type"]
	switch {
	case !hasType:
		v.add("identity.traits.type", "missing")
	case string(typ) != `"`+traitsV0+`"`:
		v.add("identity.traits.type", "invalid value; expected traits_v0")
	}
	if _, ok := raw["username"]; ok {
		v.name("identity.traits.username", &dst.Username)
	}
}

func checkStatus(v *violationList, status *string) {
	if status != nil && *status != statusActive && *status != statusSuspended {
		v.add("identity.status", "invalid value; expected active or suspended")
	}
}

func (s *Sandbox) listIdentities(rq *apiRequest) {
	realmID := rq.param("realm")
	p, ok := s.paging(rq, standardPages, "identities:"+realmID, true)
	if !ok {
		return
	}
	username, filtered := "", p.filter != ""
	if filtered {
		if username, ok = parseUsernameFilter(p.filter); !ok {
			badFilter(rq)
			return
		}
	}
	s.mu.Lock()
	matches := s.st.identitiesOf(realmID)
	if filtered {
		matches = nil
		if id := s.st.identityByUsername(realmID, username); id != nil {
			matches = []*Identity{id}
		}
	}
	items, next := page(s, p, matches)
	views := make([]Identity, len(items))
	for i, id := range items {
		views[i] = s.st.identityView(id, rq.now)
	}
	total := len(matches)
	s.mu.Unlock()
	rq.json(http.StatusOK, listResponse("identities", views, total, next))
}

func (s *Sandbox) createIdentity(rq *apiRequest) {
	var body struct {
		Identity *identityWrite `json:"identity"`
	}
	if !rq.decode(&body) {
		return
	}
	in := body.Identity
	var v violationList
	id := &Identity{Status: statusActive}
	switch {
	case in == nil:
		v.add("identity", "missing")
	case in.Traits == nil:
		v.add("identity.traits", "missing")
		v.name("identity.display_name", in.DisplayName)
		checkStatus(&v, in.Status)
	default:
		mergeTraits(&id.Traits, in.Traits, &v)
		if _, ok := in.Traits["username"]; !ok {
			v.add("identity.traits.username", "missing")
		}
		v.name("identity.display_name", in.DisplayName)
		checkStatus(&v, in.Status)
	}
	if len(v) > 0 {
		rq.invalid(v...)
		return
	}
	id.DisplayName = id.Traits.Username
	if in.DisplayName != nil {
		id.DisplayName = *in.DisplayName
	}
	if in.Status != nil {
		id.Status = *in.Status
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	realmID := rq.param("realm")
	if s.st.identityByUsername(realmID, id.Traits.Username) != nil {
		rq.fail(http.StatusConflict, "username already exists")
		return
	}
	id.ID, id.RealmID, id.TenantID = randomID(16), realmID, s.st.Tenant.ID
	id.CreateTime, id.UpdateTime = rq.now, rq.now
	s.st.addIdentity(id)
	s.changed()
	rq.json(http.StatusOK, s.st.identityView(id, rq.now))
}

func (s *Sandbox) getIdentity(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.st.identity(rq.param("realm"), rq.param("identity"))
	if id == nil {
		rq.notFound("Identity", rq.param("identity"))
		return
	}
	rq.json(http.StatusOK, s.st.identityView(id, rq.now))
}

// updateIdentity merges the patch: absent fields stay, traits merge field
// by field, read-only fields are ignored.
func (s *Sandbox) updateIdentity(rq *apiRequest) {
	var body struct {
		Identity *identityWrite `json:"identity"`
	}
	if !rq.decode(&body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.st.identity(rq.param("realm"), rq.param("identity"))
	if id == nil {
		rq.notFound("Identity", rq.param("identity"))
		return
	}

	in := body.Identity
	var v violationList
	traits := id.Traits
	if in == nil {
		v.add("identity", "missing")
	} else {
		v.name("identity.display_name", in.DisplayName)
		checkStatus(&v, in.Status)
		if in.Traits != nil {
			mergeTraits(&traits, in.Traits, &v)
		}
	}
	if len(v) > 0 {
		rq.invalid(v...)
		return
	}
	if other := s.st.identityByUsername(id.RealmID, traits.Username); other != nil && other != id {
		rq.fail(http.StatusConflict, "username already exists")
		return
	}

	oldUsername := id.Traits.Username
	id.Traits = traits
	if oldUsername != traits.Username {
		s.st.renameIdentity(id, oldUsername)
	}
	if in.DisplayName != nil {
		id.DisplayName = *in.DisplayName
	}
	if in.Status != nil {
		id.Status = *in.Status
	}
	id.UpdateTime = rq.now
	s.changed()
	rq.json(http.StatusOK, s.st.identityView(id, rq.now))
}

// deleteIdentity removes the identity with its credentials, binding jobs
// and group memberships, and returns 200 with an empty body.
func (s *Sandbox) deleteIdentity(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.st.identity(rq.param("realm"), rq.param("identity"))
	if id == nil {
		rq.notFound("Identity", rq.param("identity"))
		return
	}
	s.st.removeIdentities(map[string]bool{id.ID: true})
	s.changed()
	rq.empty()
}

// batchDeleteIdentities deletes all the listed identities or none: any
// unknown id fails the whole call with 404 and BatchOperationErrors.
func (s *Sandbox) batchDeleteIdentities(rq *apiRequest) {
	var body struct {
		IDs []string `json:"ids"`
	}
	if !rq.decode(&body) {
		return
	}
	var v violationList
	v.idList("ids", body.IDs, true)
	if len(v) > 0 {
		rq.invalid(v...)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	realmID := rq.param("realm")
	var missing []string
	set := make(map[string]bool, len(body.IDs))
	for _, idID := range body.IDs {
		if s.st.identity(realmID, idID) == nil {
			missing = append(missing, idID)
		}
		set[idID] = true
	}
	if len(missing) > 0 {
		rq.fail(http.StatusNotFound, "identities not found", batchOperationErrorsDetail{
			Type:        "BatchOperationErrors",
			Description: "errors encountered performing batch operation",
			Errors:      []batchOperationError{{Description: "identities not found", IDs: missing, ResourceType: "Identity"}},
		})
		return
	}
	s.st.removeIdentities(set)
	s.changed()
	rq.empty()
}

// listIdentityGroups lists the identity's groups in group create order.
func (s *Sandbox) listIdentityGroups(rq *apiRequest) {
	realmID, identityID := rq.param("realm"), rq.param("identity")
	p, ok := s.paging(rq, standardPages, "identity-groups:"+identityID, false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.identity(realmID, identityID) == nil {
		rq.notFound("Identity", identityID)
		return
	}
	member := s.st.groupsOf[identityID]
	var groups []Group
	for _, g := range s.st.Groups {
		if member[g.ID] {
			groups = append(groups, *g)
		}
	}
	items, next := page(s, p, groups)
	rq.json(http.StatusOK, listResponse("groups", items, len(groups), next))
}
