package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	planTitle  = regexp.MustCompile(`Send an enrollment email to (\d+) identities`)
	planTarget = regexp.MustCompile(`^  ([a-z]+\.[a-z]+)\s+\S+@example\.com\s+active\s+(UNENROLLED|INVITE_FAILED)`)
)

// TestE2EBulkResendToUnenrolled is the admins' task: select every identity
// of the realm that is not enrolled, send them all the enrollment email
// again, and see the new link on an identity, in the sandbox outbox and in
// the audit log.
func TestE2EBulkResendToUnenrolled(t *testing.T) {
	tmux := requireTool(t, "tmux", "tmux")
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eBudget)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}

	c := startConsole(ctx, t, tmux, bin, 120, 40, "--sandbox")
	first := c.waitForScreen("Sandbox realm with 40 identities", screenTimeout)
	base := sandboxURL(t, first)
	before := len(fetchOutbox(ctx, t, hc, base))

	c.press("b")
	c.waitForScreen("All unenrolled identities of the realm", screenTimeout)
	c.press("Enter")
	plan := c.waitForScreen("Send an enrollment email to", screenTimeout)
	m := planTitle.FindStringSubmatch(plan)
	if m == nil {
		t.Fatalf("no target count in the plan:\n%s", frame(plan))
	}
	count, _ := strconv.Atoi(m[1])
	var username string
	for _, line := range strings.Split(plan, "\n") {
		if tm := planTarget.FindStringSubmatch(line); tm != nil {
			username = tm[1]
			break
		}
	}
	if count == 0 || username == "" {
		t.Fatalf("the plan shows %d targets and no target row:\n%s", count, frame(plan))
	}

	c.press("Enter")
	done := c.waitForScreen("Done.", screenTimeout)
	if want := strconv.Itoa(count) + " of " + strconv.Itoa(count) + " succeeded, 0 failed"; !strings.Contains(done, want) {
		t.Fatalf("the result does not say %q:\n%s", want, frame(done))
	}

	// On screen: the identity's newest enrollment job is LINK_SENT.
	c.press("Escape")
	c.waitForScreen("Sandbox realm with", screenTimeout)
	c.press("/")
	c.waitForScreen("Find username:", screenTimeout)
	c.typeText(username)
	c.press("Enter")
	c.waitForScreen("1-1 of 1", screenTimeout)
	c.press("Enter")
	detail := c.waitForScreen("Enrollment jobs (", screenTimeout)
	c.waitFor(username+"'s new job on the detail screen", screenTimeout, func(s string) error {
		detail = s
		if !strings.Contains(s, "LINK_SENT") || !strings.Contains(s, "enrollment PENDING") {
			return errors.New("not there yet")
		}
		return nil
	})

	// Through the sandbox: one new email per target, one of them to the
	// identity checked on screen.
	messages := fetchOutbox(ctx, t, hc, base)
	if got := len(messages) - before; got != count {
		t.Errorf("the outbox got %d new messages, expected %d", got, count)
	}
	found := false
	for _, msg := range messages[before:] {
		if msg.To == username+"@example.com" && msg.Link != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no new message with a link to %s@example.com; detail screen:\n%s", username, frame(detail))
	}

	// In the audit log: the batch create, with its request id.
	entries := readAuditLog(t, filepath.Join(c.stateDir, "biadmin", "audit.jsonl"))
	batch := 0
	for _, e := range entries {
		if e.Operation == "CreateBatchCredentialBindingJob" && e.Outcome == "ok" && e.RequestID != "" && e.Profile == "sandbox" {
			batch++
		}
	}
	if batch == 0 {
		t.Errorf("the audit log has no successful batch create: %+v", entries)
	}
	c.quit()
}

// auditLine is the part of an audit log entry the test reads.
type auditLine struct {
	Operation string `json:"operation"`
	Outcome   string `json:"outcome"`
	RequestID string `json:"request_id"`
	Profile   string `json:"profile"`
}

func readAuditLog(t *testing.T, path string) []auditLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the console wrote no audit log: %v", err)
	}
	defer f.Close()
	var out []auditLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e auditLine
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
