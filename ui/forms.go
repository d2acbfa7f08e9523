package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// inputCharLimit caps what a name input takes. It is well above the
// API's 64, so a pasted value that is too long is reported by validation
// instead of being cut without a word.
const inputCharLimit = 256

// newTextInput returns a single-line input in the console's style. The
// cursor does not blink: a blinking cursor redraws the screen twice a
// second and makes the screen differ between two otherwise equal frames.
func newTextInput(c *common, placeholder string, charLimit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = charLimit
	in.PlaceholderStyle = c.styles.Dim
	in.Cursor.SetMode(cursor.CursorStatic)
	return in
}

// formField is one labelled input of a form, with the problem found in it
// by local validation or reported by the API.
type formField struct {
	label string
	input textinput.Model
	err   string
	// apiField is the field path the API uses in its field violations.
	apiField string
	// check is the local validation of the trimmed value. It runs again
	// when an edit changes a value that has a problem shown. With nil the
	// problem is only cleared.
	check func(value string) string
}

// edit passes msg to the input. A problem shown under the field describes
// the value it was found in, so once the value changes the problem is
// checked again, and one the API reported goes away.
func (f *formField) edit(msg tea.Msg) tea.Cmd {
	before := f.input.Value()
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	if f.err != "" && f.input.Value() != before {
		f.err = ""
		if f.check != nil {
			f.err = f.check(strings.TrimSpace(f.input.Value()))
		}
	}
	return cmd
}

// labelWidth is the width of the label column of every form.
const labelWidth = 16

// fieldView draws one field: a marker and the label, the input, and the
// problem under it when there is one. The marker keeps the focused field
// visible without colour.
func fieldView(c *common, f *formField, focused bool, width int) string {
	st := c.styles
	marker := "  "
	label := st.Label.Render(pad(f.label, labelWidth))
	if focused {
		marker = "> "
		label = st.Focused.Render(pad(f.label, labelWidth))
	}
	line := marker + label + f.input.View()
	if f.err != "" {
		line += "\n" + strings.Repeat(" ", labelWidth+2) + st.FieldError.Render(clip("! "+f.err, width-labelWidth-2))
	}
	return line
}

// sizeFields fits the inputs to the width left of the label column.
func sizeFields(fields []*formField, width int) {
	for _, f := range fields {
		f.input.Width = max(width-labelWidth-3, 1)
	}
}

// focusField focuses field i of fields and blurs the others.
func focusField(fields []*formField, i int) tea.Cmd {
	var cmd tea.Cmd
	for j, f := range fields {
		if j == i {
			cmd = f.input.Focus()
		} else {
			f.input.Blur()
		}
	}
	return cmd
}
