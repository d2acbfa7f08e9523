package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client/login"
)

// loginTickInterval paces the step spinner while a test runs.
const loginTickInterval = 120 * time.Millisecond

// loginEventBuffer lets the engine run a few events ahead of the screen.
const loginEventBuffer = 16

// loginRun is one test, in progress or finished. The runner and channels
// are used from commands; everything else only on the Bubble Tea goroutine.
type loginRun struct {
	id     uint64
	runner *login.Runner
	cancel context.CancelFunc

	steps   []loginStep
	authURL string
	// manual is the engine's hand-over when no browser could be opened:
	// the URL, its QR code and the reason.
	manual *login.Event
	// waiting is true while the engine waits for the redirect, the only
	// time a pasted redirect URL is taken.
	waiting bool
	waitMsg string
	frame   int

	paste      textinput.Model
	pasting    bool
	pasteErr   string
	submitting bool

	done      bool
	cancelled bool
	report    *login.Report
	err       error
}

// loginStep is one step as the events reported it so far.
type loginStep struct {
	name     string
	status   login.Status // "" while the step runs
	detail   string
	duration time.Duration
	checks   []login.Check
}

// loginEventValue is the value of a kindLoginEvent result: one event, or
// closed when the engine closed the channel. events is the channel to read
// the next one from.
type loginEventValue struct {
	ev     login.Event
	closed bool
	events <-chan login.Event
}

// loginOutcome is the value of a kindLoginDone result.
type loginOutcome struct {
	report *login.Report
	err    error
}

// pumpLoginEvents reads one event and returns it as a message; the screen
// issues it again for the next one until the channel is closed. Run blocks
// on each send, so the pump must keep reading even for a run that is no
// longer on screen.
func pumpLoginEvents(screenID, runID uint64, events <-chan login.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		return resultMsg{screen: screenID, req: runID, kind: kindLoginEvent,
			value: loginEventValue{ev: ev, closed: !ok, events: events}}
	}
}

func (t *loginTester) tick(runID uint64) tea.Cmd {
	screenID := t.id
	return tea.Tick(loginTickInterval, func(time.Time) tea.Msg {
		return resultMsg{screen: screenID, req: runID, kind: kindLoginTick}
	})
}

// newPasteInput returns the field that takes the address the browser ended
// on, width cells wide.
func newPasteInput(c *common, width int) textinput.Model {
	in := newTextInput(c, "http://127.0.0.1:PORT/callback?code=…&state=…", 8192)
	in.Prompt = "Redirect URL: "
	in.Width = max(width-lipgloss.Width(in.Prompt)-1, 1)
	return in
}

// startRun starts a test with settings s, cancelling one in progress.
func (t *loginTester) startRun(s loginSettings) tea.Cmd {
	if t.run != nil && !t.run.done {
		t.run.cancel()
	}
	run := &loginRun{id: t.c.nextID(), cancel: func() {}, paste: newPasteInput(t.c, t.width)}
	t.run = run
	t.settings = s
	t.phase = loginRunning
	t.scroll, t.follow, t.tokenSel, t.revealed = 0, true, 0, false
	t.editingHint = false
	t.hintInput.Blur()

	cfg := login.Config{
		AuthBaseURL:     t.c.profile.AuthBaseURL,
		API:             t.c.api,
		ApplicationID:   s.appID,
		Scopes:          s.scopes,
		LoginHint:       s.hint,
		ExpectedSubject: s.expectID,
		Opener:          t.c.loginOpener,
		Now:             t.c.now,
	}
	runner, err := login.NewRunner(cfg)
	if err != nil {
		t.c.log.Warn("login test not started", "screen", t.title, "run", run.id, "error", err)
		t.finish(run, loginOutcome{err: err})
		return nil
	}
	ctx, cancel := context.WithCancel(t.ctx)
	run.runner, run.cancel = runner, cancel
	// The log gets what identifies the test, never the authorization URL,
	// the pasted redirect or any token.
	t.c.log.Info("login test started", "screen", t.title, "run", run.id, "application_id", s.appID,
		"scopes", len(s.scopes)+1, "login_hint", s.hint != "", "expected_subject", s.expectID)

	events := make(chan login.Event, loginEventBuffer)
	screenID, runID := t.id, run.id
	execute := func() tea.Msg {
		report, err := runner.Run(ctx, events)
		return resultMsg{screen: screenID, req: runID, kind: kindLoginDone, value: loginOutcome{report: report, err: err}}
	}
	return tea.Batch(execute, pumpLoginEvents(screenID, runID, events), t.tick(runID))
}

// current reports whether msg belongs to the test on screen and still
// running.
func (t *loginTester) current(msg resultMsg) bool {
	return t.run != nil && t.run.id == msg.req && !t.run.done
}

func (t *loginTester) handleRunResult(msg resultMsg) tea.Cmd {
	switch msg.kind {
	case kindLoginEvent:
		v := msg.value.(loginEventValue)
		if v.closed {
			return nil
		}
		next := pumpLoginEvents(t.id, msg.req, v.events)
		if !t.current(msg) {
			return next
		}
		return tea.Batch(next, t.applyEvent(v.ev))
	case kindLoginTick:
		if !t.current(msg) {
			return nil
		}
		t.run.frame++
		return t.tick(msg.req)
	case kindLoginSubmit:
		if !t.current(msg) {
			return nil
		}
		return t.submitted(msg.err)
	case kindLoginDone:
		if t.run == nil || t.run.id != msg.req {
			return nil
		}
		t.finish(t.run, msg.value.(loginOutcome))
	}
	return nil
}

func (t *loginTester) applyEvent(ev login.Event) tea.Cmd {
	run := t.run
	switch ev.Kind {
	case login.EventStepStarted:
		run.steps = append(run.steps, loginStep{name: ev.Step})
	case login.EventCheck:
		if s := run.step(ev.Step); s != nil && ev.Check != nil {
			s.checks = append(s.checks, *ev.Check)
		}
	case login.EventStepFinished:
		if s := run.step(ev.Step); s != nil && ev.Result != nil {
			s.status, s.detail, s.duration, s.checks = ev.Result.Status, ev.Result.Detail, ev.Result.Duration, ev.Result.Checks
		}
		if ev.Step == login.StepCallback {
			run.waiting = false
			run.pasting = false
			run.paste.Blur()
			run.paste.SetValue("")
		}
	case login.EventAuthorizeURL:
		run.authURL = ev.URL
	case login.EventOpenManually:
		manual := ev
		run.manual = &manual
		t.c.log.Info("login test handed the URL to the user", "screen", t.title, "run", run.id)
	case login.EventWaiting:
		run.waiting = true
		run.waitMsg = ev.Message
		if run.manual != nil && !run.cancelled {
			// No browser will bring the redirect back, so the field
			// takes the paste at once.
			run.pasting = true
			return run.paste.Focus()
		}
	}
	return nil
}

// step returns the latest step called name, or nil.
func (r *loginRun) step(name string) *loginStep {
	for i := len(r.steps) - 1; i >= 0; i-- {
		if r.steps[i].name == name {
			return &r.steps[i]
		}
	}
	return nil
}

// finish records how a run ended and shows its verdict. The report's
// steps replace what the events built: the last events may still be on
// their way when the outcome arrives.
func (t *loginTester) finish(run *loginRun, out loginOutcome) {
	run.done, run.report, run.err = true, out.report, out.err
	run.waiting, run.pasting = false, false
	run.paste.Blur()
	run.paste.SetValue("")
	if out.report != nil {
		run.steps = run.steps[:0]
		for _, s := range out.report.Steps {
			run.steps = append(run.steps, loginStep{name: s.Name, status: s.Status, detail: s.Detail, duration: s.Duration, checks: s.Checks})
			t.c.log.Info("login test step", "screen", t.title, "run", run.id, "step", s.Name,
				"status", string(s.Status), "duration_ms", s.Duration.Milliseconds())
		}
	}
	t.phase = loginDone
	t.scroll, t.follow = 0, false
	passed := out.report.Passed()
	stoppedAt := ""
	if out.err != nil && len(run.steps) > 0 {
		stoppedAt = run.steps[len(run.steps)-1].name
	}
	var duration time.Duration
	if out.report != nil {
		duration = out.report.Duration
	}
	t.c.log.Info("login test finished", "screen", t.title, "run", run.id, "passed", passed,
		"cancelled", run.cancelled, "stopped_at", stoppedAt, "duration_ms", duration.Milliseconds())
}

func (t *loginTester) runningKey(msg tea.KeyMsg) tea.Cmd {
	run := t.run
	if run.pasting {
		return t.pasteKey(msg)
	}
	k := t.c.keys
	switch {
	case key.Matches(msg, k.Back):
		run.cancelled = true
		run.cancel()
		t.c.log.Info("login test cancelled", "screen", t.title, "run", run.id)
		return flash(flashInfo, "Login test cancelled.")
	case key.Matches(msg, k.PasteRedirect) && run.waiting:
		run.pasting = true
		run.pasteErr = ""
		return run.paste.Focus()
	case key.Matches(msg, k.Copy) && run.authURL != "":
		return copyToClipboard(t.c.clipboard, run.authURL,
			"Sent the sign-in URL to the terminal clipboard (OSC 52); if nothing was copied, press o to show it alone.")
	case key.Matches(msg, k.ShowLink) && run.authURL != "":
		return showAlone("Sign-in URL of the login test", run.authURL)
	}
	t.scrollKey(msg)
	return nil
}

func (t *loginTester) pasteKey(msg tea.KeyMsg) tea.Cmd {
	run := t.run
	switch msg.Type {
	case tea.KeyEsc:
		run.pasting = false
		run.paste.Blur()
		return nil
	case tea.KeyEnter:
		text := strings.TrimSpace(run.paste.Value())
		if text == "" || run.submitting {
			return nil
		}
		run.submitting = true
		runner, screenID, runID := run.runner, t.id, run.id
		return func() tea.Msg {
			return resultMsg{screen: screenID, req: runID, kind: kindLoginSubmit, err: runner.SubmitRedirect(text)}
		}
	}
	var cmd tea.Cmd
	run.paste, cmd = run.paste.Update(msg)
	return cmd
}

// submitted shows whether the engine took the pasted redirect URL. Its
// error never contains the authorization code.
func (t *loginTester) submitted(err error) tea.Cmd {
	run := t.run
	run.submitting = false
	if err != nil {
		run.pasteErr = sanitize(err.Error())
		if errors.Is(err, login.ErrAlreadyHandled) {
			run.pasting = false
			run.paste.Blur()
		}
		t.c.log.Info("pasted redirect URL not accepted", "screen", t.title, "run", run.id)
		return nil
	}
	run.pasteErr = ""
	run.pasting = false
	run.paste.Blur()
	// The URL carries the authorization code: it goes as soon as the
	// engine has it.
	run.paste.SetValue("")
	return flash(flashInfo, "Redirect URL accepted.")
}

// tokenNames are the tokens of the verdict in the order ←/→ select them.
var tokenNames = []string{"access token", "ID token", "refresh token"}

func tokenSecret(tokens login.Tokens, i int) login.Secret {
	switch i {
	case 0:
		return tokens.Access
	case 1:
		return tokens.ID
	}
	return tokens.Refresh
}

func (t *loginTester) doneKey(msg tea.KeyMsg) tea.Cmd {
	k := t.c.keys
	run := t.run
	switch {
	case key.Matches(msg, k.Back):
		t.phase = loginSetup
		t.revealed = false
		return nil
	case key.Matches(msg, k.RunAgain):
		return t.startRun(t.settings)
	case key.Matches(msg, k.Choose):
		step := 1
		if s := msg.String(); s == "left" || s == "h" {
			step = -1
		}
		t.tokenSel = (t.tokenSel + step + len(tokenNames)) % len(tokenNames)
		t.revealed = false
		return nil
	case key.Matches(msg, k.Reveal):
		if run.report == nil || tokenSecret(run.report.Tokens, t.tokenSel).IsZero() {
			return flash(flashInfo, "There is no "+tokenNames[t.tokenSel]+" to show.")
		}
		t.revealed = !t.revealed
		t.c.log.Info("login test token shown", "screen", t.title, "run", run.id, "token", tokenNames[t.tokenSel], "shown", t.revealed)
		return nil
	case key.Matches(msg, k.Copy):
		if run.report == nil || tokenSecret(run.report.Tokens, t.tokenSel).IsZero() {
			return flash(flashInfo, "There is no "+tokenNames[t.tokenSel]+" to copy.")
		}
		secret := tokenSecret(run.report.Tokens, t.tokenSel)
		t.c.log.Info("login test token copied", "screen", t.title, "run", run.id, "token", tokenNames[t.tokenSel])
		return copyToClipboard(t.c.clipboard, secret.Reveal(),
			fmt.Sprintf("Sent the %s (%d chars) to the terminal clipboard (OSC 52); if nothing was copied, press v to show it.",
				tokenNames[t.tokenSel], secret.Len()))
	}
	t.scrollKey(msg)
	return nil
}

// scrollKey moves the step list or the verdict by a movement key. Moving
// to the end while a test runs follows the newest step again.
func (t *loginTester) scrollKey(msg tea.KeyMsg) {
	k := t.c.keys
	page := max(t.docHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		t.scroll--
	case key.Matches(msg, k.Down):
		t.scroll++
	case key.Matches(msg, k.PageUp):
		t.scroll -= page
	case key.Matches(msg, k.PageDown):
		t.scroll += page
	case key.Matches(msg, k.Top):
		t.scroll = 0
	case key.Matches(msg, k.Bottom):
		t.scroll = len(t.docLines())
	default:
		return
	}
	t.follow = false
	t.clampScroll()
	if t.phase == loginRunning && t.scroll >= t.maxScroll() {
		t.follow = true
	}
}

func (t *loginTester) maxScroll() int {
	if t.phase == loginSetup {
		return 0
	}
	return max(len(t.docLines())-t.docHeight(), 0)
}

func (t *loginTester) clampScroll() {
	m := t.maxScroll()
	if t.follow {
		t.scroll = m
	}
	t.scroll = max(min(t.scroll, m), 0)
}
