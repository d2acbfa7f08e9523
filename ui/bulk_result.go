package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client/bulk"
)

// bulkResult shows how a bulk action ended: the counts, each failed
// identity with the API's reason, and the journal. It resumes a paused
// action and retries the failures, each through a new plan.
type bulkResult struct {
	base
	engine *bulk.Engine
	result *bulk.Result
	// runErr is the error that stopped the run early, or nil.
	runErr error
	view   vlist
}

func newBulkResult(c *common, engine *bulk.Engine, result *bulk.Result, runErr error) *bulkResult {
	return &bulkResult{base: newBase(c, "Result"), engine: engine, result: result, runErr: runErr}
}

func (r *bulkResult) Init() tea.Cmd { return nil }

func (r *bulkResult) InputFocused() bool { return false }

func (r *bulkResult) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return r, r.handleResult(msg)
	case tea.KeyMsg:
		return r, r.handleKey(msg)
	}
	return r, nil
}

// resumed is the value of a "resume" result.
type resumed struct {
	plan    *bulk.Plan
	journal *bulk.Journal
}

func (r *bulkResult) handleResult(msg resultMsg) tea.Cmd {
	if !r.accept(msg) {
		return nil
	}
	if msg.err != nil {
		if errors.Is(msg.err, bulk.ErrNothingToRetry) {
			return flash(flashInfo, "Nothing to retry: no identity failed.")
		}
		return flashErr("Could not "+msg.kind, msg.err)
	}
	switch v := msg.value.(type) {
	case resumed:
		return replaceScreen(r.id, newBulkPlan(r.c, r.engine, v.plan, v.journal))
	case *bulk.Plan:
		return replaceScreen(r.id, newBulkPlan(r.c, r.engine, v, nil))
	}
	return nil
}

func (r *bulkResult) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := r.c.keys
	switch {
	case key.Matches(msg, k.Back):
		return r.handleEsc()
	case r.result == nil:
	case key.Matches(msg, k.Resume) && r.result.Paused:
		return resumeJournal(r.c, &r.base, r.engine, r.result.Path)
	case key.Matches(msg, k.RetryFailed) && len(r.result.Failed) > 0:
		engine, path := r.engine, r.result.Path
		return request(&r.base, "retry failures", func(ctx context.Context) (*bulk.Plan, error) {
			return engine.RetryFailures(ctx, path)
		})
	default:
		r.view.move(msg, k, len(r.result.Failed))
	}
	return nil
}

// resumeJournal reopens the journal at path and plans what is left. The
// result goes to the screen of b, as a resumed value.
func resumeJournal(c *common, b *base, engine *bulk.Engine, path string) tea.Cmd {
	c.log.Info("bulk action resume requested", "journal", path)
	return request(b, "resume", func(ctx context.Context) (resumed, error) {
		plan, journal, err := engine.Resume(ctx, path)
		return resumed{plan: plan, journal: journal}, err
	})
}

func (r *bulkResult) KeyMap() help.KeyMap {
	k := r.c.keys
	resume, retry := k.Resume, k.RetryFailed
	if r.result == nil || !r.result.Paused {
		resume.SetEnabled(false)
	}
	if r.result == nil || len(r.result.Failed) == 0 {
		retry.SetEnabled(false)
	}
	back := k.Back
	back.SetHelp("esc", "done")
	return helpKeys{
		short: []key.Binding{resume, retry, back},
		full:  [][]key.Binding{{k.Up, k.Down, resume, retry, back}},
	}
}

// summary describes in one sentence how the action ended.
func (r *bulkResult) summary() string {
	res := r.result
	head := "Done."
	switch {
	case r.runErr != nil:
		head = "Stopped by an error: " + describeError(r.runErr) + "."
	case res.Paused:
		head = "Paused."
	}
	parts := []string{fmt.Sprintf("%d of %d succeeded", res.Succeeded, res.Total()), fmt.Sprintf("%d failed", len(res.Failed))}
	if n := len(res.RunSkipped); n > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped during the run", n))
	}
	if res.InFlight > 0 {
		parts = append(parts, fmt.Sprintf("%d sent without a known outcome", res.InFlight))
	}
	if res.Remaining > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", res.Remaining))
	}
	text := head + " " + strings.Join(parts, ", ") + "."
	if n := len(res.Header.PlanSkipped); n > 0 {
		text += fmt.Sprintf(" The plan skipped %s.", plural(n, "identity", "identities"))
	}
	return text
}

func (r *bulkResult) View() string {
	st := r.c.styles
	width := max(r.width, 1)
	wrap := lipgloss.NewStyle().Width(width)
	if r.result == nil {
		return st.FieldError.Width(width).Render("The bulk action could not start: "+describeError(r.runErr)+".") +
			"\n\n" + st.Hint.Render("esc goes back.")
	}
	res := r.result
	title := st.Title.Width(width).Render(capitalizeFirst(res.Header.Action.Verb()) + " " + sanitize(res.Header.Source))
	lines := []string{title, wrap.Render(r.summary())}
	var next []string
	if res.Paused && r.c.keys.Resume.Enabled() {
		next = append(next, "r to resume where it stopped")
	}
	if len(res.Failed) > 0 && r.c.keys.RetryFailed.Enabled() {
		next = append(next, "f to plan a retry of the failures")
	}
	next = append(next, "esc to go back")
	lines = append(lines, st.Hint.Width(width).Render("Press "+strings.Join(next, ", ")+"."))
	lines = append(lines, st.Dim.Render(clip("Journal: "+sanitize(res.Path), width)), "")
	top := strings.Join(lines, "\n")
	return top + "\n" + r.failuresView(r.height-lipgloss.Height(top)-1)
}

// failuresView lists each failed identity with the API's reason.
func (r *bulkResult) failuresView(room int) string {
	st := r.c.styles
	failed := r.result.Failed
	if len(failed) == 0 {
		return st.Good.Render("No identity failed.")
	}
	r.view.setHeight(max(room-2, 1))
	reasonWidth := max(r.width-2-24-6-len(columnGap)*2, 10)
	lines := []string{
		st.Title.Render(fmt.Sprintf("Failed (%d)", len(failed))),
		st.ColumnHead.Render("  " + pad("IDENTITY", 24) + columnGap + pad("STATUS", 6) + columnGap + pad("REASON", reasonWidth)),
	}
	first, last := r.view.window(len(failed))
	for i := first; i < last; i++ {
		f := failed[i]
		name := sanitize(f.Username)
		if name == "" {
			name = sanitize(f.IdentityID)
		}
		status := "-"
		if f.Status != 0 {
			status = fmt.Sprint(f.Status)
		}
		reason := sanitize(f.Reason)
		if f.RequestID != "" {
			reason += ", request id " + sanitize(f.RequestID)
		}
		line := pad(name, 24) + columnGap + pad(status, 6) + columnGap + clip(reason, reasonWidth)
		if i == r.view.cursor {
			lines = append(lines, st.Selected.Render("> "+line))
		} else {
			lines = append(lines, "  "+st.Bad.Render(line))
		}
	}
	return strings.Join(lines, "\n")
}
