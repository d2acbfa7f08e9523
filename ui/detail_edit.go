package ui

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/biadmin/biadmin/client"
)

// Field path of the email in UpdateIdentity's field violations; the display
// name's path is the same as on create.
const violationPatchEmail = "identity.traits.primary_email_address"

// Fields of the edit form, in tab order.
const (
	editDisplayName = iota
	editEmail
)

// editIdentity changes an identity's display name and email address with
// one PATCH. Only what changed is sent, and the email goes as traits
// {type, primary_email_address}, which the service merges into the other
// traits. A failed save keeps what was typed.
type editIdentity struct {
	base
	identity client.Identity
	fields   []*formField
	focus    int
	formErr  string
}

func newEditIdentity(c *common, identity client.Identity) *editIdentity {
	name := newTextInput(c, "1-64 characters", inputCharLimit)
	name.SetValue(identity.DisplayName)
	email := newTextInput(c, "name@example.com", 320)
	email.SetValue(identity.Traits.PrimaryEmailAddress)
	return &editIdentity{
		base:     newBase(c, "Edit "+clip(sanitize(identity.Traits.Username), 24)),
		identity: identity,
		fields: []*formField{
			editDisplayName: {label: "Display name", input: name, apiField: violationDisplayName, check: validateName},
			editEmail:       {label: "Email", input: email, apiField: violationPatchEmail, check: validateEmail},
		},
	}
}

func (f *editIdentity) Init() tea.Cmd { return focusField(f.fields, f.focus) }

func (f *editIdentity) InputFocused() bool { return true }

func (f *editIdentity) SetSize(width, height int) {
	f.base.SetSize(width, height)
	sizeFields(f.fields, width)
}

func (f *editIdentity) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return f, f.handleResult(msg)
	case tea.KeyMsg:
		return f, f.handleKey(msg)
	}
	return f, nil
}

func (f *editIdentity) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := f.c.keys
	switch {
	case key.Matches(msg, k.Cancel):
		return f.handleEsc()
	case key.Matches(msg, k.Submit), key.Matches(msg, k.Save):
		return f.save()
	case key.Matches(msg, k.NextField):
		f.focus = (f.focus + 1) % len(f.fields)
		return focusField(f.fields, f.focus)
	case key.Matches(msg, k.PrevField):
		f.focus = (f.focus + len(f.fields) - 1) % len(f.fields)
		return focusField(f.fields, f.focus)
	}
	if f.Busy() {
		return nil
	}
	return f.fields[f.focus].edit(msg)
}

// patch builds the PATCH body from what changed, after checking each
// changed field. ok is false when a field has a problem or nothing changed.
func (f *editIdentity) patch() (client.IdentityPatch, bool) {
	var p client.IdentityPatch
	name := strings.TrimSpace(f.fields[editDisplayName].input.Value())
	email := strings.TrimSpace(f.fields[editEmail].input.Value())
	f.fields[editDisplayName].err, f.fields[editEmail].err, f.formErr = "", "", ""

	if name != f.identity.DisplayName {
		f.fields[editDisplayName].err = validateName(name)
		p.DisplayName = &name
	}
	if email != f.identity.Traits.PrimaryEmailAddress {
		f.fields[editEmail].err = validateEmail(email)
		if email == "" {
			// PATCH leaves an omitted or empty trait as it was, and the
			// API documents no way to clear one.
			f.fields[editEmail].err = "the API cannot remove an email address; enter a new one or press esc"
		}
		p.Traits = &client.Traits{Type: client.TraitsTypeV0, PrimaryEmailAddress: email}
	}
	for i, field := range f.fields {
		if field.err != "" {
			f.focus = i
			return p, false
		}
	}
	if p.DisplayName == nil && p.Traits == nil {
		f.formErr = "Nothing changed. Edit a field, or press esc to go back."
		return p, false
	}
	return p, true
}

func (f *editIdentity) save() tea.Cmd {
	if f.Busy() {
		return nil
	}
	p, ok := f.patch()
	if !ok {
		return focusField(f.fields, f.focus)
	}
	api, identityID := f.c.api, f.identity.ID
	// The detail screen under the form reloads and shows what was saved.
	recheck := func() tea.Cmd { return tea.Batch(popScreen(f.id), changed(identityID)) }
	outcome := "the changes to " + sanitize(f.identity.Traits.Username) + " may have been saved"
	return write(&f.base, "update identity", outcome, recheck, func(ctx context.Context) (*client.Identity, error) {
		return api.UpdateIdentity(ctx, identityID, p)
	})
}

func (f *editIdentity) handleResult(msg resultMsg) tea.Cmd {
	if !f.accept(msg) {
		return nil
	}
	if msg.err != nil {
		return f.showError(msg.err)
	}
	id := msg.value.(*client.Identity)
	f.c.log.Info("identity updated", "identity_id", id.ID)
	return tea.Batch(popScreen(f.id), flash(flashSuccess, "Saved "+sanitize(id.Traits.Username)+"."), changed(id.ID))
}

// showError puts the API's complaint next to the field it concerns and
// keeps every value as typed.
func (f *editIdentity) showError(err error) tea.Cmd {
	var apiErr *client.APIError
	mapped := false
	if errors.As(err, &apiErr) {
		for i, field := range f.fields {
			if desc, ok := apiErr.Violation(field.apiField); ok {
				field.err = sanitize(desc)
				if !mapped {
					f.focus = i
				}
				mapped = true
			}
		}
	}
	if errors.Is(err, client.ErrNotFound) {
		f.formErr = sanitize(f.identity.Traits.Username) + " no longer exists in this realm."
		mapped = true
	}
	if !mapped {
		f.formErr = describeError(err)
	}
	return tea.Batch(focusField(f.fields, f.focus), flashErr("Could not save", err))
}

func (f *editIdentity) KeyMap() help.KeyMap {
	k := f.c.keys
	return helpKeys{
		short: []key.Binding{k.Submit, k.NextField, k.Cancel},
		full:  [][]key.Binding{{k.Submit, k.NextField, k.PrevField, k.Cancel}},
	}
}

func (f *editIdentity) View() string {
	st := f.c.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Edit " + clip(sanitize(f.identity.Traits.Username), 40)))
	b.WriteString("\n")
	b.WriteString(st.Hint.Width(max(f.width, 1)).Render(
		"Display name: 1-64 characters, none of " + forbiddenNameChars + ". " +
			"Enrollment emails sent from now on go to the new address."))
	b.WriteString("\n\n")
	for i, field := range f.fields {
		b.WriteString(fieldView(f.c, field, i == f.focus, f.width))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	switch {
	case f.Busy():
		b.WriteString(st.Dim.Render("Saving…"))
	case f.formErr != "":
		b.WriteString(lipgloss.NewStyle().Width(max(f.width, 1)).Render(st.FieldError.Render(f.formErr)))
	}
	return b.String()
}
