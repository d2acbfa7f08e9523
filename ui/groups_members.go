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

	"github.com/biadmin/biadmin/client"
)

// maxMembersPerCall is the most identity ids AddGroupMembers and
// DeleteGroupMembers take in one call.
const maxMembersPerCall = 1000

// groupMembers lists one group's members and adds or removes them.
type groupMembers struct {
	base
	group     client.Group
	name      string
	rows      []identityRow
	total     int
	nextToken string
	loaded    bool
	loadErr   error
	view      vlist
}

func newGroupMembers(c *common, g client.Group) *groupMembers {
	name := sanitize(g.DisplayName)
	return &groupMembers{base: newBase(c, "Group: "+clip(name, 24)), group: g, name: name}
}

func (m *groupMembers) Init() tea.Cmd { return m.fetch("", true) }

func (m *groupMembers) InputFocused() bool { return false }

func (m *groupMembers) fetch(token string, first bool) tea.Cmd {
	api, groupID := m.c.api, m.group.ID
	opts := client.ListOptions{PageSize: identityPageSize, PageToken: token}
	return request(&m.base, "list members", func(ctx context.Context) (identityPage, error) {
		p, err := api.ListGroupMembers(ctx, groupID, opts)
		return identityPage{page: p, first: first}, err
	})
}

func (m *groupMembers) maybeFetchMore() tea.Cmd {
	if m.nextToken == "" || m.Busy() || m.view.cursor < len(m.rows)-prefetchMargin {
		return nil
	}
	return m.fetch(m.nextToken, false)
}

func (m *groupMembers) SetSize(width, height int) {
	m.base.SetSize(width, height)
	m.layout()
}

func (m *groupMembers) layout() {
	// The column head and the position line take the rest.
	m.view.setHeight(m.height - lipgloss.Height(m.introView()) - 2)
}

func (m *groupMembers) Update(msg tea.Msg) (screen, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case resultMsg:
		cmd = m.handleResult(msg)
	case identitiesChangedMsg:
		cmd = m.fetch("", true)
	case tea.KeyMsg:
		cmd = m.handleKey(msg)
	}
	m.layout()
	return m, cmd
}

func (m *groupMembers) handleResult(msg resultMsg) tea.Cmd {
	if !m.accept(msg) {
		return nil
	}
	if msg.err != nil {
		m.loadErr = msg.err
		if errors.Is(msg.err, client.ErrNotFound) {
			return flash(flashError, "Group "+m.name+" no longer exists.")
		}
		return flashErr("Could not list the members", msg.err)
	}
	res := msg.value.(identityPage)
	m.loadErr = nil
	if res.first {
		m.rows = m.rows[:0]
		m.loaded = true
	}
	for _, id := range res.page.Items {
		m.rows = append(m.rows, newIdentityRow(id))
	}
	m.total = res.page.TotalSize
	m.nextToken = res.page.NextPageToken
	m.view.clamp(len(m.rows))
	return m.maybeFetchMore()
}

func (m *groupMembers) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Back):
		return m.handleEsc()
	case key.Matches(msg, k.Refresh):
		return m.fetch("", true)
	case key.Matches(msg, k.AddMembers):
		return m.add()
	case key.Matches(msg, k.FilterList):
		return showIdentities(groupScope(m.group))
	case key.Matches(msg, k.Overview):
		return showOverview(&m.group)
	}
	row, ok := m.selected()
	switch {
	case !ok:
	case key.Matches(msg, k.Open):
		return pushScreen(newIdentityDetail(m.c, row.identity))
	case key.Matches(msg, k.RemoveMember):
		return pushScreen(removeMemberConfirm(m.c, m.group, row.identity))
	}
	if m.view.move(msg, k, len(m.rows)) {
		return m.maybeFetchMore()
	}
	return nil
}

// add opens the confirmation that adds the identities selected in the
// identity list, or else the one under its cursor.
func (m *groupMembers) add() tea.Cmd {
	if m.c.desk.sel.all {
		return flash(flashInfo, "\"All matching\" is selected, which only bulk actions take; pick identities with space to add them to a group.")
	}
	targets := m.c.desk.targets()
	if len(targets) == 0 {
		return flash(flashInfo, "Select identities in the identity list first (1), then press a here.")
	}
	return pushScreen(addMembersConfirm(m.c, m.group, targets))
}

func (m *groupMembers) selected() (identityRow, bool) {
	if m.view.cursor < 0 || m.view.cursor >= len(m.rows) {
		return identityRow{}, false
	}
	return m.rows[m.view.cursor], true
}

func (m *groupMembers) KeyMap() help.KeyMap {
	k := m.c.keys
	open := k.Open
	open.SetHelp("enter", "details")
	return helpKeys{
		short: []key.Binding{open, k.AddMembers, k.RemoveMember, k.FilterList, k.Overview, k.Back},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{open, k.AddMembers, k.RemoveMember, k.FilterList, k.Overview, k.Refresh, k.Back},
		},
	}
}

func (m *groupMembers) introView() string {
	st := m.c.styles
	head := st.Title.Render(clip("Group "+m.name, m.width))
	var sentences []string
	if desc := strings.TrimRight(strings.TrimSpace(sanitize(m.group.Description)), "."); desc != "" {
		sentences = append(sentences, desc+".")
	}
	if m.loaded {
		sentences = append(sentences, "It has "+plural(m.total, "member", "members")+".")
	}
	if m.c.keys.AddMembers.Enabled() {
		sentences = append(sentences, "Press a to add the identities selected in the identity list (or the one under its cursor), x to remove the member under the cursor.")
	} else {
		sentences = append(sentences, "Press enter for a member's details.")
	}
	text := strings.Join(sentences, " ")
	return head + "\n" + st.Hint.Width(max(m.width, 1)).Render(text)
}

// memberColumns splits the width among username, display name and email,
// like the identity list.
func (m *groupMembers) memberColumns() (user, name, email int) {
	rest := m.width - 2 - statusWidth - enrollmentWidth - 4*len(columnGap)
	user = rest * 3 / 10
	name = rest * 3 / 10
	return user, name, rest - user - name
}

func (m *groupMembers) View() string {
	st := m.c.styles
	var b strings.Builder
	b.WriteString(m.introView())
	b.WriteString("\n")
	uw, nw, ew := m.memberColumns()
	b.WriteString(st.ColumnHead.Render("  " + pad("USERNAME", uw) + columnGap + pad("DISPLAY NAME", nw) + columnGap +
		pad("EMAIL", ew) + columnGap + pad("STATUS", statusWidth) + columnGap + pad("ENROLLMENT", enrollmentWidth)))
	b.WriteString("\n")
	first, last := m.view.window(len(m.rows))
	for i := first; i < last; i++ {
		r := m.rows[i]
		line := pad(r.username, uw) + columnGap + pad(r.displayName, nw) + columnGap + pad(r.email, ew) + columnGap +
			pad(r.status, statusWidth) + columnGap + pad(r.enrollment, enrollmentWidth)
		if i == m.view.cursor {
			b.WriteString(st.Selected.Render("> " + line))
		} else {
			b.WriteString("  " + line)
		}
		b.WriteString("\n")
	}
	for i := last - first; i < m.view.height; i++ {
		if i == 0 {
			b.WriteString(st.Dim.Render("  " + m.emptyText()))
		}
		b.WriteString("\n")
	}
	if len(m.rows) > 0 {
		b.WriteString(st.Dim.Render(rangeText(first, last, len(m.rows), m.total)))
	}
	return b.String()
}

func (m *groupMembers) emptyText() string {
	switch {
	case m.loadErr != nil:
		return "Could not load the members: " + describeError(m.loadErr) + ". Press r to retry."
	case !m.loaded:
		return "Loading…"
	case m.c.keys.AddMembers.Enabled():
		return "No members yet. Press a to add the identities selected in the identity list."
	default:
		return "No members."
	}
}

// addMembersConfirm adds identities to a group, in calls of at most
// maxMembersPerCall ids.
func addMembersConfirm(c *common, g client.Group, targets []client.Identity) *confirmation {
	group := sanitize(g.DisplayName)
	ids := identityIDs(targets)
	targetText := describeTargets(targets)
	change := fmt.Sprintf("%s becomes a member of %s. Nothing else about the identity changes.", targetText, group)
	if len(targets) > 1 {
		change = fmt.Sprintf("These %d identities become members of %s; those already in it stay as they are. Nothing else about them changes.",
			len(targets), group)
	}
	f := newConfirmation(c, "Add to "+clip(group, 24), fmt.Sprintf("Add %s to group %s?", targetText, group), "add", change)
	api, groupID := c.api, g.ID
	f.outcome = targetText + " may have been added to " + group
	f.run = func(ctx context.Context) (any, error) {
		for chunk := range chunks(ids, maxMembersPerCall) {
			if _, err := api.AddGroupMembers(ctx, groupID, chunk); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	f.done = func(any) tea.Cmd {
		c.log.Info("group members added", "group_id", groupID, "identities", len(ids))
		return tea.Batch(flash(flashSuccess, fmt.Sprintf("Added %s to %s.", targetText, group)), broadcast(identitiesChangedMsg{}))
	}
	return f
}

func removeMemberConfirm(c *common, g client.Group, id client.Identity) *confirmation {
	group := sanitize(g.DisplayName)
	name := sanitize(id.Traits.Username)
	f := newConfirmation(c, "Remove from "+clip(group, 24), fmt.Sprintf("Remove %s from group %s?", name, group), "remove",
		fmt.Sprintf("%s stops being a member of %s and loses what the group grants. The identity, its passkeys and its other groups stay.", name, group))
	api, groupID, identityID := c.api, g.ID, id.ID
	f.outcome = name + " may have been removed from " + group
	f.run = func(ctx context.Context) (any, error) {
		return api.DeleteGroupMembers(ctx, groupID, []string{identityID})
	}
	f.done = func(any) tea.Cmd {
		c.log.Info("group member removed", "group_id", groupID, "identity_id", identityID)
		return tea.Batch(flash(flashSuccess, fmt.Sprintf("Removed %s from %s.", name, group)), broadcast(identitiesChangedMsg{}))
	}
	return f
}

// describeTargets names one identity by username, or counts several and
// names the first few.
func describeTargets(ids []client.Identity) string {
	switch len(ids) {
	case 0:
		return "no identities"
	case 1:
		return sanitize(ids[0].Traits.Username)
	}
	names := make([]string, 0, 3)
	for _, id := range ids[:min(3, len(ids))] {
		names = append(names, sanitize(id.Traits.Username))
	}
	text := fmt.Sprintf("%d identities (%s", len(ids), strings.Join(names, ", "))
	if len(ids) > 3 {
		text += ", …"
	}
	return text + ")"
}

func identityIDs(ids []client.Identity) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.ID
	}
	return out
}

// chunks yields ids in slices of at most size.
func chunks(ids []string, size int) func(yield func([]string) bool) {
	return func(yield func([]string) bool) {
		for start := 0; start < len(ids); start += size {
			if !yield(ids[start:min(start+size, len(ids))]) {
				return
			}
		}
	}
}
