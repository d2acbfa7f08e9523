package ui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// confirmation is a pushed screen that states exactly what an action will
// change and runs it only after the user agrees with y or enter. An action
// that cannot be undone needs a given text typed instead. The screen runs
// the action itself, shows a failure in place with the typed text kept, and
// leaves after a success.
type confirmation struct {
	base
	// question is the first line ("Delete alice?"), and changes are the
	// sentences that describe what happens. Both are already sanitized.
	question string
	changes  []string
	// typed is the text the user must type. When empty, y or enter confirms.
	typed string
	input textinput.Model
	// verb names the action in the prompt and the progress line.
	verb string

	run func(ctx context.Context) (any, error)
	// done returns what follows a success: a flash, a broadcast.
	done func(v any) tea.Cmd
	// failed explains a failure as a sentence and may return more to do
	// (a reload); nil uses describeError.
	failed func(err error) (string, tea.Cmd)
	// outcome is the sentence shown when the user stops waiting ("alice may
	// have been suspended"), or "" for a general one. The screen then
	// leaves and every list reloads.
	outcome string

	errText string
}

// newConfirmation builds the screen; the caller sets run, done and, when
// needed, typed and failed.
func newConfirmation(c *common, title, question, verb string, changes ...string) *confirmation {
	return &confirmation{
		base:     newBase(c, title),
		question: question,
		changes:  changes,
		verb:     verb,
	}
}

// requireTyping makes the user type text before the action runs.
func (f *confirmation) requireTyping(text string) *confirmation {
	f.typed = text
	f.input = newTextInput(f.c, "", inputCharLimit)
	return f
}

func (f *confirmation) Init() tea.Cmd {
	if f.typed != "" {
		return f.input.Focus()
	}
	return nil
}

func (f *confirmation) InputFocused() bool { return f.typed != "" }

func (f *confirmation) SetSize(width, height int) {
	f.base.SetSize(width, height)
	f.input.Width = max(width-4, 1)
}

func (f *confirmation) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return f, f.handleResult(msg)
	case tea.KeyMsg:
		return f, f.handleKey(msg)
	}
	return f, nil
}

func (f *confirmation) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := f.c.keys
	if key.Matches(msg, k.Cancel) {
		return f.handleEsc()
	}
	if f.Busy() {
		return nil
	}
	if f.typed != "" {
		if msg.Type == tea.KeyEnter {
			return f.confirmTyped()
		}
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Yes):
		return f.start()
	case key.Matches(msg, k.No):
		return popScreen(f.id)
	}
	return nil
}

func (f *confirmation) confirmTyped() tea.Cmd {
	if strings.TrimSpace(f.input.Value()) != f.typed {
		f.errText = "That does not match. Type " + f.typed + " exactly, or press esc to cancel."
		return nil
	}
	return f.start()
}

func (f *confirmation) start() tea.Cmd {
	f.errText = ""
	f.c.log.Info("confirmed", "action", f.title)
	outcome := f.outcome
	if outcome == "" {
		outcome = "the change may have been made"
	}
	recheck := func() tea.Cmd { return tea.Batch(popScreen(f.id), broadcast(identitiesChangedMsg{})) }
	return write(&f.base, "confirmed action", outcome, recheck, f.run)
}

func (f *confirmation) handleResult(msg resultMsg) tea.Cmd {
	if !f.accept(msg) {
		return nil
	}
	if msg.err != nil {
		var more tea.Cmd
		if f.failed != nil {
			f.errText, more = f.failed(msg.err)
		} else {
			f.errText = describeError(msg.err)
		}
		return tea.Batch(flash(flashError, "Could not "+f.verb+": "+f.errText), more)
	}
	return tea.Batch(popScreen(f.id), f.done(msg.value))
}

func (f *confirmation) KeyMap() help.KeyMap {
	k := f.c.keys
	if f.typed != "" {
		enter := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", f.verb))
		return helpKeys{short: []key.Binding{enter, k.Cancel}, full: [][]key.Binding{{enter, k.Cancel}}}
	}
	yes := k.Yes
	yes.SetHelp("y/enter", f.verb)
	return helpKeys{short: []key.Binding{yes, k.No, k.Cancel}, full: [][]key.Binding{{yes, k.No, k.Cancel}}}
}

func (f *confirmation) View() string {
	st := f.c.styles
	width := max(f.width, 1)
	wrap := lipgloss.NewStyle().Width(width)
	parts := []string{st.Title.Width(width).Render(f.question)}
	for _, c := range f.changes {
		parts = append(parts, wrap.Render(c))
	}
	note := productionNote(f.c)
	if f.c.profile.Production {
		parts = append(parts, st.Production.Width(width).Render(note))
	} else {
		parts = append(parts, st.Dim.Width(width).Render(note))
	}
	var prompt string
	switch {
	case f.Busy():
		prompt = st.Dim.Render("Working… esc stops waiting.")
	case f.typed != "":
		prompt = wrap.Render("Type "+st.Focused.Render(f.typed)+" and press enter to "+f.verb+"; esc cancels.") +
			"\n> " + f.input.View()
	default:
		prompt = wrap.Render("Press y or enter to " + f.verb + "; n or esc cancels.")
	}
	parts = append(parts, prompt)
	if f.errText != "" {
		parts = append(parts, st.FieldError.Width(width).Render(f.errText))
	}
	return strings.Join(parts, "\n\n")
}
