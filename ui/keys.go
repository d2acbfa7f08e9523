package ui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
)

// keyMap is every key binding of the console. Bindings that change data
// (create, edit, send) are unbound in read-only mode, so they neither match a
// key press nor show up in help.
type keyMap struct {
	// Global bindings, handled by the root model.
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding
	Back      key.Binding
	NextTab   key.Binding
	PrevTab   key.Binding
	GoToTab   key.Binding
	// SwitchProfile and SwitchRealm open the profile picker and the realm
	// switcher; Pick opens the profile or realm under the cursor there and
	// chooses on the welcome screen.
	SwitchProfile key.Binding
	SwitchRealm   key.Binding
	Pick          key.Binding

	// Movement in lists.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding

	// Identity list.
	Search     key.Binding
	Refresh    key.Binding
	NewUser    key.Binding
	OpenEnroll key.Binding
	OpenDetail key.Binding

	// Identity detail.
	EditIdentity key.Binding
	Suspend      key.Binding
	Delete       key.Binding
	Revoke       key.Binding
	NextPane     key.Binding
	PrevPane     key.Binding

	// Groups, their members and the enrollment overview.
	Open         key.Binding
	AddMembers   key.Binding
	RemoveMember key.Binding
	FilterList   key.Binding
	Overview     key.Binding
	ActOnBucket  key.Binding
	RealmScope   key.Binding

	// Bulk actions: selecting in the identity list, the plan and the
	// result.
	Select      key.Binding
	SelectAll   key.Binding
	BulkMenu    key.Binding
	ExportCSV   key.Binding
	Resume      key.Binding
	RetryFailed key.Binding

	// Realm settings.
	EditName key.Binding

	// Forms.
	NextField key.Binding
	PrevField key.Binding
	Submit    key.Binding
	Save      key.Binding
	Cancel    key.Binding
	Choose    key.Binding
	Yes       key.Binding
	No        key.Binding

	// Enrollment screen.
	Send     key.Binding
	ShowLink key.Binding

	// Login tester; TestLogin is on the identity list.
	LoginStart    key.Binding
	ToggleScope   key.Binding
	EditHint      key.Binding
	ClearHint     key.Binding
	RunAgain      key.Binding
	Reveal        key.Binding
	Copy          key.Binding
	PasteRedirect key.Binding
	TestLogin     key.Binding
}

// newKeyMap builds the bindings. tabs is the number of top-level screens,
// shown as the range of number keys that select one.
func newKeyMap(readOnly bool, tabs int) *keyMap {
	digits := make([]string, 0, tabs)
	for i := 1; i <= tabs && i <= 9; i++ {
		digits = append(digits, fmt.Sprint(i))
	}
	k := &keyMap{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back/cancel")),
		NextTab:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next screen")),
		PrevTab:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous screen")),
		GoToTab:   key.NewBinding(key.WithKeys(digits...), key.WithHelp(fmt.Sprintf("1-%d", len(digits)), "go to screen")),

		SwitchProfile: key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "switch profile")),
		SwitchRealm:   key.NewBinding(key.WithKeys("W"), key.WithHelp("W", "switch realm")),
		Pick:          key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),

		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last loaded")),

		Search:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "find username")),
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		NewUser:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new user")),
		OpenEnroll: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "enrollment")),
		OpenDetail: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),

		EditIdentity: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "edit name/email")),
		Suspend:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "suspend/unsuspend")),
		Delete:       key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
		Revoke:       key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "revoke")),
		NextPane:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next table")),
		PrevPane:     key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous table")),

		Open:         key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		AddMembers:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add identities")),
		RemoveMember: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "remove member")),
		FilterList:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "show in identity list")),
		Overview:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "enrollment overview")),
		ActOnBucket:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "list these identities")),
		RealmScope:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "whole realm")),

		Select:      key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "select")),
		SelectAll:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "select all matching")),
		BulkMenu:    key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "bulk actions")),
		ExportCSV:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "export CSV")),
		Resume:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "resume")),
		RetryFailed: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "retry failures")),

		EditName: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit name")),

		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")),
		Save:      key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "create")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Choose:    key.NewBinding(key.WithKeys("left", "right", "h", "l"), key.WithHelp("←/→", "choose")),
		Yes:       key.NewBinding(key.WithKeys("y", "enter"), key.WithHelp("y/enter", "yes")),
		No:        key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "no")),

		Send:     key.NewBinding(key.WithKeys("enter", "ctrl+s"), key.WithHelp("enter", "send")),
		ShowLink: key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "show link alone")),

		LoginStart:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start test")),
		ToggleScope:   key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "tick scope")),
		EditHint:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "login hint")),
		ClearHint:     key.NewBinding(key.WithKeys("backspace"), key.WithHelp("backspace", "clear hint")),
		RunAgain:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run again")),
		Reveal:        key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "show/hide token")),
		Copy:          key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy token")),
		PasteRedirect: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "paste redirect URL")),
		TestLogin:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "test sign-in")),
	}
	if readOnly {
		for _, b := range []*key.Binding{&k.NewUser, &k.EditName, &k.Send, &k.Submit, &k.Save,
			&k.EditIdentity, &k.Suspend, &k.Delete, &k.Revoke, &k.AddMembers, &k.RemoveMember,
			&k.Select, &k.SelectAll, &k.BulkMenu, &k.Resume, &k.RetryFailed} {
			b.Unbind()
		}
	}
	return k
}

// helpKeys adapts a fixed set of bindings to help.KeyMap.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }
