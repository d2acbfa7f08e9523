package ui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
)

// FirstRun configures the screen the console opens on when there is no
// config file yet: it offers the sandbox, or a form that sets up a profile.
type FirstRun struct {
	// ConfigPath is the config file the new profile is saved to.
	ConfigPath string
	// Open builds the API for a profile that is not saved yet. The console
	// checks the result with one GetRealm call and saves the profile only
	// when that call succeeds.
	Open func(ctx context.Context, p *config.Profile) (client.API, ProfileInfo, error)
	// StartSandbox starts a local sandbox and returns its API, profile and
	// origin. The caller stops the sandbox when the program ends. Nil
	// hides the choice.
	StartSandbox func(ctx context.Context) (client.API, ProfileInfo, string, error)
}

// Choices of the welcome screen, in display order.
const (
	welcomeSandbox = iota
	welcomeProfile
	welcomeChoices
)

// welcome is the first-run screen: the config file is missing, so the
// console has no API yet. It either starts the sandbox or pushes the
// profile form, and the root switches to whichever connection results.
type welcome struct {
	base
	setup  *FirstRun
	cursor int

	starting bool
	startErr error
}

func newWelcome(c *common) *welcome {
	w := &welcome{base: newBase(c, "Welcome"), setup: c.firstRun}
	if w.setup.StartSandbox == nil {
		w.cursor = welcomeProfile
	}
	return w
}

func (w *welcome) Init() tea.Cmd      { return nil }
func (w *welcome) InputFocused() bool { return false }

func (w *welcome) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return w, w.handleResult(msg)
	case tea.KeyMsg:
		return w, w.handleKey(msg)
	}
	return w, nil
}

func (w *welcome) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := w.c.keys
	switch {
	case key.Matches(msg, k.Back):
		if w.cancelRequests() {
			w.starting = false
			return flash(flashInfo, "Cancelled.")
		}
		return nil
	case key.Matches(msg, k.Up):
		if w.setup.StartSandbox != nil {
			w.cursor = welcomeSandbox
		}
	case key.Matches(msg, k.Down):
		w.cursor = welcomeProfile
	case key.Matches(msg, k.Pick):
		if w.cursor == welcomeProfile {
			return pushScreen(newProfileForm(w.c))
		}
		return w.startSandbox()
	}
	return nil
}

func (w *welcome) startSandbox() tea.Cmd {
	if w.starting {
		return nil
	}
	w.starting, w.startErr = true, nil
	start := w.setup.StartSandbox
	return request(&w.base, "start sandbox", func(ctx context.Context) (connection, error) {
		api, info, url, err := start(ctx)
		if err != nil {
			return connection{}, err
		}
		return connection{api: api, profile: info, sandboxURL: url,
			note: "Sandbox started at " + sanitize(url) + "; nothing was saved to the config file."}, nil
	})
}

func (w *welcome) handleResult(msg resultMsg) tea.Cmd {
	if !w.accept(msg) {
		return nil
	}
	w.starting = false
	if msg.err != nil {
		w.startErr = msg.err
		return flashErr("Could not start the sandbox", msg.err)
	}
	conn := msg.value.(connection)
	w.c.sandboxOrigin = conn.sandboxURL
	return switchTo(conn)
}

func (w *welcome) KeyMap() help.KeyMap {
	k := w.c.keys
	return helpKeys{short: []key.Binding{k.Pick, k.Up, k.Down}, full: [][]key.Binding{{k.Up, k.Down, k.Pick, k.Back}}}
}

func (w *welcome) View() string {
	st := w.c.styles
	width := max(w.width, 1)
	var b strings.Builder
	b.WriteString(st.Title.Render("Welcome to biadmin") + "\n")
	b.WriteString(st.Hint.Width(width).Render("There is no config file at "+sanitize(w.setup.ConfigPath)+
		" yet, so there is no profile to open. Try the console on a local sandbox, or set up a profile for your tenant.") + "\n\n")

	type choice struct{ title, text string }
	choices := [welcomeChoices]choice{
		welcomeSandbox: {"Open the sandbox", "A local emulator of Beyond Identity with a demo tenant and realm; no account needed and nothing is saved."},
		welcomeProfile: {"Set up a profile", "Region, tenant and realm IDs, and where the API token comes from. One API call checks them before the profile is saved."},
	}
	for i, ch := range choices {
		if i == welcomeSandbox && w.setup.StartSandbox == nil {
			continue
		}
		marker, title := "  ", st.Label.Render(ch.title)
		if i == w.cursor {
			marker, title = "> ", st.Focused.Render(ch.title)
		}
		b.WriteString(marker + title + "\n")
		b.WriteString(st.Dim.Width(width).PaddingLeft(4).Render(ch.text) + "\n\n")
	}

	switch {
	case w.starting:
		b.WriteString(st.Dim.Render("Starting the sandbox…"))
	case w.startErr != nil:
		b.WriteString(st.FieldError.Width(width).Render("Could not start the sandbox: " + describeError(w.startErr)))
	default:
		b.WriteString(st.Hint.Render(clip("↑/↓ choose, enter opens, q quits.", w.width)))
	}
	return b.String()
}
