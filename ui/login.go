package ui

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client"
)

// The login tester runs an application's OIDC sign-in end to end with the
// client/login engine. The user picks an application and scopes, and a
// browser signs in. The screen shows every step and check as the engine
// reports it, then the verdict, the decoded claims and the masked tokens.

// loginPhase is the part of the login tester on display.
type loginPhase int

const (
	// loginSetup is the application picker and scope choice.
	loginSetup loginPhase = iota
	// loginRunning shows the steps of a test in progress.
	loginRunning
	// loginDone shows the verdict of the last test.
	loginDone
)

// Kinds of the resultMsg values a test run sends to its screen. They are
// resultMsg so that the root routes them to the tester by screen id even
// while another tab is on display. None may be lost, because the engine
// blocks until each event is taken.
const (
	kindLoginEvent  = "login event"
	kindLoginDone   = "login done"
	kindLoginTick   = "login tick"
	kindLoginSubmit = "login submit"
	kindListApps    = "list applications"
)

// maxApplicationPages bounds how many pages of 100 applications the picker
// reads, so a service that keeps returning page tokens cannot keep it busy.
const maxApplicationPages = 20

// standardScopes are the OIDC scopes checked by default when an
// application allows them; other allowed scopes start unchecked.
var standardScopes = []string{"profile", "email", "address", "phone", "offline_access"}

// loginSettings are the parameters of one test run. They are kept, so r
// runs the same test again.
type loginSettings struct {
	appID   string
	appName string
	scopes  []string
	hint    string
	// expectID is the identity the sign-in must return as sub, with the
	// username it is shown by.
	expectID   string
	expectName string
}

// loginAsIdentityMsg starts a test that signs in as an identity: its
// username is the login hint and its id the expected subject.
type loginAsIdentityMsg struct {
	identityID string
	username   string
}

// testAsIdentity returns the command behind "test as this identity": it
// brings the login tester up and starts a test as id.
func testAsIdentity(id client.Identity) tea.Cmd {
	isTester := func(s screen) bool { _, ok := s.(*loginTester); return ok }
	return reveal(isTester, loginAsIdentityMsg{identityID: id.ID, username: id.Traits.Username})
}

// loginTester is the login tester screen.
type loginTester struct {
	base
	phase loginPhase

	apps       []client.Application
	appsLoaded bool
	appsErr    error
	appView    vlist
	// chosen is the scope choice per application id, so moving the cursor
	// over the applications keeps what was ticked for each.
	chosen      map[string]map[string]bool
	scopeCursor int
	notice      string

	hint        string
	expectID    string
	expectName  string
	hintInput   textinput.Model
	editingHint bool
	// startWhenLoaded starts a test as soon as the applications arrive,
	// for "test as this identity" pressed before they did.
	startWhenLoaded bool

	settings loginSettings
	run      *loginRun

	// scroll and follow position the step list and the verdict in the
	// body; follow keeps the newest step in view while a test runs.
	scroll   int
	follow   bool
	tokenSel int
	revealed bool
}

func newLoginTester(c *common) *loginTester {
	in := newTextInput(c, "username or email to pre-fill; empty for none", inputCharLimit)
	in.Prompt = "Login hint: "
	return &loginTester{
		base:      newBase(c, "Login tester"),
		chosen:    map[string]map[string]bool{},
		hintInput: in,
	}
}

func (t *loginTester) Init() tea.Cmd { return t.loadApps() }

func (t *loginTester) loadApps() tea.Cmd {
	api := t.c.api
	return request(&t.base, kindListApps, func(ctx context.Context) ([]client.Application, error) {
		var out []client.Application
		token := ""
		for range maxApplicationPages {
			page, err := api.ListApplications(ctx, client.ListOptions{PageSize: 100, PageToken: token})
			if err != nil {
				return nil, err
			}
			for _, a := range page.Items {
				if testableApp(a) {
					out = append(out, a)
				}
			}
			if page.NextPageToken == "" || page.NextPageToken == token {
				return out, nil
			}
			token = page.NextPageToken
		}
		// NOTE: a realm with more than maxApplicationPages pages of
		// applications shows only the first ones; the profile's
		// login_application_id still reaches any of them.
		return out, nil
	})
}

// testableApp reports whether app can be offered: only OAuth2 and OIDC
// applications have an authorization endpoint to sign in through.
func testableApp(app client.Application) bool {
	pc := app.ProtocolConfig
	return pc != nil && (pc.Type == "oidc" || pc.Type == "oauth2")
}

// loopbackRedirects counts the redirect URIs of app that the engine's
// loopback listener can receive: plain http to a loopback address.
func loopbackRedirects(app client.Application) int {
	n := 0
	for _, raw := range app.ProtocolConfig.RedirectURIs {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" {
			continue
		}
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			n++
		}
	}
	return n
}

func (t *loginTester) InputFocused() bool {
	return t.editingHint || (t.run != nil && t.run.pasting)
}

// Busy is true while applications load or a test runs, so the tab bar
// shows that esc cancels.
func (t *loginTester) Busy() bool {
	return t.base.Busy() || t.phase == loginRunning
}

func (t *loginTester) SetSize(width, height int) {
	t.base.SetSize(width, height)
	t.hintInput.Width = max(width-lipgloss.Width(t.hintInput.Prompt)-1, 1)
	if t.run != nil {
		t.run.paste.Width = max(width-lipgloss.Width(t.run.paste.Prompt)-1, 1)
	}
	t.clampScroll()
	t.layoutSetup()
}

// Close cancels a test in progress with the screen's other requests.
func (t *loginTester) Close() {
	if t.run != nil {
		t.run.cancel()
	}
	t.base.Close()
}

func (t *loginTester) Update(msg tea.Msg) (screen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case resultMsg:
		cmd = t.handleResult(msg)
	case loginAsIdentityMsg:
		cmd = t.startAsIdentity(msg)
	case tea.KeyMsg:
		cmd = t.handleKey(msg)
	}
	t.clampScroll()
	t.layoutSetup()
	return t, cmd
}

func (t *loginTester) handleResult(msg resultMsg) tea.Cmd {
	switch msg.kind {
	case kindLoginEvent, kindLoginDone, kindLoginTick, kindLoginSubmit:
		return t.handleRunResult(msg)
	}
	if !t.accept(msg) {
		return nil
	}
	if msg.kind != kindListApps {
		return nil
	}
	if msg.err != nil {
		t.appsErr = msg.err
		cmd := flashErr("Could not list applications", msg.err)
		if t.startWhenLoaded {
			// The engine can still find the application by itself.
			t.startWhenLoaded = false
			cmd = tea.Batch(cmd, t.start())
		}
		return cmd
	}
	t.appsErr = nil
	t.appsLoaded = true
	t.apps = msg.value.([]client.Application)
	t.preselect()
	if t.startWhenLoaded {
		t.startWhenLoaded = false
		return t.start()
	}
	return nil
}

// preselect puts the cursor on the profile's login application, or else
// on the first OIDC application with a loopback redirect URI.
func (t *loginTester) preselect() {
	t.notice = ""
	want := t.c.profile.LoginApplicationID
	i := slices.IndexFunc(t.apps, func(a client.Application) bool { return a.ID == want })
	if i < 0 {
		if want != "" {
			t.notice = "The profile's login application " + sanitize(want) + " is not among this realm's OAuth2 and OIDC applications."
		}
		i = slices.IndexFunc(t.apps, func(a client.Application) bool {
			return a.ProtocolConfig.Type == "oidc" && loopbackRedirects(a) > 0
		})
	}
	t.appView = vlist{height: t.appView.height}
	t.appView.cursor = max(i, 0)
	t.appView.clamp(len(t.apps))
	t.scopeCursor = 0
}

func (t *loginTester) selectedApp() (client.Application, bool) {
	if !t.appsLoaded || t.appView.cursor >= len(t.apps) {
		return client.Application{}, false
	}
	return t.apps[t.appView.cursor], true
}

// scopeChoice returns the ticked scopes of app, filling in the default
// choice the first time.
func (t *loginTester) scopeChoice(app client.Application) map[string]bool {
	if m, ok := t.chosen[app.ID]; ok {
		return m
	}
	m := map[string]bool{}
	for _, s := range app.ProtocolConfig.AllowedScopes {
		m[s] = slices.Contains(standardScopes, s)
	}
	t.chosen[app.ID] = m
	return m
}

// allowedScopes returns the scopes the picker offers for app: its allowed
// scopes, without openid, which is always requested.
func allowedScopes(app client.Application) []string {
	var out []string
	for _, s := range app.ProtocolConfig.AllowedScopes {
		if s != "openid" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (t *loginTester) handleKey(msg tea.KeyMsg) tea.Cmd {
	if t.editingHint {
		return t.updateHint(msg)
	}
	switch t.phase {
	case loginRunning:
		return t.runningKey(msg)
	case loginDone:
		return t.doneKey(msg)
	}
	return t.setupKey(msg)
}

func (t *loginTester) setupKey(msg tea.KeyMsg) tea.Cmd {
	k := t.c.keys
	switch {
	case key.Matches(msg, k.Back):
		if t.cancelRequests() {
			return flash(flashInfo, "Cancelled.")
		}
		return nil
	case key.Matches(msg, k.LoginStart):
		return t.start()
	case key.Matches(msg, k.Refresh):
		return t.loadApps()
	case key.Matches(msg, k.EditHint):
		t.editingHint = true
		t.hintInput.SetValue(t.hint)
		t.hintInput.CursorEnd()
		return t.hintInput.Focus()
	case key.Matches(msg, k.ClearHint):
		t.hint, t.expectID, t.expectName = "", "", ""
		return nil
	case key.Matches(msg, k.ToggleScope):
		t.toggleScope()
		return nil
	case key.Matches(msg, k.Choose):
		step := 1
		if s := msg.String(); s == "left" || s == "h" {
			step = -1
		}
		if app, ok := t.selectedApp(); ok {
			if n := len(allowedScopes(app)); n > 0 {
				t.scopeCursor = (t.scopeCursor + step + n) % n
			}
		}
		return nil
	}
	before := t.appView.cursor
	if t.appView.move(msg, k, len(t.apps)) && t.appView.cursor != before {
		t.scopeCursor = 0
	}
	return nil
}

func (t *loginTester) toggleScope() {
	app, ok := t.selectedApp()
	if !ok {
		return
	}
	scopes := allowedScopes(app)
	if t.scopeCursor >= len(scopes) {
		return
	}
	m := t.scopeChoice(app)
	s := scopes[t.scopeCursor]
	m[s] = !m[s]
}

func (t *loginTester) updateHint(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		t.editingHint = false
		t.hintInput.Blur()
		return nil
	case tea.KeyEnter:
		t.editingHint = false
		t.hintInput.Blur()
		t.hint = strings.TrimSpace(t.hintInput.Value())
		return nil
	}
	var cmd tea.Cmd
	t.hintInput, cmd = t.hintInput.Update(msg)
	return cmd
}

// startAsIdentity sets the hint and expected subject from an identity and
// starts a test at once, after any test in progress is cancelled.
func (t *loginTester) startAsIdentity(msg loginAsIdentityMsg) tea.Cmd {
	t.hint, t.expectID, t.expectName = msg.username, msg.identityID, msg.username
	t.editingHint = false
	t.hintInput.Blur()
	if t.run != nil && t.phase == loginRunning {
		t.run.cancel()
		t.run = nil
	}
	t.phase = loginSetup
	if !t.appsLoaded && t.appsErr == nil {
		t.startWhenLoaded = true
		return nil
	}
	return t.start()
}

// currentSettings builds a test's settings from the picker.
func (t *loginTester) currentSettings() loginSettings {
	s := loginSettings{hint: t.hint, expectID: t.expectID, expectName: t.expectName}
	if app, ok := t.selectedApp(); ok {
		s.appID = app.ID
		s.appName = app.DisplayName
		m := t.scopeChoice(app)
		for _, sc := range allowedScopes(app) {
			if m[sc] {
				s.scopes = append(s.scopes, sc)
			}
		}
	} else {
		// Without the list, which failed to load, the profile's application
		// is tested. Without that too, the engine picks the realm's only
		// OIDC application with a loopback redirect URI.
		s.appID = t.c.profile.LoginApplicationID
	}
	return s
}

func (t *loginTester) start() tea.Cmd {
	return t.startRun(t.currentSettings())
}

func (t *loginTester) KeyMap() help.KeyMap {
	k := t.c.keys
	switch {
	case t.editingHint:
		done := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "set hint"))
		return helpKeys{short: []key.Binding{done, k.Cancel}, full: [][]key.Binding{{done, k.Cancel}}}
	case t.run != nil && t.run.pasting:
		submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit URL"))
		leave := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "leave field"))
		return helpKeys{short: []key.Binding{submit, leave}, full: [][]key.Binding{{submit, leave}}}
	case t.phase == loginRunning:
		cancel := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel test"))
		copyURL := k.Copy
		copyURL.SetHelp("c", "copy sign-in URL")
		showURL := k.ShowLink
		showURL.SetHelp("o", "show URL alone")
		short := []key.Binding{cancel}
		if t.run != nil && t.run.waiting {
			short = append(short, k.PasteRedirect)
		}
		if t.run != nil && t.run.authURL != "" {
			short = append(short, copyURL, showURL)
		}
		return helpKeys{short: short, full: [][]key.Binding{{cancel, k.PasteRedirect, copyURL, showURL}, {k.Up, k.Down, k.PageUp, k.PageDown}}}
	case t.phase == loginDone:
		settings := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "settings"))
		token := k.Choose
		token.SetHelp("←/→", "token")
		short := []key.Binding{k.RunAgain, settings}
		if t.run != nil && t.run.report != nil && !t.run.report.Tokens.Access.IsZero() {
			short = []key.Binding{k.RunAgain, k.Reveal, k.Copy, token, settings}
		}
		return helpKeys{
			short: short,
			full:  [][]key.Binding{{k.RunAgain, k.Reveal, k.Copy, token, settings}, {k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
		}
	}
	app := k.Up
	app.SetHelp("↑/↓", "application")
	scope := k.Choose
	scope.SetHelp("←/→", "scope")
	short := []key.Binding{k.LoginStart, app, scope, k.ToggleScope, k.EditHint}
	if t.hint != "" || t.expectID != "" {
		short = append(short, k.ClearHint)
	}
	return helpKeys{
		short: append(short, k.Refresh),
		full:  [][]key.Binding{{k.LoginStart, app, scope, k.ToggleScope}, {k.EditHint, k.ClearHint, k.Refresh}},
	}
}
