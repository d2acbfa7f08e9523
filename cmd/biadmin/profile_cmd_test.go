package main

import (
	"context"
	"errors"
	"io/fs"
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

func startSandboxForTest(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// runCommand runs biadmin with args and returns its exit status and output.
func runCommand(args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestProfileAddWritesWorkingProfile(t *testing.T) {
	sb := startSandboxForTest(t)
	info := sb.Info()
	path := filepath.Join(t.TempDir(), "biadmin", "config.toml")

	code, stdout, stderr := runCommand("profile", "add", "--token", info.APIToken, "--realm", info.RealmID,
		"--config", path, "--token-env", "BIADMIN_PROFILE_TEST_TOKEN")
	if code != 0 {
		t.Fatalf("profile add exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Saved profile \""+info.TenantID+"\"") {
		t.Errorf("stdout does not name the saved profile:\n%s", stdout)
	}
	if strings.Contains(stdout+stderr, info.APIToken) {
		t.Error("the token was printed")
	}

	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("config file mode = %o, want 600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), info.APIToken) {
		t.Errorf("the token was written to the config file:\n%s", data)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	p, err := cfg.Profile("")
	if err != nil {
		t.Fatal(err)
	}
	if p.TenantID != info.TenantID || p.RealmID != info.RealmID || p.APIBaseURL != info.APIBaseURL ||
		p.AuthBaseURL != info.AuthBaseURL || p.APITokenEnv != "BIADMIN_PROFILE_TEST_TOKEN" {
		t.Errorf("written profile = %+v", p)
	}

	// The profile works: with the token in its variable, it reads the realm.
	t.Setenv("BIADMIN_PROFILE_TEST_TOKEN", info.APIToken)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api, _, err := buildProfileClient(ctx, p, false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("building a client from the written profile: %v", err)
	}
	realm, err := api.GetRealm(ctx)
	if err != nil {
		t.Fatalf("GetRealm with the written profile: %v", err)
	}
	if realm.ID != info.RealmID {
		t.Errorf("the written profile reads realm %s, want %s", realm.ID, info.RealmID)
	}
}

func TestProfileAddDefaultsTokenEnv(t *testing.T) {
	sb := startSandboxForTest(t)
	info := sb.Info()
	path := filepath.Join(t.TempDir(), "config.toml")

	code, stdout, stderr := runCommand("profile", "add", "--token", info.APIToken, "--realm", info.AdminRealmID,
		"--name", "admin", "--config", path)
	if code != 0 {
		t.Fatalf("profile add exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cfg.Profile("admin")
	if err != nil {
		t.Fatal(err)
	}
	if p.APITokenEnv != defaultTokenEnv || p.RealmID != info.AdminRealmID {
		t.Errorf("profile = %+v, want realm %s and api_token_env %s", p, info.AdminRealmID, defaultTokenEnv)
	}
	if !strings.Contains(stdout, "set "+defaultTokenEnv) {
		t.Errorf("stdout does not say which variable to set:\n%s", stdout)
	}

	// A second profile of the same name is refused, and the file is kept.
	before, _ := os.ReadFile(path)
	code, _, stderr = runCommand("profile", "add", "--token", info.APIToken, "--realm", info.RealmID,
		"--name", "admin", "--config", path)
	if code == 0 || !strings.Contains(stderr, "already has a profile named \"admin\"") {
		t.Errorf("adding a duplicate name exited %d with %q, want a refusal", code, stderr)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the refused add changed the file:\n%s", after)
	}
}

func TestProfileAddRejectsBadInput(t *testing.T) {
	sb := startSandboxForTest(t)
	info := sb.Info()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"every realm needs --realm", []string{"--token", info.APIToken}, 2, "choose one with --realm"},
		{"expired token", []string{"--token", sb.MintToken(client.AllScopes(), -time.Minute), "--realm", info.RealmID}, 1, "not accepted"},
		{"invalid name", []string{"--token", info.APIToken, "--realm", info.RealmID, "--name", "my profile"}, 2, "is invalid"},
		{"token env is a token", []string{"--token", info.APIToken, "--realm", info.RealmID, "--token-env", "eyJ.x"}, 2, "api_token_env is invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			args := append([]string{"profile", "add", "--config", path}, tc.args...)
			code, stdout, stderr := runCommand(args...)
			if code != tc.code {
				t.Errorf("exit status = %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a config file was written: %v", err)
			}
		})
	}
}

// TestProfileAddUnreachableAPI checks that a token that could not be sent
// is not called rejected: the sandbox that minted it is gone.
func TestProfileAddUnreachableAPI(t *testing.T) {
	sb := startSandboxForTest(t)
	info := sb.Info()
	host := strings.TrimPrefix(sb.URL(), "http://")
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	code, stdout, stderr := runCommand("profile", "add", "--config", path, "--token", info.APIToken, "--realm", info.RealmID)
	if code != 1 {
		t.Errorf("exit status = %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	want := "could not reach " + host + " (connection refused), so the token was not checked"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
	if strings.Contains(stderr, "not accepted") {
		t.Errorf("stderr = %q calls an unsent token rejected", stderr)
	}
	if strings.Contains(stderr, "/v1/") {
		t.Errorf("stderr = %q shows the request path, not only the host", stderr)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a config file was written: %v", err)
	}
}
