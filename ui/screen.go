package ui

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/login"
)

// screen is one page of the console. Top-level screens are listed in
// topLevelScreens; others (forms, detail pages) are pushed on top of a
// top-level screen with pushScreen and leave with popScreen.
//
// Update runs on the Bubble Tea goroutine and must not block, so every API
// call goes through request, which returns a tea.Cmd.
type screen interface {
	// Title is the name in the tab bar and in logs.
	Title() string
	Init() tea.Cmd
	Update(msg tea.Msg) (screen, tea.Cmd)
	// View draws the body in the size last given to SetSize. The root pads
	// or cuts it to that height but never cuts a line that is too wide.
	View() string
	// KeyMap lists the screen's own bindings. The root adds the global ones.
	KeyMap() help.KeyMap
	SetSize(width, height int)

	// InputFocused reports whether a text input has focus. The root then
	// sends every key but ctrl+c to the screen, so q and digits are typed.
	InputFocused() bool
	// Busy reports whether a request of the screen is in flight.
	Busy() bool
	// ID identifies the screen instance that results are routed to.
	ID() uint64
	// Close cancels the screen's requests for good. The root calls it when
	// the screen leaves the stack.
	Close()
}

// topLevelScreens are the screens reachable with the number keys and tab,
// in tab order. Adding a screen is a new file with a constructor and one
// line here.
var topLevelScreens = []func(c *common) screen{
	func(c *common) screen { return newIdentityList(c) },
	func(c *common) screen { return newRealmSettings(c) },
	func(c *common) screen { return newGroupList(c) },
	func(c *common) screen { return newOverview(c) },
	func(c *common) screen { return newAuditViewer(c) },
	func(c *common) screen { return newLoginTester(c) },
}

// common is the state every screen shares: the API, profile, logger, clock,
// styles and keys. Commands may use api and ctx from other goroutines; the
// rest, lastID included, is used only on the Bubble Tea goroutine.
type common struct {
	api        client.API
	profile    ProfileInfo
	sandboxURL string
	log        *slog.Logger
	now        func() time.Time
	styles     *styles
	keys       *keyMap
	ctx        context.Context
	// loginOpener and clipboard are Options.LoginOpener and
	// Options.Clipboard; nil takes the defaults those name.
	loginOpener login.Opener
	clipboard   io.Writer
	desk        *deskState

	lastID uint64

	// connect, listProfiles and firstRun come from Options; names are the
	// display names of tenants and realms seen so far, by id; sandboxOrigin
	// is the sandbox the program started, kept across profile switches.
	connect       func(ctx context.Context, profileName, realmID string) (client.API, ProfileInfo, error)
	listProfiles  func() ([]ProfileInfo, error)
	firstRun      *FirstRun
	names         map[string]string
	sandboxOrigin string
}

// nextID returns an id unique within the program, for screens and requests.
func (c *common) nextID() uint64 {
	c.lastID++
	return c.lastID
}

// requestTimeout bounds every API call a screen starts, the client's own
// retries included.
const requestTimeout = 60 * time.Second

// resultMsg carries the outcome of one API call back to the screen that
// started it. The root routes it by screen id and drops it when that screen
// is gone. The screen drops it when req is no longer the latest request of
// its kind, because the query or form it belonged to was replaced.
type resultMsg struct {
	screen uint64
	req    uint64
	kind   string
	value  any
	err    error
}

// base is the part every screen embeds: its id, the context its requests
// run under, and the latest request id per kind of request.
type base struct {
	c       *common
	id      uint64
	title   string
	ctx     context.Context
	cancel  context.CancelFunc
	pending map[string]uint64
	// writes are the requests in pending that change data, by kind.
	writes map[string]pendingWrite
	width  int
	height int
}

// pendingWrite is a request that changes data: what it may have done, and
// how to find out.
type pendingWrite struct {
	req     uint64
	outcome string
	recheck func() tea.Cmd
}

func newBase(c *common, title string) base {
	ctx, cancel := context.WithCancel(c.ctx)
	return base{c: c, id: c.nextID(), title: title, ctx: ctx, cancel: cancel, pending: map[string]uint64{},
		writes: map[string]pendingWrite{}}
}

func (b *base) Title() string             { return b.title }
func (b *base) ID() uint64                { return b.id }
func (b *base) Busy() bool                { return len(b.pending) > 0 }
func (b *base) SetSize(width, height int) { b.width, b.height = width, height }
func (b *base) Close()                    { b.cancel() }

// request starts fn as a tea.Cmd under the screen's context. The returned
// command only calls fn, so fn must capture copies of the model state it
// needs, because the model may change before the command runs. A newer
// request of the same kind makes this one stale. An error comes back
// wrapped with the profile the request ran under, so describeError can
// name it.
func request[T any](b *base, kind string, fn func(ctx context.Context) (T, error)) tea.Cmd {
	req := b.c.nextID()
	b.pending[kind] = req
	ctx, screenID, log, profile := b.ctx, b.id, b.c.log, b.c.profile
	log.Info("request started", "screen", b.title, "op", kind, "request_id", req)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		v, err := fn(ctx)
		return resultMsg{screen: screenID, req: req, kind: kind, value: v, err: withProfile(err, profile)}
	}
}

// write is request for a call that changes data. Cancelling it cannot
// take back a request the service already received. So when the user
// stops waiting, stopRequests reports outcome ("the user may have been
// created") and runs recheck, which reloads what the call may have changed.
func write[T any](b *base, kind, outcome string, recheck func() tea.Cmd, fn func(ctx context.Context) (T, error)) tea.Cmd {
	cmd := request(b, kind, fn)
	b.writes[kind] = pendingWrite{req: b.pending[kind], outcome: outcome, recheck: recheck}
	return cmd
}

// accept reports whether msg is the latest request of its kind, and logs
// the outcome. A stale result is logged and must be ignored by the caller.
func (b *base) accept(msg resultMsg) bool {
	if b.pending[msg.kind] != msg.req {
		b.c.log.Debug("stale result dropped", "screen", b.title, "op", msg.kind, "request_id", msg.req)
		return false
	}
	delete(b.pending, msg.kind)
	delete(b.writes, msg.kind)
	if msg.err != nil {
		b.c.log.Warn("request failed", "screen", b.title, "op", msg.kind, "request_id", msg.req, "error", msg.err)
	} else {
		b.c.log.Debug("request done", "screen", b.title, "op", msg.kind, "request_id", msg.req)
	}
	return true
}

// cancelRequests cancels everything in flight and starts a fresh context
// for later requests. It reports whether anything was cancelled.
func (b *base) cancelRequests() bool {
	if len(b.pending) == 0 {
		return false
	}
	b.cancel()
	b.ctx, b.cancel = context.WithCancel(b.c.ctx)
	clear(b.pending)
	clear(b.writes)
	b.c.log.Info("requests cancelled", "screen", b.title)
	return true
}

// stopRequests cancels the requests in flight, as esc does, and returns
// the message for the user, or nil when nothing was in flight. A change
// may already have been made, so for a write the message reports that and
// the write's recheck reloads what it may have changed.
func (b *base) stopRequests() tea.Cmd {
	var writes []pendingWrite
	for kind, w := range b.writes {
		if b.pending[kind] == w.req {
			writes = append(writes, w)
		}
	}
	if !b.cancelRequests() {
		return nil
	}
	if len(writes) == 0 {
		return flash(flashInfo, "Cancelled.")
	}
	slices.SortFunc(writes, func(x, y pendingWrite) int { return cmp.Compare(x.req, y.req) })
	outcomes := make([]string, len(writes))
	cmds := make([]tea.Cmd, 0, len(writes)+1)
	for i, w := range writes {
		outcomes[i] = w.outcome
		b.c.log.Info("stopped waiting for a change", "screen", b.title, "request_id", w.req)
	}
	cmds = append(cmds, flash(flashInfo, "Stopped waiting. The request was already sent, so "+
		strings.Join(outcomes, " and ")+"; refreshing."))
	// The rechecks start after the cancel, under the fresh context.
	for _, w := range writes {
		if w.recheck != nil {
			cmds = append(cmds, w.recheck())
		}
	}
	return tea.Batch(cmds...)
}

// handleEsc is the shared meaning of esc on a screen without a focused
// input: stop what is in flight, or else go back.
func (b *base) handleEsc() tea.Cmd {
	if cmd := b.stopRequests(); cmd != nil {
		return cmd
	}
	return popScreen(b.id)
}

// Navigation and status messages, sent by screens to the root.
type (
	pushScreenMsg struct{ s screen }
	// popScreenMsg removes the screen with this id and anything above it.
	// When replace is set, it takes the removed screen's place.
	popScreenMsg struct {
		id      uint64
		replace screen
	}
	// identitiesChangedMsg is broadcast after identities were created or
	// changed, so lists reload. identityID names the identity when only one
	// changed, and deleted says it is gone.
	identitiesChangedMsg struct {
		identityID string
		deleted    bool
	}
	// realmChangedMsg carries the realm after an update, for the header.
	realmChangedMsg struct{ realm client.Realm }
)

func pushScreen(s screen) tea.Cmd {
	return func() tea.Msg { return pushScreenMsg{s: s} }
}

func popScreen(id uint64) tea.Cmd {
	return func() tea.Msg { return popScreenMsg{id: id} }
}

func replaceScreen(id uint64, s screen) tea.Cmd {
	return func() tea.Msg { return popScreenMsg{id: id, replace: s} }
}

func broadcast(msg tea.Msg) tea.Cmd {
	return func() tea.Msg { return msg }
}
