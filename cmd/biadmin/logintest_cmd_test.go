package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runLoginTestCommand runs `biadmin login-test --sandbox args...` with the
// fake browser as $BROWSER and returns its exit status, stdout and stderr.
// The demo application redirects to the fixed port 8765, which another test
// package may hold for a moment, so a run that found it busy is repeated.
func runLoginTestCommand(t *testing.T, bin, browser string, args ...string) (int, string, string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, append([]string{"login-test", "--sandbox", "--timeout", "30s"}, args...)...)
		cmd.Env = append(os.Environ(), "BROWSER="+browser)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		timedOut := ctx.Err() != nil
		cancel()
		if timedOut {
			t.Fatalf("biadmin login-test did not finish within 60s\nstderr:\n%s", stderr.String())
		}
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatalf("running biadmin login-test: %v", err)
		}
		busy := strings.Contains(stdout.String()+stderr.String(), "is already in use")
		if !busy {
			return code, stdout.String(), stderr.String()
		}
		if attempt == 5 {
			t.Skipf("port 8765, the demo application's redirect port, stayed in use by another process:\n%s", stderr.String())
		}
		time.Sleep(time.Second)
	}
}

func TestLoginTestCommandPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the biadmin binary; skipped in -short mode")
	}
	bin := buildBinary(t)
	browser := buildFakeBrowser(t)

	code, stdout, stderr := runLoginTestCommand(t, bin, browser, "--json")
	if code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var report struct {
		Passed bool `json:"passed"`
		Steps  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	if !report.Passed {
		t.Errorf("report says passed=false:\n%s", stdout)
	}
	if len(report.Steps) == 0 {
		t.Errorf("report has no steps:\n%s", stdout)
	}
	if strings.Contains(stdout, "eyJ") || strings.Contains(stderr, "eyJ") {
		t.Errorf("a token appears unmasked in the output:\n%s\n%s", stdout, stderr)
	}
}

func TestLoginTestCommandFailsPreflight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the biadmin binary; skipped in -short mode")
	}
	bin := buildBinary(t)
	browser := buildFakeBrowser(t)

	// The demo application does not allow this scope, so the pre-flight
	// fails and the command must not report success.
	code, stdout, stderr := runLoginTestCommand(t, bin, browser, "--scopes", "admin:everything")
	if code != 1 {
		t.Fatalf("exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "FAIL") || !strings.Contains(stdout, "admin:everything") {
		t.Errorf("the verdict does not name the scope that is not allowed:\n%s", stdout)
	}
}
