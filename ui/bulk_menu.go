package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/bulk"
)

// bulkActions are the actions the bulk menu offers, in its order.
var bulkActions = []bulk.Action{bulk.ActionSend, bulk.ActionSuspend, bulk.ActionUnsuspend, bulk.ActionDelete}

// bulkActionName is an action's name on the menu.
func bulkActionName(a bulk.Action) string {
	switch a {
	case bulk.ActionSend:
		return "Send enrollment email"
	case bulk.ActionSuspend:
		return "Suspend"
	case bulk.ActionUnsuspend:
		return "Unsuspend"
	case bulk.ActionDelete:
		return "Delete"
	}
	return string(a)
}

// newBulkEngine returns the bulk engine for the console's realm and
// profile. It goes through c.api, so the audit log records its changes.
func newBulkEngine(c *common) *bulk.Engine {
	return bulk.New(c.api, bulk.Options{
		Profile:                c.profile.Name,
		AuthenticatorConfigID:  c.profile.AuthenticatorConfigID,
		PostBindingRedirectURI: c.profile.PostBindingRedirectURI,
		Logger:                 c.log.With("component", "bulk"),
	})
}

// bulkChoice is one target set the menu offers.
type bulkChoice struct {
	label   string
	targets bulk.Targets
}

// bulkMenu chooses who a bulk action applies to and which action, then
// requests the plan from the engine. Nothing changes until the plan screen's
// confirmation.
type bulkMenu struct {
	base
	choices []bulkChoice
	// fixed counts the choices made at construction; the groups' choices
	// follow them once the groups are loaded.
	fixed  int
	cursor int
	action int
	err    error
}

// newBulkMenu offers the identity list's selection, the saved sets and
// one "unenrolled in group" set per group. scope puts the list's group
// first among the groups.
func newBulkMenu(c *common, scope listScope) *bulkMenu {
	var choices []bulkChoice
	if !c.desk.sel.empty() {
		targets, label := c.desk.sel.bulkTargets()
		choices = append(choices, bulkChoice{label: capitalizeFirst(label), targets: targets})
	}
	if scope.kind == scopeGroup {
		choices = append(choices, bulkChoice{label: "All unenrolled members of group " + scope.label,
			targets: bulk.UnenrolledInGroup(scope.groupID)})
	}
	choices = append(choices,
		bulkChoice{label: "All unenrolled identities of the realm", targets: bulk.Unenrolled()},
		bulkChoice{label: "Identities whose enrollment link expired or failed to send", targets: bulk.JobsExpiredOrFailed()},
	)
	return &bulkMenu{base: newBase(c, "Bulk action"), choices: choices, fixed: len(choices)}
}

// newBulkMenuFor offers one set of identities first, such as a bucket of
// the enrollment overview, then the usual sets.
func newBulkMenuFor(c *common, label string, ids []string) *bulkMenu {
	m := newBulkMenu(c, listScope{})
	first := bulkChoice{label: label, targets: bulk.IDs(ids...)}
	m.choices = append([]bulkChoice{first}, m.choices...)
	m.fixed++
	return m
}

func (m *bulkMenu) Init() tea.Cmd {
	api := m.c.api
	return request(&m.base, "list groups", func(ctx context.Context) (*client.Page[client.Group], error) {
		// NOTE: only the first page of groups (200, the API's maximum) is
		// offered. A realm with more groups reaches the rest through the
		// group filter of the identity list.
		return api.ListGroups(ctx, client.ListOptions{PageSize: groupPageSize})
	})
}

func (m *bulkMenu) InputFocused() bool { return false }

func (m *bulkMenu) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return m, m.handleResult(msg)
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	}
	return m, nil
}

func (m *bulkMenu) handleResult(msg resultMsg) tea.Cmd {
	if !m.accept(msg) {
		return nil
	}
	switch msg.kind {
	case "list groups":
		if msg.err != nil {
			return flashErr("Could not list groups", msg.err)
		}
		for _, g := range msg.value.(*client.Page[client.Group]).Items {
			m.choices = append(m.choices, bulkChoice{
				label:   "All unenrolled members of group " + sanitize(g.DisplayName),
				targets: bulk.UnenrolledInGroup(g.ID),
			})
		}
	case "plan":
		if msg.err != nil {
			m.err = msg.err
			return flashErr("Could not plan the bulk action", msg.err)
		}
		res := msg.value.(planned)
		return replaceScreen(m.id, newBulkPlan(m.c, res.engine, res.plan, nil))
	}
	return nil
}

// planned is the value of a "plan" result.
type planned struct {
	engine *bulk.Engine
	plan   *bulk.Plan
}

func (m *bulkMenu) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Back):
		return m.handleEsc()
	case m.pending["plan"] != 0:
		// The menu is fixed while its plan is being made.
	case key.Matches(msg, k.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(msg, k.Down):
		m.cursor = min(m.cursor+1, len(m.choices)-1)
	case key.Matches(msg, k.Choose):
		step := 1
		if s := msg.String(); s == "left" || s == "h" {
			step = len(bulkActions) - 1
		}
		m.action = (m.action + step) % len(bulkActions)
	case key.Matches(msg, k.Open):
		return m.makePlan()
	}
	return nil
}

// makePlan requests the plan of the chosen action from the engine.
func (m *bulkMenu) makePlan() tea.Cmd {
	m.err = nil
	engine := newBulkEngine(m.c)
	action, targets := bulkActions[m.action], m.choices[m.cursor].targets
	m.c.log.Info("bulk plan requested", "action", action, "set", targets.Set)
	return request(&m.base, "plan", func(ctx context.Context) (planned, error) {
		plan, err := engine.Plan(ctx, action, targets)
		return planned{engine: engine, plan: plan}, err
	})
}

func (m *bulkMenu) KeyMap() help.KeyMap {
	k := m.c.keys
	plan := k.Open
	plan.SetHelp("enter", "show the plan")
	return helpKeys{
		short: []key.Binding{plan, k.Up, k.Down, k.Choose, k.Back},
		full:  [][]key.Binding{{plan, k.Up, k.Down, k.Choose, k.Back}},
	}
}

func (m *bulkMenu) View() string {
	st := m.c.styles
	width := max(m.width, 1)
	var b strings.Builder
	b.WriteString(st.Title.Render("Bulk action") + "\n")
	b.WriteString(st.Hint.Width(width).Render("Choose who (↑/↓) and what (←/→), then press enter to see the plan. Nothing changes before you confirm it.") + "\n\n")

	actions := make([]string, len(bulkActions))
	for i, a := range bulkActions {
		if i == m.action {
			actions[i] = st.Focused.Render("[" + bulkActionName(a) + "]")
		} else {
			actions[i] = st.Dim.Render(" " + bulkActionName(a) + " ")
		}
	}
	b.WriteString(ansi.Truncate(st.Label.Render(pad("Action", 8))+strings.Join(actions, " "), width, "…") + "\n\n")

	b.WriteString(st.Label.Render("Who") + "\n")
	// The list scrolls so the cursor stays in what the other lines leave.
	room := max(m.height-12, 3)
	first := max(0, min(m.cursor-room+1, len(m.choices)-room))
	for i := first; i < len(m.choices) && i < first+room; i++ {
		line := clip(m.choices[i].label, width-2)
		if i == m.cursor {
			b.WriteString(st.Selected.Render("> "+line) + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	b.WriteString("\n")
	// PENDING identities are left out of the unenrolled sets without being
	// listed as skipped, so the menu defines the word.
	b.WriteString(st.Hint.Width(width).Render("Unenrolled means no passkey and no live enrollment link; identities whose link is still live (PENDING) are not included.") + "\n")
	switch {
	case m.pending["plan"] != 0:
		b.WriteString(st.Dim.Render("Planning: reading the identities of the set… esc cancels."))
	case m.err != nil:
		b.WriteString(st.FieldError.Width(width).Render("Could not plan: " + describeError(m.err)))
	}
	return b.String()
}

// capitalizeFirst upper-cases the first letter of a sentence that starts
// with a plain word, such as "the 3 identities …".
func capitalizeFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return fmt.Sprintf("%c%s", s[0]-'a'+'A', s[1:])
}
