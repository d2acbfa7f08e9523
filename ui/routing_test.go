package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// TestTooSmallWindowTypesIntoFocusedInput shrinks the window while the
// create-user form has focus: q must be typed, not quit and lose the
// input; ctrl+c still quits.
func TestTooSmallWindowTypesIntoFocusedInput(t *testing.T) {
	r, f := openCreateUser(t, newFakeAPI(3))
	typeText(t, r, "keep.me")
	r.Update(tea.WindowSizeMsg{Width: 60, Height: 15})
	if view := r.View(); !strings.Contains(view, "press ctrl+c to quit") {
		t.Errorf("the too-small view does not say ctrl+c quits while typing:\n%s", view)
	}
	_, cmd := r.Update(keyMsg("q"))
	if r.quitting {
		t.Fatal("q quit the console while a text field had focus")
	}
	settle(t, r, cmd)
	if got := f.fields[fieldUsername].input.Value(); got != "keep.me"+"q" {
		t.Errorf("username = %q, want keep.meq", got)
	}
	r.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := f.fields[fieldUsername].input.Value(); got != "keep.meq" {
		t.Errorf("after growing the window the username is %q", got)
	}
	r.Update(tea.WindowSizeMsg{Width: 60, Height: 15})
	r.Update(keyMsg("ctrl+c"))
	if !r.quitting {
		t.Error("ctrl+c did not quit in a window that is too small")
	}
}

// TestTooSmallWindowQuitsOnQWithoutInput keeps q as quit where nothing is
// typed, and ignores other keys, as nothing shows what they would do.
func TestTooSmallWindowQuitsOnQWithoutInput(t *testing.T) {
	r := newTestRoot(t, newFakeAPI(3), ProfileInfo{Name: "test"})
	r.Update(tea.WindowSizeMsg{Width: 60, Height: 15})
	press(t, r, "n")
	if _, ok := r.current().(*identityList); !ok {
		t.Errorf("n opened %T in a window too small to show it", r.current())
	}
	r.Update(keyMsg("q"))
	if !r.quitting {
		t.Error("q did not quit in a window that is too small")
	}
}

// TestFlashClearsWhenLeavingItsScreen leaves the create-user form after a
// failed create: the failure is about the form, so it must not follow the
// user to the list or to realm settings.
func TestFlashClearsWhenLeavingItsScreen(t *testing.T) {
	api := newFakeAPI(3)
	api.createErr = &client.APIError{Status: 409, Code: "conflict", Message: "username already exists"}
	r, _ := openCreateUser(t, api)
	fillCreateUser(t, r)
	if !strings.Contains(r.flash.text, "Could not create the user") {
		t.Fatalf("flash = %q, want the failed create", r.flash.text)
	}
	press(t, r, "esc")
	if _, ok := r.current().(*identityList); !ok {
		t.Fatalf("esc shows %T, want the list", r.current())
	}
	if r.flash.text != "" {
		t.Errorf("flash = %q on the list, want it cleared with the form", r.flash.text)
	}

	// The same on a tab switch.
	press(t, r, "n")
	fillCreateUser(t, r)
	press(t, r, "esc", "2")
	if _, ok := r.current().(*realmSettings); !ok {
		t.Fatalf("2 shows %T, want realm settings", r.current())
	}
	if strings.Contains(r.View(), "Could not create") {
		t.Errorf("realm settings show the create-user failure:\n%s", r.View())
	}
}

// TestFlashThatComesWithTheMoveStays closes a form the way a success
// does, with the message and the pop from one key's result, in either
// order: the message is about the move and must stay. A message from
// the enrollment screen goes when the user leaves it.
func TestFlashThatComesWithTheMoveStays(t *testing.T) {
	for _, flashFirst := range []bool{true, false} {
		r, f := openCreateUser(t, newFakeAPI(3))
		typeText(t, r, "alice")
		done := []tea.Msg{flashMsg{level: flashSuccess, text: "Saved alice."}, popScreenMsg{id: f.ID()}}
		if !flashFirst {
			done[0], done[1] = done[1], done[0]
		}
		for _, msg := range done {
			_, cmd := r.Update(msg)
			settle(t, r, cmd)
		}
		if _, ok := r.current().(*identityList); !ok {
			t.Fatalf("screen = %T after the pop", r.current())
		}
		if r.flash.text != "Saved alice." {
			t.Errorf("flash first %v: flash = %q, want the success kept", flashFirst, r.flash.text)
		}
	}

	r := newTestRoot(t, newFakeAPI(3), ProfileInfo{Name: "test"})
	press(t, r, "e", "enter")
	if !strings.Contains(r.flash.text, "Enrollment email sent") {
		t.Fatalf("flash = %q after send", r.flash.text)
	}
	press(t, r, "esc")
	if r.flash.text != "" {
		t.Errorf("flash = %q after leaving the enrollment screen", r.flash.text)
	}
}

// TestFieldErrorClearsOnEdit edits a field with a problem: the problem is
// checked again as the value changes, so a fixed value shows none and an
// emptied required field says so.
func TestFieldErrorClearsOnEdit(t *testing.T) {
	api := newFakeAPI(3)
	r, f := openCreateUser(t, api)
	typeText(t, r, "al<")
	press(t, r, "ctrl+s")
	username := f.fields[fieldUsername]
	if !strings.Contains(username.err, `must not contain '<'`) {
		t.Fatalf("problem = %q", username.err)
	}
	press(t, r, "backspace")
	if username.err != "" || strings.Contains(r.View(), "must not contain") {
		t.Errorf("after removing '<' the problem is still %q", username.err)
	}
	typeText(t, r, ":")
	press(t, r, "ctrl+s")
	press(t, r, "ctrl+u")
	if username.err != "required" {
		t.Errorf("after clearing the field the problem is %q, want required", username.err)
	}

	// A problem the API reported goes too once the value changes.
	api.createErr = &client.APIError{Status: 409, Code: "conflict", Message: "username already exists"}
	typeText(t, r, "bob")
	press(t, r, "ctrl+s")
	if !strings.Contains(username.err, "already exists") {
		t.Fatalf("problem = %q, want the conflict", username.err)
	}
	typeText(t, r, "2")
	if username.err != "" {
		t.Errorf("after editing the username the conflict is still shown: %q", username.err)
	}

	// The realm name field behaves the same.
	press(t, r, "esc", "2", "e", "ctrl+u")
	typeText(t, r, "Bad;")
	press(t, r, "enter")
	s := r.current().(*realmSettings)
	if s.name.err == "" {
		t.Fatal("no problem for a name with ';'")
	}
	press(t, r, "backspace")
	if s.name.err != "" {
		t.Errorf("realm name problem = %q after the fix", s.name.err)
	}
}

// TestRevokeNoticeClearsOnConfirmation presses x where there is no
// credential, then x on a live job: the notice about the credential must
// not sit on the job's confirmation.
func TestRevokeNoticeClearsOnConfirmation(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "pending", pendingActive)
	tm := env.run(t, 120, 40)
	openIdentity(t, tm, target.Traits.Username, "PENDING")
	tm.Send(keyMsg("x"))
	waitForText(t, tm, "There is no credential to revoke.")
	tm.Send(keyMsg("tab"))
	tm.Send(keyMsg("x"))
	waitForText(t, tm, "Revoke this enrollment link of "+target.Traits.Username+"?")
	r := quitAndWait(t, tm)
	if _, ok := r.current().(*confirmation); !ok {
		t.Fatalf("screen = %T, want the confirmation", r.current())
	}
	if r.flash.text != "" {
		t.Errorf("the confirmation shows the earlier notice %q", r.flash.text)
	}
}
