package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Lines the root draws around a screen's body: header, tab bar, status
// line and help line, plus the production banner when it is shown.
const chromeLines = 4

// maxStatusLines caps how many lines an error or warning takes on the
// status line, so the advice at its end is not cut off.
const maxStatusLines = 4

func (r *root) bodySize() (width, height int) {
	h := r.height - chromeLines - (len(r.statusLines()) - 1)
	if r.c.profile.Production {
		h--
	}
	return r.width, max(h, 0)
}

func (r *root) View() string {
	if r.quitting {
		return ""
	}
	if r.width == 0 {
		// No size yet: Bubble Tea sends it right after start.
		return ""
	}
	if r.tooSmall() {
		return r.tooSmallView()
	}
	var lines []string
	lines = append(lines, r.headerView())
	if r.c.profile.Production {
		lines = append(lines, r.productionView())
	}
	lines = append(lines, r.tabsView())
	w, h := r.bodySize()
	body := r.current().View()
	if r.showHelp {
		body = r.fullHelpView(w)
	}
	lines = append(lines, fitHeight(body, h))
	lines = append(lines, r.statusLines()...)
	lines = append(lines, r.shortHelpView())
	return strings.Join(lines, "\n")
}

func (r *root) tooSmallView() string {
	quit := "q"
	if r.current().InputFocused() {
		quit = "ctrl+c"
	}
	text := fmt.Sprintf("The window is too small (%dx%d). biadmin needs at least %dx%d: enlarge the window, or press %s to quit.",
		r.width, r.height, minWidth, minHeight, quit)
	wrapped := lipgloss.NewStyle().Width(max(r.width, 1)).Render(text)
	return fitHeight(wrapped, r.height)
}

// headerView draws the app name, profile, tenant and realm, with badges on
// the right. Names replace the ids once they are fetched.
func (r *root) headerView() string {
	st := r.c.styles
	p := r.c.profile
	if r.c.api == nil {
		return clip(st.App.Render("biadmin")+"  "+st.HeaderDim.Render("no profile yet: no config file"), r.width)
	}
	tenant := p.TenantID
	if name, ok := r.c.names[p.TenantID]; ok {
		tenant = name
	}
	if r.tenant != nil && r.tenant.DisplayName != "" {
		tenant = r.tenant.DisplayName
	}
	realm := p.RealmID
	if name, ok := r.c.names[p.RealmID]; ok {
		realm = name
	}
	if r.realm != nil && r.realm.DisplayName != "" {
		realm = r.realm.DisplayName
	}

	var badges []string
	if p.Sandbox {
		badges = append(badges, st.Sandbox.Render("[SANDBOX]"))
	}
	if p.ReadOnly {
		badges = append(badges, st.ReadOnly.Render("[READ-ONLY]"))
	}
	right := strings.Join(badges, " ")

	// The names share what the fixed parts and badges leave; a name only
	// gets clipped when the three do not fit.
	fixed := lipgloss.Width("biadmin  profile   tenant   realm ")
	names := []string{sanitize(p.Name), sanitize(tenant), sanitize(realm)}
	room := shareWidth(r.width-fixed-lipgloss.Width(right)-1, names)
	left := st.App.Render("biadmin") + "  " +
		st.HeaderDim.Render("profile ") + st.Profile.Render(clip(names[0], room[0])) + "  " +
		st.HeaderDim.Render("tenant ") + clip(names[1], room[1]) + "  " +
		st.HeaderDim.Render("realm ") + clip(names[2], room[2])
	gap := r.width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return ansi.Truncate(left+" "+right, r.width, "")
	}
	return left + strings.Repeat(" ", gap) + right
}

func (r *root) productionView() string {
	text := " PRODUCTION: changes here affect real users"
	if r.c.profile.ReadOnly {
		text = " PRODUCTION (read-only)"
	}
	return r.c.styles.Production.Render(pad(text, r.width))
}

// tabsView draws the top-level screens with their number keys, the screen
// on display and the spinner while a request is in flight.
func (r *root) tabsView() string {
	st := r.c.styles
	right := ""
	switch {
	case r.current().Busy():
		right = r.spinner.View() + st.Dim.Render(" working, esc cancels")
	case r.header.Busy():
		right = r.spinner.View() + st.Dim.Render(" loading")
	}
	avail := r.width
	if right != "" {
		avail -= lipgloss.Width(right) + 1
	}
	crumb := ""
	if t := r.tabs[r.active]; len(t.stack) > 1 {
		crumb = t.top().Title()
	}

	// Narrow windows cannot hold every tab title, the breadcrumb and the
	// spinner, and the breadcrumb says where the user is, so tab titles
	// shrink to their first word, then inactive tabs to their number key,
	// before the breadcrumb is clipped.
	var left string
	for _, width := range []tabWidth{tabFull, tabShort, tabCompact} {
		left = r.tabLabels(width)
		if crumb != "" {
			left += st.Dim.Render("  ›  ") + st.Title.Render(crumb)
		}
		if lipgloss.Width(left) <= avail {
			break
		}
	}
	if lipgloss.Width(left) > avail {
		left = r.tabLabels(tabCompact)
		if crumb != "" {
			left += st.Dim.Render(" › ")
			left += st.Title.Render(clip(crumb, max(avail-lipgloss.Width(left), 0)))
		}
		left = ansi.Truncate(left, max(avail, 0), "")
	}
	if right == "" {
		return left
	}
	gap := r.width - lipgloss.Width(left) - lipgloss.Width(right)
	return left + strings.Repeat(" ", max(gap, 1)) + right
}

// tabWidth is how much of each tab title the tab bar shows.
type tabWidth int

const (
	tabFull    tabWidth = iota // every title whole
	tabShort                   // the first word of every title
	tabCompact                 // the active tab's first word, others by number only
)

// tabLabels renders the tab bar's labels at the given width.
func (r *root) tabLabels(width tabWidth) string {
	st := r.c.styles
	sep := "   "
	if width != tabFull {
		sep = "  "
	}
	parts := make([]string, 0, len(r.tabs))
	for i, t := range r.tabs {
		title := t.stack[0].Title()
		if width != tabFull {
			if words := strings.Fields(title); len(words) > 0 {
				title = words[0]
			}
		}
		label := fmt.Sprintf("%d %s", i+1, title)
		switch {
		case i == r.active:
			parts = append(parts, st.TabActive.Render(label))
		case width == tabCompact:
			parts = append(parts, st.TabInactive.Render(fmt.Sprintf("%d", i+1)))
		default:
			parts = append(parts, st.TabInactive.Render(label))
		}
	}
	return strings.Join(parts, sep)
}

// statusLines draws the status line. An error or a warning wraps onto up
// to maxStatusLines lines, because its last clause is often what to do;
// other messages are clipped to one line.
func (r *root) statusLines() []string {
	st := r.c.styles
	if r.flash.text == "" || r.width <= 0 {
		return []string{""}
	}
	style := st.FlashInfo
	switch r.flash.level {
	case flashSuccess:
		style = st.FlashSuccess
	case flashError:
		style = st.FlashError
	case flashWarn:
		style = st.FlashWarn
	}
	if r.flash.level != flashError && r.flash.level != flashWarn {
		return []string{style.Render(clip(r.flash.text, r.width))}
	}
	wrapped := strings.Split(lipgloss.NewStyle().Width(r.width).Render(r.flash.text), "\n")
	if len(wrapped) > maxStatusLines {
		wrapped = wrapped[:maxStatusLines]
		last := strings.TrimRight(wrapped[maxStatusLines-1], " ")
		wrapped[maxStatusLines-1] = clip(last+" …", r.width)
	}
	for i, line := range wrapped {
		wrapped[i] = style.Render(strings.TrimRight(line, " "))
	}
	return wrapped
}

// globalKeys are the root's bindings shown after the screen's own. While a
// text input has focus only ctrl+c is global.
func (r *root) globalKeys() []key.Binding {
	k := r.c.keys
	if r.current().InputFocused() {
		return []key.Binding{k.ForceQuit}
	}
	return []key.Binding{k.Help, k.Quit}
}

// shortHelpView is the bottom help line. The global keys always show;
// the screen's own keys are dropped from the end until the line fits.
func (r *root) shortHelpView() string {
	if r.showHelp {
		return r.help.ShortHelpView([]key.Binding{r.c.keys.Back, r.c.keys.Quit})
	}
	var screenKeys []key.Binding
	for _, b := range r.current().KeyMap().ShortHelp() {
		if b.Enabled() {
			screenKeys = append(screenKeys, b)
		}
	}
	// help.Model truncates by itself, but it still adds an item when the
	// line is already exactly full, so the width is checked here instead.
	h := r.help
	h.Width = 0
	var line string
	for n := len(screenKeys); n >= 0; n-- {
		line = h.ShortHelpView(append(screenKeys[:n:n], r.globalKeys()...))
		if lipgloss.Width(line) <= r.width {
			return line
		}
	}
	return ansi.Truncate(line, r.width, "…")
}

// fullHelpView is the help overlay: the screen's bindings in columns, then
// the global ones.
func (r *root) fullHelpView(width int) string {
	k := r.c.keys
	groups := append([][]key.Binding{}, r.current().KeyMap().FullHelp()...)
	global := []key.Binding{k.GoToTab, k.NextTab, k.PrevTab, k.SwitchProfile, k.SwitchRealm, k.Back, k.Help, k.Quit, k.ForceQuit}
	if len(r.tabs[r.active].stack) > 1 {
		// Tab goes to a pushed screen (next table, next field), as the
		// root's key handling does.
		global = []key.Binding{k.GoToTab, k.SwitchProfile, k.SwitchRealm, k.Back, k.Help, k.Quit, k.ForceQuit}
	}
	// A key the screen already lists is not listed twice.
	listed := map[string]bool{}
	for _, g := range groups {
		for _, b := range g {
			listed[b.Help().Key] = true
		}
	}
	global = slices.DeleteFunc(global, func(b key.Binding) bool { return listed[b.Help().Key] })
	groups = append(groups, global)
	h := r.help
	h.Width = width
	title := r.c.styles.Title.Render("Keys: " + r.current().Title())
	note := r.c.styles.Hint.Render("While a text field has focus, keys type into it; esc leaves the field and ctrl+c always quits.")
	return title + "\n\n" + h.FullHelpView(groups) + "\n\n" + lipgloss.NewStyle().Width(width).Render(note)
}

// shareWidth splits total cells among texts: each gets its full width if
// it is under an equal share, and what those leave is shared by the rest.
func shareWidth(total int, texts []string) []int {
	out := make([]int, len(texts))
	need := make([]int, len(texts))
	open := 0
	for i, t := range texts {
		need[i] = lipgloss.Width(t)
		open++
	}
	total = max(total, 0)
	for open > 0 {
		share := total / open
		settled := false
		for i := range texts {
			if out[i] == 0 && need[i] <= share {
				out[i], total, open, settled = max(need[i], 1), total-need[i], open-1, true
			}
		}
		if !settled {
			for i := range texts {
				if out[i] == 0 {
					out[i] = max(share, 1)
				}
			}
			break
		}
	}
	return out
}

// fitHeight pads or cuts s to exactly height lines. Lines are not clipped
// in width, so a line meant to overflow (a binding link) stays whole.
func fitHeight(s string, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
