package ui

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestSanitizeMarksControls(t *testing.T) {
	cases := map[string]string{
		"plain":                          "plain",
		"red \x1b[31mtext\x1b[0m":        "red \uFFFDtext\uFFFD",
		"title \x1b]0;pwned\x07here":     "title \uFFFDhere",
		"link \x1b]8;;http://x\x1b\\a":   "link \uFFFDa",
		"bell\x07 and nul\x00":           "bell\uFFFD and nul\uFFFD",
		"tab\tnew\nline\r":               "tab new line\uFFFD",
		"crlf\r\nnext":                   "crlf next",
		"del\x7f":                        "del\uFFFD",
		"c1 \u009b31m":                   "c1 \uFFFD31m",
		"bidi \u202eevil\u202c":          "bidi \uFFFDevil\uFFFD",
		"isolate \u2066x\u2069":          "isolate \uFFFDx\uFFFD",
		"bad utf8 \xff":                  "bad utf8 \uFFFD",
		"wide 日本語":                       "wide 日本語",
		"emoji 👩‍💻":                      "emoji 👩‍💻",
		"line sep\u2028para\u2029end":    "line sep para end",
		"unterminated \x1b[":             "unterminated \uFFFD",
		"lone esc \x1b":                  "lone esc \uFFFD",
		"8-bit csi as bytes \xc2\x9b31m": "8-bit csi as bytes \uFFFD31m",
		"ctl\u0000user":                  "ctl\uFFFDuser",
		"aaa\x1b(0qqqq\rx\b\by":          "aaa\uFFFDqqqq\uFFFDx\uFFFD\uFFFDy",
	}
	for in, want := range cases {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSanitizeKeepsValuesApart checks that values differing only in
// control characters still draw differently.
func TestSanitizeKeepsValuesApart(t *testing.T) {
	pairs := [][2]string{
		{"ctl\u0000user", "ctluser"},
		{"ad\u202emin", "admin"},
		{"a\x1b[0mb", "ab"},
	}
	for _, p := range pairs {
		if sanitize(p[0]) == sanitize(p[1]) {
			t.Errorf("sanitize(%q) and sanitize(%q) are both %q", p[0], p[1], sanitize(p[0]))
		}
	}
}

func TestClipByCells(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  string
	}{
		{"alice", 10, "alice"},
		{"alice@example.com", 8, "alice@e…"},
		{"日本語テキスト", 7, "日本語…"},
		{"anything", 0, ""},
	}
	for _, c := range cases {
		got := clip(c.in, c.width)
		if got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		if w := ansi.StringWidth(got); w > c.width {
			t.Errorf("clip(%q, %d) is %d cells wide", c.in, c.width, w)
		}
	}
	if got := pad("日本", 6); got != "日本  " {
		t.Errorf("pad = %q, want two spaces after the two wide characters", got)
	}
}

// FuzzSanitize checks that whatever the API sends, what reaches the screen
// has no control bytes, no C1 or bidi controls, is valid UTF-8 and fits the
// width it was clipped to.
func FuzzSanitize(f *testing.F) {
	seeds := []string{"alice", "\x1b[2J\x1b[H", "\x1b]52;c;aGk=\x07", "\u202eabc", "日本語", "\xc2\x9b1m", "\xff\xfe", "a\tb\nc", "👩‍👩‍👧‍👦 family"}
	for _, s := range seeds {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, in string, width int) {
		width = width%200 + 1
		if width < 1 {
			width = -width + 1
		}
		out := safe(in, width)
		if !utf8.ValidString(out) {
			t.Fatalf("safe(%q) = %q is not valid UTF-8", in, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] == 0x7f {
				t.Fatalf("safe(%q) = %q has control byte %#x at %d", in, out, out[i], i)
			}
		}
		for _, r := range out {
			if r >= 0x80 && r <= 0x9f {
				t.Fatalf("safe(%q) = %q has C1 control %U", in, out, r)
			}
			if isBidiControl(r) {
				t.Fatalf("safe(%q) = %q has bidi control %U", in, out, r)
			}
		}
		if strings.ContainsRune(out, '\x1b') {
			t.Fatalf("safe(%q) = %q has ESC", in, out)
		}
		if w := ansi.StringWidth(out); w > width {
			t.Fatalf("safe(%q, %d) = %q is %d cells wide", in, width, out, w)
		}
	})
}
