package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

func TestDeletedWithItCounts(t *testing.T) {
	cases := []struct {
		creds, jobs, groups int
		want                string
	}{
		{0, 0, 0, "; it has no passkeys, enrollment jobs or group memberships"},
		{1, 0, 0, " with its 1 passkey"},
		{0, 2, 1, " with its 2 enrollment jobs and 1 group membership"},
		{3, 1, 2, " with its 3 passkeys, 1 enrollment job and 2 group memberships"},
	}
	for _, c := range cases {
		if got := deletedWithIt(c.creds, c.jobs, c.groups); got != c.want {
			t.Errorf("deletedWithIt(%d, %d, %d) = %q, want %q", c.creds, c.jobs, c.groups, got, c.want)
		}
	}
}

func TestIdentityListIntroWording(t *testing.T) {
	r := newTestRoot(t, newFakeAPI(1), ProfileInfo{Name: "test", Sandbox: true})
	l := r.current().(*identityList)
	if got := l.introText(); !strings.HasPrefix(got, "Sandbox realm with 1 identity.") {
		t.Errorf("intro of a sandbox realm with one identity = %q", got)
	}

	// A search that matched nothing is reported, with the text as typed.
	press(t, r, "/")
	typeText(t, r, `a"b\`)
	press(t, r, "enter")
	want := `No identity has the username "a"b\"; esc lists everyone.`
	if got := l.introText(); !strings.HasPrefix(got, want) {
		t.Errorf("intro after a search with no match = %q, want it to start with %q", got, want)
	}
	if got := l.emptyText(); !strings.Contains(got, `"a"b\"`) {
		t.Errorf("empty text %q does not show the search as typed", got)
	}
}

func TestJobExpiryOnlyForLiveJobs(t *testing.T) {
	now := fixedNow()
	expire := now.Add(6 * 24 * time.Hour)
	for _, state := range []string{client.JobComplete, client.JobRevoked, client.JobExpired, client.JobFailedToSend} {
		if got := jobExpiry(client.CredentialBindingJob{State: state, ExpireTime: expire}, now); got != "-" {
			t.Errorf("a %s job expires %q, want -", state, got)
		}
	}
	if got := jobExpiry(client.CredentialBindingJob{State: client.JobLinkSent, ExpireTime: expire}, now); got == "-" {
		t.Errorf("a live job shows no expiry")
	}
}

// TestSpaceSelectsWithoutPaging checks that space picks the row and moves
// one row down, not a page, and that no key outside the help pages.
func TestSpaceSelectsWithoutPaging(t *testing.T) {
	r := newTestRoot(t, newFakeAPI(60), ProfileInfo{Name: "test"})
	l := r.current().(*identityList)
	_, cmd := r.Update(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	settle(t, r, cmd)
	if l.view.cursor != 1 {
		t.Errorf("after space the cursor is on row %d, want 1", l.view.cursor)
	}
	if n := l.c.desk.sel.count(); n != 1 {
		t.Errorf("after space %d identities are selected, want 1", n)
	}
	// ctrl+f and ctrl+b are in no help, so they do not page either.
	for _, k := range []tea.KeyType{tea.KeyCtrlF, tea.KeyCtrlB} {
		_, cmd := r.Update(tea.KeyMsg{Type: k})
		settle(t, r, cmd)
		if l.view.cursor != 1 {
			t.Errorf("after %v the cursor is on row %d, want 1", tea.KeyMsg{Type: k}, l.view.cursor)
		}
	}
}

// TestDetailHelpListsTabOnce checks that a pushed screen's help does not
// offer tab for the next screen, which the root leaves to the screen.
func TestDetailHelpListsTabOnce(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	tm := env.run(t, 120, 40)
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "tab table")
	final := quitAndWait(t, tm)
	if _, ok := final.current().(*identityDetail); !ok {
		t.Fatalf("after enter the screen is %T, want *identityDetail", final.current())
	}
	help := final.fullHelpView(120)
	if n := len(regexp.MustCompile(`(?m)(^|\s)tab\s`).FindAllString(help, -1)); n != 1 {
		t.Errorf("the detail help lists tab %d times:\n%s", n, help)
	}
	if n := strings.Count(help, "back/cancel"); n != 1 {
		t.Errorf("the detail help lists esc %d times:\n%s", n, help)
	}
	if strings.Contains(help, "next screen") {
		t.Errorf("the detail help offers tab for the next screen:\n%s", help)
	}
}
