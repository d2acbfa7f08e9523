package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// placeholder is drawn in place of each control character and escape
// sequence that sanitize takes out, so values that differ only in those
// still look different. U+FFFD is one cell wide, and invalid UTF-8 already
// becomes it.
const placeholder = '\uFFFD'

// sanitize makes a string that came from the API or a file safe to draw.
// Invalid UTF-8 becomes U+FFFD. Each escape sequence (CSI, OSC, DCS and the
// rest) becomes one U+FFFD, and so does each C0 or C1 control, DEL and
// bidirectional override, embedding, mark or isolate. Tabs, newlines, CRLF
// and the Unicode line separators become a space so neighbouring words stay
// apart. The result never moves the cursor, changes terminal state or
// reorders the text around it.
func sanitize(s string) string {
	if isPlainASCII(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")

	var b strings.Builder
	b.Grow(len(s))
	state := byte(0)
	for len(s) > 0 {
		seq, _, n, next := ansi.DecodeSequence(s, state, nil)
		if n <= 0 {
			// The decoder made no progress; the rest cannot be drawn.
			b.WriteRune(placeholder)
			break
		}
		state = next
		switch {
		case seq == "\r" && len(s) > 1 && s[1] == '\n':
			// The newline after it becomes the space.
		case len(seq) > 1 && seq[0] == ansi.ESC:
			b.WriteRune(placeholder)
		default:
			for _, r := range seq {
				writeSafeRune(&b, r)
			}
		}
		s = s[n:]
	}
	return b.String()
}

// writeSafeRune writes r, a space for a line or tab break, or the
// placeholder for a control character.
func writeSafeRune(b *strings.Builder, r rune) {
	switch {
	case r == '\t' || r == '\n' || r == '\u2028' || r == '\u2029':
		b.WriteByte(' ')
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		// C0 (a lone ESC and CR among them), DEL and C1 controls.
		b.WriteRune(placeholder)
	case isBidiControl(r):
		// An override would reorder the columns drawn after it.
		b.WriteRune(placeholder)
	default:
		b.WriteRune(r)
	}
}

// quote draws s sanitized between double quotes, without Go's escapes,
// so text the user typed reads as typed.
func quote(s string) string {
	return "\"" + sanitize(s) + "\""
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
