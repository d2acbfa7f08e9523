package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
	"github.com/biadmin/biadmin/sandbox"
)

// writeTwoProfiles writes a config with profile "demo" on the sandbox's demo
// realm and "admin" on its Admin realm, both reading the token from
// tokenEnv, in file mode perm.
func writeTwoProfiles(t *testing.T, info sandbox.Info, tokenEnv string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	var b strings.Builder
	fmt.Fprintf(&b, "default_profile = \"demo\"\n")
	for _, p := range []struct{ name, realm, extra string }{
		{"demo", info.RealmID, fmt.Sprintf("authenticator_config_id = %q\n", info.AuthenticatorConfigID)},
		{"admin", info.AdminRealmID, "read_only = true\n"},
	} {
		fmt.Fprintf(&b, "\n[profiles.%s]\ntenant_id = %q\nrealm_id = %q\napi_base_url = %q\nauth_base_url = %q\napi_token_env = %q\n%s",
			p.name, info.TenantID, p.realm, info.APIBaseURL, info.AuthBaseURL, tokenEnv, p.extra)
	}
	if err := os.WriteFile(path, []byte(b.String()), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestConsoleOptionsFirstRun(t *testing.T) {
	sb := startSandboxForTest(t)
	info := sb.Info()
	path := filepath.Join(t.TempDir(), "biadmin", "config.toml")

	opts, cleanup, err := consoleOptions(consoleFlags{configPath: path}, discardLogger())
	if err != nil {
		t.Fatalf("consoleOptions without a config file: %v", err)
	}
	defer cleanup()
	if opts.API != nil || opts.FirstRun == nil {
		t.Fatalf("without a config file: API %v, FirstRun %v; want the first-run screen", opts.API, opts.FirstRun)
	}
	if opts.FirstRun.ConfigPath != path || opts.FirstRun.StartSandbox == nil || opts.Connect == nil || opts.Profiles == nil {
		t.Errorf("first-run options are incomplete: %+v", opts.FirstRun)
	}

	// Open builds a client for a profile that is not saved yet.
	t.Setenv("BIADMIN_FIRSTRUN_CMD_TOKEN", info.APIToken)
	p := &config.Profile{Name: "demo", TenantID: info.TenantID, RealmID: info.RealmID,
		APIBaseURL: info.APIBaseURL, AuthBaseURL: info.AuthBaseURL, APITokenEnv: "BIADMIN_FIRSTRUN_CMD_TOKEN"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api, profile, err := opts.FirstRun.Open(ctx, p)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := api.GetRealm(ctx); err != nil {
		t.Errorf("GetRealm through the opened profile: %v", err)
	}
	if profile.Name != "demo" || profile.AuthBaseURL != info.AuthBaseURL ||
		profile.Credentials != "API token from environment variable BIADMIN_FIRSTRUN_CMD_TOKEN" {
		t.Errorf("opened profile = %+v", profile)
	}

	// The sandbox choice starts one sandbox, however often it is chosen,
	// and the picker then lists it.
	api1, sandboxProfile, url1, err := opts.FirstRun.StartSandbox(ctx)
	if err != nil {
		t.Fatalf("StartSandbox: %v", err)
	}
	_, _, url2, err := opts.FirstRun.StartSandbox(ctx)
	if err != nil || url2 != url1 {
		t.Errorf("a second StartSandbox gave %q, %v; want the running %s", url2, err, url1)
	}
	if !sandboxProfile.Sandbox || sandboxProfile.Name != sandboxProfileName {
		t.Errorf("sandbox profile = %+v", sandboxProfile)
	}
	if _, err := api1.GetRealm(ctx); err != nil {
		t.Errorf("GetRealm on the started sandbox: %v", err)
	}
	profiles, err := opts.Profiles()
	if err != nil || len(profiles) != 1 || !profiles[0].Sandbox {
		t.Errorf("Profiles() = %+v, %v; want only the sandbox", profiles, err)
	}
}

func TestConsoleOptionsProfiles(t *testing.T) {
	sb := startSandboxForTest(t)
	info := sb.Info()
	t.Setenv("BIADMIN_CMD_TEST_TOKEN", info.APIToken)
	path := writeTwoProfiles(t, info, "BIADMIN_CMD_TEST_TOKEN", 0o644)

	opts, cleanup, err := consoleOptions(consoleFlags{configPath: path}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if opts.FirstRun != nil || opts.API == nil || opts.Profile.Name != "demo" {
		t.Fatalf("options = %+v, want the demo profile open", opts)
	}
	if len(opts.Warnings) != 1 || !strings.Contains(opts.Warnings[0], "chmod 600 "+path) {
		t.Errorf("warnings = %q, want the chmod that fixes the readable file", opts.Warnings)
	}

	profiles, err := opts.Profiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != 2 || profiles[0].Name != "demo" || profiles[1].Name != "admin" || !profiles[1].ReadOnly {
		t.Fatalf("Profiles() = %+v, want demo then read-only admin", profiles)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api, admin, err := opts.Connect(ctx, "admin", "")
	if err != nil {
		t.Fatalf("Connect(admin): %v", err)
	}
	if api.RealmID() != info.AdminRealmID || !admin.ReadOnly || admin.Name != "admin" {
		t.Errorf("Connect(admin) = realm %s, profile %+v", api.RealmID(), admin)
	}

	// A realm switch of demo keeps the profile and drops its realm's
	// authenticator config.
	api, other, err := opts.Connect(ctx, "demo", info.AdminRealmID)
	if err != nil {
		t.Fatalf("Connect(demo, admin realm): %v", err)
	}
	if api.RealmID() != info.AdminRealmID || other.Name != "demo" || other.RealmID != info.AdminRealmID || other.AuthenticatorConfigID != "" {
		t.Errorf("Connect(demo, admin realm) = realm %s, profile %+v", api.RealmID(), other)
	}
	if _, err := api.GetRealm(ctx); err != nil {
		t.Errorf("GetRealm in the switched realm: %v", err)
	}
	_, back, err := opts.Connect(ctx, "demo", info.RealmID)
	if err != nil || back.AuthenticatorConfigID != info.AuthenticatorConfigID {
		t.Errorf("back on demo's own realm: %+v, %v; want its authenticator config again", back, err)
	}

	if _, _, err := opts.Connect(ctx, "missing", ""); err == nil {
		t.Error("Connect to a profile the file does not have succeeded")
	}
}

func TestConsoleOptionsSandboxSwitchesRealm(t *testing.T) {
	opts, cleanup, err := consoleOptions(consoleFlags{sandbox: true, configPath: filepath.Join(t.TempDir(), "none.toml")}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if opts.API == nil || !opts.Profile.Sandbox || opts.SandboxURL == "" {
		t.Fatalf("--sandbox options = %+v", opts)
	}
	profiles, err := opts.Profiles()
	if err != nil || len(profiles) != 1 || profiles[0].Name != sandboxProfileName {
		t.Fatalf("Profiles() = %+v, %v; want the sandbox alone", profiles, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	page, err := opts.API.ListRealms(ctx, client.ListOptions{PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	var admin string
	for _, realm := range page.Items {
		if realm.ID != opts.Profile.RealmID {
			admin = realm.ID
		}
	}
	api, info, err := opts.Connect(ctx, sandboxProfileName, admin)
	if err != nil {
		t.Fatalf("Connect(sandbox, %s): %v", admin, err)
	}
	realm, err := api.GetRealm(ctx)
	if err != nil || realm.DisplayName != "Admin Realm" || !info.Sandbox || info.RealmID != admin {
		t.Errorf("after the switch: realm %+v, %v, profile %+v", realm, err, info)
	}
}
