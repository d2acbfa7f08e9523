package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// deskState is the state that the identity, group, overview and bulk
// screens share: the identity under the identity list's cursor, the realm's
// name for confirmations, and where the audit log is. It is used only on
// the Bubble Tea goroutine.
type deskState struct {
	// current is the identity under the identity list's cursor, the one
	// "add to group" adds when nothing is selected.
	current *client.Identity
	// realmName is the realm's display name once the header fetched it.
	realmName string

	auditPath string
	auditErr  func() error
}

func newDeskState(opts Options) *deskState {
	return &deskState{auditPath: opts.AuditLogPath, auditErr: opts.AuditLogErr}
}

// setCurrent records the identity under the list's cursor; ok false
// clears it.
func (d *deskState) setCurrent(id client.Identity, ok bool) {
	if !ok {
		d.current = nil
		return
	}
	d.current = &id
}

// targets returns the identities an action on "the selected identities"
// applies to: the one under the identity list's cursor.
func (d *deskState) targets() []client.Identity {
	if d.current == nil {
		return nil
	}
	return []client.Identity{*d.current}
}

// revealMsg requests that the root show the top-level screen that match
// accepts, closing any screen pushed on top of it, and then pass it then.
type revealMsg struct {
	match func(screen) bool
	then  tea.Msg
}

func reveal(match func(screen) bool, then tea.Msg) tea.Cmd {
	return func() tea.Msg { return revealMsg{match: match, then: then} }
}

// reveal switches to the tab whose top-level screen msg.match accepts.
func (r *root) reveal(msg revealMsg) tea.Cmd {
	for i, t := range r.tabs {
		if !msg.match(t.stack[0]) {
			continue
		}
		for _, s := range t.stack[1:] {
			s.Close()
		}
		t.stack = t.stack[:1]
		r.active = i
		if msg.then == nil {
			return nil
		}
		var cmd tea.Cmd
		t.stack[0], cmd = t.stack[0].Update(msg.then)
		return cmd
	}
	return nil
}

// productionNote is the sentence every destructive confirmation carries:
// it names the profile, and says so loudly when the profile is production.
func productionNote(c *common) string {
	name := sanitize(c.profile.Name)
	realm := c.desk.realmName
	if realm == "" {
		realm = c.profile.RealmID
	}
	realm = sanitize(realm)
	if c.profile.Production {
		return "PRODUCTION profile " + name + ", realm " + realm + ": this changes real users."
	}
	return "Profile " + name + ", realm " + realm + "."
}
