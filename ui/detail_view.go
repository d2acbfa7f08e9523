package ui

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/biadmin/biadmin/client"
)

// Column widths of the detail screen's tables. A relative time ("23d ago",
// "in 7d") fits in 9 cells; REQUEST_DELIVERED is the longest job state.
const (
	detailTimeWidth  = 9
	credStateWidth   = 8
	credTypeWidth    = 8
	jobDeliveryWidth = 8
	jobStateWidth    = 17
	detailLabelWidth = 8
)

func (d *identityDetail) View() string {
	st := d.c.styles
	if d.deleted {
		return st.FieldError.Width(max(d.width, 1)).Render(sanitize(d.identity.Traits.Username)+
			" no longer exists in this realm.") + "\n" + st.Hint.Render("Press esc to go back.")
	}
	parts := []string{d.headView(), d.traitsView(), d.groupsView(), "", d.credentialsView(), "", d.jobsView()}
	return strings.Join(parts, "\n")
}

// layout sizes the two tables to what the identity's lines leave: each
// table has a blank line, a title and a column head above its rows.
func (d *identityDetail) layout() {
	used := lipgloss.Height(d.headView()) + lipgloss.Height(d.traitsView()) + 1
	creds, jobs := d.tableRooms(d.height - used - 6)
	d.credView.setHeight(creds)
	d.jobView.setHeight(jobs)
}

// tableRooms splits room rows between the credential and job tables: each
// gets what it needs when both fit, and the focused table gets more
// otherwise.
func (d *identityDetail) tableRooms(room int) (creds, jobs int) {
	room = max(room, 2)
	needC, needJ := max(len(d.creds), 1), max(len(d.jobs), 1)
	if needC+needJ <= room {
		return needC, needJ
	}
	half := room / 2
	switch {
	case needC <= half:
		return needC, room - needC
	case needJ <= half:
		return room - needJ, needJ
	case d.pane == paneCredentials:
		return room - half, half
	default:
		return half, room - half
	}
}

// headView is the identity's name, status and times.
func (d *identityDetail) headView() string {
	st := d.c.styles
	id := d.identity
	now := d.c.now()
	name := st.Title.Render(clip(sanitize(id.Traits.Username), 40))
	if dn := sanitize(id.DisplayName); dn != "" && dn != sanitize(id.Traits.Username) {
		name += "  " + clip(dn, 30)
	}
	name += st.Dim.Render("  id " + sanitize(id.ID))
	status := id.Status
	if status == "" {
		status = "-"
	}
	enrollment := id.EnrollmentStatus
	if enrollment == "" {
		enrollment = "-"
	}
	line2 := st.Label.Render("status ") + st.identityStatusStyle(id.Status).Render(sanitize(status)) +
		st.Label.Render("  enrollment ") + st.enrollmentStyle(id.EnrollmentStatus).Render(sanitize(enrollment))
	line3 := st.Label.Render("created ") + absoluteTime(id.CreateTime, now) +
		st.Label.Render("  updated ") + absoluteTime(id.UpdateTime, now)
	return ansi.Truncate(name, d.width, "…") + "\n" + ansi.Truncate(line2, d.width, "…") + "\n" +
		ansi.Truncate(line3, d.width, "…")
}

// traitsView lists every trait that has a value, as "label value" items
// that flow over as many lines as they need.
func (d *identityDetail) traitsView() string {
	st := d.c.styles
	items := traitItems(d.identity.Traits)
	room := max(d.width-detailLabelWidth, 10)
	var lines []string
	line, lineWidth := "", 0
	for _, it := range items {
		label := it[0] + " "
		value := clip(sanitize(it[1]), max(room-lipgloss.Width(label), 4))
		w := lipgloss.Width(label) + lipgloss.Width(value)
		if lineWidth > 0 && lineWidth+3+w > room {
			lines = append(lines, line)
			line, lineWidth = "", 0
		}
		if lineWidth > 0 {
			line += "   "
			lineWidth += 3
		}
		line += st.Label.Render(label) + value
		lineWidth += w
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	for i := range lines {
		head := strings.Repeat(" ", detailLabelWidth)
		if i == 0 {
			head = st.Title.Render(pad("Traits", detailLabelWidth))
		}
		lines[i] = head + lines[i]
	}
	return strings.Join(lines, "\n")
}

// traitItems returns each set trait as {label, value}, in the schema's
// order, with the JSON name as the label ("primary email address"). It
// reads the struct's tags so a trait added to client.Traits shows up here
// without a change.
func traitItems(t client.Traits) [][2]string {
	v := reflect.ValueOf(t)
	typ := v.Type()
	var out [][2]string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "type" || f.Type.Kind() != reflect.String {
			continue
		}
		if value := v.Field(i).String(); value != "" {
			out = append(out, [2]string{strings.ReplaceAll(name, "_", " "), value})
		}
	}
	return out
}

// groupsView is one line naming the identity's groups.
func (d *identityDetail) groupsView() string {
	st := d.c.styles
	head := st.Title.Render(pad("Groups", detailLabelWidth))
	switch {
	case d.groupsErr != nil:
		return head + st.FieldError.Render(clip("could not load: "+describeError(d.groupsErr), d.width-detailLabelWidth))
	case !d.groupsLoaded:
		return head + st.Dim.Render("loading…")
	case len(d.groups) == 0:
		return head + st.Dim.Render("none")
	}
	names := make([]string, len(d.groups))
	for i, g := range d.groups {
		names[i] = sanitize(g.DisplayName)
	}
	text := strings.Join(names, ", ")
	if d.groupsTotal > len(d.groups) {
		text += fmt.Sprintf(" and %d more", d.groupsTotal-len(d.groups))
	}
	return head + clip(text, d.width-detailLabelWidth)
}

// tableTitle is a table's title with its count, marked when it has focus.
func (d *identityDetail) tableTitle(pane int, title string, total int, loaded bool) string {
	st := d.c.styles
	marker := "  "
	if pane == d.pane {
		marker = "» "
	}
	text := st.Title.Render(marker + title)
	if loaded {
		text += st.Dim.Render(fmt.Sprintf(" (%d)", total))
	}
	return text
}

func (d *identityDetail) credentialsView() string {
	st := d.c.styles
	title := d.tableTitle(paneCredentials, "Passkeys (credentials)", d.credsTotal, d.credsLoaded)
	head := st.ColumnHead.Render("  " + pad("STATE", credStateWidth) + "  " + pad("TYPE", credTypeWidth) + "  " +
		pad("CREATED", detailTimeWidth) + "  " + pad("ID", 16) + "  " + pad("THUMBPRINT", max(d.width-credThumbOffset, 10)))
	lines := []string{title, head}
	switch {
	case d.credsErr != nil:
		lines = append(lines, st.FieldError.Render(clip("  Could not load: "+describeError(d.credsErr)+". Press r to retry.", d.width)))
	case !d.credsLoaded:
		lines = append(lines, st.Dim.Render("  loading…"))
	case len(d.creds) == 0:
		lines = append(lines, st.Dim.Render("  None: this identity has no passkey."))
	default:
		first, last := d.credView.window(len(d.creds))
		for i := first; i < last; i++ {
			lines = append(lines, d.credentialRow(i))
		}
	}
	return strings.Join(lines, "\n")
}

// credThumbOffset is the column at which the thumbprint starts.
const credThumbOffset = 2 + credStateWidth + 2 + credTypeWidth + 2 + detailTimeWidth + 2 + 16 + 2

func (d *identityDetail) credentialRow(i int) string {
	st := d.c.styles
	c := d.creds[i]
	now := d.c.now()
	state := pad(sanitize(c.State), credStateWidth)
	rest := "  " + pad(sanitize(c.CSRType), credTypeWidth) + "  " + pad(relativeTime(c.CreateTime, now), detailTimeWidth) +
		"  " + pad(sanitize(c.ID), 16) + "  " + clip(sanitize(c.JWKThumbprint), max(d.width-credThumbOffset, 10))
	if d.pane == paneCredentials && i == d.credView.cursor {
		return st.Selected.Render("> " + state + rest)
	}
	style := st.Good
	if c.State != client.CredentialActive {
		style = st.Neutral
	}
	return "  " + style.Render(state) + rest
}

// jobRedirectOffset is the column at which the redirect URI starts.
const jobRedirectOffset = 2 + jobDeliveryWidth + 2 + jobStateWidth + 2 + detailTimeWidth + 2 + detailTimeWidth + 2

func (d *identityDetail) jobsView() string {
	st := d.c.styles
	title := d.tableTitle(paneJobs, "Enrollment jobs", d.jobsTotal, d.jobsLoaded)
	head := st.ColumnHead.Render("  " + pad("DELIVERY", jobDeliveryWidth) + "  " + pad("STATE", jobStateWidth) + "  " +
		pad("CREATED", detailTimeWidth) + "  " + pad("EXPIRES", detailTimeWidth) + "  " +
		pad("REDIRECT URI", max(d.width-jobRedirectOffset, 10)))
	lines := []string{title, head}
	switch {
	case d.jobsErr != nil:
		lines = append(lines, st.FieldError.Render(clip("  Could not load: "+describeError(d.jobsErr)+". Press r to retry.", d.width)))
	case !d.jobsLoaded:
		lines = append(lines, st.Dim.Render("  loading…"))
	case len(d.jobs) == 0:
		text := "  None: this identity was never sent an enrollment."
		if d.c.keys.Send.Enabled() {
			text += " Press e to send one."
		}
		lines = append(lines, st.Dim.Render(text))
	default:
		first, last := d.jobView.window(len(d.jobs))
		for i := first; i < last; i++ {
			lines = append(lines, d.jobRow(i))
		}
	}
	return strings.Join(lines, "\n")
}

// jobExpiry draws when a job's link expires, or "-" for a job that can no
// longer bind a credential (complete, revoked, expired or failed).
func jobExpiry(j client.CredentialBindingJob, now time.Time) string {
	if !client.JobLive(j.State) {
		return "-"
	}
	return relativeTime(j.ExpireTime, now)
}

func (d *identityDetail) jobRow(i int) string {
	st := d.c.styles
	j := d.jobs[i]
	now := d.c.now()
	redirect := sanitize(j.PostBindingRedirectURI)
	if redirect == "" {
		redirect = "-"
	}
	state := pad(sanitize(j.State), jobStateWidth)
	lead := pad(sanitize(j.DeliveryMethod), jobDeliveryWidth) + "  "
	rest := "  " + pad(relativeTime(j.CreateTime, now), detailTimeWidth) + "  " +
		pad(jobExpiry(j, now), detailTimeWidth) + "  " + clip(redirect, max(d.width-jobRedirectOffset, 10))
	if d.pane == paneJobs && i == d.jobView.cursor {
		return st.Selected.Render("> " + lead + state + rest)
	}
	return "  " + lead + st.jobStateStyle(j.State).Render(state) + rest
}
