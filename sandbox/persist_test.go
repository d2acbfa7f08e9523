package sandbox

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
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
		info2.AuthenticatorConfigID != info1.AuthenticatorConfigID || info2.APIToken != info1.APIToken {
		t.Errorf("Info changed across restart:\n%+v\n%+v", info1, info2)
	}
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
