package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/biadmin/biadmin/client/login"
)

// loginSteps are the engine's steps in the order it runs them, with what
// each one does, for the lines of steps that have not started.
var loginSteps = []struct{ name, about string }{
	{login.StepPreflight, "read the application and check it accepts the test"},
	{login.StepDiscovery, "OpenID configuration and signing keys"},
	{login.StepListener, "loopback listener for the redirect"},
	{login.StepBrowser, "open the sign-in page in a browser"},
	{login.StepCallback, "wait for the redirect with the code"},
	{login.StepToken, "exchange the code for tokens"},
	{login.StepIDToken, "verify the ID token"},
	{login.StepUserinfo, "call userinfo with the access token"},
	{login.StepVerdict, "compare the result with what was expected"},
}

// timeClaims are the claims that hold a NumericDate, shown with the date.
var timeClaims = []string{"exp", "iat", "nbf", "auth_time", "updated_at"}

// Column widths of the login tester.
const (
	loginLabelWidth  = 12
	stepNameWidth    = 10
	checkNameWidth   = 14
	durationWidth    = 6
	claimKeyMaxWidth = 22
)

func (t *loginTester) View() string {
	if t.phase == loginSetup {
		return t.setupView()
	}
	doc := t.docLines()
	h := t.docHeight()
	first := min(t.scroll, max(len(doc)-1, 0))
	last := min(first+h, len(doc))
	lines := []string{t.titleLine()}
	lines = append(lines, doc[first:last]...)
	for i := last - first; i < h; i++ {
		lines = append(lines, "")
	}
	lines = append(lines, t.footerLines()...)
	return strings.Join(lines, "\n")
}

// docHeight returns the lines the title and footer leave for the
// scrolling part.
func (t *loginTester) docHeight() int {
	return max(t.height-1-len(t.footerLines()), 1)
}

// titleLine names what is tested, with the scroll position when the
// document is longer than the window.
func (t *loginTester) titleLine() string {
	st := t.c.styles
	s := t.settings
	app := s.appName
	if app == "" {
		app = s.appID
	}
	if app == "" {
		app = "the realm's OIDC application"
	}
	parts := []string{st.Title.Render(sanitize(app)), "scopes " + strings.Join(append([]string{"openid"}, s.scopes...), " ")}
	if s.hint != "" {
		parts = append(parts, "login hint "+sanitize(s.hint))
	}
	line := strings.Join(parts, st.Dim.Render("  ·  "))
	if n := len(t.docLines()); n > t.docHeight() {
		pos := st.Dim.Render(fmt.Sprintf("  %d-%d of %d lines", t.scroll+1, min(t.scroll+t.docHeight(), n), n))
		return ansi.Truncate(line, max(t.width-lipgloss.Width(pos), 1), "…") + pos
	}
	return ansi.Truncate(line, t.width, "…")
}

// docLines is the scrolling part: the steps while a test runs, and the
// verdict, tokens, claims and steps when it is done.
func (t *loginTester) docLines() []string {
	if t.run == nil {
		return nil
	}
	if t.phase == loginRunning {
		return t.stepLines()
	}
	var lines []string
	lines = append(lines, t.verdictLines()...)
	// Tokens and claims exist only once the code was exchanged.
	if rep := t.run.report; rep != nil && rep.Step(login.StepToken) != nil {
		lines = append(lines, "")
		lines = append(lines, t.tokenLines(rep.Tokens)...)
		lines = append(lines, "")
		lines = append(lines, t.claimLines("ID token claims", rep.IDTokenClaims)...)
		lines = append(lines, "")
		lines = append(lines, t.claimLines("Userinfo claims", rep.UserinfoClaims)...)
	}
	lines = append(lines, "", t.c.styles.Title.Render("Steps"))
	return append(lines, t.stepLines()...)
}

// stepLines lists every step of the flow: done ones with their duration
// and checks, the running one with a spinner, the rest dimmed.
func (t *loginTester) stepLines() []string {
	st := t.c.styles
	run := t.run
	var lines []string
	seen := map[string]bool{}
	for _, s := range run.steps {
		seen[s.name] = true
		lines = append(lines, t.stepLine(s))
		for _, c := range s.checks {
			lines = append(lines, t.checkLines(c)...)
		}
	}
	for _, s := range loginSteps {
		if seen[s.name] {
			continue
		}
		state := s.about
		if run.done {
			state = "not run"
		}
		lines = append(lines, st.Dim.Render(clip("  · "+pad(s.name, stepNameWidth)+" "+pad("", durationWidth)+"  "+state, t.width)))
	}
	return lines
}

func (t *loginTester) stepLine(s loginStep) string {
	st := t.c.styles
	icon, style := t.statusIcon(s.status)
	dur := ""
	if s.status != "" {
		dur = formatDuration(s.duration)
	}
	about := sanitize(s.detail)
	if about == "" && s.status != "" && len(s.checks) > 0 {
		about = checkSummary(countChecks([]loginStep{s}))
	}
	if about == "" {
		for _, ls := range loginSteps {
			if ls.name == s.name {
				about = ls.about
			}
		}
	}
	head := "  " + style.Render(icon) + " " + style.Render(pad(sanitize(s.name), stepNameWidth)) + " " +
		fmt.Sprintf("%*s", durationWidth, dur) + "  "
	return head + st.Dim.Render(clip(about, t.width-lipgloss.Width(head)))
}

// checkLines draws a check and, for a failure, the fix under it.
func (t *loginTester) checkLines(c login.Check) []string {
	st := t.c.styles
	icon, style := t.statusIcon(c.Status)
	head := "      " + style.Render(icon) + " " + pad(sanitize(c.Name), checkNameWidth) + " "
	lines := []string{head + clip(sanitize(c.Detail), t.width-lipgloss.Width(head))}
	if c.Status == login.StatusFail && c.Fix != "" {
		lines = append(lines, st.Hint.Render(clip("        fix: "+sanitize(c.Fix), t.width)))
	}
	return lines
}

// statusIcon returns the mark of a step or check status; "" is a step
// in progress, drawn as the spinner.
func (t *loginTester) statusIcon(s login.Status) (string, lipgloss.Style) {
	st := t.c.styles
	switch s {
	case login.StatusPass:
		return "✓", st.Good
	case login.StatusFail:
		return "✗", st.Bad
	case login.StatusSkip:
		return "-", st.Neutral
	}
	frames := spinner.MiniDot.Frames
	return frames[t.run.frame%len(frames)], st.Spinner
}

// verdictLines are the head of the verdict: PASSED or FAILED, and every
// failure with its fix, wrapped so nothing of them is cut.
func (t *loginTester) verdictLines() []string {
	st := t.c.styles
	run := t.run
	rep := run.report
	pass, fail, skip := countChecks(run.steps)
	var dur time.Duration
	if rep != nil {
		dur = rep.Duration
	}
	var lines []string
	switch {
	case run.cancelled:
		lines = append(lines, st.Warn.Render("CANCELLED")+"  the test was cancelled after "+formatDuration(dur)+"; press r to run it again.")
	case rep.Passed():
		lines = append(lines, st.Good.Render("PASSED")+fmt.Sprintf("  every check passed in %s: %d passed, %d skipped.", formatDuration(dur), pass, skip))
	default:
		noun := "checks"
		if fail == 1 {
			noun = "check"
		}
		lines = append(lines, st.Bad.Render("FAILED")+fmt.Sprintf("  %d %s failed, %d passed, %d skipped.", fail, noun, pass, skip))
	}
	if rep != nil {
		if sub, ok := rep.IDTokenClaims["sub"].(string); ok {
			line := "Signed in as sub " + quote(sub)
			for _, name := range []string{"preferred_username", "email"} {
				if v, ok := rep.IDTokenClaims[name].(string); ok && v != "" {
					line += " (" + sanitize(v) + ")"
					break
				}
			}
			if t.settings.expectID != "" {
				line += ", expected identity " + sanitize(t.settings.expectName) + " (" + sanitize(t.settings.expectID) + ")"
			}
			lines = append(lines, clip(line, t.width))
		}
	}
	if run.cancelled {
		return lines
	}
	for _, s := range run.steps {
		for _, c := range s.checks {
			// The verdict's "all" check repeats every failure in one line.
			if c.Status != login.StatusFail || (s.name == login.StepVerdict && c.Name == "all") {
				continue
			}
			lines = append(lines, t.wrapIndented("  "+st.Bad.Render("✗")+" ", sanitize(s.name+"/"+c.Name)+": "+sanitize(c.Detail), st.Bad)...)
			if c.Fix != "" {
				lines = append(lines, t.wrapIndented("    ", "fix: "+sanitize(c.Fix), st.Hint)...)
			}
		}
		if s.status == login.StatusFail && !hasFailedCheck(s) {
			lines = append(lines, t.wrapIndented("  "+st.Bad.Render("✗")+" ", sanitize(s.name)+": "+sanitize(s.detail), st.Bad)...)
		}
	}
	if run.err != nil && (rep == nil || len(rep.Steps) == 0 || rep.Step(login.StepVerdict) == nil) {
		what := "The test stopped: "
		if rep == nil {
			what = "The test could not start: "
		}
		lines = append(lines, t.wrapIndented("  ", what+sanitize(run.err.Error()), st.FieldError)...)
	}
	return lines
}

func hasFailedCheck(s loginStep) bool {
	return slices.ContainsFunc(s.checks, func(c login.Check) bool { return c.Status == login.StatusFail })
}

// countChecks counts the checks of steps by outcome. The verdict's "all"
// check only sums up the others, so it is not counted.
func countChecks(steps []loginStep) (pass, fail, skip int) {
	for _, s := range steps {
		for _, c := range s.checks {
			if s.name == login.StepVerdict && c.Name == "all" {
				continue
			}
			switch c.Status {
			case login.StatusPass:
				pass++
			case login.StatusFail:
				fail++
			case login.StatusSkip:
				skip++
			}
		}
		if s.status == login.StatusFail && !hasFailedCheck(s) {
			fail++
		}
	}
	return pass, fail, skip
}

// sentence starts s with a capital letter; the engine's messages start
// lower case because they are also joined into longer ones.
func sentence(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// checkSummary counts checks by outcome, leaving out the outcomes none had.
func checkSummary(pass, fail, skip int) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{fail, "failed"}, {pass, "passed"}, {skip, "skipped"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return strings.Join(parts, ", ")
}

// wrapIndented wraps text to the width after prefix; later lines are
// indented by the prefix's width.
func (t *loginTester) wrapIndented(prefix, text string, style lipgloss.Style) []string {
	pw := lipgloss.Width(prefix)
	wrapped := ansi.Wordwrap(text, max(t.width-pw, 10), "")
	wrapped = ansi.Hardwrap(wrapped, max(t.width-pw, 10), true)
	var out []string
	for i, l := range strings.Split(wrapped, "\n") {
		p := prefix
		if i > 0 {
			p = strings.Repeat(" ", pw)
		}
		out = append(out, p+style.Render(l))
	}
	return out
}

// tokenLines lists the tokens masked, the selected one marked. The
// selected token is shown whole only after v, wrapped to the width.
func (t *loginTester) tokenLines(tokens login.Tokens) []string {
	st := t.c.styles
	lines := []string{st.Title.Render("Tokens")}
	for i, name := range tokenNames {
		secret := tokenSecret(tokens, i)
		marker := "  "
		label := st.Label.Render(pad(name, 15))
		if i == t.tokenSel {
			marker = "> "
			label = st.Focused.Render(pad(name, 15))
		}
		value := st.Dim.Render("none")
		if !secret.IsZero() {
			value = st.Secret.Render(secret.String())
		}
		extra := ""
		if i == 0 && !secret.IsZero() {
			var about []string
			if tokens.TokenType != "" {
				about = append(about, sanitize(tokens.TokenType))
			}
			if tokens.ExpiresIn > 0 {
				about = append(about, "expires in "+(time.Duration(tokens.ExpiresIn)*time.Second).String())
			}
			if tokens.Scope != "" {
				about = append(about, "scope "+quote(tokens.Scope))
			}
			extra = st.Dim.Render("  " + strings.Join(about, ", "))
		}
		lines = append(lines, ansi.Truncate(marker+label+value+extra, t.width, "…"))
		if i == t.tokenSel && t.revealed && !secret.IsZero() {
			// The token is the user's own and was asked for; it is
			// sanitized because it came from the server.
			wrapped := ansi.Hardwrap(sanitize(secret.Reveal()), max(t.width-4, 10), true)
			for _, l := range strings.Split(wrapped, "\n") {
				lines = append(lines, "    "+st.Secret.Render(l))
			}
		}
	}
	return lines
}

// claimLines lists claims in key order, values sanitized and cut to the
// width.
func (t *loginTester) claimLines(title string, claims map[string]any) []string {
	st := t.c.styles
	lines := []string{st.Title.Render(title)}
	if len(claims) == 0 {
		return append(lines, st.Dim.Render("  none"))
	}
	keys := make([]string, 0, len(claims))
	kw := 0
	for k := range claims {
		keys = append(keys, k)
		kw = max(kw, ansi.StringWidth(sanitize(k)))
	}
	slices.Sort(keys)
	kw = min(kw, claimKeyMaxWidth)
	for _, k := range keys {
		head := "  " + st.Label.Render(pad(sanitize(k), kw)) + "  "
		lines = append(lines, head+clip(claimText(k, claims[k]), t.width-lipgloss.Width(head)))
	}
	return lines
}

// claimText draws a claim value on one line: strings as they are,
// NumericDates with their date, anything else as compact JSON.
func claimText(name string, v any) string {
	switch x := v.(type) {
	case string:
		return sanitize(x)
	case json.Number:
		if n, err := x.Int64(); err == nil && slices.Contains(timeClaims, name) {
			return x.String() + " (" + time.Unix(n, 0).UTC().Format(timestampLayout) + ")"
		}
		return sanitize(x.String())
	case float64:
		if slices.Contains(timeClaims, name) && x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10) + " (" + time.Unix(int64(x), 0).UTC().Format(timestampLayout) + ")"
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("(%T)", v)
	}
	return sanitize(string(b))
}

// formatDuration draws a step's duration: milliseconds under a second,
// tenths of a second under a minute.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// footerLines are the fixed lines under the steps while a test runs: the
// hand-over of the URL when no browser opened, or what the test waits for.
func (t *loginTester) footerLines() []string {
	run := t.run
	if t.phase != loginRunning || run == nil {
		return nil
	}
	st := t.c.styles
	var lines []string
	if run.manual != nil {
		lines = append(lines, "")
		lines = append(lines, strings.Split(st.Warn.Width(max(t.width, 1)).Render(sentence(sanitize(run.manual.Message))), "\n")...)
		// The console cuts a line at the window edge, so a URL wider
		// than the window ends in a mark, and o shows it whole on the
		// plain terminal, where it soft-wraps and copies as one line.
		lines = append(lines, clip(sanitize(run.manual.URL), t.width))
		keysHint := "Press o to show the URL alone or c to copy it."
		if run.pasting {
			keysHint = "Press esc, then o to show the URL alone or c to copy it."
		}
		qr := t.qrLines(len(lines) + 1)
		if more := " A larger window shows a QR code."; qr == nil && run.manual.QRCode != "" && ansi.StringWidth(keysHint+more) <= t.width {
			keysHint += more
		}
		lines = append(lines, st.Hint.Render(clip(keysHint, t.width)))
		lines = append(lines, qr...)
	} else if run.waiting {
		lines = append(lines, "")
		text := "Sign in in the browser. The test is " + sanitize(run.waitMsg) + ". Press p to paste the address the browser ended on."
		lines = append(lines, strings.Split(st.Hint.Width(max(t.width, 1)).Render(text), "\n")...)
	}
	if run.waiting && (run.pasting || run.manual != nil) {
		lines = append(lines, run.paste.View())
		if run.pasteErr != "" {
			lines = append(lines, st.FieldError.Render(clip("! "+run.pasteErr, t.width)))
		}
	}
	return lines
}

// minStepLines is how many step lines stay visible when a QR code is
// drawn under them.
const minStepLines = 4

// qrLines returns the QR code's lines when they fit beside used footer
// lines, the title and a few step lines; nil when they do not.
func (t *loginTester) qrLines(used int) []string {
	code := strings.TrimRight(t.run.manual.QRCode, "\n")
	if code == "" {
		return nil
	}
	lines := strings.Split(code, "\n")
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	// One more line for the paste field and one for its problem.
	if w > t.width || 1+minStepLines+used+len(lines)+2 > t.height {
		return nil
	}
	return lines
}

// setupView is the application picker, the scopes and the login hint.
func (t *loginTester) setupView() string {
	st := t.c.styles
	intro, below := t.setupParts()

	var b strings.Builder
	b.WriteString(intro + "\n\n")
	nw := t.appNameWidth()
	b.WriteString(st.ColumnHead.Render("  "+pad("APPLICATION", nw)+columnGap+pad("PROTOCOL", 8)+columnGap+
		pad("CLIENT", 12)+columnGap+pad("REDIRECT URIS", 16)) + "\n")
	first, last := t.appView.window(len(t.apps))
	for i := first; i < last; i++ {
		b.WriteString(t.appRow(i, nw) + "\n")
	}
	if len(t.apps) == 0 {
		b.WriteString(st.Dim.Render(clip("  "+t.emptyAppsText(), t.width)) + "\n")
	}
	// The scopes follow the list right away; the root pads the body.
	b.WriteString(strings.Join(below, "\n"))
	return b.String()
}

// setupParts returns the intro and the lines under the application list.
func (t *loginTester) setupParts() (intro string, below []string) {
	st := t.c.styles
	intro = st.Hint.Width(max(t.width, 1)).Render(t.introText())
	below = append(below, "")
	below = append(below, t.scopeLines()...)
	below = append(below, t.hintLines()...)
	if n := t.noticeText(); n != "" {
		below = append(below, "")
		below = append(below, strings.Split(st.Warn.Width(max(t.width, 1)).Render(n), "\n")...)
	}
	return intro, below
}

// layoutSetup gives the application list what the intro, column header
// and the lines under it leave of the body.
func (t *loginTester) layoutSetup() {
	intro, below := t.setupParts()
	t.appView.setHeight(t.height - lipgloss.Height(intro) - 2 - len(below))
}

func (t *loginTester) introText() string {
	return "Sign in to an application the way its users do, and see which step works. " +
		"Pick the application (↑/↓) and its scopes (←/→, space), then press enter: a browser opens the sign-in page, " +
		"and each step and check shows here as it runs."
}

func (t *loginTester) appNameWidth() int {
	return max(t.width-2-8-12-16-3*len(columnGap), 10)
}

func (t *loginTester) appRow(i, nw int) string {
	st := t.c.styles
	a := t.apps[i]
	pc := a.ProtocolConfig
	name := sanitize(a.DisplayName)
	if name == "" {
		name = sanitize(a.ID)
	}
	if a.ID == t.c.profile.LoginApplicationID {
		name += " (default)"
	}
	client := sanitize(pc.Confidentiality)
	if client == "" {
		client = "-"
	}
	redirects := fmt.Sprintf("%d, %d loopback", len(pc.RedirectURIs), loopbackRedirects(a))
	line := pad(name, nw) + columnGap + pad(sanitize(pc.Type), 8) + columnGap + pad(client, 12) + columnGap + pad(redirects, 16)
	if i == t.appView.cursor {
		return st.Selected.Render("> " + line)
	}
	return "  " + line
}

func (t *loginTester) emptyAppsText() string {
	switch {
	case t.appsErr != nil:
		return "Could not list applications: " + describeError(t.appsErr) +
			". Press r to retry, or enter to test the profile's application."
	case !t.appsLoaded:
		return "Loading applications…"
	}
	return "This realm has no OAuth2 or OIDC application. Add one with a loopback redirect URI, e.g. http://127.0.0.1:8765/callback, to test its sign-in."
}

// scopeLines draws the scope checkboxes of the selected application,
// wrapped after the label column.
func (t *loginTester) scopeLines() []string {
	st := t.c.styles
	label := st.Label.Render(pad("Scopes", loginLabelWidth))
	app, ok := t.selectedApp()
	if !ok {
		return []string{label + st.Dim.Render("openid, and the application's allowed scopes once it is chosen")}
	}
	items := []string{" " + st.Dim.Render("[x] openid")}
	m := t.scopeChoice(app)
	for i, s := range allowedScopes(app) {
		box := "[ ] "
		if m[s] {
			box = "[x] "
		}
		item := box + sanitize(s)
		if i == t.scopeCursor {
			items = append(items, ">"+st.Focused.Render(item))
		} else {
			items = append(items, " "+item)
		}
	}
	room := max(t.width-loginLabelWidth, 10)
	var lines []string
	line := ""
	for _, it := range items {
		if line != "" && lipgloss.Width(line)+1+lipgloss.Width(it) > room {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += it
	}
	lines = append(lines, line)
	for i := range lines {
		if i == 0 {
			lines[i] = label + lines[i]
		} else {
			lines[i] = strings.Repeat(" ", loginLabelWidth) + lines[i]
		}
	}
	return lines
}

// hintLines draw the login hint, its input while it is edited, and the
// identity the sign-in must return.
func (t *loginTester) hintLines() []string {
	st := t.c.styles
	var lines []string
	if t.editingHint {
		lines = append(lines, t.hintInput.View())
	} else {
		hint := st.Dim.Render(" none; e sets one, t on an identity tests as that identity")
		if t.hint != "" {
			hint = " " + sanitize(t.hint)
		}
		lines = append(lines, clip(st.Label.Render(pad("Login hint", loginLabelWidth))+hint, t.width))
	}
	if t.expectID != "" {
		lines = append(lines, ansi.Truncate(st.Label.Render(pad("Expect sub", loginLabelWidth))+
			" identity "+sanitize(t.expectName)+" ("+sanitize(t.expectID)+")"+st.Dim.Render("  backspace forgets it"), t.width, "…"))
	}
	return lines
}

// noticeText warns about a choice that cannot pass as it is.
func (t *loginTester) noticeText() string {
	var notes []string
	if t.notice != "" {
		notes = append(notes, t.notice)
	}
	if app, ok := t.selectedApp(); ok {
		if app.ProtocolConfig.Type != "oidc" {
			notes = append(notes, "This is an OAuth2 application: it issues no ID token, so the ID token checks will fail.")
		}
		if loopbackRedirects(app) == 0 {
			notes = append(notes, "This application has no loopback redirect URI (like http://127.0.0.1:8765/callback), so the browser cannot come back to biadmin; the pre-flight says what to add.")
		}
	}
	return strings.Join(notes, " ")
}
