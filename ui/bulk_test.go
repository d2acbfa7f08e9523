package ui

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/audit"
	"github.com/biadmin/biadmin/client/bulk"
)

// unenrolledTargets returns the identities a send to "all unenrolled"
// reaches and those it skips: suspended identities and those without an
// email address are skipped.
func (e *deskEnv) unenrolledTargets(t *testing.T) (send, skip []client.Identity) {
	t.Helper()
	for id, err := range client.All(testContext(t), func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
		return e.check.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200, PageToken: token}})
	}) {
		if err != nil {
			t.Fatalf("list identities: %v", err)
		}
		if id.EnrollmentStatus != client.EnrollmentUnenrolled && id.EnrollmentStatus != client.EnrollmentInviteFailed {
			continue
		}
		if id.Status == client.StatusSuspended || id.Traits.PrimaryEmailAddress == "" {
			skip = append(skip, id)
		} else {
			send = append(send, id)
		}
	}
	return send, skip
}

// newestJobState returns the state of the identity's newest binding job,
// or "" when it has none.
func (e *deskEnv) newestJobState(t *testing.T, identityID string) string {
	t.Helper()
	p, err := e.check.ListCredentialBindingJobs(testContext(t), identityID, client.ListOptions{PageSize: 200})
	if err != nil {
		t.Fatalf("list jobs of %s: %v", identityID, err)
	}
	var newest client.CredentialBindingJob
	for _, j := range p.Items {
		if newest.ID == "" || !j.CreateTime.Before(newest.CreateTime) {
			newest = j
		}
	}
	return newest.State
}

// openBulkPlan opens the bulk menu, moves to the choice down rows below
// the first, picks the action right presses from "send", and waits for
// the plan.
func openBulkPlan(t *testing.T, tm *teatest.TestModel, down, right int, title string) {
	t.Helper()
	tm.Send(keyMsg("b"))
	waitForText(t, tm, "Bulk action", "All unenrolled identities of the realm")
	for range down {
		tm.Send(keyMsg("down"))
	}
	for range right {
		tm.Send(keyMsg("right"))
	}
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, title)
}

func TestBulkSendToUnenrolled(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	env := startDesk(t, ProfileInfo{}, deskOptions{bulk: true, audit: auditPath})
	send, skip := env.unenrolledTargets(t)
	if len(send) < 2 || len(skip) == 0 {
		t.Fatalf("the seed gives %d targets and %d skips; the test needs both", len(send), len(skip))
	}
	tm := env.run(t, 120, 40)

	openBulkPlan(t, tm, 0, 0, fmt.Sprintf("Send an enrollment email to %d identities", len(send)))
	tm.Send(keyMsg("c"))
	waitForText(t, tm, "Exported the target list to")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Done.", fmt.Sprintf("%d of %d succeeded, 0 failed", len(send), len(send)))

	for _, id := range send {
		if got := env.newestJobState(t, id.ID); got != client.JobLinkSent {
			t.Errorf("%s: newest job %s, want LINK_SENT", id.Traits.Username, got)
		}
	}
	for _, id := range skip {
		if id.Traits.PrimaryEmailAddress == "" && env.newestJobState(t, id.ID) != "" {
			t.Errorf("%s has no email address but got a job", id.Traits.Username)
		}
	}

	// The export lists every target and every skipped identity.
	files, _ := filepath.Glob(filepath.Join(env.exportDir, "*.csv"))
	if len(files) != 1 {
		t.Fatalf("exports = %v, want one CSV", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read export: %v", err)
	}
	if len(rows) != 1+len(send)+len(skip) {
		t.Errorf("export has %d rows, want a header, %d targets and %d skipped", len(rows), len(send), len(skip))
	}

	// The batch went through the audited API.
	entries, err := audit.Read(auditPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].Operation != "CreateBatchCredentialBindingJob" || entries[0].Outcome != audit.OutcomeOK {
		t.Errorf("audit entries = %+v, want the batch create", entries)
	}
	quitAndWait(t, tm)
}

func TestBulkSuspendNeedsRealmName(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{bulk: true})
	tm := env.run(t, 120, 40)

	// Pick the first two rows, then suspend them. The list shows the
	// identities in the API's order.
	first, err := env.check.ListIdentities(testContext(t), client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 2}})
	if err != nil {
		t.Fatal(err)
	}
	picked := first.Items
	tm.Send(keyMsg(" "))
	tm.Send(keyMsg(" "))
	waitForText(t, tm, "2 selected")
	openBulkPlan(t, tm, 0, 1, "Suspend 2 identities")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Type the realm's name")
	tm.Type("Demo")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "That does not match.")
	for _, id := range picked {
		if got := env.identity(t, id.Traits.Username).Status; got != client.StatusActive {
			t.Fatalf("%s is %s before the confirmation", id.Traits.Username, got)
		}
	}
	tm.Type(" Realm")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Done.", "2 of 2 succeeded, 0 failed")
	for _, id := range picked {
		if got := env.identity(t, id.Traits.Username).Status; got != client.StatusSuspended {
			t.Errorf("%s is %s after the bulk suspend", id.Traits.Username, got)
		}
	}
	quitAndWait(t, tm)
}

// TestBulkFailuresThenRetry sends while the sandbox cannot send email, so
// every identity fails with the service's reason, then retries the
// failures once email works again.
func TestBulkFailuresThenRetry(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{bulk: true})
	send, _ := env.unenrolledTargets(t)
	tm := env.run(t, 120, 40)

	env.sb.Faults().SetEmailFailure(true)
	openBulkPlan(t, tm, 0, 0, "Send an enrollment email to")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, fmt.Sprintf("0 of %d succeeded, %d failed", len(send), len(send)), fmt.Sprintf("Failed (%d)", len(send)))

	first := onlyJournal(t, env.journalDir)
	if len(first.Failed) != len(send) {
		t.Fatalf("the journal records %d failures, want %d", len(first.Failed), len(send))
	}
	for _, f := range first.Failed {
		if f.Reason == "" {
			t.Errorf("failure of %s has no reason", f.IdentityID)
		}
	}

	env.sb.Faults().SetEmailFailure(false)
	tm.Send(keyMsg("f"))
	waitForText(t, tm, fmt.Sprintf("Send an enrollment email to %d identities", len(send)))
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, fmt.Sprintf("%d of %d succeeded, 0 failed", len(send), len(send)))
	for _, id := range send {
		if got := env.newestJobState(t, id.ID); got != client.JobLinkSent {
			t.Errorf("%s: newest job %s after the retry, want LINK_SENT", id.Traits.Username, got)
		}
	}
	quitAndWait(t, tm)
}

// TestBulkPauseResumeAndOffer pauses a slow bulk suspend with esc, checks
// that a new console offers to resume it, and resumes it to the end
// without acting on anyone twice.
func TestBulkPauseResumeAndOffer(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{bulk: true})
	tm := env.run(t, 120, 40)

	active := 0
	for id, err := range client.All(testContext(t), func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
		return env.check.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200, PageToken: token}})
	}) {
		if err != nil {
			t.Fatal(err)
		}
		if id.Status == client.StatusActive {
			active++
		}
	}
	tm.Send(keyMsg("a"))
	waitForText(t, tm, "Selected 40")
	openBulkPlan(t, tm, 0, 1, fmt.Sprintf("Suspend %d identities", active))
	total := active
	env.sb.Faults().SetLatency(300 * time.Millisecond)
	tm.Send(keyMsg("enter"))
	tm.Type("Demo Realm")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "esc pauses safely")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Paused.", "r to resume where it stopped")
	env.sb.Faults().SetLatency(0)
	quitAndWait(t, tm)
	paused := onlyJournal(t, env.journalDir)
	if paused.Succeeded == 0 || paused.Succeeded >= total {
		t.Fatalf("paused after %d of %d; the pause should land in the middle", paused.Succeeded, total)
	}

	// A new console finds the unfinished action and offers it.
	second := env.restart()
	tm2 := teatest.NewTestModel(t, second, teatest.WithInitialTermSize(120, 40))
	waitForText(t, tm2, "Unfinished bulk actions", "Suspend ")
	tm2.Send(keyMsg("enter"))
	waitForText(t, tm2, "Resume: Suspend")
	tm2.Send(keyMsg("enter"))
	tm2.Type("Demo Realm")
	tm2.Send(keyMsg("enter"))
	waitForText(t, tm2, "Done.")

	quitAndWait(t, tm2)
	res := onlyJournal(t, env.journalDir)
	if res.Succeeded != total || len(res.Failed) != 0 || res.Paused {
		t.Errorf("after the resume: %d of %d succeeded, %d failed, paused %v", res.Succeeded, total, len(res.Failed), res.Paused)
	}
	var updates []string
	for _, r := range env.bodies.matching("PATCH ") {
		updates = append(updates, strings.Fields(r)[1])
	}
	slices.Sort(updates)
	if len(slices.Compact(slices.Clone(updates))) != len(updates) {
		t.Errorf("an identity was updated twice: %v", updates)
	}
	if len(updates) != total {
		t.Errorf("%d PATCH requests for %d targets", len(updates), total)
	}
}

// onlyJournal returns the state of the newest journal in dir.
func onlyJournal(t *testing.T, dir string) *bulk.Result {
	t.Helper()
	infos, err := bulk.ListJournals(dir)
	if err != nil || len(infos) == 0 || infos[0].Err != nil {
		t.Fatalf("journals in %s: %v, %+v", dir, err, infos)
	}
	return infos[0].Result
}

// TestReadOnlyHidesBulkActions checks that read-only mode binds no
// selection or bulk key.
func TestReadOnlyHidesBulkActions(t *testing.T) {
	env := startDesk(t, ProfileInfo{ReadOnly: true}, deskOptions{bulk: true})
	tm := env.run(t, 120, 40)
	tm.Send(keyMsg(" "))
	tm.Send(keyMsg("a"))
	tm.Send(keyMsg("b"))
	tm.Send(keyMsg("?"))
	waitForText(t, tm, "Keys: Identities")
	final := quitAndWait(t, tm)
	if !final.c.desk.sel.empty() {
		t.Error("read-only mode selected identities")
	}
	if _, ok := final.current().(*identityList); !ok {
		t.Errorf("b opened %T in read-only mode", final.current())
	}
	for _, hidden := range []string{"bulk", "select"} {
		if strings.Contains(final.View(), hidden) {
			t.Errorf("read-only help lists %q:\n%s", hidden, final.View())
		}
	}
}
