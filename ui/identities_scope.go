package ui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// scopeKind says which identities the identity list shows.
type scopeKind int

const (
	// scopeRealm lists the whole realm, or one username when searched.
	scopeRealm scopeKind = iota
	// scopeGroup lists the members of one group.
	scopeGroup
	// scopeIDs lists a fixed set of identities, such as a bucket of the
	// enrollment overview.
	scopeIDs
)

// listScope narrows the identity list to a group's members or to a set of
// identity ids. The zero value is the whole realm.
type listScope struct {
	kind scopeKind
	// label names the scope on screen: the group's name, or what the set
	// of identities has in common ("link expired").
	label   string
	groupID string
	ids     map[string]struct{}
}

func groupScope(g client.Group) listScope {
	name := sanitize(g.DisplayName)
	if name == "" {
		name = sanitize(g.ID)
	}
	return listScope{kind: scopeGroup, label: name, groupID: g.ID}
}

func idsScope(label string, ids []string) listScope {
	set := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	return listScope{kind: scopeIDs, label: label, ids: set}
}

// indicator is the scope as the position line shows it.
func (s listScope) indicator() string {
	switch s.kind {
	case scopeGroup:
		return "group: " + s.label
	case scopeIDs:
		return "set: " + s.label
	}
	return ""
}

// scopeIdentitiesMsg asks the identity list to show scope.
type scopeIdentitiesMsg struct{ scope listScope }

// showIdentities switches to the identity list and narrows it to scope.
func showIdentities(scope listScope) tea.Cmd {
	return reveal(func(s screen) bool {
		_, ok := s.(*identityList)
		return ok
	}, scopeIdentitiesMsg{scope: scope})
}

// setScope replaces the list's scope; a username search is dropped, as the
// API can filter the realm's list by username but not a group's.
// The list keeps showing what it showed until the scope's first page
// arrives.
func (l *identityList) setScope(scope listScope) tea.Cmd {
	l.c.log.Info("identity list scoped", "scope", scope.kind, "group_id", scope.groupID, "ids", len(scope.ids))
	return l.show(listWant{scope: scope})
}

// sameScope reports whether a and b list the same identities; an id set
// is the same only as itself.
func sameScope(a, b listScope) bool {
	if a.kind != b.kind || a.groupID != b.groupID || a.label != b.label || len(a.ids) != len(b.ids) {
		return false
	}
	for id := range a.ids {
		if _, ok := b.ids[id]; !ok {
			return false
		}
	}
	return true
}

// fetchScoped requests the next page of a group or id-set scope. For an id
// set it pages through the realm and keeps the identities in the set, so a
// page may add no row; maybeFetchMore then asks for the next one.
func (l *identityList) fetchScoped(want listWant, token string, first bool) tea.Cmd {
	api := l.c.api
	opts := client.ListOptions{PageSize: identityPageSize, PageToken: token}
	switch want.scope.kind {
	case scopeGroup:
		groupID := want.scope.groupID
		return request(&l.base, "list identities", func(ctx context.Context) (identityPage, error) {
			p, err := api.ListGroupMembers(ctx, groupID, opts)
			return identityPage{page: p, first: first, want: want}, err
		})
	case scopeIDs:
		ids := want.scope.ids
		loaded := len(l.rows)
		if first {
			loaded = 0
		}
		return request(&l.base, "list identities", func(ctx context.Context) (identityPage, error) {
			p, err := api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: opts})
			if err != nil {
				return identityPage{first: first, want: want}, err
			}
			out := &client.Page[client.Identity]{TotalSize: len(ids), NextPageToken: p.NextPageToken}
			for _, id := range p.Items {
				if _, ok := ids[id.ID]; ok {
					out.Items = append(out.Items, id)
				}
			}
			if out.NextPageToken == "" {
				// Identities deleted since the set was made are not in
				// the realm any more, so the last page gives the count.
				out.TotalSize = loaded + len(out.Items)
			}
			return identityPage{page: out, first: first, want: want}, nil
		})
	}
	panic(fmt.Sprintf("fetchScoped with scope kind %d", want.scope.kind))
}

// scopeIntro is the first sentence of the list's intro in a scope.
func (l *identityList) scopeIntro() string {
	switch l.scope.kind {
	case scopeGroup:
		return fmt.Sprintf("Showing the %d members of group %s; esc lists everyone.", l.total, l.scope.label)
	case scopeIDs:
		return fmt.Sprintf("Showing %d identities: %s; esc lists everyone.", l.total, l.scope.label)
	}
	return ""
}

// scopeEmptyText is what an empty list says in a scope.
func (l *identityList) scopeEmptyText() string {
	switch l.scope.kind {
	case scopeGroup:
		return fmt.Sprintf("Group %s has no members. Press esc to list everyone.", l.scope.label)
	case scopeIDs:
		return "None of these identities is in the realm any more. Press esc to list everyone."
	}
	return ""
}
