package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// scanKind is the request kind of every page of a count. Pages run one
// after another, so one kind is enough, and a new count makes the old
// one's page stale.
const scanKind = "count enrollment"

// overviewScopeMsg requests a count of group, or of the whole realm when
// group is nil.
type overviewScopeMsg struct{ group *client.Group }

// showOverview switches to the overview and starts counting group (nil:
// the realm).
func showOverview(group *client.Group) tea.Cmd {
	return reveal(func(s screen) bool {
		_, ok := s.(*overview)
		return ok
	}, overviewScopeMsg{group: group})
}

// overview counts the realm's or a group's identities by enrollment
// situation, without one request per identity, and lists any bucket in the
// identity list.
type overview struct {
	base
	scan   overviewScan
	err    error
	cursor int
	bar    progress.Model
	// cancelled is set when esc stopped a count, until the next one.
	cancelled bool
}

func newOverview(c *common) *overview {
	return &overview{base: newBase(c, "Enrollment"), bar: c.styles.newProgressBar()}
}

// Init starts nothing: a count reads every identity and binding job of the
// realm, which the user asks for with r.
func (o *overview) Init() tea.Cmd { return nil }

func (o *overview) InputFocused() bool { return false }

func (o *overview) SetSize(width, height int) {
	o.base.SetSize(width, height)
	o.bar.Width = max(min(width-2, 60), 10)
}

func (o *overview) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return o, o.handleResult(msg)
	case overviewScopeMsg:
		return o, o.start(msg.group)
	case realmChangedMsg:
		o.c.desk.realmName = msg.realm.DisplayName
	case tea.KeyMsg:
		return o, o.handleKey(msg)
	}
	return o, nil
}

// start begins a new count of group (nil: the realm). A count in flight
// is dropped.
func (o *overview) start(group *client.Group) tea.Cmd {
	o.cancelRequests()
	o.scan = overviewScan{phase: scanJobs, group: group, jobs: map[string]jobSummary{}, started: o.c.now()}
	o.err, o.cancelled, o.cursor = nil, false, 0
	o.c.log.Info("enrollment count started", "group", group != nil)
	return request(&o.base, scanKind, fetchPage(o.c.api, scanJobs, group, ""))
}

func (o *overview) handleResult(msg resultMsg) tea.Cmd {
	if !o.accept(msg) {
		return nil
	}
	if msg.err != nil {
		o.err = msg.err
		o.scan.jobs = nil
		return flashErr("Could not count", msg.err)
	}
	s := &o.scan
	next := s.add(msg.value.(scanPage))
	if next != "" {
		return request(&o.base, scanKind, fetchPage(o.c.api, s.phase, s.group, next))
	}
	if s.phase == scanJobs {
		s.phase = scanIdentities
		return request(&o.base, scanKind, fetchPage(o.c.api, scanIdentities, s.group, ""))
	}
	s.phase = scanDone
	s.jobs = nil // the summaries are not needed once every identity is filed
	s.ended = o.c.now()
	o.c.log.Info("enrollment count done", "identities", s.identitiesRead, "jobs", s.jobsCounted, "jobs_read", s.jobsRead)
	return nil
}

func (o *overview) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := o.c.keys
	switch {
	case key.Matches(msg, k.Back):
		if o.cancelRequests() {
			o.cancelled = true
			o.scan.phase = scanIdle
			o.scan.jobs = nil
			return flash(flashInfo, "Count cancelled.")
		}
		return nil
	case key.Matches(msg, k.Refresh):
		return o.start(o.scan.group)
	case key.Matches(msg, k.RealmScope):
		return o.start(nil)
	case key.Matches(msg, k.Up):
		o.cursor = max(o.cursor-1, 0)
	case key.Matches(msg, k.Down):
		o.cursor = min(o.cursor+1, int(bucketCount)-1)
	case key.Matches(msg, k.ActOnBucket):
		return o.act(o.canBulk())
	case key.Matches(msg, k.FilterList):
		return o.act(false)
	}
	return nil
}

// canBulk reports whether enter opens the bulk menu; without bulk actions
// (read-only, or no journal directory) it lists the bucket instead.
func (o *overview) canBulk() bool {
	return o.c.keys.BulkMenu.Enabled() && o.c.desk.bulkEnabled()
}

// act opens the bulk menu for the bucket under the cursor, or with openBulk
// false lists its identities in the identity list.
func (o *overview) act(openBulk bool) tea.Cmd {
	if o.scan.phase != scanDone {
		return nil
	}
	b := bucket(o.cursor)
	if o.scan.counts[b] == 0 {
		return flash(flashInfo, "No identity is in "+bucketText[b].name+".")
	}
	label := strings.ToLower(bucketText[b].name)
	if g := o.scan.group; g != nil {
		label += " in group " + sanitize(g.DisplayName)
	}
	if openBulk {
		who := fmt.Sprintf("The %s counted as %s", plural(o.scan.counts[b], "identity", "identities"), label)
		return pushScreen(newBulkMenuFor(o.c, who, o.scan.ids[b]))
	}
	return showIdentities(idsScope(label, o.scan.ids[b]))
}

func (o *overview) KeyMap() help.KeyMap {
	k := o.c.keys
	count := k.Refresh
	count.SetHelp("r", "count")
	act := k.ActOnBucket
	if o.canBulk() {
		act.SetHelp("enter", "bulk action on these")
	}
	list := k.FilterList
	list.SetHelp("f", "list these")
	bindings := []key.Binding{count}
	if o.scan.phase == scanDone {
		bindings = []key.Binding{act, list, count}
		if !o.canBulk() {
			bindings = []key.Binding{act, count}
		}
	}
	if o.scan.group != nil {
		bindings = append(bindings, k.RealmScope)
	}
	return helpKeys{short: bindings, full: [][]key.Binding{{k.Up, k.Down, act, list, count, k.RealmScope, k.Back}}}
}

// scopeName is "the realm Demo Realm" or "group Engineering".
func (o *overview) scopeName() string {
	if g := o.scan.group; g != nil {
		return "group " + sanitize(g.DisplayName)
	}
	if o.c.desk.realmName != "" {
		return "the realm " + sanitize(o.c.desk.realmName)
	}
	return "the realm"
}

func (o *overview) View() string {
	st := o.c.styles
	width := max(o.width, 1)
	title := st.Title.Render(clip("Enrollment overview of "+o.scopeName(), width))
	var body string
	switch {
	case o.err != nil:
		body = st.FieldError.Width(width).Render("Could not count: " + describeError(o.err) + ". Press r to try again.")
	case o.scan.phase == scanIdle:
		text := "Counts every identity by enrollment situation: never invited, link sent, opened, expired or failed, enrolled, suspended. " +
			"It reads all identities and all enrollment jobs of the realm once, a page of 200 at a time. Press r to count " + o.scopeName() +
			"; for one group, press o on the Groups screen."
		if o.cancelled {
			text = "The count was cancelled. " + text
		}
		body = st.Hint.Width(width).Render(text)
	case o.scan.phase != scanDone:
		body = o.progressView()
	default:
		body = o.resultView()
	}
	return title + "\n" + body
}

func (o *overview) progressView() string {
	st := o.c.styles
	s := &o.scan
	jobs := fmt.Sprintf("Enrollment jobs read: %d", s.jobsRead)
	if s.jobsTotal > 0 {
		jobs += fmt.Sprintf(" of %d", s.jobsTotal)
	}
	ids := "Identities read: waiting for the jobs"
	if s.phase == scanIdentities {
		ids = fmt.Sprintf("Identities read: %d", s.identitiesRead)
		if s.identitiesTotal > 0 {
			ids += fmt.Sprintf(" of %d", s.identitiesTotal)
		}
	}
	return "\n" + o.bar.ViewAs(s.fraction()) + "\n\n" + jobs + "\n" + ids + "\n\n" + st.Hint.Render("esc cancels the count.")
}

// Column widths of the bucket table.
const (
	bucketNameWidth  = 15
	bucketCountWidth = 10
	bucketShareWidth = 5
)

func (o *overview) resultView() string {
	st := o.c.styles
	s := &o.scan
	width := max(o.width, 1)
	summary := fmt.Sprintf("Counted %s and %s %s.", plural(s.identitiesRead, "identity", "identities"),
		plural(s.jobsCounted, "enrollment job", "enrollment jobs"), relativeTime(s.ended, o.c.now()))
	var lines []string
	lines = append(lines, st.Dim.Width(width).Render(summary), "")
	ruleWidth := max(width-2-bucketNameWidth-bucketCountWidth-bucketShareWidth-3*len(columnGap), 10)
	lines = append(lines, st.ColumnHead.Render("  "+pad("SITUATION", bucketNameWidth)+columnGap+padLeft("IDENTITIES", bucketCountWidth)+
		columnGap+padLeft("SHARE", bucketShareWidth)+columnGap+pad("RULE", ruleWidth)))
	for b := range bucketCount {
		n := s.counts[b]
		share := "-"
		if s.identitiesRead > 0 {
			share = fmt.Sprintf("%d%%", (n*100+s.identitiesRead/2)/s.identitiesRead)
		}
		line := pad(bucketText[b].name, bucketNameWidth) + columnGap + padLeft(fmt.Sprint(n), bucketCountWidth) + columnGap +
			padLeft(share, bucketShareWidth) + columnGap
		if int(b) == o.cursor {
			lines = append(lines, st.Selected.Render("> "+line+pad(bucketText[b].rule, ruleWidth)))
		} else {
			lines = append(lines, "  "+line+st.Dim.Render(clip(bucketText[b].rule, ruleWidth)))
		}
	}
	lines = append(lines, "  "+st.Label.Render(pad("Total", bucketNameWidth))+columnGap+padLeft(fmt.Sprint(s.identitiesRead), bucketCountWidth))
	next := "enter lists the identities of the row under the cursor in the identity list; r counts again."
	if o.canBulk() {
		next = "enter opens a bulk action (such as sending the enrollment email again) for the row under the cursor; " +
			"f lists its identities; r counts again."
	}
	lines = append(lines, "", st.Hint.Width(width).Render(next))
	return strings.Join(lines, "\n")
}
