// Package ui is the biadmin terminal console: a Bubble Tea root model that
// routes keys and results to one screen per file (identity list, realm
// settings, create-user form, enrollment email).
package ui

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/login"
)

// ProfileInfo is the part of the active profile the console shows and uses.
type ProfileInfo struct {
	Name                   string
	TenantID               string
	RealmID                string
	AuthenticatorConfigID  string
	PostBindingRedirectURI string
	Production             bool
	ReadOnly               bool
	Sandbox                bool
	// AuthBaseURL is the realm's auth host, where the login tester signs
	// in; LoginApplicationID is the application it tests by default.
	AuthBaseURL        string
	LoginApplicationID string
	// Region is "us", "eu" or "us-gov"; empty when the profile sets its
	// base URLs, as the sandbox's does.
	Region string
	// Credentials says where the profile's credentials come from, such as
	// "API token from environment variable BIADMIN_TOKEN"; it never
	// contains a secret. The message for a rejected token repeats it.
	Credentials string
}

// Options configure New.
type Options struct {
	API     client.API
	Profile ProfileInfo
	// SandboxURL is the sandbox origin when running with --sandbox; the
	// console points the user at its email outbox.
	SandboxURL string
	// Logger receives screen changes, requests and errors; nil discards.
	Logger *slog.Logger
	// Now is the clock for relative times and the login tester's step
	// timings; nil means time.Now.
	Now func() time.Time
	// LoginOpener opens the login tester's sign-in page in a browser; nil
	// means login.SystemOpener(), which honours $BROWSER.
	LoginOpener login.Opener
	// Clipboard receives the OSC 52 sequences that copy text to the
	// clipboard; nil means os.Stdout, the terminal the console draws on.
	Clipboard io.Writer

	// Profiles returns the profiles the profile picker (key P) offers. The
	// console calls it each time the picker opens, off the UI goroutine,
	// so edits to the config file show. Nil disables the picker.
	Profiles func() ([]ProfileInfo, error)
	// Connect builds the API for a profile: for realmID when it is set,
	// else for the profile's own realm. The profile picker calls it with
	// realmID "", the realm switcher (key W) with the current profile's
	// name. It runs off the UI goroutine. Nil disables both.
	Connect func(ctx context.Context, profileName, realmID string) (client.API, ProfileInfo, error)
	// FirstRun, when API is nil, opens the console on the first-run
	// screen, which starts the sandbox or sets up a profile.
	FirstRun *FirstRun
	// Warnings are problems found in the config file, such as a secret
	// stored in it or a file other users can read. The console shows them
	// once, at start.
	Warnings []string
	// AuditLogPath is the audit log the audit viewer reads; "" shows that
	// no audit log is kept.
	AuditLogPath string
	// AuditLogErr reports the first failed write to the audit log, so the
	// viewer can warn that it is incomplete; nil means no check.
	AuditLogErr func() error
	// BulkJournalDir is where bulk actions keep their journals, which
	// let a paused or interrupted action resume; "" disables bulk
	// actions. ExportDir receives the CSV exports of bulk plans.
	BulkJournalDir string
	ExportDir      string
}

// Minimum terminal size the layout is designed for. Below it the console
// shows a message instead of a broken screen.
const (
	minWidth  = 80
	minHeight = 24
)

// New returns the console's root model.
func New(opts Options) tea.Model {
	return newRoot(opts)
}

// tab is one top-level screen with the screens pushed on top of it; the
// last element is the one on display.
type tab struct {
	stack []screen
}

func (t *tab) top() screen { return t.stack[len(t.stack)-1] }

// root routes messages: global keys first, then the active screen. It owns
// the header, the tab bar, the status line and the help line.
type root struct {
	c      *common
	cancel context.CancelFunc
	tabs   []*tab
	active int

	width, height int
	showHelp      bool
	help          help.Model
	spinner       spinner.Model
	spinning      bool

	flash     flashMsg
	flashSeq  uint64
	flashTTL  time.Duration
	tenant    *client.Tenant
	realm     *client.Realm
	header    base
	quitting  bool
	lastTitle string
	// keys counts key presses; flashKeys is the count when the flash was
	// set, and lastScreen the id of the screen on display. A flash set
	// before the key that changed the screen is about the screen left,
	// so it is cleared.
	keys, flashKeys uint64
	lastScreen      uint64
	// warnings are the config warnings shown once by Init.
	warnings []string
}

func newRoot(opts Options) *root {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	st := newStyles(os.Getenv("NO_COLOR") != "")
	c := &common{
		api:         opts.API,
		profile:     opts.Profile,
		sandboxURL:  opts.SandboxURL,
		log:         log,
		now:         now,
		styles:      st,
		ctx:         ctx,
		loginOpener: opts.LoginOpener,
		clipboard:   opts.Clipboard,
		desk:        newDeskState(opts),
	}
	c.connect, c.listProfiles, c.firstRun = opts.Connect, opts.Profiles, opts.FirstRun
	c.names, c.sandboxOrigin = map[string]string{}, opts.SandboxURL
	c.keys = c.newKeys()
	r := &root{c: c, cancel: cancel, flashTTL: flashTTL, warnings: opts.Warnings}
	r.header = newBase(c, "header")
	r.tabs = newTabs(c)
	r.help = help.New()
	r.help.Styles = st.Help
	r.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.Spinner))
	return r
}

// newTabs builds the top-level screens, or only the welcome screen when
// there is no API yet.
func newTabs(c *common) []*tab {
	if c.api == nil {
		return []*tab{{stack: []screen{newWelcome(c)}}}
	}
	var tabs []*tab
	for _, mk := range topLevelScreens {
		tabs = append(tabs, &tab{stack: []screen{mk(c)}})
	}
	return tabs
}

func (r *root) current() screen { return r.tabs[r.active].top() }

func (r *root) Init() tea.Cmd {
	r.c.log.Info("console started", "profile", r.c.profile.Name, "tenant_id", r.c.profile.TenantID,
		"realm_id", r.c.profile.RealmID, "read_only", r.c.profile.ReadOnly, "sandbox", r.c.profile.Sandbox)
	r.lastTitle = r.current().Title()
	cmds := []tea.Cmd{r.start()}
	if len(r.warnings) > 0 {
		var text []string
		for _, w := range r.warnings {
			text = append(text, sanitize(w))
		}
		cmds = append(cmds, flash(flashWarn, "Config warning: "+strings.Join(text, "; ")))
	}
	return tea.Batch(cmds...)
}

// start fetches the header's tenant and realm, unless there is no API yet
// or the realm is already known, and loads every top-level screen, so
// switching tabs shows data at once; pushed screens load when pushed.
func (r *root) start() tea.Cmd {
	var cmds []tea.Cmd
	if api := r.c.api; api != nil {
		cmds = append(cmds, request(&r.header, "get tenant", func(ctx context.Context) (*client.Tenant, error) { return api.GetTenant(ctx) }))
		if r.realm == nil {
			cmds = append(cmds, request(&r.header, "get realm", func(ctx context.Context) (*client.Realm, error) { return api.GetRealm(ctx) }))
		}
	}
	for _, t := range r.tabs {
		cmds = append(cmds, t.top().Init())
	}
	cmds = append(cmds, offerUnfinishedBulk(r.c))
	return tea.Batch(cmds...)
}

func (r *root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := r.update(msg)
	if r.quitting {
		return r, cmd
	}
	return r, tea.Batch(cmd, r.afterUpdate())
}

func (r *root) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.width, r.height = msg.Width, msg.Height
		r.resize()
		return nil
	case tea.KeyMsg:
		r.keys++
		return r.handleKey(msg)
	case resultMsg:
		return r.routeResult(msg)
	case pushScreenMsg:
		return r.push(msg.s)
	case popScreenMsg:
		return r.pop(msg)
	case flashMsg:
		return r.setFlash(msg)
	case clearFlashMsg:
		if msg.seq == r.flashSeq {
			r.flash = flashMsg{}
			r.resize()
		}
		return nil
	case switchMsg:
		return r.switchTo(msg.conn)
	case realmChangedMsg:
		// A screen of the realm on display before a switch may still
		// report its realm; that one must not reach the new header.
		if r.c.api == nil || msg.realm.ID != r.c.api.RealmID() {
			return nil
		}
		realm := msg.realm
		r.realm = &realm
		r.c.rememberName(realm.ID, realm.DisplayName)
		return r.broadcast(msg)
	case identitiesChangedMsg:
		return r.broadcast(msg)
	case revealMsg:
		return r.reveal(msg)
	case linkShownMsg:
		if msg.err != nil {
			return flashErr("Could not show the link", msg.err)
		}
		return nil
	case spinner.TickMsg:
		if !r.current().Busy() && !r.header.Busy() {
			r.spinning = false
			return nil
		}
		var cmd tea.Cmd
		r.spinner, cmd = r.spinner.Update(msg)
		return cmd
	}
	return r.updateCurrent(msg)
}

// afterUpdate starts the spinner when a request is in flight and logs
// screen changes.
func (r *root) afterUpdate() tea.Cmd {
	if title := r.current().Title(); title != r.lastTitle {
		r.c.log.Info("screen changed", "from", r.lastTitle, "to", title)
		r.lastTitle = title
	}
	if id := r.current().ID(); id != r.lastScreen {
		r.lastScreen = id
		r.clearStaleFlash()
	}
	if !r.spinning && (r.current().Busy() || r.header.Busy()) {
		r.spinning = true
		return r.spinner.Tick
	}
	return nil
}

func (r *root) updateCurrent(msg tea.Msg) tea.Cmd {
	t := r.tabs[r.active]
	s, cmd := t.top().Update(msg)
	t.stack[len(t.stack)-1] = s
	return cmd
}

func (r *root) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, t := range r.tabs {
		for i, s := range t.stack {
			var cmd tea.Cmd
			t.stack[i], cmd = s.Update(msg)
			cmds = append(cmds, cmd)
		}
	}
	return tea.Batch(cmds...)
}

// handleKey applies the global keys. While a text input has focus only
// ctrl+c is global, so every other key reaches the input.
func (r *root) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := r.c.keys
	if key.Matches(msg, k.ForceQuit) {
		return r.quit()
	}
	if r.tooSmall() {
		// A focused input takes keys as at any size, so q is typed. Other
		// keys are ignored because nothing shows what they would do.
		if r.current().InputFocused() {
			return r.updateCurrent(msg)
		}
		if key.Matches(msg, k.Quit) {
			return r.quit()
		}
		return nil
	}
	if r.showHelp {
		switch {
		case key.Matches(msg, k.Quit):
			return r.quit()
		case key.Matches(msg, k.Help, k.Back):
			r.showHelp = false
		}
		return nil
	}
	if r.current().InputFocused() {
		return r.updateCurrent(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return r.quit()
	case key.Matches(msg, k.Help):
		r.showHelp = true
		return nil
	// Inside a pushed screen (a form) tab moves between fields instead.
	case key.Matches(msg, k.NextTab) && len(r.tabs[r.active].stack) == 1:
		return r.switchTab((r.active + 1) % len(r.tabs))
	case key.Matches(msg, k.PrevTab) && len(r.tabs[r.active].stack) == 1:
		return r.switchTab((r.active + len(r.tabs) - 1) % len(r.tabs))
	case key.Matches(msg, k.GoToTab):
		return r.switchTab(int(msg.Runes[0] - '1'))
	case key.Matches(msg, k.SwitchProfile):
		return r.openSwitcher(false)
	case key.Matches(msg, k.SwitchRealm):
		return r.openSwitcher(true)
	}
	return r.updateCurrent(msg)
}

func (r *root) quit() tea.Cmd {
	r.quitting = true
	r.c.log.Info("console quit")
	r.cancel()
	return tea.Quit
}

func (r *root) switchTab(i int) tea.Cmd {
	if i < 0 || i >= len(r.tabs) {
		return nil
	}
	r.active = i
	return nil
}

func (r *root) push(s screen) tea.Cmd {
	t := r.tabs[r.active]
	t.stack = append(t.stack, s)
	s.SetSize(r.bodySize())
	return s.Init()
}

// pop removes the screen msg.id and everything above it from whichever tab
// holds it. A top-level screen is never removed.
func (r *root) pop(msg popScreenMsg) tea.Cmd {
	for _, t := range r.tabs {
		for i := 1; i < len(t.stack); i++ {
			if t.stack[i].ID() != msg.id {
				continue
			}
			for _, s := range t.stack[i:] {
				s.Close()
			}
			t.stack = t.stack[:i]
			if msg.replace != nil {
				t.stack = append(t.stack, msg.replace)
				msg.replace.SetSize(r.bodySize())
				return msg.replace.Init()
			}
			return nil
		}
	}
	return nil
}

// routeResult hands a result to the screen that asked for it. A result
// whose screen has left the stack is dropped here.
func (r *root) routeResult(msg resultMsg) tea.Cmd {
	if msg.screen == r.header.id {
		return r.headerResult(msg)
	}
	for _, t := range r.tabs {
		for i, s := range t.stack {
			if s.ID() == msg.screen {
				var cmd tea.Cmd
				t.stack[i], cmd = s.Update(msg)
				return cmd
			}
		}
	}
	r.c.log.Debug("result for a closed screen dropped", "op", msg.kind, "request_id", msg.req)
	return nil
}

func (r *root) headerResult(msg resultMsg) tea.Cmd {
	if !r.header.accept(msg) {
		return nil
	}
	if msg.err != nil {
		return flashErr("Could not "+msg.kind, msg.err)
	}
	switch v := msg.value.(type) {
	case *client.Tenant:
		r.tenant = v
		r.c.rememberName(v.ID, v.DisplayName)
	case *client.Realm:
		r.realm = v
		r.c.rememberName(v.ID, v.DisplayName)
		return r.broadcast(realmChangedMsg{realm: *v})
	}
	return nil
}

func (r *root) setFlash(msg flashMsg) tea.Cmd {
	if msg.level == flashError {
		r.c.log.Error("error shown", "message", msg.text)
	}
	r.flash = msg
	r.flashSeq++
	r.flashKeys = r.keys
	seq := r.flashSeq
	// An error or warning may take more than one status line, which the
	// body gives up while it shows.
	r.resize()
	ttl := r.flashTTL
	if msg.level == flashWarn {
		// Config warnings are shown once only, so they stay longer.
		ttl *= 4
	}
	return tea.Tick(ttl, func(time.Time) tea.Msg { return clearFlashMsg{seq: seq} })
}

// clearStaleFlash clears the status line after the user moved to another
// screen, unless the message came with the move (a success that closes a
// form) or is a config warning, which is about no screen.
func (r *root) clearStaleFlash() {
	if r.flash.text == "" || r.flash.level == flashWarn || r.flashKeys == r.keys {
		return
	}
	r.flash = flashMsg{}
	r.resize()
}

func (r *root) tooSmall() bool {
	return r.width < minWidth || r.height < minHeight
}

func (r *root) resize() {
	r.help.Width = r.width
	w, h := r.bodySize()
	for _, t := range r.tabs {
		for _, s := range t.stack {
			s.SetSize(w, h)
		}
	}
}
