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
	// sel is the identity list's selection.
	sel selection

	auditPath  string
	auditErr   func() error
	journalDir string
	exportDir  string
}

func newDeskState(opts Options) *deskState {
	return &deskState{auditPath: opts.AuditLogPath, auditErr: opts.AuditLogErr,
		journalDir: opts.BulkJournalDir, exportDir: opts.ExportDir}
}

// forNewRealm returns the state for another realm or profile: the same
// settings, but no selection, cursor or realm name of the old realm.
func (d *deskState) forNewRealm() *deskState {
	return &deskState{auditPath: d.auditPath, auditErr: d.auditErr, journalDir: d.journalDir, exportDir: d.exportDir}
}

// bulkEnabled reports whether bulk actions can run: they need a journal
// directory.
func (d *deskState) bulkEnabled() bool { return d.journalDir != "" }

// setCurrent records the identity under the list's cursor; ok false
// clears it.
func (d *deskState) setCurrent(id client.Identity, ok bool) {
	if !ok {
		d.current = nil
		return
	}
	d.current = &id
}

// targets returns the identities a group change applies to: those picked
// in the identity list, or else the one under its cursor. A selection of
// "all matching" has no list of identities, so it returns none.
func (d *deskState) targets() []client.Identity {
	if picked := d.sel.identities(); len(picked) > 0 || d.sel.all {
		return picked
	}
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

// productionNote is the sentence every destructive confirmation carries.
// It names the profile and stresses it when the profile is production.
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
