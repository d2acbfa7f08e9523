package config

import (
	"net/http"
	"testing"
	"time"

	"github.com/biadmin/biadmin/sandbox"
)

// These tests run the config against the sandbox over real HTTP on
// loopback: a token it mints must parse into a usable profile, and client
// credentials built from its IDs must get a token from its token endpoint.

func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Identities: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

func TestSandboxTokenClaims(t *testing.T) {
	info := startSandbox(t).Info()
	claims, err := ParseTokenClaims(info.APIToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims.TenantID != info.TenantID {
		t.Errorf("TenantID = %q, want %q", claims.TenantID, info.TenantID)
	}
	if claims.APIBaseURL != info.APIBaseURL || claims.AuthBaseURL != info.AuthBaseURL {
		t.Errorf("base URLs = %q, %q; want %q, %q", claims.APIBaseURL, claims.AuthBaseURL, info.APIBaseURL, info.AuthBaseURL)
	}
	if claims.Region != "" {
		t.Errorf("Region = %q, want none for a loopback issuer", claims.Region)
	}

	p := &Profile{
		Name: "sandbox", TenantID: claims.TenantID, RealmID: info.RealmID,
		APIBaseURL: claims.APIBaseURL, AuthBaseURL: claims.AuthBaseURL, APIToken: info.APIToken,
	}
	if err := p.Validate(); err != nil {
		t.Errorf("profile from sandbox token is invalid: %v", err)
	}
}

func TestSandboxClientCredentials(t *testing.T) {
	info := startSandbox(t).Info()
	p := &Profile{
		Name: "sandbox", TenantID: info.TenantID, RealmID: info.RealmID,
		APIBaseURL: info.APIBaseURL, AuthBaseURL: info.AuthBaseURL,
		ClientID: info.ManagementClientID, ClientSecretEnv: "BIADMIN_TEST_SANDBOX_SECRET",
		TokenRealmID: info.AdminRealmID, TokenApplicationID: info.ManagementApplicationID,
	}
	s := Secrets{LookupEnv: func(string) (string, bool) { return info.ManagementClientSecret, true }}
	ts, err := p.TokenSourceWith(testContext(t), &http.Client{Timeout: 10 * time.Second}, s)
	if err != nil {
		t.Fatal(err)
	}
	token, err := ts.Token(testContext(t))
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	claims, err := ParseTokenClaims(token)
	if err != nil {
		t.Fatal(err)
	}
	if claims.RealmID != "*" || claims.IssuerRealmID != info.AdminRealmID || claims.ApplicationID != info.ManagementApplicationID {
		t.Errorf("management token claims = %+v", claims)
	}
}
