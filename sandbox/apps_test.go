package sandbox

import (
	"net/http"
	"testing"
)

func TestGetApplicationAndConfig(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	r := a.get("/applications/" + a.info.ApplicationID)
	mustStatus(t, r, http.StatusOK)
	var app Application
	r.decode(t, &app)
	pc := app.ProtocolConfig
	if pc == nil || pc.Type != "oidc" || pc.ClientID != a.info.ClientID || pc.PKCE != "s256" ||
		len(pc.RedirectURIs) != 1 || pc.RedirectURIs[0] != "http://127.0.0.1:8765/callback" ||
		pc.TokenConfiguration == nil || pc.TokenConfiguration.ExpiresAfter != 86400 || app.IsManaged {
		t.Errorf("demo app %s", r.raw)
	}
	r = a.get("/applications/00000000-0000-4000-8000-000000000000")
	mustStatus(t, r, http.StatusNotFound)
	if e := r.apiError(t); e.Message != "application not found" {
		t.Errorf("404 body %s", r.raw)
	}

	r = a.get("/authenticator-configs/" + a.info.AuthenticatorConfigID)
	mustStatus(t, r, http.StatusOK)
	var cfg AuthenticatorConfig
	r.decode(t, &cfg)
	trusted := false
	for _, o := range cfg.Config.TrustedOrigins {
		trusted = trusted || o == s.URL()
	}
	if cfg.Config.Type != "hosted_web" || cfg.DisplayName != "Hosted Web" || !trusted {
		t.Errorf("authenticator config %s", r.raw)
	}
	mustStatus(t, a.get("/authenticator-configs/nope"), http.StatusNotFound)

	admin := s.URL() + "/v1/tenants/" + a.info.TenantID + "/realms/" + a.info.AdminRealmID + "/applications/" + a.info.ManagementApplicationID
	r = do(t, http.MethodGet, admin, a.token, nil)
	mustStatus(t, r, http.StatusOK)
	var mgmt Application
	r.decode(t, &mgmt)
	if !mgmt.IsManaged || mgmt.Classification != "management_api" || mgmt.ProtocolConfig.Confidentiality != "confidential" ||
		len(mgmt.ProtocolConfig.GrantType) != 1 || mgmt.ProtocolConfig.GrantType[0] != "client_credentials" {
		t.Errorf("management app %s", r.raw)
	}
	r = a.get("/authenticator-configs?filter=" + "type%20eq%20%22x%22")
	mustStatus(t, r, http.StatusBadRequest)
}
