package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client"
)

// Field paths the API uses in field violations of CreateIdentity.
const (
	violationUsername    = "identity.traits.username"
	violationEmail       = "identity.traits.primary_email_address"
	violationDisplayName = "identity.display_name"
)

// Indexes of the create-user form's fields, in tab order.
const (
	fieldUsername = iota
	fieldEmail
	fieldDisplayName
)

// createUser is the form that creates an identity. A request that fails
// leaves everything typed in place, with the API's complaint next to the
// field it concerns. After a success it offers to send the enrollment email.
type createUser struct {
	base
	fields  []*formField
	focus   int
	formErr string
	created *client.Identity
}

func newCreateUser(c *common) *createUser {
	username := newTextInput(c, "jdoe", inputCharLimit)
	email := newTextInput(c, "jdoe@example.com (optional)", 320)
	display := newTextInput(c, "defaults to the username", inputCharLimit)
	f := &createUser{
		base: newBase(c, "New user"),
		fields: []*formField{
			fieldUsername:    {label: "Username", input: username, apiField: violationUsername, check: validateName},
			fieldEmail:       {label: "Email", input: email, apiField: violationEmail, check: validateEmail},
			fieldDisplayName: {label: "Display name", input: display, apiField: violationDisplayName, check: validateOptionalName},
		},
	}
	return f
}

func (f *createUser) Init() tea.Cmd { return focusField(f.fields, f.focus) }

// InputFocused is true while the form is being filled in, so every key but
// ctrl+c types; it is false on the "send the email now?" question.
func (f *createUser) InputFocused() bool { return f.created == nil }

func (f *createUser) SetSize(width, height int) {
	f.base.SetSize(width, height)
	sizeFields(f.fields, width)
}

func (f *createUser) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return f, f.handleResult(msg)
	case tea.KeyMsg:
		if f.created != nil {
			return f, f.handleQuestion(msg)
		}
		return f, f.handleKey(msg)
	}
	return f, nil
}

func (f *createUser) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := f.c.keys
	switch {
	case key.Matches(msg, k.Cancel):
		return f.handleEsc()
	case key.Matches(msg, k.Save):
		return f.submit()
	case key.Matches(msg, k.Submit):
		if f.focus < len(f.fields)-1 {
			f.focus++
			return focusField(f.fields, f.focus)
		}
		return f.submit()
	case key.Matches(msg, k.NextField):
		f.focus = (f.focus + 1) % len(f.fields)
		return focusField(f.fields, f.focus)
	case key.Matches(msg, k.PrevField):
		f.focus = (f.focus + len(f.fields) - 1) % len(f.fields)
		return focusField(f.fields, f.focus)
	}
	if f.Busy() {
		// The values are on their way to the API; editing now would show
		// something other than what is being created.
		return nil
	}
	return f.fields[f.focus].edit(msg)
}

func (f *createUser) handleQuestion(msg tea.KeyMsg) tea.Cmd {
	k := f.c.keys
	switch {
	case key.Matches(msg, k.Yes):
		delivery := client.DeliveryEmail
		if f.created.Traits.PrimaryEmailAddress == "" {
			delivery = client.DeliveryReturn
		}
		return replaceScreen(f.id, newEnrollment(f.c, *f.created, delivery))
	case key.Matches(msg, k.No), key.Matches(msg, k.Back):
		return popScreen(f.id)
	}
	return nil
}

// values returns the trimmed inputs, with the display name defaulted to
// the username as the API's own seed data does.
func (f *createUser) values() (username, email, displayName string) {
	username = strings.TrimSpace(f.fields[fieldUsername].input.Value())
	email = strings.TrimSpace(f.fields[fieldEmail].input.Value())
	displayName = strings.TrimSpace(f.fields[fieldDisplayName].input.Value())
	if displayName == "" {
		displayName = username
	}
	return username, email, displayName
}

// validate applies the schema's rules to every field and reports whether
// all pass. It focuses the first field with a problem.
func (f *createUser) validate() bool {
	username, email, _ := f.values()
	f.fields[fieldUsername].err = validateName(username)
	f.fields[fieldEmail].err = validateEmail(email)
	f.fields[fieldDisplayName].err = validateOptionalName(strings.TrimSpace(f.fields[fieldDisplayName].input.Value()))
	for i, field := range f.fields {
		if field.err != "" {
			f.focus = i
			return false
		}
	}
	return true
}

// validateOptionalName checks a display name that defaults to the username
// when left empty.
func validateOptionalName(value string) string {
	if value == "" {
		return ""
	}
	return validateName(value)
}

func (f *createUser) submit() tea.Cmd {
	if f.Busy() {
		return nil
	}
	f.formErr = ""
	if !f.validate() {
		return focusField(f.fields, f.focus)
	}
	username, email, displayName := f.values()
	in := client.IdentityCreate{
		DisplayName: displayName,
		Traits:      client.Traits{Type: client.TraitsTypeV0, Username: username, PrimaryEmailAddress: email},
	}
	api := f.c.api
	recheck := func() tea.Cmd { return f.checkCreated(username) }
	return write(&f.base, "create identity", "the user may have been created", recheck, func(ctx context.Context) (*client.Identity, error) {
		return api.CreateIdentity(ctx, in)
	})
}

// checkCreated looks username up after the user stopped waiting for its
// create, which the service may have done anyway.
func (f *createUser) checkCreated(username string) tea.Cmd {
	api := f.c.api
	opts := client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 1}, Filter: client.UsernameEquals(username)}
	return request(&f.base, kindCheckCreated, func(ctx context.Context) (checkedUsername, error) {
		p, err := api.ListIdentities(ctx, opts)
		if err != nil {
			return checkedUsername{username: username}, err
		}
		res := checkedUsername{username: username}
		if len(p.Items) > 0 {
			res.identity = &p.Items[0]
		}
		return res, nil
	})
}

// kindCheckCreated is the request that looks a username up after a create
// the user stopped waiting for.
const kindCheckCreated = "check created"

// checkedUsername is the value of a kindCheckCreated result; identity is
// nil when no identity has the username.
type checkedUsername struct {
	username string
	identity *client.Identity
}

func (f *createUser) checked(msg resultMsg) tea.Cmd {
	res := msg.value.(checkedUsername)
	name := sanitize(res.username)
	if msg.err != nil {
		return flashErr("Could not check whether "+name+" was created", msg.err)
	}
	if res.identity == nil {
		// NOTE: a create still on its way through the service could land
		// after this look-up; pressing ctrl+s again then gets a 409.
		return flash(flashInfo, name+" was not created; press ctrl+s to try again.")
	}
	f.created = res.identity
	for _, field := range f.fields {
		field.input.Blur()
	}
	f.c.log.Info("identity created", "identity_id", res.identity.ID)
	return tea.Batch(flash(flashSuccess, name+" was created."), broadcast(identitiesChangedMsg{}))
}

func (f *createUser) handleResult(msg resultMsg) tea.Cmd {
	if !f.accept(msg) {
		return nil
	}
	if msg.kind == kindCheckCreated {
		return f.checked(msg)
	}
	if msg.err != nil {
		return f.showError(msg.err)
	}
	id := msg.value.(*client.Identity)
	f.created = id
	for _, field := range f.fields {
		field.input.Blur()
	}
	f.c.log.Info("identity created", "identity_id", id.ID)
	return tea.Batch(
		flash(flashSuccess, fmt.Sprintf("Created %s.", sanitize(id.Traits.Username))),
		broadcast(identitiesChangedMsg{}),
	)
}

// showError puts the API's complaint next to the field it concerns and
// keeps every value as typed.
func (f *createUser) showError(err error) tea.Cmd {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		f.formErr = describeError(err)
		return flashErr("Could not create the user", err)
	}
	mapped := false
	for i, field := range f.fields {
		if desc, ok := apiErr.Violation(field.apiField); ok {
			field.err = sanitize(desc)
			if !mapped {
				f.focus = i
			}
			mapped = true
		}
	}
	if errors.Is(err, client.ErrConflict) {
		f.fields[fieldUsername].err = "already exists in this realm; choose another username"
		f.focus = fieldUsername
		mapped = true
	}
	if !mapped {
		f.formErr = describeError(err)
	}
	return tea.Batch(focusField(f.fields, f.focus), flashErr("Could not create the user", err))
}

func (f *createUser) KeyMap() help.KeyMap {
	k := f.c.keys
	if f.created != nil {
		return helpKeys{short: []key.Binding{k.Yes, k.No}, full: [][]key.Binding{{k.Yes, k.No, k.Back}}}
	}
	next := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next field, create on the last"))
	return helpKeys{
		short: []key.Binding{k.NextField, k.Save, k.Cancel},
		full:  [][]key.Binding{{k.NextField, k.PrevField, next, k.Save, k.Cancel}},
	}
}

func (f *createUser) View() string {
	st := f.c.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Create a user in this realm"))
	b.WriteString("\n")
	b.WriteString(st.Hint.Width(max(f.width, 1)).Render(
		"Username and display name: 1-64 characters, none of " + forbiddenNameChars + ". " +
			"The enrollment email goes to the email address."))
	b.WriteString("\n\n")
	for i, field := range f.fields {
		b.WriteString(fieldView(f.c, field, f.created == nil && i == f.focus, f.width))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	switch {
	case f.created != nil:
		b.WriteString(f.createdView())
	case f.pending[kindCheckCreated] != 0:
		b.WriteString(st.Dim.Render("Checking whether the user was created…"))
	case f.Busy():
		b.WriteString(st.Dim.Render("Creating…"))
	case f.formErr != "":
		b.WriteString(st.FieldError.Width(max(f.width, 1)).Render(f.formErr))
	}
	return b.String()
}

func (f *createUser) createdView() string {
	st := f.c.styles
	name := sanitize(f.created.Traits.Username)
	text := st.Good.Render("Created "+clip(name, 40)+".") + "\n"
	if f.created.Traits.PrimaryEmailAddress != "" {
		text += fmt.Sprintf("Send the enrollment email to %s now? y or enter: yes, n: back to the list.",
			clip(sanitize(f.created.Traits.PrimaryEmailAddress), 40))
	} else {
		text += "There is no email address to send to. Get an enrollment link instead? y or enter: yes, n: back to the list."
	}
	return lipgloss.NewStyle().Width(max(f.width, 1)).Render(text)
}
