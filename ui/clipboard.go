package ui

import (
	"encoding/base64"
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"
)

// osc52 returns the OSC 52 escape sequence that makes the terminal put
// text on the system clipboard. It works over SSH, because the terminal
// does the copying, but terminals may ignore it: tmux takes it only with
// set-clipboard on, and some terminals turn it off by default.
func osc52(text string) string {
	return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\a"
}

// copyToClipboard writes the OSC 52 sequence for text to w, the terminal
// (os.Stdout when nil), and flashes done. The terminal sends no response,
// so success means only that the sequence was written.
//
// NOTE: Bubble Tea v1 has no command to write raw output, so the sequence
// goes to the terminal beside the renderer in a single write call, which
// in practice does not land inside a frame on Linux (not checked on other
// systems). A Bubble Tea version with a clipboard command should replace
// this.
func copyToClipboard(w io.Writer, text, done string) tea.Cmd {
	if w == nil {
		w = os.Stdout
	}
	seq := osc52(text)
	return func() tea.Msg {
		if _, err := io.WriteString(w, seq); err != nil {
			return flashMsg{level: flashError, text: "Could not copy to the clipboard: " + describeError(err)}
		}
		return flashMsg{level: flashInfo, text: done}
	}
}
