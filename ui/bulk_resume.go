package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client/bulk"
)

// offerUnfinishedBulk looks for bulk actions of this realm that a pause,
// an error or a crash left unfinished, and opens the resume offer when it
// finds any. It returns nil when bulk actions are off.
func offerUnfinishedBulk(c *common) tea.Cmd {
	if c.api == nil || !c.desk.bulkEnabled() {
		return nil
	}
	dir, tenantID, realmID, log := c.desk.journalDir, c.api.TenantID(), c.api.RealmID(), c.log
	return func() tea.Msg {
		infos, err := bulk.ListJournals(dir)
		if err != nil {
			log.Warn("could not list bulk journals", "dir", dir, "error", err)
			return nil
		}
		var open []bulk.JournalInfo
		for _, info := range infos {
			res := info.Result
			if info.Err != nil || res == nil || res.Finished || res.Header.TenantID != tenantID || res.Header.RealmID != realmID {
				continue
			}
			open = append(open, info)
		}
		if len(open) == 0 {
			return nil
		}
		log.Info("unfinished bulk actions found", "count", len(open))
		// The screen's base is made in Init, on the Bubble Tea goroutine,
		// because making it takes an id from the shared counter.
		return pushScreenMsg{s: &bulkResumeOffer{c: c, journals: open}}
	}
}

// bulkResumeOffer lists unfinished bulk actions at start and resumes the
// one chosen, through its plan.
type bulkResumeOffer struct {
	base
	c        *common
	journals []bulk.JournalInfo
	cursor   int
	w, h     int
}

func (o *bulkResumeOffer) Init() tea.Cmd {
	o.base = newBase(o.c, "Unfinished bulk actions")
	o.base.SetSize(o.w, o.h)
	return nil
}

func (o *bulkResumeOffer) SetSize(width, height int) {
	o.w, o.h = width, height
	o.base.SetSize(width, height)
}

func (o *bulkResumeOffer) InputFocused() bool { return false }

func (o *bulkResumeOffer) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		if !o.accept(msg) {
			return o, nil
		}
		if msg.err != nil {
			return o, flashErr("Could not resume", msg.err)
		}
		v := msg.value.(resumed)
		return o, replaceScreen(o.id, newBulkPlan(o.c, newBulkEngine(o.c), v.plan, v.journal))
	case tea.KeyMsg:
		k := o.c.keys
		switch {
		case key.Matches(msg, k.Back):
			return o, o.handleEsc()
		case key.Matches(msg, k.Up):
			o.cursor = max(o.cursor-1, 0)
		case key.Matches(msg, k.Down):
			o.cursor = min(o.cursor+1, len(o.journals)-1)
		case key.Matches(msg, k.Resume), key.Matches(msg, k.Open):
			return o, resumeJournal(o.c, &o.base, newBulkEngine(o.c), o.journals[o.cursor].Path)
		}
	}
	return o, nil
}

func (o *bulkResumeOffer) KeyMap() help.KeyMap {
	k := o.c.keys
	resume := k.Open
	resume.SetHelp("enter", "resume")
	if !k.Resume.Enabled() {
		resume.SetEnabled(false)
	}
	later := k.Back
	later.SetHelp("esc", "not now")
	return helpKeys{short: []key.Binding{resume, k.Up, k.Down, later}, full: [][]key.Binding{{resume, k.Up, k.Down, later}}}
}

func (o *bulkResumeOffer) View() string {
	st := o.c.styles
	width := max(o.w, 1)
	now := o.c.now()
	lines := []string{
		st.Title.Render("Unfinished bulk actions"),
		lipgloss.NewStyle().Width(width).Render(
			"These bulk actions on this realm stopped before the end. Resuming shows the plan of what is left; " +
				"nothing is sent twice. esc leaves them for later."),
		"",
	}
	for i, info := range o.journals {
		res := info.Result
		left := res.Remaining + res.InFlight
		text := fmt.Sprintf("%s %s: %d done, %d failed, %d left, %s", capitalizeFirst(res.Header.Action.Verb()),
			sanitize(res.Header.Source), res.Succeeded, len(res.Failed), left, relativeTime(res.Updated, now))
		text = clip(text, width-2)
		if i == o.cursor {
			lines = append(lines, st.Selected.Render("> "+text))
		} else {
			lines = append(lines, "  "+text)
		}
	}
	return strings.Join(lines, "\n")
}
