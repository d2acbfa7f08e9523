package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func fullProfile(name string) *Profile {
	return &Profile{
		Name: name, TenantID: "0001f1f460b1ace6", RealmID: "8f5bec58229e6f29", Region: "eu",
		AuthenticatorConfigID: "67bb0acf12e5c899", PostBindingRedirectURI: "https://portal.example.com/done",
		LoginApplicationID: "c15e004f-a7bc-459b-b035-cec40e07f537", ReadOnly: true, Production: true,
		ClientID: "cid", ClientSecretEnv: "BIADMIN_SECRET",
		TokenRealmID: "0c3d5a1e2f4b6c7d", TokenApplicationID: "38833c36-6f47-4992-9329-ea0a00915137",
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s mode = %v, want %v", path, got, want)
	}
}

func TestSaveProfileNewFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "biadmin")
	path := filepath.Join(dir, "config.toml")
	cfg := New(path)
	p := fullProfile("prod")
	if err := cfg.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o600)
	checkMode(t, dir, 0o700)

	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Warnings) != 0 {
		t.Errorf("warnings after save: %q", loaded.Warnings)
	}
	got, err := loaded.Profile("prod")
	if err != nil {
		t.Fatal(err)
	}
	if *got != *p {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, *p)
	}
	if len(cfg.Profiles) != 1 || cfg.Profiles[0].Name != "prod" {
		t.Errorf("in-memory profiles after save = %v", cfg.Names())
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only config.toml (temporary file left behind?)", len(entries))
	}
}

func TestSaveProfileKeepsOtherProfilesAndComments(t *testing.T) {
	text := `# my biadmin config
default_profile = "prod"

# Production: careful.
[profiles.prod]
tenant_id = "0001f1f460b1ace6"
realm_id = "8f5bec58229e6f29"
region = "us"
api_token_env = "PROD_TOKEN"

# Staging lives in the EU.
[profiles.staging]
tenant_id = "0001a2b3c4d5e6f7"
realm_id = "1a2b3c4d5e6f7a8b"
region = "eu" # moved in 2024
api_token_command = "pass show bi/staging"
`
	path := writeConfig(t, text)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}

	p, _ := cfg.Profile("prod")
	p.RealmID = "0000000000000abc"
	p.ReadOnly = true
	if err := cfg.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	added := fullProfile("dev")
	if err := cfg.SaveProfile(added); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o600)

	data, _ := os.ReadFile(path)
	saved := string(data)
	for _, keep := range []string{
		"# my biadmin config\ndefault_profile = \"prod\"\n\n# Production: careful.\n[profiles.prod]\n",
		"# Staging lives in the EU.\n[profiles.staging]\n",
		"region = \"eu\" # moved in 2024\n",
		"api_token_command = \"pass show bi/staging\"\n",
	} {
		if !strings.Contains(saved, keep) {
			t.Errorf("saved file lost %q:\n%s", keep, saved)
		}
	}
	if strings.Contains(saved, "\n\n\n") {
		t.Errorf("saved file has runs of blank lines:\n%s", saved)
	}

	loaded, err := Load(path)
	if err != nil {
		t.Fatalf("reloading:\n%v\n%s", err, saved)
	}
	if got := strings.Join(loaded.Names(), ","); got != "prod,staging,dev" {
		t.Errorf("profiles = %s", got)
	}
	prod, _ := loaded.Profile("prod")
	if prod.RealmID != "0000000000000abc" || !prod.ReadOnly || prod.APITokenEnv != "PROD_TOKEN" {
		t.Errorf("prod after save = %+v", *prod)
	}
	dev, _ := loaded.Profile("dev")
	if *dev != *added {
		t.Errorf("dev after save = %+v", *dev)
	}
}

func TestSaveProfileKeepsExternalEdits(t *testing.T) {
	path := writeConfig(t, validProfile)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// Another editor adds a profile after Load.
	other := "\n[profiles.other]\ntenant_id = \"0001a2b3c4d5e6f7\"\nrealm_id = \"1a2b3c4d5e6f7a8b\"\nregion = \"eu\"\napi_token_env = \"X\"\n"
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(other)
	f.Close()

	p, _ := cfg.Profile("prod")
	p.Production = true
	if err := cfg.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(loaded.Names(), ","); got != "prod,other" {
		t.Errorf("profiles = %s, want prod,other", got)
	}
	if got := strings.Join(cfg.Names(), ","); got != "prod,other" {
		t.Errorf("in-memory profiles = %s, want prod,other", got)
	}
}

func TestSaveProfileInlineTable(t *testing.T) {
	text := "[profiles]\nprod = { tenant_id = \"0001f1f460b1ace6\", realm_id = \"8f5bec58229e6f29\", region = \"us\", api_token_env = \"T\" }\n"
	path := writeConfig(t, text)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Profile("prod")
	p.Region = "eu"
	if err := cfg.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := loaded.Profile("prod")
	if got.Region != "eu" || got.APITokenEnv != "T" {
		t.Errorf("prod after save = %+v", *got)
	}
}

func TestSaveProfileRejectsInvalid(t *testing.T) {
	path := writeConfig(t, validProfile)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := fullProfile("dev")
	bad.APIBaseURL = "http://api.example.com"
	err = cfg.SaveProfile(bad)
	if err == nil || !strings.Contains(err.Error(), "api_base_url must use https") {
		t.Errorf("err = %v", err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != validProfile {
		t.Errorf("file changed after a rejected save:\n%s", data)
	}
	if got := strings.Join(cfg.Names(), ","); got != "prod" {
		t.Errorf("in-memory profiles = %s", got)
	}
}

func TestSaveNeverWritesResolvedSecrets(t *testing.T) {
	requireShell(t)
	path := filepath.Join(t.TempDir(), "config.toml")
	cfg := New(path)
	profiles := []*Profile{staticProfile(), staticProfile(), staticProfile()}
	profiles[0].Name, profiles[0].APITokenEnv = "env", "BIADMIN_TEST_SAVE_TOKEN"
	profiles[1].Name, profiles[1].APITokenCommand = "cmd", "printf 'tok-%s' from-command"
	profiles[2].Name, profiles[2].APITokenKeyring = "ring", "biadmin/ring"
	t.Setenv("BIADMIN_TEST_SAVE_TOKEN", "tok-from-env")
	s := Secrets{Keyring: func(string, string) (string, error) { return "tok-from-keyring", nil }}
	for i, p := range profiles {
		if _, err := p.TokenSourceWith(testContext(t), nil, s); err != nil {
			t.Fatal(err)
		}
		secret, err := p.ResolveSecret(testContext(t), s)
		if want := []string{"tok-from-env", "tok-from-command", "tok-from-keyring"}[i]; err != nil || secret != want {
			t.Fatalf("ResolveSecret = %q, %v; want %q", secret, err, want)
		}
		if err := cfg.SaveProfile(p); err != nil {
			t.Fatal(err)
		}
	}

	data, _ := os.ReadFile(path)
	for _, secret := range []string{"tok-from-env", "tok-from-keyring", "tok-from-command"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("saved file contains the resolved secret %q:\n%s", secret, data)
		}
	}
	for _, ref := range []string{`api_token_env = "BIADMIN_TEST_SAVE_TOKEN"`, `api_token_command = "printf 'tok-%s' from-command"`, `api_token_keyring = "biadmin/ring"`} {
		if !strings.Contains(string(data), ref) {
			t.Errorf("saved file lacks %s:\n%s", ref, data)
		}
	}
}

func TestSaveWholeConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	cfg := New(path)
	cfg.DefaultProfile = "b"
	cfg.Profiles = []*Profile{fullProfile("a"), fullProfile("b")}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o600)
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.DefaultProfile != "b" || strings.Join(loaded.Names(), ",") != "a,b" {
		t.Errorf("loaded default %q, profiles %v", loaded.DefaultProfile, loaded.Names())
	}
	p, _ := loaded.Profile("")
	if *p != *cfg.Profiles[1] {
		t.Errorf("default profile = %+v", *p)
	}
}

func TestSaveQuotesStrings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	cfg := New(path)
	p := staticProfile()
	p.APITokenCommand = `pass show "bi\prod" | head -1` + "\t#"
	if err := cfg.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := loaded.Profile("prod")
	if got.APITokenCommand != p.APITokenCommand {
		t.Errorf("command after round trip = %q, want %q", got.APITokenCommand, p.APITokenCommand)
	}
}

func TestSetDefaultProfile(t *testing.T) {
	two := "# top comment\n\n" + validProfile + "\n# dev\n" + strings.Replace(validProfile, "[profiles.prod]", "[profiles.dev]", 1)
	path := writeConfig(t, two)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetDefaultProfile("dev"); err != nil {
		t.Fatal(err)
	}

	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# top comment\n\ndefault_profile = \"dev\"\n") {
		t.Errorf("default_profile not inserted at the top:\n%s", data)
	}

	if err := cfg.SetDefaultProfile("prod"); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.DefaultProfile != "prod" || cfg.DefaultProfile != "prod" {
		t.Errorf("default = %q on disk, %q in memory", loaded.DefaultProfile, cfg.DefaultProfile)
	}
	data, _ = os.ReadFile(path)
	if strings.Count(string(data), "default_profile") != 1 {
		t.Errorf("default_profile written twice:\n%s", data)
	}
	if err := cfg.SetDefaultProfile("nope"); err == nil || !strings.Contains(err.Error(), "profiles: prod, dev") {
		t.Errorf("SetDefaultProfile(nope) = %v", err)
	}
}

func TestStateDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("XDG_STATE_HOME is not used on Windows")
	}
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", base)
	dir, err := StateDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "biadmin"); dir != want {
		t.Errorf("StateDir = %q, want %q", dir, want)
	}
	checkMode(t, dir, 0o700)

	home := t.TempDir()
	t.Setenv("XDG_STATE_HOME", "relative/ignored")
	t.Setenv("HOME", home)
	dir, err = StateDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".local", "state", "biadmin"); dir != want {
		t.Errorf("StateDir = %q, want %q", dir, want)
	}
}
