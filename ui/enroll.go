package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/biadmin/biadmin/client"
)

// Field paths the API uses in field violations of CreateCredentialBindingJob.
const (
	violationJobConfig   = "job.authenticator_config_id"
	violationJobRedirect = "job.post_binding_redirect_uri"
)

// Rows of the enrollment form, in tab order.
const (
	enrollDelivery = iota
	enrollConfig
	enrollRedirect
	enrollRows
)

// jobsPageSize is how many of an identity's earlier jobs are fetched; the
// screen shows the newest that fit.
const jobsPageSize = 50

var deliveryMethods = []string{client.DeliveryEmail, client.DeliveryReturn}

// enrollment sends a credential binding job (an enrollment email, or a
// link to hand over) to one identity and lists the identity's earlier jobs,
// so sending again from here is how an email is resent.
type enrollment struct {
	base
	identity client.Identity

	delivery   int
	configs    []client.AuthenticatorConfig
	configIdx  int
	configErr  string
	configsErr error
	redirect   formField
	focus      int
	formErr    string

	jobs       []client.CredentialBindingJob
	jobsLoaded bool
	jobsTotal  int
	jobsErr    error

	// sent is the job created from this screen; link is its binding link
	// when it was sent with RETURN. The link is a bearer secret: it lives
	// only here, is never logged and goes when the screen closes.
	sent *client.CredentialBindingJob
	link string
}

// newEnrollment opens the screen for identity. delivery preselects
// EMAIL or RETURN; "" picks EMAIL when the identity has an address.
func newEnrollment(c *common, identity client.Identity, delivery string) *enrollment {
	e := &enrollment{
		base:     newBase(c, "Enrollment: "+clip(sanitize(identity.Traits.Username), 24)),
		identity: identity,
	}
	if delivery == "" && identity.Traits.PrimaryEmailAddress == "" {
		delivery = client.DeliveryReturn
	}
	if i := slices.Index(deliveryMethods, delivery); i >= 0 {
		e.delivery = i
	}
	in := newTextInput(c, "none: the done page of the service", 2048)
	in.SetValue(c.profile.PostBindingRedirectURI)
	e.redirect = formField{label: "Redirect URI", input: in, apiField: violationJobRedirect, check: validateRedirectURI}
	return e
}

func (e *enrollment) Init() tea.Cmd {
	cmds := []tea.Cmd{e.loadJobs()}
	if e.c.keys.Send.Enabled() {
		cmds = append(cmds, e.loadConfigs())
	}
	return tea.Batch(cmds...)
}

func (e *enrollment) loadConfigs() tea.Cmd {
	api := e.c.api
	return request(&e.base, "list authenticator configs", func(ctx context.Context) (*client.Page[client.AuthenticatorConfig], error) {
		// NOTE: only the first page (up to 100 configs, the API's maximum
		// page size) is offered; a realm with more would need paging here.
		return api.ListAuthenticatorConfigs(ctx, client.ListOptions{PageSize: 100})
	})
}

func (e *enrollment) loadJobs() tea.Cmd {
	api, identityID := e.c.api, e.identity.ID
	return request(&e.base, "list binding jobs", func(ctx context.Context) (*client.Page[client.CredentialBindingJob], error) {
		return api.ListCredentialBindingJobs(ctx, identityID, client.ListOptions{PageSize: jobsPageSize})
	})
}

// loadIdentity fetches the identity again: a send changes its
// enrollment status.
func (e *enrollment) loadIdentity() tea.Cmd {
	api, identityID := e.c.api, e.identity.ID
	return request(&e.base, "get identity", func(ctx context.Context) (*client.Identity, error) {
		return api.GetIdentity(ctx, identityID)
	})
}

// InputFocused is true while the redirect URI field has focus.
func (e *enrollment) InputFocused() bool { return e.focus == enrollRedirect && e.c.keys.Send.Enabled() }

func (e *enrollment) SetSize(width, height int) {
	e.base.SetSize(width, height)
	e.redirect.input.Width = max(width-labelWidth-3, 1)
}

func (e *enrollment) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return e, e.handleResult(msg)
	case identitiesChangedMsg:
		return e, nil
	case tea.KeyMsg:
		return e, e.handleKey(msg)
	}
	return e, nil
}

func (e *enrollment) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := e.c.keys
	switch {
	case key.Matches(msg, k.Back):
		return e.handleEsc()
	case key.Matches(msg, k.ShowLink) && e.link != "" && !e.InputFocused():
		return showLinkAlone(e.link, e.identity.Traits.Username)
	case key.Matches(msg, k.Refresh) && !e.InputFocused():
		return tea.Batch(e.loadJobs(), e.loadIdentity())
	}
	if !k.Send.Enabled() {
		return nil
	}
	switch {
	case key.Matches(msg, k.Send):
		return e.send()
	case key.Matches(msg, k.NextField):
		return e.moveFocus(1)
	case key.Matches(msg, k.PrevField):
		return e.moveFocus(enrollRows - 1)
	case e.focus == enrollRedirect:
		return e.redirect.edit(msg)
	case key.Matches(msg, k.Choose):
		step := 1
		if s := msg.String(); s == "left" || s == "h" {
			step = -1
		}
		e.choose(step)
	}
	return nil
}

func (e *enrollment) moveFocus(step int) tea.Cmd {
	e.focus = (e.focus + step) % enrollRows
	if e.focus == enrollRedirect {
		return e.redirect.input.Focus()
	}
	e.redirect.input.Blur()
	return nil
}

// choose cycles the focused choice (delivery method or authenticator
// config) forwards or backwards.
func (e *enrollment) choose(step int) {
	switch e.focus {
	case enrollDelivery:
		e.delivery = (e.delivery + step + len(deliveryMethods)) % len(deliveryMethods)
	case enrollConfig:
		if n := len(e.configs); n > 0 {
			e.configIdx = (e.configIdx + step + n) % n
		}
	}
}

func (e *enrollment) send() tea.Cmd {
	if _, busy := e.pending["create binding job"]; busy {
		return nil
	}
	e.formErr, e.configErr, e.redirect.err = "", "", ""
	if len(e.configs) == 0 {
		e.configErr = "no authenticator config loaded; press r to reload"
		if e.configsErr != nil {
			e.configErr = "could not load the authenticator configs: " + describeError(e.configsErr)
		}
		return e.loadConfigs()
	}
	redirect := strings.TrimSpace(e.redirect.input.Value())
	if problem := validateRedirectURI(redirect); problem != "" {
		e.redirect.err = problem
		e.focus = enrollRedirect
		return e.redirect.input.Focus()
	}
	in := client.CredentialBindingJobCreate{
		DeliveryMethod:         deliveryMethods[e.delivery],
		AuthenticatorConfigID:  e.configs[e.configIdx].ID,
		PostBindingRedirectURI: redirect,
	}
	api, identityID := e.c.api, e.identity.ID
	// A new send replaces what the last one showed, the link included.
	e.sent, e.link = nil, ""
	e.c.log.Info("sending binding job", "identity_id", identityID, "delivery", in.DeliveryMethod,
		"authenticator_config_id", in.AuthenticatorConfigID)
	outcome := "the enrollment email may have been sent"
	if in.DeliveryMethod == client.DeliveryReturn {
		// The link comes only in the response, so it is lost. The job
		// list shows the job, which the detail screen can revoke.
		outcome = "an enrollment link may have been created"
	}
	recheck := func() tea.Cmd {
		return tea.Batch(e.loadJobs(), e.loadIdentity(), broadcast(identitiesChangedMsg{identityID: identityID}))
	}
	return write(&e.base, "create binding job", outcome, recheck, func(ctx context.Context) (*client.CreatedCredentialBindingJob, error) {
		return api.CreateCredentialBindingJob(ctx, identityID, in)
	})
}

func (e *enrollment) handleResult(msg resultMsg) tea.Cmd {
	if !e.accept(msg) {
		return nil
	}
	switch msg.kind {
	case "list authenticator configs":
		return e.configsLoaded(msg)
	case "list binding jobs":
		if msg.err != nil {
			e.jobsErr = msg.err
			return flashErr("Could not list enrollment jobs", msg.err)
		}
		page := msg.value.(*client.Page[client.CredentialBindingJob])
		e.jobsErr = nil
		e.jobsLoaded = true
		e.jobs = slices.Clone(page.Items)
		// The API does not order lists; newest first is what support
		// staff look for.
		slices.SortStableFunc(e.jobs, func(a, b client.CredentialBindingJob) int {
			return b.CreateTime.Compare(a.CreateTime)
		})
		e.jobsTotal = page.TotalSize
	case "create binding job":
		return e.sendDone(msg)
	case "get identity":
		if msg.err != nil {
			return flashErr("Could not reload the identity", msg.err)
		}
		e.identity = *msg.value.(*client.Identity)
	}
	return nil
}

func (e *enrollment) configsLoaded(msg resultMsg) tea.Cmd {
	if msg.err != nil {
		e.configsErr = msg.err
		return flashErr("Could not list authenticator configs", msg.err)
	}
	e.configsErr = nil
	e.configs = msg.value.(*client.Page[client.AuthenticatorConfig]).Items
	e.configIdx = 0
	want := e.c.profile.AuthenticatorConfigID
	if i := slices.IndexFunc(e.configs, func(a client.AuthenticatorConfig) bool { return a.ID == want }); i >= 0 {
		e.configIdx = i
	} else if want != "" && len(e.configs) > 0 {
		e.configErr = "the profile's default config is not in this realm; pick one"
	}
	return nil
}

func (e *enrollment) sendDone(msg resultMsg) tea.Cmd {
	if msg.err != nil {
		return e.showSendError(msg.err)
	}
	created := msg.value.(*client.CreatedCredentialBindingJob)
	job := created.Job
	e.sent = &job
	e.link = created.Link
	e.c.log.Info("binding job created", "identity_id", e.identity.ID, "job_id", job.ID,
		"delivery", job.DeliveryMethod, "state", job.State)
	text := "Enrollment email sent to " + sanitize(e.identity.Traits.PrimaryEmailAddress) + "."
	if job.DeliveryMethod == client.DeliveryReturn {
		text = "Enrollment link created; hand it to the user."
	}
	return tea.Batch(flash(flashSuccess, text), e.loadJobs(), e.loadIdentity(), broadcast(identitiesChangedMsg{}))
}

// showSendError explains a failed send in plain words, next to the field
// it concerns where the API names one.
func (e *enrollment) showSendError(err error) tea.Cmd {
	name := sanitize(e.identity.Traits.Username)
	var apiErr *client.APIError
	switch {
	case errors.Is(err, client.ErrUnprocessable) && deliveryMethods[e.delivery] == client.DeliveryEmail:
		e.formErr = name + " has no email address; add one or use RETURN to get a link."
		e.focus = enrollDelivery
		e.redirect.input.Blur()
		return flash(flashError, e.formErr)
	case errors.Is(err, client.ErrNotFound):
		e.formErr = name + " no longer exists in this realm."
	case errors.As(err, &apiErr):
		if desc, ok := apiErr.Violation(violationJobConfig); ok {
			e.configErr = sanitize(desc)
		}
		if desc, ok := apiErr.Violation(violationJobRedirect); ok {
			e.redirect.err = sanitize(desc)
		}
		if e.configErr == "" && e.redirect.err == "" {
			e.formErr = describeError(err)
		}
	default:
		e.formErr = describeError(err)
	}
	return flashErr("Could not send the enrollment", err)
}

func (e *enrollment) KeyMap() help.KeyMap {
	k := e.c.keys
	short := []key.Binding{k.Send, k.NextField, k.Choose, k.Back}
	if !k.Send.Enabled() {
		short = []key.Binding{k.Refresh, k.Back}
	}
	if e.InputFocused() {
		short = []key.Binding{k.Send, k.NextField, k.Back}
	}
	if e.link != "" && !e.InputFocused() {
		short = append([]key.Binding{k.ShowLink}, short...)
	}
	return helpKeys{
		short: short,
		full:  [][]key.Binding{{k.Send, k.NextField, k.PrevField, k.Choose}, {k.ShowLink, k.Refresh, k.Back}},
	}
}

func (e *enrollment) View() string {
	var parts []string
	parts = append(parts, e.identityView())
	if e.c.keys.Send.Enabled() {
		parts = append(parts, e.formView())
	}
	if r := e.resultView(); r != "" {
		parts = append(parts, r)
	}
	used := 0
	for _, p := range parts {
		used += lipgloss.Height(p) + 1
	}
	parts = append(parts, e.jobsView(e.height-used))
	return strings.Join(parts, "\n\n")
}

func (e *enrollment) identityView() string {
	st := e.c.styles
	id := e.identity
	email := sanitize(id.Traits.PrimaryEmailAddress)
	if email == "" {
		email = "no email address"
	}
	enrollment := id.EnrollmentStatus
	if enrollment == "" {
		enrollment = "-"
	}
	line := st.Title.Render(clip(sanitize(id.Traits.Username), 30)) + "  " +
		clip(sanitize(id.DisplayName), 24) + "  " + st.Dim.Render(clip(email, 40))
	status := st.Label.Render("status ") + st.identityStatusStyle(id.Status).Render(sanitize(id.Status)) +
		st.Label.Render("  enrollment ") + st.enrollmentStyle(id.EnrollmentStatus).Render(sanitize(enrollment))
	return ansi.Truncate(line, e.width, "…") + "\n" + status
}

func (e *enrollment) formView() string {
	st := e.c.styles
	var rows []string

	delivery := make([]string, len(deliveryMethods))
	for i, d := range deliveryMethods {
		if i == e.delivery {
			delivery[i] = st.Focused.Render("[" + d + "]")
		} else {
			delivery[i] = st.Dim.Render(" " + d + " ")
		}
	}
	explain := "email the link to the user"
	if deliveryMethods[e.delivery] == client.DeliveryReturn {
		explain = "show the link here, to hand over"
	}
	rows = append(rows, e.rowView(enrollDelivery, "Delivery", strings.Join(delivery, " ")+"  "+st.Dim.Render(explain), ""))

	config := st.Dim.Render("loading…")
	switch {
	case len(e.configs) > 0:
		a := e.configs[e.configIdx]
		name := sanitize(a.DisplayName)
		if name == "" {
			name = sanitize(a.ID)
		}
		config = clip(name, 30) + st.Dim.Render(" ("+clip(sanitize(a.Config.Type), 16)+")")
		if len(e.configs) > 1 {
			config += st.Dim.Render(fmt.Sprintf("  %d of %d, ←/→ to change", e.configIdx+1, len(e.configs)))
		}
	case e.configsErr != nil:
		config = st.FieldError.Render("could not load; press r")
	}
	rows = append(rows, e.rowView(enrollConfig, "Authenticator", config, e.configErr))
	rows = append(rows, fieldView(e.c, &e.redirect, e.focus == enrollRedirect, e.width))
	if e.formErr != "" {
		rows = append(rows, "  "+st.FieldError.Width(max(e.width-2, 1)).Render(e.formErr))
	}
	return strings.Join(rows, "\n")
}

// rowView draws a choice row with the same marker and label column as a
// text field.
func (e *enrollment) rowView(row int, label, value, problem string) string {
	f := formField{label: label}
	st := e.c.styles
	marker := "  "
	l := st.Label.Render(pad(f.label, labelWidth))
	if row == e.focus {
		marker = "> "
		l = st.Focused.Render(pad(f.label, labelWidth))
	}
	line := ansi.Truncate(marker+l+value, e.width, "…")
	if problem != "" {
		line += "\n" + strings.Repeat(" ", labelWidth+2) + st.FieldError.Render(clip("! "+problem, e.width-labelWidth-2))
	}
	return line
}

// resultView shows the job just sent. A RETURN link is drawn alone on one
// line with no indent, style or wrapping, so selecting the line in the
// terminal copies the whole link. A line wider than the window is cut by
// the terminal renderer, so then o shows the link outside the console.
func (e *enrollment) resultView() string {
	if e.sent == nil {
		return ""
	}
	st := e.c.styles
	now := e.c.now()
	job := e.sent
	head := fmt.Sprintf("Sent %s: state %s, expires %s.", sanitize(job.DeliveryMethod),
		st.jobStateStyle(job.State).Render(sanitize(job.State)), relativeTime(job.ExpireTime, now))
	if e.link == "" {
		return head
	}
	note := "Single-use enrollment link for " + clip(sanitize(e.identity.Traits.Username), 24) +
		"; anyone who opens it can enroll a passkey, so send it only to the user:"
	var b strings.Builder
	b.WriteString(head + "\n")
	b.WriteString(st.Secret.Width(max(e.width, 1)).Render(note) + "\n")
	b.WriteString(sanitize(e.link))
	if ansi.StringWidth(e.link) > e.width {
		b.WriteString("\n" + st.Hint.Render("The link is wider than the window: press o to show it alone and copy it whole."))
	}
	return b.String()
}

// jobsView lists the identity's earlier jobs, newest first, in at most
// height lines.
func (e *enrollment) jobsView(height int) string {
	st := e.c.styles
	if e.jobsErr != nil {
		return st.FieldError.Render("Could not load earlier jobs: " + describeError(e.jobsErr) + ". Press r to retry.")
	}
	title := st.Title.Render("Earlier enrollment jobs")
	if !e.jobsLoaded {
		return title + "\n" + st.Dim.Render("loading…")
	}
	if len(e.jobs) == 0 {
		return title + "\n" + st.Dim.Render("None: this identity was never sent an enrollment.")
	}
	title += st.Dim.Render(fmt.Sprintf(" (%d)", e.jobsTotal))
	lines := []string{title, st.ColumnHead.Render(pad("DELIVERY", 10) + pad("STATE", 19) + pad("CREATED", 14) + pad("EXPIRES", 14))}
	now := e.c.now()
	room := max(height-2, 1)
	for i, j := range e.jobs {
		if i == room-1 && len(e.jobs) > room {
			lines = append(lines, st.Dim.Render(fmt.Sprintf("… %d more", len(e.jobs)-i)))
			break
		}
		state := pad(sanitize(j.State), 19)
		lines = append(lines, pad(sanitize(j.DeliveryMethod), 10)+st.jobStateStyle(j.State).Render(state)+
			pad(relativeTime(j.CreateTime, now), 14)+pad(jobExpiry(j, now), 14))
	}
	return strings.Join(lines, "\n")
}
