package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client/bulk"
)

// Result kinds of a bulk run. They are built by the run's own commands,
// not by request, because a run outlives any one request and reports many
// times.
const (
	kindBulkProgress = "bulk progress"
	kindBulkDone     = "bulk done"
)

// bulkOutcome is the value of a kindBulkDone result.
type bulkOutcome struct {
	result *bulk.Result
	err    error
}

// bulkProgress runs a confirmed plan and shows how far it is. esc pauses:
// the requests in flight finish, nothing new starts, and the journal keeps
// the rest for a resume. When the run ends the result screen takes over.
type bulkProgress struct {
	base
	engine  *bulk.Engine
	plan    *bulk.Plan
	journal *bulk.Journal

	progressCh chan bulk.Progress
	runDone    chan struct{}
	runCancel  context.CancelFunc
	last       bulk.Progress
	pausing    bool
	bar        progress.Model
}

func newBulkProgress(c *common, engine *bulk.Engine, plan *bulk.Plan, journal *bulk.Journal) *bulkProgress {
	return &bulkProgress{
		base: newBase(c, "Running"), engine: engine, plan: plan, journal: journal,
		progressCh: make(chan bulk.Progress, 16), runDone: make(chan struct{}),
		last: bulk.Progress{Total: plan.Count()},
		bar:  c.styles.newProgressBar(),
	}
}

// Init starts the run and the pump that carries its progress snapshots to
// the screen. The run's context is the screen's, so closing the screen
// (a profile switch, quitting) pauses it as esc does.
func (p *bulkProgress) Init() tea.Cmd {
	ctx, cancel := context.WithCancel(p.ctx)
	p.runCancel = cancel
	p.pending["bulk run"] = p.c.nextID()
	engine, plan, journal, dir := p.engine, p.plan, p.journal, p.c.desk.journalDir
	progressCh, runDone, screenID, log := p.progressCh, p.runDone, p.id, p.c.log
	log.Info("bulk action started", "action_id", plan.ID, "action", plan.Action, "targets", plan.Count())

	run := func() tea.Msg {
		defer close(runDone)
		j := journal
		if j == nil {
			var err error
			if j, err = bulk.CreateJournal(dir, plan); err != nil {
				return resultMsg{screen: screenID, kind: kindBulkDone, value: bulkOutcome{err: err}}
			}
		}
		defer j.Close()
		res, err := engine.Execute(ctx, plan, j, progressCh)
		return resultMsg{screen: screenID, kind: kindBulkDone, value: bulkOutcome{result: res, err: err}}
	}
	return tea.Batch(run, p.pump())
}

// pump waits for the next progress snapshot, or for the run to end.
func (p *bulkProgress) pump() tea.Cmd {
	progressCh, runDone, screenID := p.progressCh, p.runDone, p.id
	return func() tea.Msg {
		select {
		case pr := <-progressCh:
			return resultMsg{screen: screenID, kind: kindBulkProgress, value: pr}
		case <-runDone:
			return nil
		}
	}
}

func (p *bulkProgress) InputFocused() bool { return false }

func (p *bulkProgress) SetSize(width, height int) {
	p.base.SetSize(width, height)
	p.bar.Width = max(min(width-2, 70), 10)
}

func (p *bulkProgress) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		switch msg.kind {
		case kindBulkProgress:
			p.last = msg.value.(bulk.Progress)
			return p, p.pump()
		case kindBulkDone:
			delete(p.pending, "bulk run")
			out := msg.value.(bulkOutcome)
			if out.err != nil {
				p.c.log.Error("bulk action stopped", "action_id", p.plan.ID, "error", out.err)
			} else {
				p.c.log.Info("bulk action ended", "action_id", p.plan.ID, "paused", out.result.Paused,
					"succeeded", out.result.Succeeded, "failed", len(out.result.Failed))
				if out.result.Finished {
					// The selection has been acted on; keeping it would
					// invite running the same action twice.
					p.c.desk.sel.clear()
				}
			}
			return p, tea.Batch(replaceScreen(p.id, newBulkResult(p.c, p.engine, out.result, out.err)),
				broadcast(identitiesChangedMsg{}))
		}
	case tea.KeyMsg:
		if key.Matches(msg, p.c.keys.Back) && !p.pausing {
			p.pausing = true
			p.runCancel()
			p.c.log.Info("bulk action pause requested", "action_id", p.plan.ID)
			return p, flash(flashInfo, "Pausing: the requests in flight finish first.")
		}
	}
	return p, nil
}

func (p *bulkProgress) KeyMap() help.KeyMap {
	pause := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "pause"))
	if p.pausing {
		pause.SetEnabled(false)
	}
	return helpKeys{short: []key.Binding{pause}, full: [][]key.Binding{{pause}}}
}

// phaseText describes in words what the run is doing.
func phaseText(pr bulk.Progress) string {
	switch pr.Phase {
	case bulk.PhaseReconciling:
		return "Settling requests an earlier run left without an outcome."
	case bulk.PhaseSubmitting:
		if pr.Batches > 0 {
			return fmt.Sprintf("Sending batch %d of %d.", pr.Batch, pr.Batches)
		}
		return "Sending."
	case bulk.PhaseWaiting:
		return fmt.Sprintf("The realm's send queue is full; trying again in %s.", pr.Wait.Round(1e9))
	case bulk.PhasePolling:
		return "Waiting for the service to send the emails."
	case bulk.PhaseUpdating:
		return "Updating identity by identity."
	case bulk.PhaseDeleting:
		return "Deleting."
	case bulk.PhasePaused:
		return "Paused."
	case bulk.PhaseStopped:
		return "Stopped."
	case bulk.PhaseDone:
		return "Done."
	}
	return "Starting."
}

func (p *bulkProgress) View() string {
	st := p.c.styles
	width := max(p.width, 1)
	pr := p.last
	done := pr.Succeeded + pr.Failed + pr.Skipped
	fraction := 0.0
	if pr.Total > 0 {
		fraction = float64(done) / float64(pr.Total)
	}
	lines := []string{
		st.Title.Width(width).Render(planTitle(p.plan)),
		"",
		p.bar.ViewAs(fraction),
		"",
		fmt.Sprintf("%d of %d done: %d succeeded, %d failed, %d skipped, %d in flight.",
			done, pr.Total, pr.Succeeded, pr.Failed, pr.Skipped, pr.InFlight),
		phaseText(pr),
		"",
	}
	if p.pausing {
		lines = append(lines, st.Warn.Width(width).Render("Pausing: the requests in flight finish and are recorded; the rest waits in the journal for a resume."))
	} else {
		lines = append(lines, st.Hint.Width(width).Render("esc pauses safely: the requests in flight finish and are recorded, and the rest can be resumed later."))
	}
	return lipgloss.NewStyle().Width(width).Render(strings.Join(lines, "\n"))
}
