package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// sanitize makes a string that came from the API or a file safe to draw.
// Invalid UTF-8 becomes U+FFFD, escape sequences (CSI, OSC, DCS and the
// rest) are removed whole, and what is left of C0 and C1 controls, DEL and
// the bidirectional overrides and isolates is dropped. Tabs, newlines and the
// Unicode line separators become a space so neighbouring words stay apart.
// The result never moves the cursor, changes terminal state or reorders
// the text around it.
func sanitize(s string) string {
	if isPlainASCII(s) {
		return s
	}
	s = ansi.Strip(strings.ToValidUTF8(s, "\uFFFD"))

	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' ||
			r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			// C0, DEL and C1 controls: dropped.
		case isBidiControl(r):
			// Dropped: an override would reorder the columns drawn after it.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlainASCII reports whether s has only printable ASCII, the common case
// that needs no work.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// isBidiControl reports whether r is one of the Unicode bidirectional
// formatting characters (UAX #9: marks, embeddings, overrides, isolates).
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F':
		return true
	case r >= '\u202A' && r <= '\u202E':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// clip truncates s to at most width terminal cells, ending in "…" when
// something was cut. Width is measured by grapheme cluster, so wide (CJK,
// emoji) characters count as two cells and a cluster is never split.
// s must already be sanitized.
func clip(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}

// pad clips s to width cells and fills the rest with spaces, so columns
// line up whatever the text.
func pad(s string, width int) string {
	s = clip(s, width)
	if w := ansi.StringWidth(s); w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// safe sanitizes and clips in one step, for API strings drawn once.
func safe(s string, width int) string {
	return clip(sanitize(s), width)
}
