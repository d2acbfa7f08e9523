package sandbox

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPersistenceRoundTrip(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")

	s1, err := Start(Options{DataFile: file})
	if err != nil {
		t.Fatal(err)
	}
	a1 := newAPI(t, s1)
	id := a1.createIdentity("persisted.person", "persisted@example.com")
	job, link, _ := a1.createJob(id.ID, deliveryReturn, "")
	oldToken := s1.MintToken([]string{"identities:read"}, time.Hour)
	info1 := s1.Info()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	var raw map[string]any
	data, _ := os.ReadFile(file)
	if err := json.Unmarshal(data, &raw); err != nil || raw["version"] != float64(stateVersion) {
		t.Fatalf("state file is not versioned JSON: %v", err)
	}

	s2 := startSandbox(t, Options{DataFile: file})
	a2 := newAPI(t, s2)
	info2 := s2.Info()
	if info2.TenantID != info1.TenantID || info2.RealmID != info1.RealmID || info2.ClientSecret != info1.ClientSecret ||
		info2.AuthenticatorConfigID != info1.AuthenticatorConfigID {
		t.Errorf("Info changed across restart:\n%+v\n%+v", info1, info2)
	}
	// The old Info token names the old port in iss but still verifies.
	mustStatus(t, do(t, http.MethodGet, a2.realmURL("/identities/"+id.ID), info1.APIToken, nil), http.StatusOK)
	// Tokens minted before the restart still verify.
	r := do(t, http.MethodGet, a2.realmURL("/identities/"+id.ID), oldToken, nil)
	mustStatus(t, r, http.StatusOK)
	var got CredentialBindingJob
	a2.get("/identities/"+id.ID+"/credential-binding-jobs/"+job.ID).decode(t, &got)
	if got.State != jobLinkSent {
		t.Errorf("job state %q after restart", got.State)
	}
	// The link keeps working on the new port because it is resolved by
	// path and token hash; rewrite its origin to the new sandbox.
	newLink := s2.URL() + link[len(s1.URL()):]
	mustStatus(t, do(t, http.MethodPost, newLink, "", nil), http.StatusSeeOther)
}

func TestRestartOnNewPortMovesOrigin(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	s1, err := Start(Options{DataFile: file})
	if err != nil {
		t.Fatal(err)
	}
	a1 := newAPI(t, s1)
	id := a1.createIdentity("moved.port", "moved@example.com")
	_, _, r := a1.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusOK)
	oldURL := s1.URL()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	// Listening on the old address keeps it busy, so the restart gets
	// another port for certain.
	hold, err := net.Listen("tcp", strings.TrimPrefix(oldURL, "http://"))
	if err != nil {
		t.Fatalf("hold the old port: %v", err)
	}
	defer hold.Close()
	s2 := startSandbox(t, Options{DataFile: file})
	newURL := s2.URL()

	var box struct{ Messages []OutboxMessage }
	do(t, http.MethodGet, newURL+"/_sandbox/outbox", "", nil).decode(t, &box)
	if len(box.Messages) == 0 {
		t.Fatal("outbox is empty after restart")
	}
	for _, m := range box.Messages {
		if !strings.HasPrefix(m.Link, newURL+"/v1/") {
			t.Errorf("message %s link %q, want origin %s", m.ID, m.Link, newURL)
		}
		if strings.Contains(m.Text, oldURL) || !strings.Contains(m.Text, m.Link) {
			t.Errorf("message %s text does not carry the rebased link:\n%s", m.ID, m.Text)
		}
	}
	page := do(t, http.MethodGet, newURL+"/_sandbox/outbox.html", "", nil)
	if strings.Contains(string(page.raw), oldURL) {
		t.Error("outbox page still names the old origin")
	}
	// A rebased link works on the new port.
	var mine []OutboxMessage
	do(t, http.MethodGet, newURL+"/_sandbox/outbox?identity_id="+id.ID, "", nil).decode(t, &struct {
		Messages *[]OutboxMessage `json:"messages"`
	}{&mine})
	if len(mine) != 1 {
		t.Fatalf("%d messages for the new identity, want 1", len(mine))
	}
	mustStatus(t, do(t, http.MethodPost, mine[0].Link, "", nil), http.StatusSeeOther)

	info := s2.Info()
	claims := claimsOf(t, info.APIToken)
	if iss, _ := claims["iss"].(string); !strings.HasPrefix(iss, newURL+"/") {
		t.Errorf("Info API token iss %q, want origin %s", iss, newURL)
	}
	mustStatus(t, do(t, http.MethodGet, newAPI(t, s2).realmURL("/identities/"+id.ID), info.APIToken, nil), http.StatusOK)

	var cfg AuthenticatorConfig
	newAPI(t, s2).get("/authenticator-configs/"+info.AuthenticatorConfigID).decode(t, &cfg)
	if slices.Contains(cfg.Config.TrustedOrigins, oldURL) || !slices.Contains(cfg.Config.TrustedOrigins, newURL) {
		t.Errorf("trusted origins %q, want %s in place of %s", cfg.Config.TrustedOrigins, newURL, oldURL)
	}
}

func TestRestartOnSamePortKeepsToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	s1, err := Start(Options{DataFile: file})
	if err != nil {
		t.Fatal(err)
	}
	info1 := s1.Info()
	addr := strings.TrimPrefix(s1.URL(), "http://")
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Start(Options{DataFile: file, Addr: addr})
	if err != nil {
		t.Skipf("the old port %s was taken before the restart: %v", addr, err)
	}
	t.Cleanup(func() { s2.Close() })
	if s2.Info().APIToken != info1.APIToken {
		t.Error("a restart on the same port replaced the Info API token")
	}
}

func TestPersistenceSavesWhileRunning(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	s := startSandbox(t, Options{DataFile: file})
	a := newAPI(t, s)
	a.createIdentity("saved.soon", "")

	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st, err := loadState(file)
		if err == nil && st.identityByUsername(st.RealmID, "saved.soon") != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the state file never contained the new identity")
}

func TestStartRejectsUnwritableDataFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "missing", "state.json")
	s, err := Start(Options{DataFile: file})
	if err == nil {
		s.Close()
		t.Fatal("Start accepted a data file in a missing directory")
	}
	if !strings.Contains(err.Error(), "write state file "+file+":") {
		t.Errorf("error %q does not name the state file", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %q does not wrap the cause", err)
	}
}

func TestCloseSaveErrorReadsOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "state.json")
	s, err := Start(Options{DataFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err = s.Close()
	if err == nil {
		t.Fatal("Close saved into a removed directory")
	}
	if n := strings.Count(err.Error(), "state file"); n != 1 {
		t.Errorf("error %q says state file %d times, want once", err, n)
	}
	if strings.Contains(err.Error(), "save state") {
		t.Errorf("error %q keeps the old save state prefix", err)
	}
	if !strings.Contains(err.Error(), file) {
		t.Errorf("error %q does not name the state file", err)
	}
}

func TestPersistenceRejectsOtherVersion(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(file, []byte(`{"version":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Start(Options{DataFile: file}); err == nil {
		s.Close()
		t.Fatal("Start accepted a state file of another version")
	}
}
