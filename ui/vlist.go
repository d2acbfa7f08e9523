package ui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// vlist is the cursor and scroll window of a list whose rows live
// elsewhere. Every operation is O(1) in the number of rows, and the owner
// draws only window() rows, which is what keeps a key press cheap in a list
// of 100,000 identities.
type vlist struct {
	cursor int
	offset int
	height int
}

func (v *vlist) setHeight(h int) {
	v.height = max(h, 1)
	v.follow()
}

// window returns the half-open range of rows to draw.
func (v *vlist) window(n int) (first, last int) {
	first = min(v.offset, max(n-1, 0))
	last = min(first+v.height, n)
	return first, last
}

// clamp keeps the cursor on a row after the rows changed.
func (v *vlist) clamp(n int) {
	v.cursor = max(min(v.cursor, n-1), 0)
	v.offset = max(min(v.offset, v.cursor), 0)
	v.follow()
}

// follow scrolls the window so the cursor stays visible.
func (v *vlist) follow() {
	if v.height <= 0 {
		return
	}
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+v.height {
		v.offset = v.cursor - v.height + 1
	}
}

// move applies a movement key and reports whether it was one.
func (v *vlist) move(msg tea.KeyMsg, k *keyMap, n int) bool {
	if n == 0 {
		return false
	}
	page := max(v.height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		v.cursor--
	case key.Matches(msg, k.Down):
		v.cursor++
	case key.Matches(msg, k.PageUp):
		v.cursor -= page
	case key.Matches(msg, k.PageDown):
		v.cursor += page
	case key.Matches(msg, k.Top):
		v.cursor = 0
	case key.Matches(msg, k.Bottom):
		v.cursor = n - 1
	default:
		return false
	}
	v.cursor = max(min(v.cursor, n-1), 0)
	v.follow()
	return true
}

// rangeText describes the rows on screen of a paged list, such as
// "21-40 of 1000 (200 loaded)", so the user sees both where they are and
// that more rows exist than were fetched.
func rangeText(first, last, loaded, total int) string {
	text := fmt.Sprintf("%d-%d of %d", first+1, last, total)
	if loaded < total {
		text += fmt.Sprintf(" (%d loaded)", loaded)
	}
	return text
}
