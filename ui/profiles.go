package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// connection is an API the console can open on: a profile of the config,
// another realm of the current tenant, a profile just set up, or the
// sandbox.
type connection struct {
	api        client.API
	profile    ProfileInfo
	sandboxURL string
	// realm is the realm the check before the switch fetched, so the
	// header shows its name at once; nil when no check fetched it.
	realm *client.Realm
	// note is the success message shown after the switch.
	note string
}

// switchMsg is a request to the root to close every screen and open the
// console on conn, as if it had started there.
type switchMsg struct{ conn connection }

func switchTo(conn connection) tea.Cmd {
	return func() tea.Msg { return switchMsg{conn: conn} }
}

// switchTo closes every screen, which cancels their requests, and builds
// fresh ones over conn. Ids keep counting up in the new common state, so a
// result of an old screen or of the old header finds no screen and is
// dropped by routeResult.
func (r *root) switchTo(conn connection) tea.Cmd {
	old := r.c
	old.log.Info("switching profile", "from_profile", old.profile.Name, "from_realm_id", old.profile.RealmID,
		"to_profile", conn.profile.Name, "to_tenant_id", conn.profile.TenantID, "to_realm_id", conn.profile.RealmID,
		"read_only", conn.profile.ReadOnly, "sandbox", conn.profile.Sandbox)
	r.cancel()
	r.header.Close()
	for _, t := range r.tabs {
		for _, s := range t.stack {
			s.Close()
		}
	}

	// Copying keeps every shared field, including ones this file does not
	// know about; only what belongs to the old profile is replaced.
	c := *old
	ctx, cancel := context.WithCancel(context.Background())
	c.api, c.profile, c.sandboxURL, c.ctx = conn.api, conn.profile, conn.sandboxURL, ctx
	c.keys = c.newKeys()
	// The desk's selection and realm name belong to the old realm, so
	// only its settings carry over.
	c.desk = old.desk.forNewRealm()
	r.c, r.cancel = &c, cancel

	if r.tenant != nil && r.tenant.ID != conn.profile.TenantID {
		r.tenant = nil
	}
	r.realm = conn.realm
	if conn.realm != nil {
		c.rememberName(conn.realm.ID, conn.realm.DisplayName)
	}
	r.header = newBase(r.c, "header")
	r.tabs = newTabs(r.c)
	r.active, r.showHelp = 0, false
	r.resize()

	cmds := []tea.Cmd{r.start()}
	if conn.note != "" {
		cmds = append(cmds, flash(flashSuccess, conn.note))
	}
	return tea.Batch(cmds...)
}

// newKeys builds the key map for the profile, with the switch keys unbound
// when there is nothing to switch with.
func (c *common) newKeys() *keyMap {
	k := newKeyMap(c.profile.ReadOnly, len(topLevelScreens))
	if c.connect == nil || c.listProfiles == nil || c.api == nil {
		k.SwitchProfile.Unbind()
	}
	if c.connect == nil || c.api == nil {
		k.SwitchRealm.Unbind()
	}
	if !c.desk.bulkEnabled() {
		k.BulkMenu.Unbind()
		k.Resume.Unbind()
		k.RetryFailed.Unbind()
	}
	return k
}

// rememberName records the display name of a tenant or realm id for the
// header and the profile picker, for as long as the program runs.
func (c *common) rememberName(id, name string) {
	if id != "" && name != "" {
		c.names[id] = name
	}
}

// openSwitcher pushes the profile picker or the realm switcher, unless it
// is already on display.
func (r *root) openSwitcher(realms bool) tea.Cmd {
	switch r.current().(type) {
	case *profilePicker, *realmPicker:
		return nil
	}
	if realms {
		return pushScreen(newRealmPicker(r.c))
	}
	return pushScreen(newProfilePicker(r.c))
}

// profilePicker lists the profiles of the config file and opens the console
// on the one chosen. The profile is checked with one GetRealm call first,
// so a profile with a bad token shows the reason here and the console stays
// on the current one.
type profilePicker struct {
	base
	profiles []ProfileInfo
	loaded   bool
	loadErr  error
	view     vlist

	// connecting is the profile being checked; connectErr is why the last
	// check failed.
	connecting string
	connectErr error
}

func newProfilePicker(c *common) *profilePicker {
	return &profilePicker{base: newBase(c, "Switch profile")}
}

func (p *profilePicker) Init() tea.Cmd { return p.load() }

func (p *profilePicker) load() tea.Cmd {
	list := p.c.listProfiles
	return request(&p.base, "list profiles", func(context.Context) ([]ProfileInfo, error) {
		return list()
	})
}

func (p *profilePicker) InputFocused() bool { return false }

func (p *profilePicker) SetSize(width, height int) {
	p.base.SetSize(width, height)
	p.view.setHeight(p.listHeight())
}

// listHeight returns the rows the title, intro, column header and detail
// lines leave of the body.
func (p *profilePicker) listHeight() int { return p.height - 8 }

func (p *profilePicker) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return p, p.handleResult(msg)
	case tea.KeyMsg:
		return p, p.handleKey(msg)
	}
	return p, nil
}

func (p *profilePicker) handleResult(msg resultMsg) tea.Cmd {
	if !p.accept(msg) {
		return nil
	}
	switch msg.kind {
	case "list profiles":
		if msg.err != nil {
			p.loadErr = msg.err
			return flashErr("Could not read the profiles", msg.err)
		}
		p.loadErr = nil
		p.loaded = true
		p.profiles = msg.value.([]ProfileInfo)
		p.view.cursor = p.currentIndex()
		p.view.clamp(len(p.profiles))
		return nil
	case "connect":
		name := p.connecting
		p.connecting = ""
		if msg.err != nil {
			p.connectErr = msg.err
			return flashErr("Could not open profile "+sanitize(name), msg.err)
		}
		return switchTo(msg.value.(connection))
	}
	return nil
}

// currentIndex returns the row of the profile on display, or 0.
func (p *profilePicker) currentIndex() int {
	for i, info := range p.profiles {
		if info.Name == p.c.profile.Name && info.Sandbox == p.c.profile.Sandbox {
			return i
		}
	}
	return 0
}

func (p *profilePicker) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.keys
	switch {
	case key.Matches(msg, k.Back):
		if p.cancelRequests() {
			p.connecting = ""
			return flash(flashInfo, "Cancelled; still on profile "+sanitize(p.c.profile.Name)+".")
		}
		return popScreen(p.id)
	case key.Matches(msg, k.Refresh):
		return p.load()
	case key.Matches(msg, k.Pick):
		return p.choose()
	}
	p.view.move(msg, k, len(p.profiles))
	return nil
}

// choose connects to the profile under the cursor and checks it with one
// API call. Errors carry the chosen profile, so a rejected token is
// described with that profile's name and credentials.
func (p *profilePicker) choose() tea.Cmd {
	if p.connecting != "" || p.view.cursor >= len(p.profiles) {
		return nil
	}
	target := p.profiles[p.view.cursor]
	p.connecting, p.connectErr = target.Name, nil
	connect := p.c.connect
	return request(&p.base, "connect", func(ctx context.Context) (connection, error) {
		api, info, err := connect(ctx, target.Name, "")
		if err != nil {
			return connection{}, withProfile(err, target)
		}
		realm, err := api.GetRealm(ctx)
		if err != nil {
			return connection{}, withProfile(err, info)
		}
		return connection{api: api, profile: info, realm: realm, sandboxURL: sandboxURLOf(info, p.c),
			note: fmt.Sprintf("Switched to profile %s, realm %s.", sanitize(info.Name), sanitize(realm.DisplayName))}, nil
	})
}

// sandboxURLOf keeps the sandbox's outbox address when the console switches
// back to the sandbox profile it started with.
func sandboxURLOf(info ProfileInfo, c *common) string {
	if info.Sandbox {
		return c.sandboxOrigin
	}
	return ""
}

func (p *profilePicker) KeyMap() help.KeyMap {
	k := p.c.keys
	return helpKeys{
		short: []key.Binding{k.Pick, k.Back, k.Refresh},
		full:  [][]key.Binding{{k.Up, k.Down, k.Pick, k.Refresh, k.Back}},
	}
}

const (
	profileNameWidth = 16
	profileIDWidth   = 16
	profileRegion    = 6
)

func (p *profilePicker) View() string {
	st := p.c.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Switch profile") + "\n")
	b.WriteString(st.Hint.Render(clip("Profiles in the config file. enter checks one with one API call and opens it.", p.width)) + "\n\n")

	switch {
	case p.loadErr != nil:
		b.WriteString(st.FieldError.Width(max(p.width, 1)).Render("Could not read the profiles: " + describeError(p.loadErr) + ". Press r to retry."))
		return b.String()
	case !p.loaded:
		b.WriteString(st.Dim.Render("Loading…"))
		return b.String()
	case len(p.profiles) == 0:
		b.WriteString(st.Dim.Render("The config file has no profiles."))
		return b.String()
	}

	head := "  " + pad("PROFILE", profileNameWidth) + "  " + pad("TENANT", profileIDWidth) + "  " +
		pad("REALM", profileIDWidth) + "  " + pad("REGION", profileRegion) + "  MARKS"
	b.WriteString(st.ColumnHead.Render(clip(head, p.width)) + "\n")
	first, last := p.view.window(len(p.profiles))
	for i := first; i < last; i++ {
		b.WriteString(p.rowView(i) + "\n")
	}
	for i := last - first; i < p.view.height; i++ {
		b.WriteString("\n")
	}
	b.WriteString(p.detailView())
	return b.String()
}

func (p *profilePicker) rowView(i int) string {
	info := p.profiles[i]
	region := info.Region
	if region == "" {
		region = "custom"
	}
	line := pad(sanitize(info.Name), profileNameWidth) + "  " + pad(sanitize(info.TenantID), profileIDWidth) + "  " +
		pad(sanitize(info.RealmID), profileIDWidth) + "  " + pad(sanitize(region), profileRegion) + "  " +
		strings.Join(p.marks(info), ", ")
	if i == p.view.cursor {
		return p.c.styles.Selected.Render(clip("> "+line, p.width))
	}
	return clip("  "+line, p.width)
}

// marks are the notes on a profile row: the one on display and the
// profile's own flags.
func (p *profilePicker) marks(info ProfileInfo) []string {
	var marks []string
	if info.Name == p.c.profile.Name && info.Sandbox == p.c.profile.Sandbox {
		marks = append(marks, "current")
	}
	if info.Production {
		marks = append(marks, "production")
	}
	if info.ReadOnly {
		marks = append(marks, "read-only")
	}
	if info.Sandbox {
		marks = append(marks, "sandbox")
	}
	return marks
}

// detailView describes the profile under the cursor: tenant and realm names
// when this session has seen them, where the credentials come from, and
// the progress or failure of opening it.
func (p *profilePicker) detailView() string {
	st := p.c.styles
	info := p.profiles[p.view.cursor]
	var lines []string
	names := "Tenant " + p.c.nameOf(info.TenantID) + ", realm " + p.c.nameOf(info.RealmID)
	if info.Credentials != "" {
		names += "; " + sanitize(info.Credentials)
	}
	lines = append(lines, st.Dim.Render(clip(names, p.width)))
	switch {
	case p.connecting != "":
		lines = append(lines, st.Dim.Render(clip("Checking profile "+sanitize(p.connecting)+" with one API call…", p.width)))
	case p.connectErr != nil:
		lines = append(lines, st.FieldError.Width(max(p.width, 1)).Render(
			"Could not open this profile: "+describeError(p.connectErr)))
	}
	return strings.Join(lines, "\n")
}

// nameOf returns the display name seen for a tenant or realm id, or the
// id itself, sanitized.
func (c *common) nameOf(id string) string {
	if name, ok := c.names[id]; ok {
		return sanitize(name)
	}
	return sanitize(id)
}
