package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sandboxInfo is the JSON line `biadmin sandbox` prints first.
type sandboxInfo struct {
	APIBaseURL            string `json:"api_base_url"`
	AuthBaseURL           string `json:"auth_base_url"`
	TenantID              string `json:"tenant_id"`
	RealmID               string `json:"realm_id"`
	APIToken              string `json:"api_token"`
	AuthenticatorConfigID string `json:"authenticator_config_id"`
	AdminRealmID          string `json:"admin_realm_id"`
}

// startSandboxProcess runs `biadmin sandbox` on a free loopback port and
// returns what it prints. t.Cleanup interrupts it and waits for it.
func startSandboxProcess(ctx context.Context, t *testing.T, bin string) sandboxInfo {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "sandbox", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting biadmin sandbox: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("biadmin sandbox did not stop within 10s of SIGINT; stderr:\n%s", stderr.String())
		}
	})

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("biadmin sandbox printed nothing; stderr:\n%s", stderr.String())
		}
		var info sandboxInfo
		if err := json.Unmarshal([]byte(line), &info); err != nil {
			t.Fatalf("biadmin sandbox printed %q: %v", line, err)
		}
		return info
	case <-time.After(screenTimeout):
		t.Fatalf("biadmin sandbox printed no JSON line within %v; stderr:\n%s", screenTimeout, stderr.String())
	}
	return sandboxInfo{}
}

// headerLine returns the first line of a screen.
func headerLine(screen string) string {
	line, _, _ := strings.Cut(screen, "\n")
	return line
}

// waitForHeader waits until the header names profile and realm.
func (c *console) waitForHeader(profile, realm string) string {
	c.t.Helper()
	return c.waitFor(fmt.Sprintf("profile %s, realm %s in the header", profile, realm), screenTimeout, func(s string) error {
		h := headerLine(s)
		if !strings.HasPrefix(h, "biadmin  profile "+profile+" ") || !strings.Contains(h, "realm "+realm) {
			return fmt.Errorf("header is %q", h)
		}
		return nil
	})
}

func TestE2ESwitchProfileAndRealm(t *testing.T) {
	tmux := requireTool(t, "tmux", "tmux")
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eBudget)
	defer cancel()

	info := startSandboxProcess(ctx, t, bin)
	// The pane inherits the tmux server's environment, which startConsole
	// takes from this process, so the profiles find their token.
	t.Setenv("BIADMIN_E2E_PROFILE_TOKEN", info.APIToken)
	path := filepath.Join(t.TempDir(), "config.toml")
	config := fmt.Sprintf(`default_profile = "demo"

[profiles.demo]
tenant_id = %[1]q
realm_id = %[2]q
api_base_url = %[4]q
auth_base_url = %[5]q
api_token_env = "BIADMIN_E2E_PROFILE_TOKEN"

[profiles.admin]
tenant_id = %[1]q
realm_id = %[3]q
api_base_url = %[4]q
auth_base_url = %[5]q
api_token_env = "BIADMIN_E2E_PROFILE_TOKEN"
read_only = true
`, info.TenantID, info.RealmID, info.AdminRealmID, info.APIBaseURL, info.AuthBaseURL)
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	c := startConsole(ctx, t, tmux, bin, 120, 40, "--config", path)
	first := c.waitForHeader("demo", "Demo Realm")
	if strings.Contains(headerLine(first), "[READ-ONLY]") {
		t.Errorf("the demo profile is marked read-only: %q", headerLine(first))
	}
	c.waitForScreen("The realm has", screenTimeout)

	// The picker lists both profiles; the second row is admin.
	c.press("P")
	c.waitForScreen("Switch profile", screenTimeout)
	// The title shows before the profiles have loaded.
	c.waitFor("both profiles in the profile picker", screenTimeout, func(s string) error {
		for _, want := range []string{info.AdminRealmID, "read-only", "current"} {
			if !strings.Contains(s, want) {
				return fmt.Errorf("the profile picker does not show %q", want)
			}
		}
		return nil
	})
	c.press("Down", "Enter")
	switched := c.waitForHeader("admin", "Admin Realm")
	if !strings.Contains(headerLine(switched), "[READ-ONLY]") {
		t.Errorf("the admin profile is not marked read-only: %q", headerLine(switched))
	}
	c.waitForScreen("Switched to profile admin, realm Admin Realm.", screenTimeout)

	// The realm switcher lists the tenant's realms and opens the demo
	// realm with the admin profile's credentials.
	c.press("W")
	c.waitForScreen("Switch realm", screenTimeout)
	// The title shows before the realms have loaded.
	c.waitFor("the demo realm in the realm switcher", screenTimeout, func(s string) error {
		if !strings.Contains(s, "Demo Realm") || !strings.Contains(s, info.RealmID) {
			return errors.New("the realm switcher does not list the demo realm")
		}
		return nil
	})
	c.waitFor("the cursor on the Demo Realm row", screenTimeout, func(s string) error {
		for _, line := range strings.Split(s, "\n") {
			if strings.HasPrefix(line, "> ") && strings.Contains(line, "Demo Realm") {
				return nil
			}
		}
		c.press("Down")
		return errors.New("not on the demo realm yet")
	})
	c.press("Enter")
	c.waitForHeader("admin", "Demo Realm")
	c.waitForScreen("The realm has", screenTimeout)

	c.quit()
}
