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
)

// The desk screens' golden files, taken like TestGoldenScreens' (see
// golden_test.go for what is masked and why). Besides that, these mask the
// sandbox's random request ids (32 hex characters, also clipped), seconds
// of the audit viewer's timestamps and the temporary audit log's path.
var (
	maskLongHex     = regexp.MustCompile(`\b[0-9a-f]{17,}…?`)
	maskSeconds     = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC`)
	maskAuditPathRe = regexp.MustCompile(`File: \S+`)
)

func maskDeskView(view string) string {
	view = maskSeconds.ReplaceAllString(view, "YYYY-MM-DD hh:mm:ss UTC")
	view = maskView(view)
	// The temporary directory's name varies in length, so the path
	// becomes a fixed word.
	view = maskAuditPathRe.ReplaceAllString(view, "File: AUDIT_LOG_PATH")
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
			waitForText(t, tm, name+" is suspended.")
			tm.Send(keyMsg("esc"))
			tm.Send(keyMsg("5"))
			waitForText(t, tm, "UpdateIdentity")
		}},
	}
	for _, tc := range cases {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				var opts deskOptions
				if tc.audit {
					opts.audit = filepath.Join(t.TempDir(), "audit.jsonl")
				}
				env := startDesk(t, tc.profile, opts)
				tm := teatest.NewTestModel(t, env.root, teatest.WithInitialTermSize(size[0], size[1]))
				waitForText(t, tm, "of 40", "Demo Realm")
				tc.run(t, env, tm)
				tm.Send(tea.Quit())
				final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*root)
				golden.RequireEqual(t, []byte(maskDeskView(final.View())))
			})
		}
	}
}
