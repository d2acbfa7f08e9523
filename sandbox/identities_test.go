package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestParseUsernameFilter(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`traits.username eq "alice"`, "alice", true},
		{`  TRAITS.USERNAME EQ "alice"  `, "alice", true},
		{`traits.username eq "o\"brien"`, `o"brien`, true},
		{`traits.username eq "back\\slash"`, `back\slash`, true},
		{`traits.username eq ""`, "", true},
		{`traits.username eq "a\nb"`, "", false},
		{`traits.username eq "unterminated`, "", false},
		{`traits.username eq "a" and id eq "b"`, "", false},
		{`traits.username co "a"`, "", false},
		{`username eq "a"`, "", false},
		{`traits.username eq alice`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := parseUsernameFilter(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseUsernameFilter(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestListIdentitiesFilter(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	quoted := a.createIdentity(`Sean "Shay" O'Neil`, "shay@example.com")

	cases := map[string]string{
		`traits.username eq "ALICE.NGUYEN"`:         "alice.nguyen",
		`traits.username eq "sean \"shay\" o'neil"`: quoted.Traits.Username,
	}
	for filter, want := range cases {
		p, r := a.listIdentities(url.Values{"filter": {filter}})
		mustStatus(t, r, http.StatusOK)
		if p.TotalSize != 1 || len(p.Identities) != 1 || p.Identities[0].Traits.Username != want {
			t.Errorf("filter %s: %s", filter, r.raw)
		}
	}

	p, r := a.listIdentities(url.Values{"filter": {`traits.username eq "nobody"`}})
	mustStatus(t, r, http.StatusOK)
	if p.TotalSize != 0 || len(p.Identities) != 0 {
		t.Errorf("unknown username matched: %s", r.raw)
	}

	for _, filter := range []string{`display_name eq "x"`, `traits.username co "a"`, `nonsense`} {
		_, r := a.listIdentities(url.Values{"filter": {filter}})
		mustStatus(t, r, http.StatusBadRequest)
		if _, ok := r.apiError(t).violation("filter"); !ok {
			t.Errorf("filter %s: %s", filter, r.raw)
		}
	}
}

func TestCreateIdentity(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	r := a.send(http.MethodPost, "/identities", map[string]any{"identity": map[string]any{
		"id": "ignored", "enrollment_status": "ENROLLED",
		"traits": map[string]any{"type": "traits_v0", "username": "new.person", "primary_email_address": "new.person@example.com"},
	}})
	mustStatus(t, r, http.StatusOK)
	var id Identity
	r.decode(t, &id)
	if len(id.ID) != 16 || id.ID == "ignored" {
		t.Errorf("id %q, want 16 generated hex characters", id.ID)
	}
	if id.DisplayName != "new.person" {
		t.Errorf("display_name %q, want the username as default", id.DisplayName)
	}
	if id.EnrollmentStatus != enrollmentUnenrolled || id.Status != statusActive {
		t.Errorf("enrollment_status %q status %q", id.EnrollmentStatus, id.Status)
	}
	if id.RealmID != a.info.RealmID || id.TenantID != a.info.TenantID || id.CreateTime.IsZero() {
		t.Errorf("read-only fields: %s", r.raw)
	}

	got := a.get("/identities/" + id.ID)
	mustStatus(t, got, http.StatusOK)
	if !strings.Contains(string(got.raw), `"username":"new.person"`) {
		t.Errorf("GetIdentity: %s", got.raw)
	}
}

func TestCreateIdentityConflict(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	r := a.send(http.MethodPost, "/identities", map[string]any{"identity": map[string]any{
		"display_name": "Alice", "traits": map[string]any{"type": "traits_v0", "username": "Alice.Nguyen"},
	}})
	mustStatus(t, r, http.StatusConflict)
	e := r.apiError(t)
	if e.Code != "conflict" || e.Message != "username already exists" {
		t.Errorf("409 body %s", r.raw)
	}
}

func TestCreateIdentityViolations(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"bad display name", map[string]any{"identity": map[string]any{"display_name": "a{b}", "traits": map[string]any{"type": "traits_v0", "username": "ok1"}}}, "identity.display_name"},
		{"empty display name", map[string]any{"identity": map[string]any{"display_name": "", "traits": map[string]any{"type": "traits_v0", "username": "ok2"}}}, "identity.display_name"},
		{"long username", map[string]any{"identity": map[string]any{"traits": map[string]any{"type": "traits_v0", "username": strings.Repeat("x", 65)}}}, "identity.traits.username"},
		{"missing username", map[string]any{"identity": map[string]any{"traits": map[string]any{"type": "traits_v0"}}}, "identity.traits.username"},
		{"missing traits type", map[string]any{"identity": map[string]any{"traits": map[string]any{"username": "ok3"}}}, "identity.traits.type"},
		{"wrong traits type", map[string]any{"identity": map[string]any{"traits": map[string]any{"type": "traits_v1", "username": "ok4"}}}, "identity.traits.type"},
		{"missing traits", map[string]any{"identity": map[string]any{"display_name": "x"}}, "identity.traits"},
		{"bad status", map[string]any{"identity": map[string]any{"status": "gone", "traits": map[string]any{"type": "traits_v0", "username": "ok5"}}}, "identity.status"},
		{"non-string trait", map[string]any{"identity": map[string]any{"traits": map[string]any{"type": "traits_v0", "username": "ok6", "title": 7}}}, "identity.traits.title"},
		{"missing identity", map[string]any{}, "identity"},
	}
	for _, tt := range tests {
		r := a.send(http.MethodPost, "/identities", tt.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d body %s", tt.name, r.status, r.raw)
			continue
		}
		e := r.apiError(t)
		if e.Message != "invalid parameters" || e.Code != "bad_request" {
			t.Errorf("%s: message %q code %q", tt.name, e.Message, e.Code)
		}
		if _, ok := e.violation(tt.field); !ok {
			t.Errorf("%s: no violation for %s in %s", tt.name, tt.field, r.raw)
		}
	}

	for _, body := range []string{`{"identity":`, `[]`, ``, `"x"`} {
		r := a.send(http.MethodPost, "/identities", body)
		mustStatus(t, r, http.StatusBadRequest)
		if e := r.apiError(t); e.Message != "invalid request" || len(e.Details) != 0 {
			t.Errorf("body %q: %s", body, r.raw)
		}
	}
}

func TestGetIdentityNotFound(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	r := a.get("/identities/0123456789abcdef")
	mustStatus(t, r, http.StatusNotFound)
	e := r.apiError(t)
	if e.Code != "not_found" || e.Message != "identity not found" || len(e.Details) != 1 ||
		e.Details[0].Type != "ResourceInfo" || e.Details[0].ResourceType != "Identity" || e.Details[0].ID != "0123456789abcdef" {
		t.Errorf("404 body %s", r.raw)
	}

	r = do(t, http.MethodGet, s.URL()+"/v1/tenants/"+a.info.TenantID+"/realms/ffffffffffffffff/identities", a.token, nil)
	mustStatus(t, r, http.StatusNotFound)
	if e := r.apiError(t); e.Message != "realm not found" || e.Details[0].ResourceType != "Realm" {
		t.Errorf("unknown realm: %s", r.raw)
	}
}

func TestRealmAndTenant(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	r := do(t, http.MethodGet, s.URL()+"/v1/tenants/"+a.info.TenantID, a.token, nil)
	mustStatus(t, r, http.StatusOK)
	if !strings.HasPrefix(a.info.TenantID, "0001") || len(a.info.TenantID) != 16 {
		t.Errorf("tenant id %q", a.info.TenantID)
	}

	r = do(t, http.MethodGet, s.URL()+"/v1/tenants/"+a.info.TenantID+"/realms", a.token, nil)
	mustStatus(t, r, http.StatusOK)
	if got := r.object(t)["total_size"]; got != float64(2) {
		t.Errorf("realms total_size %v", got)
	}

	before := a.get("")
	mustStatus(t, before, http.StatusOK)
	var realmBefore Realm
	before.decode(t, &realmBefore)
	if realmBefore.DisplayName != "Demo Realm" || realmBefore.Classification != "SECURE_CUSTOMER" {
		t.Errorf("realm %s", before.raw)
	}

	r = a.send(http.MethodPatch, "", map[string]any{"realm": map[string]any{"display_name": "Renamed Realm", "id": "x"}})
	mustStatus(t, r, http.StatusOK)
	var after Realm
	r.decode(t, &after)
	if after.DisplayName != "Renamed Realm" || after.ID != a.info.RealmID || !after.UpdateTime.After(realmBefore.UpdateTime) {
		t.Errorf("patched realm %s", r.raw)
	}
	for _, bad := range []string{"", strings.Repeat("r", 65), "semi;colon"} {
		r = a.send(http.MethodPatch, "", map[string]any{"realm": map[string]any{"display_name": bad}})
		mustStatus(t, r, http.StatusBadRequest)
		if _, ok := r.apiError(t).violation("realm.display_name"); !ok {
			t.Errorf("display_name %q: %s", bad, r.raw)
		}
	}
}

// The spec gives display_name and traits.username one length rule and one
// pattern, so each value must get the same answer in both fields.
func TestNameFieldsRulesAlike(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	tests := []struct {
		name  string
		value string
		want  int
		// description is part of the violation expected for a rejected value.
		description string
	}{
		{"NUL", "nul\x00name", http.StatusOK, ""},
		{"ESC", "esc\x1bname", http.StatusOK, ""},
		{"CR", "cr\rname", http.StatusOK, ""},
		{"backspace", "bs\bname", http.StatusOK, ""},
		{"ANSI color sequence", "esc\x1b[31mname", http.StatusBadRequest, "contains '[', which is not allowed"},
		{"forbidden character", "semi;colon", http.StatusBadRequest, "contains ';', which is not allowed"},
		{"64 characters", strings.Repeat("é", 64), http.StatusOK, ""},
		{"65 characters", strings.Repeat("é", 65), http.StatusBadRequest, "exceeds 64 characters"},
	}
	for i, tt := range tests {
		asUsername := map[string]any{"identity": map[string]any{
			"traits": map[string]any{"type": "traits_v0", "username": tt.value},
		}}
		asDisplayName := map[string]any{"identity": map[string]any{
			"display_name": tt.value,
			"traits":       map[string]any{"type": "traits_v0", "username": "alike." + strconv.Itoa(i)},
		}}
		results := map[string]response{
			"identity.traits.username": a.send(http.MethodPost, "/identities", asUsername),
			"identity.display_name":    a.send(http.MethodPost, "/identities", asDisplayName),
		}
		for field, r := range results {
			if r.status != tt.want {
				t.Errorf("%s in %s: status %d, want %d: %s", tt.name, field, r.status, tt.want, r.raw)
				continue
			}
			if tt.want != http.StatusOK {
				got, _ := r.apiError(t).violation(field)
				if !strings.Contains(got, tt.description) {
					t.Errorf("%s in %s: violation %q, want it to contain %q", tt.name, field, got, tt.description)
				}
			}
		}
		if tt.want != http.StatusOK || results["identity.traits.username"].status != http.StatusOK {
			continue
		}

		// An accepted username can be found again with the filter.
		filter := `traits.username eq "` + tt.value + `"`
		p, r := a.listIdentities(url.Values{"filter": {filter}})
		mustStatus(t, r, http.StatusOK)
		if len(p.Identities) != 1 || p.Identities[0].Traits.Username != tt.value {
			t.Errorf("%s: filter found %s", tt.name, r.raw)
		}
	}
}
