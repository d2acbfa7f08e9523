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

// realmPageSize is the page size asked of ListRealms; 200 is the
// documented maximum for realms.
const realmPageSize = 200

// realmPicker lists the realms of the current tenant, a page at a time as
// the cursor nears the end, and opens the console on the one chosen with
// the current profile's credentials.
type realmPicker struct {
	base
	realms    []client.Realm
	total     int
	nextToken string
	loaded    bool
	loadErr   error
	view      vlist

	connecting string
	connectErr error
}

func newRealmPicker(c *common) *realmPicker {
	return &realmPicker{base: newBase(c, "Switch realm")}
}

func (p *realmPicker) Init() tea.Cmd { return p.fetch("") }

// realmPage is the value of a "list realms" result; first marks the page
// that replaces whatever was loaded.
type realmPage struct {
	page  *client.Page[client.Realm]
	first bool
}

func (p *realmPicker) fetch(token string) tea.Cmd {
	api := p.c.api
	opts := client.ListOptions{PageSize: realmPageSize, PageToken: token}
	first := token == ""
	return request(&p.base, "list realms", func(ctx context.Context) (realmPage, error) {
		page, err := api.ListRealms(ctx, opts)
		return realmPage{page: page, first: first}, err
	})
}

// maybeFetchMore requests the next page once the cursor is within a page
// of the end and nothing is in flight.
func (p *realmPicker) maybeFetchMore() tea.Cmd {
	if p.nextToken == "" || p.pending["list realms"] != 0 || p.view.cursor < len(p.realms)-p.view.height {
		return nil
	}
	return p.fetch(p.nextToken)
}

func (p *realmPicker) InputFocused() bool { return false }

func (p *realmPicker) SetSize(width, height int) {
	p.base.SetSize(width, height)
	p.view.setHeight(height - 7)
}

func (p *realmPicker) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return p, p.handleResult(msg)
	case tea.KeyMsg:
		return p, p.handleKey(msg)
	}
	return p, nil
}

func (p *realmPicker) handleResult(msg resultMsg) tea.Cmd {
	if !p.accept(msg) {
		return nil
	}
	switch msg.kind {
	case "list realms":
		if msg.err != nil {
			p.loadErr = msg.err
			return flashErr("Could not list the tenant's realms", msg.err)
		}
		res := msg.value.(realmPage)
		p.loadErr = nil
		if res.first {
			p.realms = p.realms[:0]
			p.loaded = true
		}
		for _, realm := range res.page.Items {
			p.realms = append(p.realms, realm)
			p.c.rememberName(realm.ID, realm.DisplayName)
		}
		p.total = max(res.page.TotalSize, len(p.realms))
		p.nextToken = res.page.NextPageToken
		if res.first {
			p.view.cursor = p.currentIndex()
		}
		p.view.clamp(len(p.realms))
		return p.maybeFetchMore()
	case "connect":
		name := p.connecting
		p.connecting = ""
		if msg.err != nil {
			p.connectErr = msg.err
			return flashErr("Could not open realm "+name, msg.err)
		}
		return switchTo(msg.value.(connection))
	}
	return nil
}

func (p *realmPicker) currentIndex() int {
	for i, realm := range p.realms {
		if realm.ID == p.c.profile.RealmID {
			return i
		}
	}
	return 0
}

func (p *realmPicker) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.keys
	switch {
	case key.Matches(msg, k.Back):
		if p.cancelRequests() {
			p.connecting = ""
			return flash(flashInfo, "Cancelled.")
		}
		return popScreen(p.id)
	case key.Matches(msg, k.Refresh):
		return p.fetch("")
	case key.Matches(msg, k.Pick):
		return p.choose()
	}
	if p.view.move(msg, k, len(p.realms)) {
		return p.maybeFetchMore()
	}
	return nil
}

// choose requests from Connect a client bound to the realm under the cursor. It
// shares the current profile's token source, so no other call is needed:
// the realm came from the list this token just fetched.
func (p *realmPicker) choose() tea.Cmd {
	if p.connecting != "" || p.view.cursor >= len(p.realms) {
		return nil
	}
	realm := p.realms[p.view.cursor]
	if realm.ID == p.c.profile.RealmID {
		return popScreen(p.id)
	}
	name := sanitize(realm.DisplayName)
	p.connecting, p.connectErr = name, nil
	connect, profile, sandboxURL := p.c.connect, p.c.profile, p.c.sandboxURL
	return request(&p.base, "connect", func(ctx context.Context) (connection, error) {
		api, info, err := connect(ctx, profile.Name, realm.ID)
		if err != nil {
			return connection{}, withProfile(err, profile)
		}
		return connection{api: api, profile: info, realm: &realm, sandboxURL: sandboxURL,
			note: fmt.Sprintf("Switched to realm %s of profile %s.", name, sanitize(info.Name))}, nil
	})
}

func (p *realmPicker) KeyMap() help.KeyMap {
	k := p.c.keys
	return helpKeys{
		short: []key.Binding{k.Pick, k.Back, k.Refresh},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Pick, k.Refresh, k.Back}},
	}
}

const (
	realmIDWidth    = 16
	realmClassWidth = 16
)

func (p *realmPicker) View() string {
	st := p.c.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Switch realm") + "\n")
	intro := fmt.Sprintf("Realms of %s. enter opens one as profile %s; esc goes back.",
		p.c.nameOf(p.c.profile.TenantID), sanitize(p.c.profile.Name))
	b.WriteString(st.Hint.Render(clip(intro, p.width)) + "\n\n")

	switch {
	case p.loadErr != nil && len(p.realms) == 0:
		b.WriteString(st.FieldError.Width(max(p.width, 1)).Render("Could not list the realms: " + describeError(p.loadErr) + ". Press r to retry."))
		return b.String()
	case !p.loaded:
		b.WriteString(st.Dim.Render("Loading…"))
		return b.String()
	case len(p.realms) == 0:
		b.WriteString(st.Dim.Render("The tenant has no realms."))
		return b.String()
	}

	nameWidth := max(p.width-2-realmIDWidth-realmClassWidth-len("current")-6, 10)
	head := "  " + pad("REALM", nameWidth) + "  " + pad("ID", realmIDWidth) + "  " + pad("CLASSIFICATION", realmClassWidth)
	b.WriteString(st.ColumnHead.Render(clip(head, p.width)) + "\n")
	first, last := p.view.window(len(p.realms))
	for i := first; i < last; i++ {
		realm := p.realms[i]
		line := pad(sanitize(realm.DisplayName), nameWidth) + "  " + pad(sanitize(realm.ID), realmIDWidth) + "  " +
			pad(sanitize(realm.Classification), realmClassWidth)
		if realm.ID == p.c.profile.RealmID {
			line += "  current"
		}
		if i == p.view.cursor {
			b.WriteString(st.Selected.Render(clip("> "+line, p.width)) + "\n")
		} else {
			b.WriteString(clip("  "+line, p.width) + "\n")
		}
	}
	for i := last - first; i < p.view.height; i++ {
		b.WriteString("\n")
	}
	b.WriteString(p.statusView())
	return b.String()
}

// statusView is the line under the rows: position, paging, and the
// progress or failure of opening a realm.
func (p *realmPicker) statusView() string {
	st := p.c.styles
	switch {
	case p.connecting != "":
		return st.Dim.Render(clip("Opening realm "+p.connecting+"…", p.width))
	case p.connectErr != nil:
		return st.FieldError.Width(max(p.width, 1)).Render("Could not open this realm: " + describeError(p.connectErr))
	}
	text := fmt.Sprintf("%d of %d", p.view.cursor+1, p.total)
	if len(p.realms) < p.total {
		text += fmt.Sprintf(" (%d loaded)", len(p.realms))
	}
	return st.Dim.Render(clip(text, p.width))
}
