package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestUpdateIdentityMergesTraits(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	created := a.createIdentity("merge.me", "merge.me@example.com")
	path := "/identities/" + created.ID

	r := a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{
		"display_name": "Merged Person", "id": "ignored",
		"traits": map[string]any{"type": "traits_v0", "given_name": "Merged"},
	}})
	mustStatus(t, r, http.StatusOK)
	var got Identity
	r.decode(t, &got)
	if got.ID != created.ID || got.DisplayName != "Merged Person" || got.Traits.GivenName != "Merged" ||
		got.Traits.Username != "merge.me" || got.Traits.PrimaryEmailAddress != "merge.me@example.com" {
		t.Errorf("patched identity %s", r.raw)
	}
	if !got.UpdateTime.After(created.UpdateTime) {
		t.Errorf("update_time %v not after %v", got.UpdateTime, created.UpdateTime)
	}

	r = a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{"status": "suspended"}})
	mustStatus(t, r, http.StatusOK)
	r.decode(t, &got)
	if got.Status != statusSuspended || got.DisplayName != "Merged Person" {
		t.Errorf("after suspending: %s", r.raw)
	}

	// Renaming frees the old username and claims the new one.
	r = a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{"traits": map[string]any{"type": "traits_v0", "username": "Renamed.Me"}}})
	mustStatus(t, r, http.StatusOK)
	p, _ := a.listIdentities(map[string][]string{"filter": {`traits.username eq "renamed.me"`}})
	if p.TotalSize != 1 || p.Identities[0].ID != created.ID {
		t.Errorf("filter by the new username: %+v", p)
	}
	a.createIdentity("merge.me", "")
}

func TestUpdateIdentityRejections(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	created := a.createIdentity("patch.rejects", "")
	path := "/identities/" + created.ID

	r := a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{"traits": map[string]any{"username": "x"}}})
	mustStatus(t, r, http.StatusBadRequest)
	if _, ok := r.apiError(t).violation("identity.traits.type"); !ok {
		t.Errorf("traits without type: %s", r.raw)
	}
	r = a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{"status": "deleted"}})
	mustStatus(t, r, http.StatusBadRequest)
	r = a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{"display_name": ""}})
	mustStatus(t, r, http.StatusBadRequest)

	r = a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{"traits": map[string]any{"type": "traits_v0", "username": "BOB.SMITH"}}})
	if r.status != http.StatusConflict || !strings.Contains(string(r.raw), "username already exists") {
		t.Errorf("username clash: %d %s", r.status, r.raw)
	}
	// Changing only the case of one's own username is not a clash.
	r = a.send(http.MethodPatch, path, map[string]any{"identity": map[string]any{"traits": map[string]any{"type": "traits_v0", "username": "Patch.Rejects"}}})
	mustStatus(t, r, http.StatusOK)

	mustStatus(t, a.send(http.MethodPatch, "/identities/ffffffffffffffff", map[string]any{"identity": map[string]any{}}), http.StatusNotFound)
}

func TestDeleteIdentityCascades(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := seededIdentity(t, s, func(id *Identity, status string) bool {
		return status == enrollmentEnrolled && len(s.st.groupsOf[id.ID]) > 0
	})

	r := a.send(http.MethodDelete, "/identities/"+id.ID, nil)
	mustStatus(t, r, http.StatusOK)
	if len(r.raw) != 0 {
		t.Errorf("DELETE body %q, want empty", r.raw)
	}
	mustStatus(t, a.get("/identities/"+id.ID), http.StatusNotFound)
	mustStatus(t, a.send(http.MethodDelete, "/identities/"+id.ID, nil), http.StatusNotFound)

	for _, list := range []string{"/identities/-/credentials?page_size=200", "/identities/-/credential-binding-jobs?page_size=200"} {
		if body := mustGetRaw(t, a, list); strings.Contains(string(body), id.ID) {
			t.Errorf("%s still mentions the deleted identity", list)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.st.Memberships {
		if m.IdentityID == id.ID {
			t.Errorf("membership in %s survived the delete", m.GroupID)
		}
	}
}

func TestBatchDeleteIdentities(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	x := a.createIdentity("batch.x", "")
	y := a.createIdentity("batch.y", "")

	r := a.send(http.MethodPost, "/identities:batchDelete", map[string]any{"ids": []string{x.ID, "ffffffffffffffff"}})
	mustStatus(t, r, http.StatusNotFound)
	e := r.apiError(t)
	if e.Message != "identities not found" || len(e.Details) != 1 || e.Details[0].Type != "BatchOperationErrors" ||
		len(e.Details[0].Errors) != 1 || e.Details[0].Errors[0].IDs[0] != "ffffffffffffffff" || e.Details[0].Errors[0].ResourceType != "Identity" {
		t.Errorf("404 body %s", r.raw)
	}
	if !strings.Contains(string(r.raw), `"IDs":["ffffffffffffffff"]`) {
		t.Errorf("BatchOperationErrors keys are not capitalised: %s", r.raw)
	}
	mustStatus(t, a.get("/identities/"+x.ID), http.StatusOK) // all or nothing

	for name, ids := range map[string][]string{"empty": {}, "duplicate": {x.ID, x.ID}, "too many": make([]string, 1001)} {
		r := a.send(http.MethodPost, "/identities:batchDelete", map[string]any{"ids": ids})
		mustStatus(t, r, http.StatusBadRequest)
		if _, ok := r.apiError(t).violation("ids"); !ok {
			t.Errorf("%s: %s", name, r.raw)
		}
	}

	r = a.send(http.MethodPost, "/identities:batchDelete", map[string]any{"ids": []string{x.ID, y.ID}})
	mustStatus(t, r, http.StatusOK)
	if len(r.raw) != 0 {
		t.Errorf("batchDelete body %q, want empty", r.raw)
	}
	mustStatus(t, a.get("/identities/"+y.ID), http.StatusNotFound)
}

func TestCredentialGetAndRevoke(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := seededIdentity(t, s, func(id *Identity, status string) bool {
		return status == enrollmentEnrolled && id.Status == statusActive
	})
	var creds struct {
		Credentials []Credential `json:"credentials"`
	}
	a.get("/identities/"+id.ID+"/credentials").decode(t, &creds)
	if len(creds.Credentials) != 1 {
		t.Fatalf("%d credentials", len(creds.Credentials))
	}
	c := creds.Credentials[0]
	checkJWK(t, c)
	credPath := "/identities/" + id.ID + "/credentials/" + c.ID
	mustStatus(t, a.get(credPath), http.StatusOK)
	mustStatus(t, a.get("/identities/"+id.ID+"/credentials/ffffffffffffffff"), http.StatusNotFound)

	r := a.send(http.MethodPost, credPath+":revoke", nil)
	mustStatus(t, r, http.StatusOK)
	var revoked Credential
	r.decode(t, &revoked)
	if revoked.State != credentialRevoked || !revoked.UpdateTime.After(c.UpdateTime) {
		t.Errorf("revoked credential %s", r.raw)
	}
	var view Identity
	a.get("/identities/"+id.ID).decode(t, &view)
	if view.EnrollmentStatus == enrollmentEnrolled {
		t.Error("identity still ENROLLED after its only credential was revoked")
	}
	mustStatus(t, a.send(http.MethodPost, credPath+":revoke", nil), http.StatusOK)
}

func TestJobGetAndRevoke(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("job.revoke", "job.revoke@example.com")
	job, link, _ := a.createJob(id.ID, deliveryReturn, "")
	jobPath := "/identities/" + id.ID + "/credential-binding-jobs/" + job.ID

	mustStatus(t, a.get(jobPath), http.StatusOK)
	mustStatus(t, a.get("/identities/"+id.ID+"/credential-binding-jobs/ffffffffffffffff"), http.StatusNotFound)

	r := a.send(http.MethodPost, jobPath+":revoke", map[string]any{})
	mustStatus(t, r, http.StatusOK)
	var got CredentialBindingJob
	r.decode(t, &got)
	if got.State != jobRevoked {
		t.Errorf("state %q after revoke", got.State)
	}
	mustStatus(t, a.send(http.MethodPost, jobPath+":revoke", nil), http.StatusOK)
	mustStatus(t, do(t, http.MethodGet, link, "", nil), http.StatusGone)

	// A completed job cannot be revoked.
	done, link2, _ := a.createJob(id.ID, deliveryReturn, "")
	mustStatus(t, do(t, http.MethodPost, link2, "", nil), http.StatusSeeOther)
	r = a.send(http.MethodPost, "/identities/"+id.ID+"/credential-binding-jobs/"+done.ID+":revoke", map[string]any{})
	mustStatus(t, r, http.StatusConflict)
	if r.apiError(t).Code != "conflict" {
		t.Errorf("409 body %s", r.raw)
	}
}

func TestGroups(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	var groups struct {
		Groups    []Group `json:"groups"`
		TotalSize int     `json:"total_size"`
	}
	a.get("/groups").decode(t, &groups)
	if groups.TotalSize < 3 || groups.Groups[0].DisplayName != "Engineering" {
		t.Fatalf("groups %+v", groups)
	}
	g := groups.Groups[2] // Contractors
	mustStatus(t, a.get("/groups/"+g.ID), http.StatusOK)
	r := a.get("/groups/ffffffffffffffff")
	mustStatus(t, r, http.StatusNotFound)
	if e := r.apiError(t); e.Message != "group not found" || e.Details[0].ResourceType != "Group" {
		t.Errorf("404 body %s", r.raw)
	}

	newcomer := a.createIdentity("new.member", "")
	members := func() []string {
		var m struct {
			Identities []Identity `json:"identities"`
			TotalSize  int        `json:"total_size"`
		}
		r := a.get("/groups/" + g.ID + ":listMembers?page_size=200")
		mustStatus(t, r, http.StatusOK)
		r.decode(t, &m)
		ids := []string{}
		for _, id := range m.Identities {
			if id.EnrollmentStatus == "" {
				t.Errorf("member %s has no enrollment_status", id.ID)
			}
			ids = append(ids, id.ID)
		}
		return ids
	}
	before := members()

	for range 2 { // adding is idempotent
		r = a.send(http.MethodPost, "/groups/"+g.ID+":addMembers", map[string]any{"identity_ids": []string{newcomer.ID, newcomer.ID}})
		mustStatus(t, r, http.StatusOK)
		var got Group
		r.decode(t, &got)
		if got.ID != g.ID || got.DisplayName != g.DisplayName {
			t.Errorf("addMembers returned %s, want the group", r.raw)
		}
	}
	after := members()
	if len(after) != len(before)+1 || after[len(after)-1] != newcomer.ID {
		t.Errorf("members after add: %d, want %d ending with the newcomer", len(after), len(before)+1)
	}
	if body := mustGetRaw(t, a, "/identities/"+newcomer.ID+":listGroups"); !strings.Contains(string(body), g.ID) {
		t.Errorf("listGroups disagrees with listMembers: %s", body)
	}

	r = a.send(http.MethodPost, "/groups/"+g.ID+":addMembers", map[string]any{"identity_ids": []string{"ffffffffffffffff"}})
	mustStatus(t, r, http.StatusNotFound)
	r = a.send(http.MethodPost, "/groups/"+g.ID+":addMembers", map[string]any{"identity_ids": []string{}})
	mustStatus(t, r, http.StatusBadRequest)
	if _, ok := r.apiError(t).violation("identity_ids"); !ok {
		t.Errorf("empty identity_ids: %s", r.raw)
	}

	for range 2 { // removing is idempotent
		r = a.send(http.MethodPost, "/groups/"+g.ID+":deleteMembers", map[string]any{"identity_ids": []string{newcomer.ID, "ffffffffffffffff"}})
		mustStatus(t, r, http.StatusOK)
	}
	if got := members(); len(got) != len(before) {
		t.Errorf("members after delete: %d, want %d", len(got), len(before))
	}
	if body := mustGetRaw(t, a, "/identities/"+newcomer.ID+":listGroups"); !strings.Contains(string(body), `"groups":[]`) {
		t.Errorf("listGroups after removal: %s", body)
	}

	forbidden := do(t, http.MethodPost, a.realmURL("/groups/"+g.ID+":addMembers"), s.MintToken([]string{"groups:update"}, time.Hour),
		map[string]any{"identity_ids": []string{newcomer.ID}})
	mustStatus(t, forbidden, http.StatusForbidden)
}

func TestMethodNotAllowedErrorShape(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	var groups struct {
		Groups []Group `json:"groups"`
	}
	a.get("/groups").decode(t, &groups)
	if len(groups.Groups) == 0 {
		t.Fatal("the seed has no groups")
	}

	tests := []struct{ method, url string }{
		{http.MethodDelete, a.realmURL("/groups/" + groups.Groups[0].ID)},
		{http.MethodPut, s.URL() + "/_sandbox/faults"},
		{http.MethodPut, s.URL() + "/_sandbox/outbox"},
	}
	for _, tt := range tests {
		r := do(t, tt.method, tt.url, a.token, nil)
		mustStatus(t, r, http.StatusMethodNotAllowed)
		if r.header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", tt.method, tt.url)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: Content-Type %q", tt.method, tt.url, ct)
		}
		if e := r.apiError(t); e.Code != "method_not_allowed" || e.Message == "" {
			t.Errorf("%s %s: error body %s", tt.method, tt.url, r.raw)
		}
	}

	page := do(t, http.MethodPost, s.URL()+"/_sandbox/outbox.html", "", nil)
	mustStatus(t, page, http.StatusMethodNotAllowed)
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("outbox page 405 Content-Type %q", ct)
	}
}
