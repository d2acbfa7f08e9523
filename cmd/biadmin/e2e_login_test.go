package main_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildFakeBrowser compiles testdata/fakebrowser, the $BROWSER stand-in
// that signs in to the sandbox over HTTP.
func buildFakeBrowser(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fakebrowser")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./testdata/fakebrowser").CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("go build fakebrowser did not finish within %v:\n%s", buildTimeout, out)
	}
	if err != nil {
		t.Fatalf("go build fakebrowser: %v\n%s", err, out)
	}
	return bin
}

var testerTab = regexp.MustCompile(`(\d) Login tester`)

// oneLine joins the screen's lines with single spaces, so a sentence the
// console wrapped can be found whole.
func oneLine(screen string) string {
	return strings.Join(strings.Fields(screen), " ")
}

// finishedTest waits until the login tester shows a verdict and returns
// the screen.
func finishedTest(c *console) string {
	c.t.Helper()
	return c.waitFor("the login test's verdict", screenTimeout, func(s string) error {
		if strings.Contains(s, "PASSED") || strings.Contains(s, "FAILED") || strings.Contains(s, "CANCELLED") {
			return nil
		}
		return errors.New("no verdict yet")
	})
}

// runUntilListening presses key to start a test and returns its verdict.
// The sandbox's demo application redirects to the fixed port 8765, which
// another test may hold for a moment, so a test that could not listen is
// run again a few times before the test is skipped.
func runUntilListening(t *testing.T, c *console, key string) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		c.press(key)
		screen := finishedTest(c)
		if !strings.Contains(oneLine(screen), "is already in use") {
			return screen
		}
		if attempt == 5 {
			t.Skipf("port 8765, the demo application's redirect port, stayed in use by another process:\n%s", frame(screen))
		}
		t.Logf("port 8765 is in use (attempt %d); running the test again", attempt)
		time.Sleep(2 * time.Second)
		// After a verdict, r runs the same test again.
		key = "r"
	}
}

// TestE2ELoginTester runs the login tester against the in-process sandbox
// with $BROWSER set to a program that signs in over HTTP, once from the
// tester's tab and once with t on an enrolled identity.
func TestE2ELoginTester(t *testing.T) {
	tmux := requireTool(t, "tmux", "tmux")
	bin := buildBinary(t)
	browser := buildFakeBrowser(t)
	// The tmux server, and so the console in its pane, inherit it.
	t.Setenv("BROWSER", browser)
	ctx, cancel := context.WithTimeout(context.Background(), e2eBudget)
	defer cancel()

	c := startConsole(ctx, t, tmux, bin, 120, 40, "--sandbox")
	first := c.waitForScreen("Sandbox realm with", screenTimeout)
	m := testerTab.FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("no Login tester tab on the first screen:\n%s", frame(first))
	}
	c.press(m[1])
	c.waitForScreen("Demo App (default)", screenTimeout)

	verdict := runUntilListening(t, c, "Enter")
	if !strings.Contains(verdict, "PASSED") {
		t.Fatalf("the login test did not pass:\n%s", frame(verdict))
	}
	for _, want := range []string{"every check passed", "Signed in as sub", "[redacted,", "ID token claims"} {
		if !strings.Contains(verdict, want) {
			t.Errorf("the verdict has no %q:\n%s", want, frame(verdict))
		}
	}

	// t on an enrolled identity tests as that identity at once.
	c.press("1")
	c.waitForScreen("Sandbox realm with", screenTimeout)
	c.press("/")
	c.waitForScreen("Find username:", screenTimeout)
	c.typeText("bob.smith")
	c.press("Enter")
	c.waitForScreen("1-1 of 1", screenTimeout)
	verdict = runUntilListening(t, c, "t")
	if !strings.Contains(verdict, "PASSED") || !strings.Contains(verdict, "expected identity bob.smith") {
		t.Fatalf("the test as bob.smith did not pass with the expected subject:\n%s", frame(verdict))
	}
	if !strings.Contains(verdict, "login hint bob.smith") {
		t.Errorf("the title does not name the login hint:\n%s", frame(verdict))
	}

	c.quit()
	log := c.logFile()
	if !strings.Contains(log, `msg="login test finished"`) || !strings.Contains(log, "passed=true") {
		t.Errorf("the log file does not record the passed test:\n%s", log)
	}
	// A JWT starts with "eyJ"; the redirect carries code= and state=.
	for _, leak := range []string{"eyJ", "code=", "state=", "/authorize?"} {
		if strings.Contains(log, leak) {
			t.Errorf("the log file contains %q", leak)
		}
	}
}
