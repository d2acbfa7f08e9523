package ui

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/client/bulk"
)

// The desk screens' golden files, taken like TestGoldenScreens' (see
// golden_test.go for what is masked and why). Besides that, these mask the
// sandbox's random request ids (32 hex characters, also clipped), seconds
// of the audit viewer's timestamps, and the paths of the temporary audit
// log and bulk journal.
var (
	maskLongHex     = regexp.MustCompile(`\b[0-9a-f]{17,}…?`)
	maskSeconds     = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC`)
	maskAuditPathRe = regexp.MustCompile(`File: \S+`)
	maskJournalRe   = regexp.MustCompile(`Journal: \S+`)
)

func maskDeskView(view string) string {
	view = maskSeconds.ReplaceAllString(view, "YYYY-MM-DD hh:mm:ss UTC")
	view = maskView(view)
	// The temporary directory's name varies in length, so the path
	// becomes a fixed word.
	view = maskAuditPathRe.ReplaceAllString(view, "File: AUDIT_LOG_PATH")
	view = maskJournalRe.ReplaceAllString(view, "Journal: JOURNAL_PATH")
	return maskLongHex.ReplaceAllStringFunc(view, func(s string) string {
		return strings.Repeat("x", len([]rune(s)))
	})
}

func TestDeskGolden(t *testing.T) {
	type session func(t *testing.T, env *deskEnv, tm *teatest.TestModel)
	openEnrolled := func(t *testing.T, env *deskEnv, tm *teatest.TestModel, more ...string) string {
		target := env.findIdentity(t, "enrolled", enrolledActive)
		openIdentity(t, tm, target.Traits.Username, append([]string{"WEBAUTHN", "COMPLETE"}, more...)...)
		return target.Traits.Username
	}
	openPending := func(t *testing.T, env *deskEnv, tm *teatest.TestModel) string {
		target := env.findIdentity(t, "pending", pendingActive)
		openIdentity(t, tm, target.Traits.Username, "LINK_")
		return target.Traits.Username
	}
	openGroup := func(t *testing.T, env *deskEnv, tm *teatest.TestModel, name string) {
		_, row := env.groupByName(t, name)
		tm.Send(keyMsg("3"))
		waitForText(t, tm, "Administrators")
		for range row {
			tm.Send(keyMsg("down"))
		}
	}
	cases := []struct {
		name    string
		profile ProfileInfo
		audit   bool
		bulk    bool
		// console replaces the environment's console, for a session
		// that needs files in place before the console starts.
		console func(t *testing.T, env *deskEnv) *root
		run     session
	}{
		{name: "detail", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openEnrolled(t, env, tm)
		}},
		{name: "detail_jobs_pane", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openPending(t, env, tm)
			tm.Send(keyMsg("tab"))
			waitForText(t, tm, "x revoke job")
		}},
		{name: "confirm_revoke_credential", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openEnrolled(t, env, tm)
			tm.Send(keyMsg("x"))
			waitForText(t, tm, "Revoke this passkey")
		}},
		{name: "confirm_revoke_job", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openPending(t, env, tm)
			tm.Send(keyMsg("tab"))
			tm.Send(keyMsg("x"))
			waitForText(t, tm, "Revoke this enrollment link")
		}},
		{name: "confirm_suspend", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openEnrolled(t, env, tm)
			tm.Send(keyMsg("s"))
			waitForText(t, tm, "Suspend ")
		}},
		{name: "confirm_delete_production", profile: ProfileInfo{Name: "prod-eu", Production: true}, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openEnrolled(t, env, tm)
			tm.Send(keyMsg("d"))
			waitForText(t, tm, "for good?")
			tm.Type("bob")
			waitForText(t, tm, "bob")
		}},
		{name: "edit_identity", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			name := openEnrolled(t, env, tm)
			tm.Send(keyMsg("u"))
			waitForText(t, tm, "Edit "+name)
		}},
		{name: "groups", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			tm.Send(keyMsg("3"))
			waitForText(t, tm, "Administrators", "14")
		}},
		{name: "group_members", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openGroup(t, env, tm, "Engineering")
			tm.Send(keyMsg("enter"))
			waitForText(t, tm, "14 members")
		}},
		{name: "confirm_add_member", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openGroup(t, env, tm, "Contractors")
			tm.Send(keyMsg("enter"))
			waitForText(t, tm, "6 members")
			tm.Send(keyMsg("a"))
			waitForText(t, tm, "to group Contractors?")
		}},
		{name: "identity_list_group_filter", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openGroup(t, env, tm, "Support")
			tm.Send(keyMsg("f"))
			waitForText(t, tm, "group: Support")
		}},
		{name: "overview", run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			tm.Send(keyMsg("4"))
			tm.Send(keyMsg("r"))
			waitForText(t, tm, "Counted 40 identities")
		}},
		{name: "audit_viewer", audit: true, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			name := openEnrolled(t, env, tm)
			tm.Send(keyMsg("s"))
			waitForText(t, tm, "Suspend ")
			tm.Send(keyMsg("y"))
			// esc leaves only once the detail screen has reloaded; before
			// that it cancels the reload.
			waitForText(t, tm, name+" is suspended.", "status suspended")
			tm.Send(keyMsg("esc"))
			tm.Send(keyMsg("5"))
			waitForText(t, tm, "UpdateIdentity")
		}},
		{name: "bulk_menu", bulk: true, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			tm.Send(keyMsg("b"))
			waitForText(t, tm, "All unenrolled members of group Administrators")
		}},
		{name: "bulk_plan", bulk: true, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			openBulkPlan(t, tm, 0, 0, "Send an enrollment email to")
		}},
		{name: "bulk_plan_typed_production", profile: ProfileInfo{Name: "prod-eu", Production: true}, bulk: true, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			tm.Send(keyMsg(" "))
			tm.Send(keyMsg(" "))
			waitForText(t, tm, "2 selected")
			openBulkPlan(t, tm, 0, 1, "Suspend 2 identities")
			tm.Send(keyMsg("enter"))
			tm.Type("Demo")
			waitForText(t, tm, "> Demo")
		}},
		{name: "bulk_progress", bulk: true, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			// The sandbox holds the batch's emails, so the run stays in
			// the polling phase with every identity in flight.
			env.sb.Faults().SetBatchSendDelay(time.Hour)
			openBulkPlan(t, tm, 0, 0, "Send an enrollment email to")
			tm.Send(keyMsg("enter"))
			waitForText(t, tm, "Waiting for the service to send the emails.")
		}},
		{name: "bulk_result_failures", bulk: true, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			env.sb.Faults().SetEmailFailure(true)
			openBulkPlan(t, tm, 0, 0, "Send an enrollment email to")
			tm.Send(keyMsg("enter"))
			waitForText(t, tm, "Failed (")
		}},
		{name: "bulk_resume_offer", bulk: true, console: func(t *testing.T, env *deskEnv) *root {
			// A journal created and never run is an unfinished action.
			engine := bulk.New(env.check, bulk.Options{Profile: "sandbox", AuthenticatorConfigID: env.sb.Info().AuthenticatorConfigID})
			plan, err := engine.Plan(testContext(t), bulk.ActionSend, bulk.Unenrolled())
			if err != nil {
				t.Fatal(err)
			}
			j, err := bulk.CreateJournal(env.journalDir, plan)
			if err != nil {
				t.Fatal(err)
			}
			j.Close()
			return env.restart()
		}, run: func(t *testing.T, env *deskEnv, tm *teatest.TestModel) {
			waitForText(t, tm, "Demo Realm", "Unfinished bulk actions")
		}},
	}
	for _, tc := range cases {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				opts := deskOptions{bulk: tc.bulk}
				if tc.audit {
					opts.audit = filepath.Join(t.TempDir(), "audit.jsonl")
				}
				env := startDesk(t, tc.profile, opts)
				console := env.root
				if tc.console != nil {
					console = tc.console(t, env)
				}
				tm := teatest.NewTestModel(t, console, teatest.WithInitialTermSize(size[0], size[1]))
				if tc.console == nil {
					waitForText(t, tm, "Demo Realm", "Sandbox realm with")
				}
				tc.run(t, env, tm)
				tm.Send(tea.Quit())
				final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*root)
				golden.RequireEqual(t, []byte(maskDeskView(final.View())))
				stopBulkRun(t, final)
			})
		}
	}
}

// stopBulkRun pauses a bulk run still going on the final screen and waits
// for it, so that it does not outlive the test's sandbox and directories.
func stopBulkRun(t *testing.T, final *root) {
	t.Helper()
	p, ok := final.current().(*bulkProgress)
	if !ok {
		return
	}
	final.cancel()
	select {
	case <-p.runDone:
	case <-time.After(30 * time.Second):
		t.Error("the bulk run did not stop within 30s of its pause")
	}
}
