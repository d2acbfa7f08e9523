package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client"
)

const (
	// groupPageSize is the API's maximum page size for groups.
	groupPageSize = 200
	// maxCountsInFlight caps the member-count requests running at once, so
	// a tall window does not send forty requests in one burst.
	maxCountsInFlight = 6
	// membersWidth fits "12345678" and the "…" of a count still loading.
	membersWidth = 8
)

// countKind is the request kind of one group's member count. Each group
// has its own kind, so counts in flight do not make each other stale.
func countKind(groupID string) string { return "count members " + groupID }

// groupRow is one loaded group with its cells sanitized.
type groupRow struct {
	group       client.Group
	name        string
	description string
}

func newGroupRow(g client.Group) groupRow {
	return groupRow{group: g, name: sanitize(g.DisplayName), description: sanitize(g.Description)}
}

// groupList is the list of the realm's groups, paged like the identity
// list. Member counts come from ListGroupMembers with page_size 1, whose
// total_size is the count. They are fetched only for the rows on screen and
// cached until something changes membership.
type groupList struct {
	base
	rows      []groupRow
	total     int
	nextToken string
	loaded    bool
	loadErr   error
	view      vlist

	counts    map[string]int
	countErrs map[string]error
}

func newGroupList(c *common) *groupList {
	return &groupList{base: newBase(c, "Groups"), counts: map[string]int{}, countErrs: map[string]error{}}
}

func (g *groupList) Init() tea.Cmd { return g.reload() }

func (g *groupList) InputFocused() bool { return false }

func (g *groupList) reload() tea.Cmd {
	clear(g.counts)
	clear(g.countErrs)
	return g.fetch("", true)
}

// groupPage is the value of a "list groups" result.
type groupPage struct {
	page  *client.Page[client.Group]
	first bool
}

func (g *groupList) fetch(token string, first bool) tea.Cmd {
	api := g.c.api
	opts := client.ListOptions{PageSize: groupPageSize, PageToken: token}
	return request(&g.base, "list groups", func(ctx context.Context) (groupPage, error) {
		p, err := api.ListGroups(ctx, opts)
		return groupPage{page: p, first: first}, err
	})
}

func (g *groupList) maybeFetchMore() tea.Cmd {
	if g.nextToken == "" || g.pending["list groups"] != 0 || g.view.cursor < len(g.rows)-prefetchMargin {
		return nil
	}
	return g.fetch(g.nextToken, false)
}

func (g *groupList) SetSize(width, height int) {
	g.base.SetSize(width, height)
	g.view.setHeight(height - lipgloss.Height(g.introView()) - 3)
}

func (g *groupList) Update(msg tea.Msg) (screen, tea.Cmd) {
	var cmd tea.Cmd
	counts := true
	switch msg := msg.(type) {
	case resultMsg:
		cmd = g.handleResult(msg)
	case identitiesChangedMsg:
		cmd = g.reload()
	case realmChangedMsg:
		g.c.desk.realmName = msg.realm.DisplayName
	case tea.KeyMsg:
		// After esc cancelled the counts, they start again on the next key.
		counts = !key.Matches(msg, g.c.keys.Back)
		cmd = g.handleKey(msg)
	}
	g.view.setHeight(g.height - lipgloss.Height(g.introView()) - 3)
	if counts {
		cmd = tea.Batch(cmd, g.countVisible())
	}
	return g, cmd
}

func (g *groupList) handleResult(msg resultMsg) tea.Cmd {
	if !g.accept(msg) {
		return nil
	}
	if groupID, ok := strings.CutPrefix(msg.kind, countKind("")); ok {
		if msg.err != nil {
			g.countErrs[groupID] = msg.err
			return nil
		}
		g.counts[groupID] = msg.value.(int)
		return nil
	}
	if msg.err != nil {
		g.loadErr = msg.err
		return flashErr("Could not list groups", msg.err)
	}
	res := msg.value.(groupPage)
	g.loadErr = nil
	if res.first {
		g.rows = g.rows[:0]
		g.loaded = true
	}
	for _, grp := range res.page.Items {
		g.rows = append(g.rows, newGroupRow(grp))
	}
	g.total = res.page.TotalSize
	g.nextToken = res.page.NextPageToken
	g.view.clamp(len(g.rows))
	return g.maybeFetchMore()
}

// countVisible starts member-count requests for the rows on screen that
// have no count yet, keeping at most maxCountsInFlight running.
func (g *groupList) countVisible() tea.Cmd {
	inFlight := 0
	for kind := range g.pending {
		if strings.HasPrefix(kind, countKind("")) {
			inFlight++
		}
	}
	api := g.c.api
	var cmds []tea.Cmd
	first, last := g.view.window(len(g.rows))
	for i := first; i < last && inFlight < maxCountsInFlight; i++ {
		id := g.rows[i].group.ID
		kind := countKind(id)
		if _, ok := g.counts[id]; ok {
			continue
		}
		if _, failed := g.countErrs[id]; failed {
			continue
		}
		if _, busy := g.pending[kind]; busy {
			continue
		}
		inFlight++
		cmds = append(cmds, request(&g.base, kind, func(ctx context.Context) (int, error) {
			p, err := api.ListGroupMembers(ctx, id, client.ListOptions{PageSize: 1})
			if err != nil {
				return 0, err
			}
			return p.TotalSize, nil
		}))
	}
	return tea.Batch(cmds...)
}

func (g *groupList) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := g.c.keys
	switch {
	case key.Matches(msg, k.Back):
		if g.cancelRequests() {
			return flash(flashInfo, "Cancelled.")
		}
		return nil
	case key.Matches(msg, k.Refresh):
		return g.reload()
	}
	row, ok := g.selected()
	switch {
	case !ok:
	case key.Matches(msg, k.Open):
		return pushScreen(newGroupMembers(g.c, row.group))
	case key.Matches(msg, k.FilterList):
		return showIdentities(groupScope(row.group))
	case key.Matches(msg, k.Overview):
		return showOverview(&row.group)
	}
	if g.view.move(msg, k, len(g.rows)) {
		return g.maybeFetchMore()
	}
	return nil
}

func (g *groupList) selected() (groupRow, bool) {
	if g.view.cursor < 0 || g.view.cursor >= len(g.rows) {
		return groupRow{}, false
	}
	return g.rows[g.view.cursor], true
}

func (g *groupList) KeyMap() help.KeyMap {
	k := g.c.keys
	open := k.Open
	open.SetHelp("enter", "members")
	return helpKeys{
		short: []key.Binding{open, k.FilterList, k.Overview, k.Refresh},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{open, k.FilterList, k.Overview, k.Refresh},
		},
	}
}

func (g *groupList) introView() string {
	var what string
	switch {
	case !g.loaded:
		what = "Loading groups."
	default:
		what = fmt.Sprintf("%s in this realm.", plural(g.total, "group", "groups"))
	}
	text := what + " Press enter to see a group's members, f to show them in the identity list, o for their enrollment overview."
	return g.c.styles.Hint.Width(max(g.width, 1)).Render(text)
}

// groupColumns splits the width between name and description.
func (g *groupList) groupColumns() (name, description int) {
	rest := g.width - 2 - membersWidth - 2*len(columnGap)
	name = max(rest*2/5, 10)
	return name, max(rest-name, 10)
}

func (g *groupList) View() string {
	st := g.c.styles
	var b strings.Builder
	b.WriteString(g.introView())
	b.WriteString("\n\n")
	nw, dw := g.groupColumns()
	b.WriteString(st.ColumnHead.Render("  " + pad("NAME", nw) + columnGap + padLeft("MEMBERS", membersWidth) + columnGap + pad("DESCRIPTION", dw)))
	b.WriteString("\n")
	first, last := g.view.window(len(g.rows))
	for i := first; i < last; i++ {
		b.WriteString(g.rowView(i, nw, dw))
		b.WriteString("\n")
	}
	for i := last - first; i < g.view.height; i++ {
		if i == 0 {
			b.WriteString(st.Dim.Render("  " + g.emptyText()))
		}
		b.WriteString("\n")
	}
	if len(g.rows) > 0 {
		b.WriteString(st.Dim.Render(rangeText(first, last, len(g.rows), g.total)))
	}
	return b.String()
}

func (g *groupList) rowView(i, nw, dw int) string {
	st := g.c.styles
	r := g.rows[i]
	count := "…"
	if n, ok := g.counts[r.group.ID]; ok {
		count = fmt.Sprint(n)
	} else if _, failed := g.countErrs[r.group.ID]; failed {
		count = "?"
	}
	line := pad(r.name, nw) + columnGap + padLeft(count, membersWidth) + columnGap + pad(r.description, dw)
	if i == g.view.cursor {
		return st.Selected.Render("> " + line)
	}
	return "  " + line
}

func (g *groupList) emptyText() string {
	switch {
	case g.loadErr != nil:
		return "Could not load groups: " + describeError(g.loadErr) + ". Press r to retry."
	case !g.loaded:
		return "Loading…"
	default:
		return "The realm has no groups."
	}
}

// padLeft right-aligns s in width cells, for numbers.
func padLeft(s string, width int) string {
	s = clip(s, width)
	if w := lipgloss.Width(s); w < width {
		s = strings.Repeat(" ", width-w) + s
	}
	return s
}
