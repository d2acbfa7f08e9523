package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthRejections(t *testing.T) {
	s := startSandbox(t, Options{})
	other := startSandbox(t, Options{})
	a := newAPI(t, s)
	url := a.realmURL("/identities")

	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"not bearer", "Basic " + a.token, http.StatusUnauthorized},
		{"malformed", "Bearer not.a.jwt", http.StatusUnauthorized},
		{"other key set", "Bearer " + other.Info().APIToken, http.StatusUnauthorized},
		{"expired", "Bearer " + s.MintToken(allScopes, -time.Minute), http.StatusUnauthorized},
		{"missing scope", "Bearer " + s.MintToken([]string{"identities:create"}, time.Hour), http.StatusForbidden},
		{"valid", "Bearer " + s.MintToken([]string{"identities:read"}, time.Hour), http.StatusOK},
		{"scheme case", "bearer " + a.token, http.StatusOK},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}

	r := do(t, http.MethodGet, url, "", nil)
	if e := r.apiError(t); e.Code != "unauthorized" || e.Message != "unauthorized" {
		t.Errorf("401 body %s", r.raw)
	}
	r = do(t, http.MethodGet, url, s.MintToken(nil, time.Hour), nil)
	if e := r.apiError(t); e.Code != "forbidden" || e.Message != "forbidden" {
		t.Errorf("403 body %s", r.raw)
	}
}

func TestAuthRequiresEveryScope(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := seededIdentity(t, s, func(*Identity, string) bool { return true })
	path := a.realmURL("/identities/" + id.ID + ":listGroups")

	r := do(t, http.MethodGet, path, s.MintToken([]string{"identities:read"}, time.Hour), nil)
	mustStatus(t, r, http.StatusForbidden)
	r = do(t, http.MethodGet, path, s.MintToken([]string{"identities:read", "groups:read"}, time.Hour), nil)
	mustStatus(t, r, http.StatusOK)
}

func TestAuthOtherTenant(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	r := do(t, http.MethodGet, s.URL()+"/v1/tenants/0001ffffffffffff/realms", a.token, nil)
	mustStatus(t, r, http.StatusForbidden)
}

func TestAuthRevokedToken(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	victim := s.MintToken(allScopes, time.Hour)
	mustStatus(t, do(t, http.MethodGet, a.realmURL(""), victim, nil), http.StatusOK)

	claims, err := s.verifyJWT(victim)
	if err != nil {
		t.Fatal(err)
	}
	jti := claims["jti"].(string)
	if len(jti) != 32 {
		t.Errorf("jti %q is not 32 characters", jti)
	}
	adminTokens := s.URL() + "/v1/tenants/" + a.info.TenantID + "/realms/" + a.info.AdminRealmID +
		"/applications/" + a.info.ManagementApplicationID + "/tokens"
	r := do(t, http.MethodGet, adminTokens, a.token, nil)
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.raw), jti) {
		t.Errorf("ListTokens does not show the minted token: %s", r.raw)
	}

	r = do(t, http.MethodDelete, adminTokens+"/"+jti, a.token, nil)
	mustStatus(t, r, http.StatusOK)
	if len(r.raw) != 0 {
		t.Errorf("RevokeToken body %q, want empty", r.raw)
	}
	mustStatus(t, do(t, http.MethodGet, a.realmURL(""), victim, nil), http.StatusUnauthorized)

	s.Faults().SetExpiredTokens403(true)
	mustStatus(t, do(t, http.MethodGet, a.realmURL(""), victim, nil), http.StatusForbidden)
	mustStatus(t, do(t, http.MethodGet, a.realmURL(""), s.MintToken(allScopes, -time.Hour), nil), http.StatusForbidden)
	mustStatus(t, do(t, http.MethodGet, a.realmURL(""), "garbage", nil), http.StatusUnauthorized)
}

func TestManagementTokenClaims(t *testing.T) {
	s := startSandbox(t, Options{})
	info := s.Info()
	claims, err := s.verifyJWT(info.APIToken)
	if err != nil {
		t.Fatal(err)
	}
	wantIss := s.URL() + "/v1/tenants/" + info.TenantID + "/realms/" + info.AdminRealmID + "/applications/" + info.ManagementApplicationID
	if claims["iss"] != wantIss {
		t.Errorf("iss %v, want %s", claims["iss"], wantIss)
	}
	if claims["bi_t"] != info.TenantID || claims["bi_r"] != "*" {
		t.Errorf("bi_t %v bi_r %v", claims["bi_t"], claims["bi_r"])
	}
	if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != "beyondidentity" {
		t.Errorf("aud %v", claims["aud"])
	}
	if scope, _ := claims["scope"].(string); len(strings.Fields(scope)) != len(allScopes) {
		t.Errorf("scope %q", scope)
	}
	if len(info.ManagementClientID) != 24 || len(info.ManagementClientSecret) != 48 ||
		len(info.ClientID) != 24 || len(info.ClientSecret) != 48 {
		t.Errorf("client credential lengths: %d %d %d %d", len(info.ManagementClientID), len(info.ManagementClientSecret), len(info.ClientID), len(info.ClientSecret))
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	r := a.get("/no-such-collection")
	mustStatus(t, r, http.StatusNotFound)
	if e := r.apiError(t); e.Code != "not_found" {
		t.Errorf("unknown route body %s", r.raw)
	}
	r = a.send(http.MethodPut, "/identities", nil)
	mustStatus(t, r, http.StatusMethodNotAllowed)
}
