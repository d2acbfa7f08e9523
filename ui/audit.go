package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client/audit"
)

// auditLimit is how many of the newest audit entries the viewer reads.
// audit.Read reads the file from its end, so this bounds the cost whatever
// the file's size.
const auditLimit = 500

// auditDetailLines is the height of the pane under the table that shows
// the entry under the cursor in full.
const auditDetailLines = 5

// auditViewer shows the newest entries of the audit log: every change made
// from biadmin, with its request id and outcome.
type auditViewer struct {
	base
	entries []audit.Entry
	loaded  bool
	loadErr error
	view    vlist
}

func newAuditViewer(c *common) *auditViewer {
	return &auditViewer{base: newBase(c, "Audit log")}
}

func (a *auditViewer) Init() tea.Cmd { return a.load() }

func (a *auditViewer) InputFocused() bool { return false }

func (a *auditViewer) load() tea.Cmd {
	path := a.c.desk.auditPath
	if path == "" {
		return nil
	}
	return request(&a.base, "read audit log", func(context.Context) ([]audit.Entry, error) {
		return audit.Read(path, auditLimit)
	})
}

func (a *auditViewer) SetSize(width, height int) {
	a.base.SetSize(width, height)
	a.layout()
}

func (a *auditViewer) layout() {
	a.view.setHeight(a.height - lipgloss.Height(a.introView()) - 3 - auditDetailLines)
}

func (a *auditViewer) Update(msg tea.Msg) (screen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case resultMsg:
		if a.accept(msg) {
			if msg.err != nil {
				a.loadErr = msg.err
				cmd = flashErr("Could not read the audit log", msg.err)
			} else {
				a.entries, a.loaded, a.loadErr = msg.value.([]audit.Entry), true, nil
				a.view.clamp(len(a.entries))
			}
		}
	case identitiesChangedMsg, realmChangedMsg:
		// A change was just made, so the log has a new entry.
		cmd = a.load()
	case tea.KeyMsg:
		k := a.c.keys
		switch {
		case key.Matches(msg, k.Back):
			if a.cancelRequests() {
				cmd = flash(flashInfo, "Cancelled.")
			}
		case key.Matches(msg, k.Refresh):
			cmd = a.load()
		default:
			a.view.move(msg, k, len(a.entries))
		}
	}
	a.layout()
	return a, cmd
}

func (a *auditViewer) KeyMap() help.KeyMap {
	k := a.c.keys
	return helpKeys{
		short: []key.Binding{k.Up, k.Down, k.Refresh},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Refresh}},
	}
}

func (a *auditViewer) introView() string {
	st := a.c.styles
	width := max(a.width, 1)
	path := a.c.desk.auditPath
	if path == "" {
		return st.Hint.Width(width).Render("No audit log is kept in this session.")
	}
	text := fmt.Sprintf("Every change made from biadmin, newest first (up to %d).", auditLimit)
	intro := st.Hint.Width(width).Render(text) + "\n" + st.Dim.Render(clip("File: "+sanitize(path), width))
	if errFn := a.c.desk.auditErr; errFn != nil {
		if err := errFn(); err != nil {
			intro += "\n" + st.FieldError.Width(width).Render("Writing the audit log failed ("+sanitize(err.Error())+
				"): changes made since then are not recorded.")
		}
	}
	return intro
}

// auditColumns are the widths of the table's columns. Profile and request
// id get their own columns only in a wide window; the pane under the table
// always shows them.
type auditColumns struct {
	time, outcome, profile, operation, targets, requestID int
}

func (a *auditViewer) columns() auditColumns {
	gaps := len(columnGap)
	if a.width >= 120 {
		c := auditColumns{time: 20, outcome: 9, profile: 12, operation: 30, requestID: 20}
		c.targets = max(a.width-2-c.time-c.outcome-c.profile-c.operation-c.requestID-5*gaps, 10)
		return c
	}
	c := auditColumns{time: detailTimeWidth, outcome: 9, operation: 24}
	c.targets = max(a.width-2-c.time-c.outcome-c.operation-3*gaps, 10)
	return c
}

func (a *auditViewer) View() string {
	st := a.c.styles
	var b strings.Builder
	b.WriteString(a.introView())
	b.WriteString("\n")
	cols := a.columns()
	b.WriteString(st.ColumnHead.Render(a.rowText(cols, "TIME", "OUTCOME", "PROFILE", "OPERATION", "TARGETS", "REQUEST ID")))
	b.WriteString("\n")
	first, last := a.view.window(len(a.entries))
	for i := first; i < last; i++ {
		b.WriteString(a.entryRow(i, cols))
		b.WriteString("\n")
	}
	for i := last - first; i < a.view.height; i++ {
		if i == 0 {
			b.WriteString(st.Dim.Render("  " + a.emptyText()))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(a.detailView())
	return b.String()
}

// rowText lays cells out in the columns, leaving out those without width.
func (a *auditViewer) rowText(cols auditColumns, t, outcome, profile, op, targets, requestID string) string {
	cells := []string{pad(t, cols.time), pad(outcome, cols.outcome)}
	if cols.profile > 0 {
		cells = append(cells, pad(profile, cols.profile))
	}
	cells = append(cells, pad(op, cols.operation), pad(targets, cols.targets))
	if cols.requestID > 0 {
		cells = append(cells, pad(requestID, cols.requestID))
	}
	return "  " + strings.Join(cells, columnGap)
}

func (a *auditViewer) entryRow(i int, cols auditColumns) string {
	st := a.c.styles
	e := a.entries[i]
	when := relativeTime(e.Time, a.c.now())
	if cols.time >= 20 {
		when = e.Time.UTC().Format(timestampLayout)
	}
	line := a.rowText(cols, when, outcomeText(e), sanitize(e.Profile), sanitize(e.Operation),
		sanitize(strings.Join(e.TargetIDs, " ")), sanitize(e.RequestID))
	if i == a.view.cursor {
		return st.Selected.Render(">" + line[1:])
	}
	if e.Outcome != audit.OutcomeOK {
		return st.Bad.Render(line)
	}
	return line
}

// outcomeText is "ok", or "error" with the HTTP status when there was one.
func outcomeText(e audit.Entry) string {
	if e.Outcome == audit.OutcomeOK {
		return "ok"
	}
	if e.Status != 0 {
		return fmt.Sprintf("error %d", e.Status)
	}
	return "error"
}

// detailView shows the entry under the cursor in full: what the table
// clips or leaves out.
func (a *auditViewer) detailView() string {
	st := a.c.styles
	if len(a.entries) == 0 {
		return ""
	}
	e := a.entries[a.view.cursor]
	width := max(a.width, 1)
	field := func(label, value string) string {
		if value == "" {
			value = "-"
		}
		return st.Label.Render(label+" ") + sanitize(value)
	}
	op := e.Operation
	if e.Detail != "" {
		op += " (" + e.Detail + ")"
	}
	lines := []string{
		field("time", e.Time.UTC().Format("2006-01-02 15:04:05 UTC")) + "  " + field("profile", e.Profile) +
			"  " + field("realm", e.RealmID) + "  " + field("request id", e.RequestID),
		field("operation", op),
		field("targets", strings.Join(e.TargetIDs, ", ")),
	}
	outcome := field("outcome", outcomeText(e))
	if e.Outcome != audit.OutcomeOK {
		outcome += "  " + st.Bad.Render(sanitize(strings.TrimSpace(e.Code+" "+e.Message)))
	}
	lines = append(lines, outcome)
	for i, l := range lines {
		lines[i] = clip(l, width)
	}
	return strings.Join(lines, "\n")
}

func (a *auditViewer) emptyText() string {
	switch {
	case a.c.desk.auditPath == "":
		return "Nothing to show."
	case a.loadErr != nil:
		return "Could not read the audit log: " + describeError(a.loadErr) + ". Press r to retry."
	case !a.loaded:
		return "Loading…"
	default:
		return "No changes recorded yet."
	}
}
