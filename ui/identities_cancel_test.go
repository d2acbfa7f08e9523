package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// slowLoad is the sandbox latency while esc is pressed twice: the first
// esc asks for the whole realm, the second stops that load.
const slowLoad = 2 * time.Second

// TestEscDuringSlowLoadKeepsTheList stops the load that leaving a search
// started. The list must still show the search, with its filter, intro and
// count, not one row under the realm's intro.
func TestEscDuringSlowLoadKeepsTheList(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	tm := env.run(t, 120, 40)
	tm.Type("/bob.smith")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")
	env.sb.Faults().SetLatency(slowLoad)
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Loading everyone…")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Cancelled.")
	r := quitAndWait(t, tm)
	l := r.current().(*identityList)
	if l.query != "bob.smith" || len(l.rows) != 1 || l.total != 1 || l.rows[0].username != "bob.smith" {
		t.Fatalf("query %q, %d rows, total %d; want the search for bob.smith as it was", l.query, len(l.rows), l.total)
	}
	view := l.View()
	for _, want := range []string{`Showing the identity with username "bob.smith"`, `filter: username = "bob.smith"`} {
		if !strings.Contains(view, want) {
			t.Errorf("the list lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "Loading") {
		t.Errorf("the list still says it is loading:\n%s", view)
	}
}

// TestEscDuringSlowLoadKeepsTheSet does the same with a set of
// identities, as the enrollment overview opens: the set stays, with its
// nine rows.
func TestEscDuringSlowLoadKeepsTheSet(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	p, err := env.check.ListIdentities(testContext(t), client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 9}})
	if err != nil || len(p.Items) != 9 {
		t.Fatalf("list identities: %v", err)
	}
	ids := identityIDs(p.Items)
	tm := env.run(t, 120, 40)
	tm.Send(scopeIdentitiesMsg{scope: idsScope("link sent", ids)})
	waitForText(t, tm, "Showing 9 identities: link sent", "set: link sent, esc clears")
	env.sb.Faults().SetLatency(slowLoad)
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Loading everyone…")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Cancelled.")
	r := quitAndWait(t, tm)
	l := r.current().(*identityList)
	if l.scope.kind != scopeIDs || len(l.rows) != 9 || l.total != 9 {
		t.Fatalf("scope %v, %d rows, total %d; want the set of 9 as it was", l.scope.kind, len(l.rows), l.total)
	}
	view := l.View()
	if !strings.Contains(view, "Showing 9 identities: link sent") || strings.Contains(view, "Loading") {
		t.Errorf("the list does not show the set as it was:\n%s", view)
	}
}

// TestEscLeavesAGroupOnceTheRealmArrives leaves a group's members with
// esc and no delay: the realm's list replaces them.
func TestEscLeavesAGroupOnceTheRealmArrives(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	eng, _ := env.groupByName(t, "Engineering")
	members := env.memberIDs(t, eng.ID)
	tm := env.run(t, 120, 40)
	tm.Send(scopeIdentitiesMsg{scope: groupScope(eng)})
	waitForText(t, tm, "group: Engineering, esc clears")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Sandbox realm with")
	r := quitAndWait(t, tm)
	l := r.current().(*identityList)
	if l.scope.kind != scopeRealm || len(l.rows) <= len(members) {
		t.Errorf("scope %v with %d rows, want the realm's list", l.scope.kind, len(l.rows))
	}
}

// TestEscDuringFirstLoadSaysNotLoaded stops the very first load: with
// nothing to go back to, the list says it is not loaded and how to load
// it, instead of "Loading…" for ever.
func TestEscDuringFirstLoadSaysNotLoaded(t *testing.T) {
	r := newRoot(Options{API: newFakeAPI(3), Profile: ProfileInfo{Name: "test"}, Now: fixedNow})
	r.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	_ = r.Init() // the first load never answers
	press(t, r, "esc")
	view := r.View()
	if strings.Contains(view, "Loading") {
		t.Errorf("the list still says it is loading:\n%s", view)
	}
	if !strings.Contains(view, "Identities not loaded.") || !strings.Contains(view, "Press r to retry") {
		t.Errorf("the list does not say how to load it:\n%s", view)
	}
	press(t, r, "r")
	if l := r.current().(*identityList); !l.loaded || len(l.rows) != 3 {
		t.Errorf("r did not load the list: loaded %v, %d rows", l.loaded, len(l.rows))
	}
}
