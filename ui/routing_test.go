package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
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
