package ui

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// violationRealmName is the field path of the realm's display name in the
// API's field violations.
const violationRealmName = "realm.display_name"

// realmSettings shows the realm and edits its display name.
type realmSettings struct {
	base
	realm   *client.Realm
	loadErr error

	editing bool
	name    formField
	formErr string
}

func newRealmSettings(c *common) *realmSettings {
	in := newTextInput(c, "1-64 characters", inputCharLimit)
	return &realmSettings{
		base: newBase(c, "Realm settings"),
		name: formField{label: "Display name", input: in, apiField: violationRealmName, check: validateName},
	}
}

func (s *realmSettings) Init() tea.Cmd { return s.load() }

func (s *realmSettings) load() tea.Cmd {
	api := s.c.api
	return request(&s.base, "get realm", func(ctx context.Context) (*client.Realm, error) {
		return api.GetRealm(ctx)
	})
}

func (s *realmSettings) InputFocused() bool { return s.editing }

func (s *realmSettings) SetSize(width, height int) {
	s.base.SetSize(width, height)
	s.name.input.Width = max(width-labelWidth-3, 1)
}

func (s *realmSettings) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return s, s.handleResult(msg)
	case realmChangedMsg:
		// The header's fetch or a save elsewhere brought a newer realm.
		realm := msg.realm
		s.realm = &realm
		return s, nil
	case tea.KeyMsg:
		if s.editing {
			return s, s.handleEditKey(msg)
		}
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *realmSettings) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.keys
	switch {
	case key.Matches(msg, k.Back):
		return s.stopRequests()
	case key.Matches(msg, k.Refresh):
		return s.load()
	case key.Matches(msg, k.EditName):
		if s.realm == nil {
			return nil
		}
		s.editing = true
		s.name.err, s.formErr = "", ""
		s.name.input.SetValue(s.realm.DisplayName)
		s.name.input.CursorEnd()
		return s.name.input.Focus()
	}
	return nil
}

func (s *realmSettings) handleEditKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.keys
	switch {
	case key.Matches(msg, k.Cancel):
		if cmd := s.stopRequests(); cmd != nil {
			return cmd
		}
		s.editing = false
		s.name.input.Blur()
		s.name.err, s.formErr = "", ""
		return nil
	case key.Matches(msg, k.Submit):
		return s.save()
	}
	if s.Busy() {
		return nil
	}
	return s.name.edit(msg)
}

func (s *realmSettings) save() tea.Cmd {
	if s.Busy() {
		return nil
	}
	s.formErr = ""
	name := strings.TrimSpace(s.name.input.Value())
	if s.name.err = validateName(name); s.name.err != "" {
		return nil
	}
	api := s.c.api
	patch := client.RealmPatch{DisplayName: &name}
	return write(&s.base, "update realm", "the realm may have been renamed", s.recheck, func(ctx context.Context) (*client.Realm, error) {
		return api.UpdateRealm(ctx, patch)
	})
}

// recheck ends the edit and loads the realm again after the user stopped
// waiting for a rename. The name shown then tells whether it happened.
func (s *realmSettings) recheck() tea.Cmd {
	s.editing = false
	s.name.input.Blur()
	s.name.err, s.formErr = "", ""
	return s.load()
}

func (s *realmSettings) handleResult(msg resultMsg) tea.Cmd {
	if !s.accept(msg) {
		return nil
	}
	switch msg.kind {
	case "get realm":
		if msg.err != nil {
			s.loadErr = msg.err
			return flashErr("Could not load the realm", msg.err)
		}
		s.loadErr = nil
		s.realm = msg.value.(*client.Realm)
		// The header shows the name too, and it may have changed since.
		return broadcast(realmChangedMsg{realm: *s.realm})
	case "update realm":
		if msg.err != nil {
			return s.showSaveError(msg.err)
		}
		realm := msg.value.(*client.Realm)
		s.realm = realm
		s.editing = false
		s.name.input.Blur()
		s.c.log.Info("realm renamed", "realm_id", realm.ID)
		return tea.Batch(flash(flashSuccess, "Realm renamed to "+sanitize(realm.DisplayName)+"."),
			broadcast(realmChangedMsg{realm: *realm}))
	}
	return nil
}

// showSaveError keeps the typed name and shows the API's complaint next to
// it, or under the form when the API names no field.
func (s *realmSettings) showSaveError(err error) tea.Cmd {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		if desc, ok := apiErr.Violation(violationRealmName); ok {
			s.name.err = sanitize(desc)
			return flashErr("Could not rename the realm", err)
		}
	}
	s.formErr = describeError(err)
	return flashErr("Could not rename the realm", err)
}

func (s *realmSettings) KeyMap() help.KeyMap {
	k := s.c.keys
	if s.editing {
		return helpKeys{short: []key.Binding{k.Submit, k.Cancel}, full: [][]key.Binding{{k.Submit, k.Cancel}}}
	}
	return helpKeys{short: []key.Binding{k.EditName, k.Refresh}, full: [][]key.Binding{{k.EditName, k.Refresh}}}
}

func (s *realmSettings) View() string {
	st := s.c.styles
	title := st.Title.Render("Realm settings") + "\n\n"
	if s.realm == nil {
		if s.loadErr != nil {
			return title + st.FieldError.Width(max(s.width, 1)).Render(
				"Could not load the realm: "+describeError(s.loadErr)+". Press r to retry.")
		}
		return title + st.Dim.Render("Loading…")
	}
	return title + s.fieldsView() + "\n" + s.noteView()
}

// fieldsView draws the realm's fields, with the name as an input while it
// is being edited.
func (s *realmSettings) fieldsView() string {
	st := s.c.styles
	r := s.realm
	now := s.c.now()
	var b strings.Builder
	row := func(label, value string) {
		b.WriteString("  " + st.Label.Render(pad(label, labelWidth)) + clip(value, s.width-labelWidth-2) + "\n")
	}

	row("Tenant ID", sanitize(r.TenantID))
	row("Realm ID", sanitize(r.ID))
	if s.editing {
		b.WriteString(fieldView(s.c, &s.name, true, s.width) + "\n")
	} else {
		row("Display name", sanitize(r.DisplayName))
	}
	classification := sanitize(r.Classification)
	if classification == "" {
		classification = "-"
	}
	row("Classification", classification)
	row("Created", absoluteTime(r.CreateTime, now))
	row("Updated", absoluteTime(r.UpdateTime, now))
	return b.String()
}

// noteView is the line under the fields: the save state, the error that
// has no field, or what to press.
func (s *realmSettings) noteView() string {
	st := s.c.styles
	switch {
	case s.editing && s.Busy():
		return st.Dim.Render("Saving…")
	case s.editing && s.formErr != "":
		return st.FieldError.Width(max(s.width, 1)).Render(s.formErr)
	case s.editing:
		return st.Hint.Width(max(s.width, 1)).Render("1-64 characters, none of " + forbiddenNameChars +
			". enter saves, esc cancels.")
	case s.c.keys.EditName.Enabled():
		return st.Hint.Render("Press e to rename the realm.")
	default:
		return st.Hint.Render("Read-only profile: the realm cannot be changed from here.")
	}
}
