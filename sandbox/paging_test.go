package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestListIdentitiesDefaultPage(t *testing.T) {
	s := startSandbox(t, Options{Identities: 45})
	a := newAPI(t, s)

	p, r := a.listIdentities(nil)
	mustStatus(t, r, http.StatusOK)
	if len(p.Identities) != 20 {
		t.Errorf("page has %d identities, want the default 20", len(p.Identities))
	}
	if p.TotalSize != 45 {
		t.Errorf("total_size %d, want 45", p.TotalSize)
	}
	if p.NextPageToken == "" {
		t.Error("next_page_token missing although more identities remain")
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	if len(r.header.Get("X-Request-Id")) != 32 {
		t.Errorf("X-Request-Id %q", r.header.Get("X-Request-Id"))
	}
}

func TestListIdentitiesFollowsTokens(t *testing.T) {
	s := startSandbox(t, Options{Identities: 45})
	a := newAPI(t, s)

	seen := map[string]bool{}
	token, pages := "", 0
	for {
		q := url.Values{"page_size": {"7"}}
		if token != "" {
			q.Set("page_token", token)
			q.Del("page_size") // the token remembers the size
		}
		p, r := a.listIdentities(q)
		mustStatus(t, r, http.StatusOK)
		pages++
		if len(p.Identities) > 7 {
			t.Fatalf("page %d has %d identities, want at most 7", pages, len(p.Identities))
		}
		for _, id := range p.Identities {
			if seen[id.ID] {
				t.Fatalf("identity %s returned twice", id.ID)
			}
			seen[id.ID] = true
		}
		if p.NextPageToken == "" {
			break
		}
		token = p.NextPageToken
	}
	if len(seen) != 45 || pages != 7 {
		t.Errorf("saw %d identities in %d pages, want 45 in 7", len(seen), pages)
	}
	if strings.Contains(string(mustGetRaw(t, a, "/identities?page_size=45")), "next_page_token") {
		t.Error("next_page_token present on the last page")
	}
}

func mustGetRaw(t *testing.T, a *api, path string) []byte {
	t.Helper()
	r := a.get(path)
	mustStatus(t, r, http.StatusOK)
	return r.raw
}

func TestListIdentitiesClampsPageSize(t *testing.T) {
	s := startSandbox(t, Options{Identities: 230})
	a := newAPI(t, s)

	p, r := a.listIdentities(url.Values{"page_size": {"500"}})
	mustStatus(t, r, http.StatusOK)
	if len(p.Identities) != 200 {
		t.Errorf("page_size=500 gave %d identities, want 200", len(p.Identities))
	}
	if p.TotalSize != 230 {
		t.Errorf("total_size %d, want 230", p.TotalSize)
	}

	_, r = a.listIdentities(url.Values{"page_size": {"-1"}})
	mustStatus(t, r, http.StatusBadRequest)
	if _, ok := r.apiError(t).violation("page_size"); !ok {
		t.Errorf("no page_size violation in %s", r.raw)
	}
}

func TestListIdentitiesSkip(t *testing.T) {
	s := startSandbox(t, Options{Identities: 30})
	a := newAPI(t, s)

	all, _ := a.listIdentities(url.Values{"page_size": {"30"}})
	first, r := a.listIdentities(url.Values{"page_size": {"5"}, "skip": {"3"}})
	mustStatus(t, r, http.StatusOK)
	for i, id := range first.Identities {
		if id.ID != all.Identities[3+i].ID {
			t.Fatalf("skip=3 item %d is %s, want %s", i, id.ID, all.Identities[3+i].ID)
		}
	}
	// skip is not stored in the token: resending it continues after the
	// first page, leaving it out restarts from the token's offset alone.
	second, _ := a.listIdentities(url.Values{"page_token": {first.NextPageToken}, "skip": {"3"}})
	if second.Identities[0].ID != all.Identities[8].ID {
		t.Errorf("second page with skip starts at %s, want %s", second.Identities[0].ID, all.Identities[8].ID)
	}
	noSkip, _ := a.listIdentities(url.Values{"page_token": {first.NextPageToken}})
	if noSkip.Identities[0].ID != all.Identities[5].ID {
		t.Errorf("second page without skip starts at %s, want %s", noSkip.Identities[0].ID, all.Identities[5].ID)
	}
	beyond, r := a.listIdentities(url.Values{"skip": {"100"}})
	mustStatus(t, r, http.StatusOK)
	if len(beyond.Identities) != 0 || beyond.TotalSize != 30 || beyond.NextPageToken != "" {
		t.Errorf("skip past the end: %d items, total %d, token %q", len(beyond.Identities), beyond.TotalSize, beyond.NextPageToken)
	}
	if !strings.Contains(string(mustGetRaw(t, a, "/identities?skip=100")), `"identities":[]`) {
		t.Error("an empty page must carry an empty array, not null")
	}
}

func TestListIdentitiesBadPageToken(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	p, _ := a.listIdentities(url.Values{"page_size": {"5"}})

	tampered := []byte(p.NextPageToken)
	tampered[3] ^= 1
	for name, token := range map[string]string{
		"garbage":  "not-a-token",
		"tampered": string(tampered),
		"no mac":   strings.Split(p.NextPageToken, ".")[0],
	} {
		_, r := a.listIdentities(url.Values{"page_token": {token}})
		mustStatus(t, r, http.StatusBadRequest)
		e := r.apiError(t)
		if d, ok := e.violation("page_token"); !ok || d != "invalid page token" {
			t.Errorf("%s: violations %s", name, r.raw)
		}
		if e.Code != "bad_request" || e.Message != "invalid parameters" {
			t.Errorf("%s: code %q message %q", name, e.Code, e.Message)
		}
	}

	// A token of another list is not valid here.
	jobs := a.get("/identities/-/credential-binding-jobs?page_size=1").object(t)
	r := a.get("/identities?page_token=" + url.QueryEscape(jobs["next_page_token"].(string)))
	mustStatus(t, r, http.StatusBadRequest)
}

func TestListIdentitiesTokenKeepsFilter(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	filter := `traits.username eq "alice.nguyen"`

	p, r := a.listIdentities(url.Values{"filter": {filter}, "page_size": {"1"}})
	mustStatus(t, r, http.StatusOK)
	if p.TotalSize != 1 {
		t.Fatalf("filter matched %d identities, want 1", p.TotalSize)
	}

	// A username filter matches at most one identity, so no response ever
	// carries a filtered token; sign one directly.
	token := s.encodePageToken(pageToken{List: "identities:" + a.info.RealmID, Offset: 0, Size: 1, Filter: filter})
	same, r := a.listIdentities(url.Values{"page_token": {token}})
	mustStatus(t, r, http.StatusOK)
	if len(same.Identities) != 1 || same.Identities[0].Traits.Username != "alice.nguyen" {
		t.Errorf("token without a request filter did not apply its own: %s", r.raw)
	}
	_, r = a.listIdentities(url.Values{"page_token": {token}, "filter": {filter}})
	mustStatus(t, r, http.StatusOK)

	_, r = a.listIdentities(url.Values{"page_token": {token}, "filter": {`traits.username eq "bob.smith"`}})
	mustStatus(t, r, http.StatusBadRequest)
	if _, ok := r.apiError(t).violation("filter"); !ok {
		t.Errorf("filter mismatch: %s", r.raw)
	}
}

func TestListApplicationsPageLimits(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	r := a.get("/applications?page_size=500&skip=1")
	mustStatus(t, r, http.StatusOK)
	var p struct {
		Applications []Application `json:"applications"`
		TotalSize    int           `json:"total_size"`
	}
	r.decode(t, &p)
	// skip is not a ListApplications parameter, so it is ignored.
	if len(p.Applications) != 1 || p.TotalSize != 1 || p.Applications[0].DisplayName != "Demo App" {
		t.Errorf("applications: %s", r.raw)
	}
	r = a.get("/authenticator-configs")
	mustStatus(t, r, http.StatusOK)
	if got := r.object(t)["total_size"]; got != float64(1) {
		t.Errorf("authenticator config total_size %v", got)
	}
}

func TestShuffleKeepsPageMembers(t *testing.T) {
	s := startSandbox(t, Options{Identities: 40})
	a := newAPI(t, s)
	before, _ := a.listIdentities(url.Values{"page_size": {"40"}})

	s.Faults().SetShuffle(true)
	after, _ := a.listIdentities(url.Values{"page_size": {"40"}})
	same, members := true, map[string]bool{}
	for i := range before.Identities {
		members[before.Identities[i].ID] = true
		same = same && before.Identities[i].ID == after.Identities[i].ID
	}
	for _, id := range after.Identities {
		if !members[id.ID] {
			t.Fatalf("shuffled page has unknown identity %s", id.ID)
		}
	}
	if same {
		t.Error("shuffle returned 40 identities in the original order")
	}
}
