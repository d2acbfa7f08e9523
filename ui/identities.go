package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client"
)

const (
	// identityPageSize is the page size asked of the API; 200 is the
	// documented maximum for identities.
	identityPageSize = 200
	// prefetchMargin is how close to the last loaded row the cursor gets
	// before the next page is requested, so scrolling rarely waits.
	prefetchMargin = 100
)

// identityRow is one loaded identity with its cells already sanitized, so
// drawing a row only clips and pads.
type identityRow struct {
	identity    client.Identity
	username    string
	displayName string
	email       string
	status      string
	enrollment  string
}

func newIdentityRow(id client.Identity) identityRow {
	enrollment := id.EnrollmentStatus
	if enrollment == "" {
		enrollment = "-"
	}
	status := id.Status
	if status == "" {
		status = "-"
	}
	return identityRow{
		identity:    id,
		username:    sanitize(id.Traits.Username),
		displayName: sanitize(id.DisplayName),
		email:       sanitize(id.Traits.PrimaryEmailAddress),
		status:      sanitize(status),
		enrollment:  sanitize(enrollment),
	}
}

// identityPage is the value of a "list identities" result. A first page
// carries the query and scope it is for, which the list takes on only
// when the page arrives.
type identityPage struct {
	page  *client.Page[client.Identity]
	first bool
	want  listWant
}

// listWant is what the identity list is asked to show.
type listWant struct {
	query string
	scope listScope
}

// identityList is the realm's identities, fetched a page at a time as the
// cursor nears the end of what is loaded. Only the rows in the window are
// drawn, so a key press costs the same with 40 or 100,000 rows loaded.
type identityList struct {
	base
	rows      []identityRow
	total     int
	nextToken string
	loaded    bool
	loadErr   error

	view  vlist
	intro string

	// query is the exact username the list is filtered by; "" lists all.
	query string
	// scope narrows the list to a group or a set of identities.
	scope listScope
	// want is what the first-page request in flight is for, when it is
	// not what the list shows. Rows, total, query and scope change
	// together when its page arrives, so esc on a slow load leaves the
	// list as it was, intro and counts included.
	want      *listWant
	search    textinput.Model
	searching bool
}

func newIdentityList(c *common) *identityList {
	in := newTextInput(c, "exact username", 64)
	in.Prompt = "Find username: "
	return &identityList{base: newBase(c, "Identities"), search: in}
}

func (l *identityList) Init() tea.Cmd { return l.reload() }

func (l *identityList) InputFocused() bool { return l.searching }

// reload fetches the first page of what the list shows, or of what it is
// about to show. Rows already shown stay until it arrives; any page still
// in flight becomes stale.
func (l *identityList) reload() tea.Cmd {
	if l.want != nil {
		return l.show(*l.want)
	}
	return l.show(listWant{query: l.query, scope: l.scope})
}

// show fetches the first page for want; the list switches to it when the
// page arrives.
func (l *identityList) show(want listWant) tea.Cmd {
	l.want = nil
	if want.query != l.query || !sameScope(want.scope, l.scope) {
		l.want = &want
	}
	return l.fetch(want, "", true)
}

func (l *identityList) fetch(want listWant, token string, first bool) tea.Cmd {
	if want.scope.kind != scopeRealm {
		return l.fetchScoped(want, token, first)
	}
	api := l.c.api
	opts := client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: identityPageSize, PageToken: token}}
	if want.query != "" {
		opts.Filter = client.UsernameEquals(want.query)
	}
	return request(&l.base, "list identities", func(ctx context.Context) (identityPage, error) {
		p, err := api.ListIdentities(ctx, opts)
		return identityPage{page: p, first: first, want: want}, err
	})
}

// maybeFetchMore requests the next page when the cursor is within
// prefetchMargin rows of the end and no page is in flight.
func (l *identityList) maybeFetchMore() tea.Cmd {
	if l.nextToken == "" || l.Busy() || l.view.cursor < len(l.rows)-prefetchMargin {
		return nil
	}
	return l.fetch(listWant{query: l.query, scope: l.scope}, l.nextToken, false)
}

func (l *identityList) Update(msg tea.Msg) (screen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case resultMsg:
		cmd = l.handleResult(msg)
	case identitiesChangedMsg:
		cmd = l.reload()
	case scopeIdentitiesMsg:
		cmd = l.setScope(msg.scope)
	case tea.KeyMsg:
		if l.searching {
			cmd = l.updateSearch(msg)
		} else {
			cmd = l.handleKey(msg)
		}
	}
	l.layout()
	l.c.desk.setCurrent(l.selectedIdentity())
	return l, cmd
}

func (l *identityList) SetSize(width, height int) {
	l.base.SetSize(width, height)
	l.search.Width = max(width-lipgloss.Width(l.search.Prompt)-1, 1)
	l.layout()
}

// layout gives the rows what the intro, search line, column header and
// position line leave of the body.
func (l *identityList) layout() {
	l.intro = l.c.styles.Hint.Width(max(l.width, 1)).Render(l.introText())
	l.view.setHeight(l.height - lipgloss.Height(l.intro) - 3)
}

func (l *identityList) handleResult(msg resultMsg) tea.Cmd {
	if !l.accept(msg) {
		return nil
	}
	if msg.kind == "select all" {
		return l.selectedAll(msg)
	}
	res := msg.value.(identityPage)
	if res.first {
		l.want = nil
	}
	if msg.err != nil {
		// A failed switch to another query or scope keeps what is shown,
		// so the error is reported only where nothing is.
		if !res.first || res.want.query == l.query && sameScope(res.want.scope, l.scope) || !l.loaded {
			l.loadErr = msg.err
		}
		return flashErr("Could not list identities", msg.err)
	}
	l.loadErr = nil
	if res.first {
		if res.want.query != l.query || !sameScope(res.want.scope, l.scope) {
			l.query, l.scope, l.view = res.want.query, res.want.scope, vlist{}
			l.layout()
		}
		l.rows = l.rows[:0]
		l.loaded = true
	}
	for _, id := range res.page.Items {
		l.rows = append(l.rows, newIdentityRow(id))
	}
	l.total = res.page.TotalSize
	l.nextToken = res.page.NextPageToken
	l.view.clamp(len(l.rows))
	return l.maybeFetchMore()
}

func (l *identityList) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := l.c.keys
	switch {
	case key.Matches(msg, k.Back):
		if l.cancelRequests() {
			l.want = nil
			if !l.loaded {
				// Nothing was shown yet, so the list reports that instead of loading forever.
				l.loadErr = context.Canceled
			}
			return flash(flashInfo, "Cancelled.")
		}
		if !l.c.desk.sel.empty() {
			l.c.desk.sel.clear()
			return flash(flashInfo, "Selection cleared.")
		}
		if l.query != "" {
			return l.show(listWant{scope: l.scope})
		}
		if l.scope.kind != scopeRealm {
			return l.setScope(listScope{})
		}
		return nil
	case key.Matches(msg, k.Search):
		l.searching = true
		l.search.SetValue(l.query)
		l.search.CursorEnd()
		return l.search.Focus()
	case key.Matches(msg, k.Refresh):
		return l.reload()
	case key.Matches(msg, k.NewUser):
		return pushScreen(newCreateUser(l.c))
	case key.Matches(msg, k.Select):
		return l.toggleSelected()
	case key.Matches(msg, k.SelectAll):
		return l.selectAll()
	case key.Matches(msg, k.BulkMenu):
		return pushScreen(newBulkMenu(l.c, l.scope))
	case key.Matches(msg, k.OpenDetail):
		if row, ok := l.selected(); ok {
			return pushScreen(newIdentityDetail(l.c, row.identity))
		}
		return nil
	case key.Matches(msg, k.OpenEnroll):
		if row, ok := l.selected(); ok {
			return pushScreen(newEnrollment(l.c, row.identity, ""))
		}
		return nil
	case key.Matches(msg, k.TestLogin):
		if row, ok := l.selected(); ok {
			return testAsIdentity(row.identity)
		}
		return nil
	}
	if l.view.move(msg, k, len(l.rows)) {
		return l.maybeFetchMore()
	}
	return nil
}

func (l *identityList) updateSearch(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		l.searching = false
		l.search.Blur()
		return nil
	case tea.KeyEnter:
		l.searching = false
		l.search.Blur()
		query := strings.TrimSpace(l.search.Value())
		l.c.log.Info("identity search", "filtered", query != "")
		return l.show(listWant{query: query})
	}
	var cmd tea.Cmd
	l.search, cmd = l.search.Update(msg)
	return cmd
}

func (l *identityList) selected() (identityRow, bool) {
	if l.view.cursor < 0 || l.view.cursor >= len(l.rows) {
		return identityRow{}, false
	}
	return l.rows[l.view.cursor], true
}

func (l *identityList) selectedIdentity() (client.Identity, bool) {
	row, ok := l.selected()
	return row.identity, ok
}

func (l *identityList) KeyMap() help.KeyMap {
	k := l.c.keys
	if l.searching {
		search := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "find (empty: everyone)"))
		return helpKeys{short: []key.Binding{search, k.Cancel}, full: [][]key.Binding{{search, k.Cancel}}}
	}
	return helpKeys{
		short: []key.Binding{k.OpenDetail, k.OpenEnroll, k.NewUser, k.Search, k.Select, k.BulkMenu, k.Refresh, k.TestLogin},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.OpenDetail, k.OpenEnroll, k.NewUser, k.Search, k.Refresh, k.TestLogin, k.Select, k.SelectAll, k.BulkMenu},
		},
	}
}

// Fixed column widths: the longest status ("suspended") and enrollment
// status ("INVITE_FAILED").
const (
	statusWidth     = 9
	enrollmentWidth = 13
	columnGap       = "  "
)

// columns splits the width among username, display name and email.
func (l *identityList) columns() (user, name, email int) {
	rest := l.width - 2 - statusWidth - enrollmentWidth - 4*len(columnGap)
	user = rest * 3 / 10
	name = rest * 3 / 10
	email = rest - user - name
	return user, name, email
}

func (l *identityList) View() string {
	st := l.c.styles
	var b strings.Builder
	b.WriteString(l.intro)
	b.WriteString("\n")
	switch {
	case l.searching:
		b.WriteString(l.search.View())
	case l.want != nil:
		b.WriteString(st.Dim.Render(clip(l.wantText(), l.width)))
	}
	b.WriteString("\n")

	uw, nw, ew := l.columns()
	head := "  " + pad("USERNAME", uw) + columnGap + pad("DISPLAY NAME", nw) + columnGap + pad("EMAIL", ew) +
		columnGap + pad("STATUS", statusWidth) + columnGap + pad("ENROLLMENT", enrollmentWidth)
	b.WriteString(st.ColumnHead.Render(head))
	b.WriteString("\n")

	rowsRoom := l.view.height
	first, last := l.view.window(len(l.rows))
	for i := first; i < last; i++ {
		b.WriteString(l.rowView(i, uw, nw, ew))
		b.WriteString("\n")
	}
	for i := last - first; i < rowsRoom; i++ {
		if i == 0 {
			b.WriteString(st.Dim.Render("  " + l.emptyText()))
		}
		b.WriteString("\n")
	}
	b.WriteString(st.Dim.Render(l.positionText(first, last)))
	return b.String()
}

func (l *identityList) rowView(i, uw, nw, ew int) string {
	st := l.c.styles
	r := l.rows[i]
	if i == l.view.cursor {
		line := l.marker(i) + pad(r.username, uw) + columnGap + pad(r.displayName, nw) + columnGap + pad(r.email, ew) +
			columnGap + pad(r.status, statusWidth) + columnGap + pad(r.enrollment, enrollmentWidth)
		return st.Selected.Render(line)
	}
	return l.marker(i) + pad(r.username, uw) + columnGap + pad(r.displayName, nw) + columnGap + pad(r.email, ew) +
		columnGap + st.identityStatusStyle(r.identity.Status).Render(pad(r.status, statusWidth)) +
		columnGap + st.enrollmentStyle(r.identity.EnrollmentStatus).Render(pad(r.enrollment, enrollmentWidth))
}

// introText is the first thing a newcomer reads: what the screen shows
// and which key to press next.
func (l *identityList) introText() string {
	k := l.c.keys
	var what string
	switch {
	case !l.loaded && l.loadErr != nil:
		what = "Identities not loaded."
	case !l.loaded:
		what = "Loading identities."
	case l.query != "" && l.total == 0:
		what = "No identity has the username " + quote(l.query) + "; esc lists everyone."
	case l.query != "":
		what = "Showing the identity with username " + quote(l.query) + "; esc lists everyone."
	case l.scope.kind != scopeRealm:
		what = l.scopeIntro()
	case l.c.profile.Sandbox:
		// Not "demo": the count includes the identities the user created.
		what = "Sandbox realm with " + plural(l.total, "identity", "identities") + "."
	default:
		what = "The realm has " + plural(l.total, "identity", "identities") + "."
	}
	steps := []string{"enter for an identity's details"}
	if k.NewUser.Enabled() {
		steps = append(steps, "n to create a user")
		steps = append(steps, "e to send an enrollment email")
	} else {
		steps = append(steps, "e to see an identity's enrollment emails")
	}
	steps = append(steps, "/ to find a username", "? for help")
	text := what + " Press " + strings.Join(steps, ", ") + "."
	if l.c.sandboxURL != "" {
		text += " Outbox: " + sanitize(strings.TrimRight(l.c.sandboxURL, "/")) + "/_sandbox/outbox.html"
	}
	return text
}

// wantText describes what the list is loading in place of what it shows.
func (l *identityList) wantText() string {
	switch w := l.want; {
	case w.query != "":
		return "  Finding username " + quote(w.query) + "…"
	case w.scope.kind != scopeRealm:
		return "  Loading " + w.scope.indicator() + "…"
	}
	return "  Loading everyone…"
}

func (l *identityList) emptyText() string {
	switch {
	case l.loadErr != nil:
		return "Could not load identities: " + describeError(l.loadErr) + ". Press r to retry."
	case !l.loaded:
		return "Loading…"
	case l.query != "":
		return "No identity has the username " + quote(l.query) + ". Press esc to list everyone."
	case l.scope.kind != scopeRealm:
		return l.scopeEmptyText()
	case l.c.keys.NewUser.Enabled():
		return "The realm has no identities yet. Press n to create one."
	default:
		return "The realm has no identities yet."
	}
}

func (l *identityList) positionText(first, last int) string {
	if len(l.rows) == 0 {
		return ""
	}
	text := rangeText(first, last, len(l.rows), l.total)
	if l.query != "" {
		text += "  filter: username = " + quote(l.query) + ", esc clears"
	}
	if l.scope.kind != scopeRealm {
		text += "  " + l.scope.indicator() + ", esc clears"
	}
	if n := l.c.desk.sel.count(); n > 0 {
		text += fmt.Sprintf("  %d selected, b for bulk actions", n)
	}
	return clip(text, l.width)
}
