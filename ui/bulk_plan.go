package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client/bulk"
)

// bulkPlan shows what a bulk action will do (how many, the first
// identities, who is skipped and why), exports the target list to CSV, and
// starts the action after a confirmation: typing the realm's name for a
// plan that requires it (delete, suspend), enter for the others.
type bulkPlan struct {
	base
	engine *bulk.Engine
	plan   *bulk.Plan
	// journal is set when the plan resumes a paused action.
	journal *bulk.Journal

	typing   bool
	input    textinput.Model
	errText  string
	exported string
}

func newBulkPlan(c *common, engine *bulk.Engine, plan *bulk.Plan, journal *bulk.Journal) *bulkPlan {
	title := "Plan"
	if journal != nil {
		title = "Resume"
	}
	return &bulkPlan{base: newBase(c, title), engine: engine, plan: plan, journal: journal,
		input: newTextInput(c, "", inputCharLimit)}
}

func (p *bulkPlan) Init() tea.Cmd { return nil }

func (p *bulkPlan) InputFocused() bool { return p.typing }

func (p *bulkPlan) SetSize(width, height int) {
	p.base.SetSize(width, height)
	p.input.Width = max(width-4, 1)
}

// Close releases a resumed journal that was never run.
func (p *bulkPlan) Close() {
	p.base.Close()
	if p.journal != nil {
		p.journal.Close()
		p.journal = nil
	}
}

func (p *bulkPlan) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return p, p.handleResult(msg)
	case tea.KeyMsg:
		if p.typing {
			return p, p.handleTyping(msg)
		}
		return p, p.handleKey(msg)
	}
	return p, nil
}

func (p *bulkPlan) handleResult(msg resultMsg) tea.Cmd {
	if !p.accept(msg) {
		return nil
	}
	if msg.err != nil {
		return flashErr("Could not export the plan", msg.err)
	}
	p.exported = msg.value.(string)
	p.c.log.Info("bulk plan exported", "action_id", p.plan.ID, "path", p.exported)
	return flash(flashSuccess, "Exported the target list to "+sanitize(p.exported)+".")
}

func (p *bulkPlan) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.keys
	switch {
	case key.Matches(msg, k.Back):
		return p.handleEsc()
	case key.Matches(msg, k.ExportCSV):
		return p.export()
	case key.Matches(msg, k.Open):
		if p.plan.Count() == 0 {
			return flash(flashInfo, "Nothing to do: the plan skips every identity of the set.")
		}
		if p.plan.ConfirmPhrase != "" {
			p.typing, p.errText = true, ""
			return p.input.Focus()
		}
		return p.start()
	}
	return nil
}

func (p *bulkPlan) handleTyping(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		p.typing = false
		p.input.Blur()
		return nil
	case tea.KeyEnter:
		if strings.TrimSpace(p.input.Value()) != p.plan.ConfirmPhrase {
			p.errText = "That does not match. Type the realm's name " + sanitize(p.plan.ConfirmPhrase) + " exactly, or press esc."
			return nil
		}
		return p.start()
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}

// start hands the plan to the progress screen, which runs it.
func (p *bulkPlan) start() tea.Cmd {
	journal := p.journal
	p.journal = nil // the progress screen owns it now
	p.c.log.Info("bulk action confirmed", "action_id", p.plan.ID, "action", p.plan.Action, "targets", p.plan.Count())
	return replaceScreen(p.id, newBulkProgress(p.c, p.engine, p.plan, journal))
}

// export writes the plan's target set as CSV into the export directory.
func (p *bulkPlan) export() tea.Cmd {
	dir, plan := p.c.desk.exportDir, p.plan
	return request(&p.base, "export", func(context.Context) (string, error) {
		if dir == "" {
			dir = "."
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		path, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("biadmin-%s-%s.csv", plan.Action, plan.ID)))
		if err != nil {
			return "", err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return "", err
		}
		if err := plan.WriteCSV(f); err != nil {
			f.Close()
			return "", err
		}
		return path, f.Close()
	})
}

func (p *bulkPlan) KeyMap() help.KeyMap {
	k := p.c.keys
	if p.typing {
		enter := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start"))
		return helpKeys{short: []key.Binding{enter, k.Cancel}, full: [][]key.Binding{{enter, k.Cancel}}}
	}
	start := k.Open
	start.SetHelp("enter", "start")
	if p.plan.ConfirmPhrase != "" {
		start.SetHelp("enter", "confirm")
	}
	if p.plan.Count() == 0 {
		start.SetEnabled(false)
	}
	return helpKeys{
		short: []key.Binding{start, k.ExportCSV, k.Back},
		full:  [][]key.Binding{{start, k.ExportCSV, k.Back}},
	}
}

// planTitle is the plan in one sentence: "Send an enrollment email to 12
// identities".
func planTitle(plan *bulk.Plan) string {
	return capitalizeFirst(plan.Action.Verb()) + " " + plural(plan.Count(), "identity", "identities")
}

func (p *bulkPlan) View() string {
	st := p.c.styles
	width := max(p.width, 1)
	wrap := lipgloss.NewStyle().Width(width)
	plan := p.plan

	title := planTitle(plan)
	if p.journal != nil {
		title = "Resume: " + title
	}
	head := []string{st.Title.Width(width).Render(title)}
	source := "Who: " + sanitize(plan.Source) + "."
	if plan.InFlight > 0 {
		source += fmt.Sprintf(" %s sent before the pause are settled first, not sent again.", plural(plan.InFlight, "request", "requests"))
	}
	head = append(head, wrap.Render(source+" "+actionEffect(plan.Action)))

	tail := p.tailView()
	used := lipgloss.Height(strings.Join(head, "\n")) + lipgloss.Height(tail) + 2
	body := p.tablesView(p.height - used)
	return strings.Join(head, "\n") + "\n\n" + body + "\n" + tail
}

// actionEffect describes what the action does to each identity, in the
// service's terms.
func actionEffect(a bulk.Action) string {
	switch a {
	case bulk.ActionSend:
		return "Each gets an enrollment email with a new single-use link."
	case bulk.ActionSuspend:
		return "Their status becomes suspended: they can no longer sign in or create passkeys until unsuspended."
	case bulk.ActionUnsuspend:
		return "Their status becomes active: they can sign in again."
	case bulk.ActionDelete:
		return "They are removed from the realm with their passkeys, enrollment jobs and group memberships. This cannot be undone."
	}
	return ""
}

// tablesView lists the first targets and the skipped identities in at
// most room lines.
func (p *bulkPlan) tablesView(room int) string {
	st := p.c.styles
	plan := p.plan
	room = max(room, 4)
	var lines []string

	skipLines := 0
	if len(plan.Skipped) > 0 {
		skipLines = min(len(plan.Skipped), 3) + 2
	}
	targetRoom := max(room-skipLines-1, 2)
	if plan.Count() == 0 {
		lines = append(lines, st.Dim.Render("No identity to act on: every identity of the set is skipped."))
	} else {
		emailWidth := min(max(p.width-2-24-9-13-3*len(columnGap), 10), 40)
		lines = append(lines, st.ColumnHead.Render("  "+pad("USERNAME", 24)+columnGap+pad("EMAIL", emailWidth)+
			columnGap+pad("STATUS", 9)+columnGap+pad("ENROLLMENT", 13)))
		listed := min(plan.Count(), targetRoom-1)
		if listed < plan.Count() {
			listed = max(listed-1, 1)
		}
		for _, t := range plan.Targets[:listed] {
			lines = append(lines, "  "+pad(sanitize(t.Username), 24)+columnGap+pad(sanitize(t.Email), emailWidth)+
				columnGap+pad(sanitize(t.Status), 9)+columnGap+pad(sanitize(t.EnrollmentStatus), 13))
		}
		if listed < plan.Count() {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("  … and %d more (c exports the whole list)", plan.Count()-listed)))
		}
	}
	if len(plan.Skipped) > 0 {
		lines = append(lines, st.Warn.Render(clip("Skipped "+skipSummary(plan.Skipped), p.width)))
		listed := min(len(plan.Skipped), 3)
		for _, s := range plan.Skipped[:listed] {
			lines = append(lines, "  "+pad(sanitize(s.Username), 24)+columnGap+st.Dim.Render(clip(sanitize(s.Reason), p.width-28)))
		}
		if listed < len(plan.Skipped) {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("  … and %d more skipped (c exports them too)", len(plan.Skipped)-listed)))
		}
	}
	return strings.Join(lines, "\n")
}

// skipSummary counts the skipped identities by reason: "3: 2 no email
// address, 1 suspended".
func skipSummary(skips []bulk.Skip) string {
	counts := map[string]int{}
	var reasons []string
	for _, s := range skips {
		if counts[s.Reason] == 0 {
			reasons = append(reasons, s.Reason)
		}
		counts[s.Reason]++
	}
	slices.SortStableFunc(reasons, func(a, b string) int { return counts[b] - counts[a] })
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %s", counts[r], sanitize(r))
	}
	return fmt.Sprintf("%d: %s", len(skips), strings.Join(parts, ", "))
}

// tailView is the export line, the profile note and the confirmation.
func (p *bulkPlan) tailView() string {
	st := p.c.styles
	width := max(p.width, 1)
	var lines []string
	if p.exported != "" {
		lines = append(lines, st.Good.Render(clip("Exported to "+sanitize(p.exported), width)))
	}
	note := productionNote(p.c)
	if p.c.profile.Production {
		lines = append(lines, st.Production.Width(width).Render(note))
	} else {
		lines = append(lines, st.Dim.Width(width).Render(note))
	}
	plan := p.plan
	switch {
	case plan.Count() == 0:
		lines = append(lines, st.Hint.Render("esc goes back."))
	case p.typing:
		lines = append(lines, lipgloss.NewStyle().Width(width).Render("Type the realm's name "+st.Focused.Render(sanitize(plan.ConfirmPhrase))+
			" and press enter to "+plan.Action.Verb()+" "+plural(plan.Count(), "identity", "identities")+"; esc stops."),
			"> "+p.input.View())
	case plan.ConfirmPhrase != "":
		lines = append(lines, st.Hint.Width(width).Render("c exports the list to CSV. Press enter, then type the realm's name to confirm; esc goes back."))
	default:
		lines = append(lines, st.Hint.Width(width).Render("c exports the list to CSV. Press enter to start; esc goes back. esc during the run pauses it."))
	}
	if p.errText != "" {
		lines = append(lines, st.FieldError.Width(width).Render(p.errText))
	}
	return strings.Join(lines, "\n")
}
