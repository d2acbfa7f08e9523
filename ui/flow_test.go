package ui

import (
	"bytes"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"
)

// These flows drive the console against the sandbox over HTTP, checking
// what the fake API cannot show: the real error statuses and paging.

func TestFlowEmailWithoutAddress(t *testing.T) {
	r, _ := startSandboxConsole(t, ProfileInfo{Name: "sandbox"})
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(100, 30))
	waitForText(t, tm, "of 40")

	// hana.rossi is the seed's identity without an email address, so the
	// screen starts on RETURN; switching to EMAIL gets the API's 422.
	tm.Type("/hana.rossi")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")
	tm.Send(keyMsg("e"))
	waitForText(t, tm, "[RETURN]", "Hosted Web")
	tm.Send(keyMsg("left"))
	waitForText(t, tm, "[EMAIL]")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "hana.rossi has no email address; add one or use RETURN to get a link.")

	tm.Send(keyMsg("ctrl+c"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

func TestFlowCreateThenListShowsIt(t *testing.T) {
	r, _ := startSandboxConsole(t, ProfileInfo{Name: "sandbox"})
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(100, 30))
	waitForText(t, tm, "of 40")

	tm.Send(keyMsg("n"))
	waitForText(t, tm, "Create a user in this realm")
	tm.Type("grace.hopper")
	tm.Send(keyMsg("tab"))
	tm.Type("grace@example.com")
	tm.Send(keyMsg("ctrl+s"))
	waitForText(t, tm, "Send the enrollment email to grace@example.com now?")
	tm.Send(keyMsg("n"))
	waitForText(t, tm, "of 41")

	tm.Type("/grace.hopper")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")

	final := quitAndWait(t, tm)
	l := final.tabs[0].stack[0].(*identityList)
	if len(l.rows) != 1 || l.rows[0].username != "grace.hopper" || l.rows[0].displayName != "grace.hopper" {
		t.Fatalf("search rows = %+v, want grace.hopper with the username as display name", l.rows)
	}
}

func TestFlowPagesThroughLargeRealm(t *testing.T) {
	r, _ := startSandboxConsoleWith(t, ProfileInfo{Name: "sandbox"}, 450)
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(100, 30))
	waitForText(t, tm, "(200 loaded)")
	tm.Send(keyMsg("G"))
	waitForText(t, tm, "(400 loaded)")
	// G goes to the last loaded row, which fetches the next page. It is
	// pressed again until the last page has arrived and the cursor is on
	// the last identity.
	for i := 0; ; i++ {
		if i == 20 {
			t.Fatal("the last identity was never reached")
		}
		tm.Send(keyMsg("G"))
		if seen(tm, "-450 of 450", time.Second) {
			break
		}
	}
	quitAndWait(t, tm)
}

// seen reports whether text is drawn within d. Unlike waitForText it does
// not fail the test, for flows that retry a key.
func seen(tm *teatest.TestModel, text string, d time.Duration) bool {
	var out []byte
	buf := make([]byte, 4096)
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		n, _ := tm.Output().Read(buf)
		out = append(out, buf[:n]...)
		if bytes.Contains(out, []byte(text)) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// quitAndWait stops the program and returns its final model.
func quitAndWait(t *testing.T, tm *teatest.TestModel) *root {
	t.Helper()
	tm.Send(keyMsg("ctrl+c"))
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*root)
}
