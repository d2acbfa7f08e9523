package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/biadmin/biadmin/client"
)

// groupByName returns the seeded group named name and its place in the
// API's list order, which is the order the groups screen shows.
func (e *deskEnv) groupByName(t *testing.T, name string) (client.Group, int) {
	t.Helper()
	p, err := e.check.ListGroups(testContext(t), client.ListOptions{PageSize: 200})
	if err != nil {
		t.Fatalf("list groups: %v", err)
	}
	for i, g := range p.Items {
		if g.DisplayName == name {
			return g, i
		}
	}
	t.Fatalf("the seed has no group %q", name)
	return client.Group{}, 0
}

func (e *deskEnv) memberIDs(t *testing.T, groupID string) []string {
	t.Helper()
	p, err := e.check.ListGroupMembers(testContext(t), groupID, client.ListOptions{PageSize: 200})
	if err != nil {
		t.Fatalf("list members: %v", err)
	}
	return identityIDs(p.Items)
}

func TestGroupAddAndRemoveMember(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	admins, row := env.groupByName(t, "Administrators")
	before := env.memberIDs(t, admins.ID)
	target := env.findIdentity(t, "non-member", func(id client.Identity) bool { return !slices.Contains(before, id.ID) })

	tm := env.run(t, 100, 30)
	tm.Type("/" + target.Traits.Username)
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "1-1 of 1")
	tm.Send(keyMsg("3"))
	for range row {
		tm.Send(keyMsg("down"))
	}
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Group Administrators", fmt.Sprintf("%d members", len(before)))

	tm.Send(keyMsg("a"))
	waitForText(t, tm, "Add "+target.Traits.Username+" to group Administrators?")
	tm.Send(keyMsg("y"))
	waitForText(t, tm, "Added "+target.Traits.Username+" to Administrators.", fmt.Sprintf("%d members", len(before)+1))
	if got := env.memberIDs(t, admins.ID); !slices.Contains(got, target.ID) || len(got) != len(before)+1 {
		t.Fatalf("members after add = %v, want %v plus %s", got, before, target.ID)
	}

	// Members are listed in the order they joined, so the new one is last.
	tm.Send(keyMsg("G"))
	tm.Send(keyMsg("x"))
	waitForText(t, tm, "Remove "+target.Traits.Username+" from group Administrators?")
	tm.Send(keyMsg("y"))
	waitForText(t, tm, "Removed "+target.Traits.Username+" from Administrators.", fmt.Sprintf("%d members", len(before)))
	if got := env.memberIDs(t, admins.ID); slices.Contains(got, target.ID) || len(got) != len(before) {
		t.Fatalf("members after remove = %v, want %v", got, before)
	}
	quitAndWait(t, tm)
}

func TestGroupFilterIdentityList(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	eng, row := env.groupByName(t, "Engineering")
	members := env.memberIDs(t, eng.ID)

	tm := env.run(t, 100, 30)
	tm.Send(keyMsg("3"))
	waitForText(t, tm, "Engineering")
	for range row {
		tm.Send(keyMsg("down"))
	}
	tm.Send(keyMsg("f"))
	waitForText(t, tm, fmt.Sprintf("Showing the %d members of group Engineering", len(members)), "group: Engineering, esc clears")

	final := quitAndWait(t, tm)
	l, ok := final.current().(*identityList)
	if !ok {
		t.Fatalf("f shows %T, want the identity list", final.current())
	}
	var shownIDs []string
	for _, r := range l.rows {
		shownIDs = append(shownIDs, r.identity.ID)
	}
	if fmt.Sprint(shownIDs) != fmt.Sprint(members) {
		t.Errorf("the list shows %v, want the members %v", shownIDs, members)
	}

	// That esc then lists the realm again is tested with the other ways
	// out of a scope in TestEscDuringSlowLoadKeepsTheList.
}

// countingGroups is a fake API with many groups that counts the member
// calls, to check that counts are fetched only for rows on screen.
type countingGroups struct {
	*fakeAPI
	groups []client.Group

	mu      sync.Mutex
	counted map[string]int
}

func (c *countingGroups) ListGroups(_ context.Context, opts client.ListOptions) (*client.Page[client.Group], error) {
	end := min(opts.PageSize, len(c.groups))
	return &client.Page[client.Group]{Items: c.groups[:end], TotalSize: len(c.groups)}, nil
}

func (c *countingGroups) ListGroupMembers(_ context.Context, groupID string, opts client.ListOptions) (*client.Page[client.Identity], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counted[groupID]++
	var n int
	fmt.Sscanf(strings.TrimPrefix(groupID, "g"), "%d", &n)
	return &client.Page[client.Identity]{TotalSize: n * 10}, nil
}

func TestGroupCountsOnlyVisibleRows(t *testing.T) {
	api := &countingGroups{fakeAPI: newFakeAPI(3), counted: map[string]int{}}
	for i := range 100 {
		api.groups = append(api.groups, client.Group{ID: fmt.Sprintf("g%03d", i), DisplayName: fmt.Sprintf("Group %d", i)})
	}
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	press(t, r, "3")
	g := r.current().(*groupList)
	visible := g.view.height
	if visible >= 100 || visible < 5 {
		t.Fatalf("%d rows on screen; the test needs a window smaller than the list", visible)
	}
	// Every visible row gets its count, a few at a time.
	for range 10 {
		settle(t, r, g.countVisible())
	}
	if len(api.counted) != visible {
		t.Errorf("counted %d groups with %d rows on screen", len(api.counted), visible)
	}
	if !strings.Contains(r.View(), "Group 3 ") || !strings.Contains(r.View(), "30") {
		t.Errorf("the view lacks a count:\n%s", r.View())
	}

	press(t, r, "G")
	for range 10 {
		settle(t, r, g.countVisible())
	}
	if _, ok := api.counted["g099"]; !ok {
		t.Error("the last group was not counted after scrolling to it")
	}
	for id, n := range api.counted {
		if n != 1 {
			t.Errorf("group %s counted %d times, want once (cached)", id, n)
		}
	}
	if len(api.counted) >= 100 {
		t.Errorf("counted all %d groups; only rows shownIDs should be", len(api.counted))
	}
}

// TestGroupAddTakesListSelection checks that a adds the identities picked
// with space in the identity list, not the one under its cursor.
func TestGroupAddTakesListSelection(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	eng, row := env.groupByName(t, "Engineering")
	before := env.memberIDs(t, eng.ID)
	first, err := env.check.ListIdentities(testContext(t), client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 3}})
	if err != nil || len(first.Items) < 3 {
		t.Fatalf("list the first identities: %v (%d)", err, len(first.Items))
	}
	picked := []string{first.Items[0].ID, first.Items[1].ID}

	tm := env.run(t, 100, 30)
	// space picks the row and moves down, so the cursor ends on the third.
	tm.Send(keyMsg(" "))
	tm.Send(keyMsg(" "))
	waitForText(t, tm, "2 selected")
	tm.Send(keyMsg("3"))
	for range row {
		tm.Send(keyMsg("down"))
	}
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Group Engineering")
	tm.Send(keyMsg("a"))
	waitForText(t, tm, "These 2 identities become members of Engineering")
	tm.Send(keyMsg("y"))
	waitForText(t, tm, "Added ")
	quitAndWait(t, tm)

	got := env.memberIDs(t, eng.ID)
	for _, id := range picked {
		if !slices.Contains(got, id) {
			t.Errorf("picked identity %s is not a member after a: %v", id, got)
		}
	}
	if third := first.Items[2].ID; !slices.Contains(before, third) && slices.Contains(got, third) {
		t.Errorf("the identity under the cursor, %s, was added too", third)
	}
}
