package ui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/bulk"
)

// selection is what the identity list has selected for a bulk action or a
// group change: identities picked one by one, or every identity the list
// matches ("all"), which the bulk engine resolves itself so that a large
// realm is never loaded whole.
type selection struct {
	picked map[string]client.Identity
	order  []string

	all bool
	// allTargets, allLabel and allCount describe an "all" selection: the
	// bulk target set, its description and how many the list counted.
	allTargets bulk.Targets
	allLabel   string
	allCount   int
}

func (s *selection) empty() bool { return s.count() == 0 }

func (s *selection) count() int {
	if s.all {
		return s.allCount
	}
	return len(s.order)
}

func (s *selection) has(id string) bool {
	if s.all {
		return true
	}
	_, ok := s.picked[id]
	return ok
}

func (s *selection) clear() { *s = selection{} }

// toggle picks id, or drops it when it is picked. It ends an "all"
// selection, which has no single rows to drop.
func (s *selection) toggle(id client.Identity) {
	if s.all {
		s.clear()
	}
	if s.picked == nil {
		s.picked = map[string]client.Identity{}
	}
	if _, ok := s.picked[id.ID]; ok {
		delete(s.picked, id.ID)
		for i, v := range s.order {
			if v == id.ID {
				s.order = append(s.order[:i], s.order[i+1:]...)
				break
			}
		}
		return
	}
	s.picked[id.ID] = id
	s.order = append(s.order, id.ID)
}

// pickAll replaces the selection with ids, in order.
func (s *selection) pickAll(ids []client.Identity) {
	s.clear()
	for _, id := range ids {
		s.toggle(id)
	}
}

// identities returns the picked identities in the order they were picked.
func (s *selection) identities() []client.Identity {
	out := make([]client.Identity, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.picked[id])
	}
	return out
}

// bulkTargets returns the selection as bulk targets and says in words who
// they are.
func (s *selection) bulkTargets() (bulk.Targets, string) {
	if s.all {
		return s.allTargets, s.allLabel
	}
	ids := make([]string, len(s.order))
	copy(ids, s.order)
	return bulk.IDs(ids...), "the " + describeTargets(s.identities()) + " selected in the list"
}

// marker is the two cells in front of a row: the cursor and the selection.
func (l *identityList) marker(i int) string {
	cursor, picked := " ", " "
	if i == l.view.cursor {
		cursor = ">"
	}
	if l.c.desk.sel.has(l.rows[i].identity.ID) {
		picked = "*"
	}
	return cursor + picked
}

func (l *identityList) toggleSelected() tea.Cmd {
	row, ok := l.selected()
	if !ok {
		return nil
	}
	l.c.desk.sel.toggle(row.identity)
	l.view.cursor = min(l.view.cursor+1, len(l.rows)-1)
	l.view.follow()
	return l.maybeFetchMore()
}

// selectAll selects every identity the list matches, or clears the
// selection when that is already the case. The realm and a username search
// become a bulk set; a group or a set of identities is paged through, so
// that its ids are known.
func (l *identityList) selectAll() tea.Cmd {
	sel := &l.c.desk.sel
	if !sel.empty() {
		sel.clear()
		return flash(flashInfo, "Selection cleared.")
	}
	switch {
	case l.query != "":
		*sel = selection{all: true, allTargets: bulk.Search(client.UsernameEquals(l.query)),
			allLabel: "the identity with username " + quote(l.query), allCount: l.total}
	case l.scope.kind == scopeRealm:
		*sel = selection{all: true, allTargets: bulk.Search(client.Filter{}),
			allLabel: fmt.Sprintf("all %d identities of the realm", l.total), allCount: l.total}
	default:
		return l.collectScope()
	}
	return flash(flashInfo, fmt.Sprintf("Selected %d. Press b for bulk actions, esc to clear.", sel.count()))
}

// collectScope pages through the list's group or id set and selects every
// identity in it.
func (l *identityList) collectScope() tea.Cmd {
	api, scope := l.c.api, l.scope
	return request(&l.base, "select all", func(ctx context.Context) ([]client.Identity, error) {
		var out []client.Identity
		fetch := func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
			opts := client.ListOptions{PageSize: identityPageSize, PageToken: token}
			if scope.kind == scopeGroup {
				return api.ListGroupMembers(ctx, scope.groupID, opts)
			}
			return api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: opts})
		}
		for id, err := range client.All(ctx, fetch) {
			if err != nil {
				return nil, err
			}
			if _, ok := scope.ids[id.ID]; scope.kind == scopeGroup || ok {
				// Only what the bulk plan and the group screens read is
				// kept, so a large group costs little memory.
				out = append(out, client.Identity{ID: id.ID, Traits: client.Traits{Username: id.Traits.Username}})
			}
		}
		return out, nil
	})
}

// selectedAll takes the result of collectScope.
func (l *identityList) selectedAll(msg resultMsg) tea.Cmd {
	if msg.err != nil {
		return flashErr("Could not select every identity", msg.err)
	}
	ids := msg.value.([]client.Identity)
	l.c.desk.sel.pickAll(ids)
	return flash(flashInfo, fmt.Sprintf("Selected %d. Press b for bulk actions, esc to clear.", len(ids)))
}
