package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
)

// Fields of the profile form, in tab order. Which of them show depends on
// the region and credential choices.
const (
	pfName = iota
	pfRegion
	pfAPIBase
	pfAuthBase
	pfTenant
	pfRealm
	pfCredentials
	pfTokenEnv
	pfTokenCommand
	pfTokenKeyring
	pfClientID
	pfSecretSource
	pfSecretEnv
	pfSecretCommand
	pfSecretKeyring
	pfTokenRealm
	pfTokenApp
	pfReadOnly
	pfProduction
	pfCount
)

// Choices of the region field: config's regions, then base URLs typed in.
var regionChoices = append(slices.Clone(config.Regions), "custom URLs")

const regionCustom = 3

// Choices of the credentials field.
const (
	credTokenEnv = iota
	credTokenCommand
	credTokenKeyring
	credClient
)

var credentialChoices = []string{"env variable", "command", "keyring", "client credentials"}

// Choices of the client secret source field.
const (
	secretEnv = iota
	secretCommand
	secretKeyring
)

var (
	secretChoices = []string{"env variable", "command", "keyring"}
	yesNoChoices  = []string{"no", "yes"}
)

// profileField is one row of the profile form: a text input, or a choice
// among fixed values when choices is set.
type profileField struct {
	label string
	// key is the config key whose problems belong to this field.
	key     string
	input   textinput.Model
	choices []string
	choice  int
	// required fields must not be empty while they show.
	required bool
	hint     string
	err      string
}

func (f *profileField) isChoice() bool { return f.choices != nil }

// value returns the trimmed input of a text field.
func (f *profileField) value() string { return strings.TrimSpace(f.input.Value()) }

// profileForm sets up the first profile. Submitting validates with config's
// own rules, checks the profile with one GetRealm call, and only then saves
// it. A failure at any step keeps everything typed.
type profileForm struct {
	base
	setup   *FirstRun
	fields  [pfCount]*profileField
	focus   int
	offset  int
	formErr string
}

func newProfileForm(c *common) *profileForm {
	f := &profileForm{base: newBase(c, "Set up a profile"), setup: c.firstRun}
	text := func(label, key, placeholder, hint string, required bool) *profileField {
		return &profileField{label: label, key: key, input: newTextInput(c, placeholder, inputCharLimit), required: required, hint: hint}
	}
	choice := func(label, key string, choices []string, hint string) *profileField {
		return &profileField{label: label, key: key, choices: choices, hint: hint}
	}
	f.fields = [pfCount]*profileField{
		pfName: text("Profile name", "", "default", "The name for --profile and the header: 1-64 letters, digits, '-' or '_'.", true),
		pfRegion: choice("Region", "region", regionChoices,
			"←/→ picks where the tenant lives: us, eu, us-gov (FedRAMP), or base URLs you type, such as a local sandbox's."),
		pfAPIBase: text("API base URL", "api_base_url", "https://…",
			"The management API origin, such as https://api-us.beyondidentity.com; plain http is accepted only for loopback hosts.", true),
		pfAuthBase: text("Auth base URL", "auth_base_url", "https://…",
			"The origin of the realm's OIDC and token endpoints, such as https://auth-us.beyondidentity.com.", true),
		pfTenant: text("Tenant ID", "tenant_id", "0001 and 12 hex digits", "16 lowercase hexadecimal characters starting with 0001.", true),
		pfRealm:  text("Realm ID", "realm_id", "16 hex digits", "The realm to manage: 16 lowercase hexadecimal characters.", true),
		pfCredentials: choice("Credentials", "", credentialChoices,
			"←/→ picks the source: an API token in an environment variable, printed by a command or in the OS keyring, or client credentials. "+
				"The file stores where the secret is, never the secret."),
		pfTokenEnv:     text("Token variable", "api_token_env", "e.g. BIADMIN_TOKEN", "The name of an environment variable that holds an API token.", true),
		pfTokenCommand: text("Token command", "api_token_command", "e.g. pass show bi/prod", "A shell command that prints an API token on stdout.", true),
		pfTokenKeyring: text("Keyring item", "api_token_keyring", "e.g. biadmin/prod",
			`The OS keyring item that holds the token: service/user, or a user of the service "biadmin".`, true),
		pfClientID:     text("Client ID", "client_id", "", "The client ID of an application allowed to call the Management API.", true),
		pfSecretSource: choice("Secret from", "", secretChoices, "←/→ picks where the client secret comes from."),
		pfSecretEnv: text("Secret variable", "client_secret_env", "e.g. BIADMIN_CLIENT_SECRET",
			"The name of an environment variable that holds the client secret.", true),
		pfSecretCommand: text("Secret command", "client_secret_command", "e.g. pass show bi/client-secret",
			"A shell command that prints the client secret on stdout.", true),
		pfSecretKeyring: text("Secret keyring", "client_secret_keyring", "e.g. biadmin/client-secret",
			`The OS keyring item that holds the client secret: service/user, or a user of the service "biadmin".`, true),
		pfTokenRealm: text("Token realm ID", "token_realm_id", "16 hex digits", "The realm that holds the application, usually the Admin realm.", true),
		pfTokenApp:   text("Token app ID", "token_application_id", "", "The application's ID; tokens come from its token endpoint.", true),
		pfReadOnly:   choice("Read-only", "", yesNoChoices, "yes hides every action that changes data, and the client rejects them too."),
		pfProduction: choice("Production", "", yesNoChoices, "yes marks the profile as production in the header."),
	}
	f.fields[pfName].input.SetValue("default")
	return f
}

func (f *profileForm) Init() tea.Cmd { return f.focusOn(pfName) }

// InputFocused is always true, so q and digits type into the fields; esc
// leaves the form.
func (f *profileForm) InputFocused() bool { return true }

func (f *profileForm) SetSize(width, height int) {
	f.base.SetSize(width, height)
	for _, field := range f.fields {
		field.input.Width = max(width-labelWidth-3, 1)
	}
}

// visible reports whether field i shows for the current choices.
func (f *profileForm) visible(i int) bool {
	custom := f.fields[pfRegion].choice == regionCustom
	cred := f.fields[pfCredentials].choice
	client := cred == credClient
	secret := f.fields[pfSecretSource].choice
	switch i {
	case pfAPIBase, pfAuthBase:
		return custom
	case pfTokenEnv:
		return cred == credTokenEnv
	case pfTokenCommand:
		return cred == credTokenCommand
	case pfTokenKeyring:
		return cred == credTokenKeyring
	case pfClientID, pfSecretSource, pfTokenRealm, pfTokenApp:
		return client
	case pfSecretEnv:
		return client && secret == secretEnv
	case pfSecretCommand:
		return client && secret == secretCommand
	case pfSecretKeyring:
		return client && secret == secretKeyring
	}
	return true
}

// step returns the next visible field after i in direction dir (+1 or -1),
// wrapping around.
func (f *profileForm) step(i, dir int) int {
	for range pfCount {
		i = (i + dir + pfCount) % pfCount
		if f.visible(i) {
			return i
		}
	}
	return i
}

// lastVisible returns the last field that shows.
func (f *profileForm) lastVisible() int {
	for i := pfCount - 1; i > 0; i-- {
		if f.visible(i) {
			return i
		}
	}
	return 0
}

func (f *profileForm) focusOn(i int) tea.Cmd {
	f.focus = i
	var cmd tea.Cmd
	for j, field := range f.fields {
		if j == i && !field.isChoice() {
			cmd = field.input.Focus()
		} else {
			field.input.Blur()
		}
	}
	return cmd
}

func (f *profileForm) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		return f, f.handleResult(msg)
	case tea.KeyMsg:
		return f, f.handleKey(msg)
	}
	return f, nil
}

func (f *profileForm) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := f.c.keys
	field := f.fields[f.focus]
	switch {
	case key.Matches(msg, k.Cancel):
		if f.cancelRequests() {
			return flash(flashInfo, "Cancelled; nothing was saved.")
		}
		return popScreen(f.id)
	case key.Matches(msg, k.Save):
		return f.submit()
	case key.Matches(msg, k.Submit):
		if f.focus == f.lastVisible() {
			return f.submit()
		}
		return f.focusOn(f.step(f.focus, 1))
	case key.Matches(msg, k.NextField):
		return f.focusOn(f.step(f.focus, 1))
	case key.Matches(msg, k.PrevField):
		return f.focusOn(f.step(f.focus, -1))
	}
	if f.Busy() {
		// The values are being checked; editing now would save something
		// other than what was checked.
		return nil
	}
	if field.isChoice() {
		if key.Matches(msg, k.Choose) {
			dir := 1
			if msg.Type == tea.KeyLeft || msg.String() == "h" {
				dir = -1
			}
			field.choice = (field.choice + dir + len(field.choices)) % len(field.choices)
			field.err = ""
		}
		return nil
	}
	var cmd tea.Cmd
	field.input, cmd = field.input.Update(msg)
	return cmd
}

// profile builds the config profile from the fields that show.
func (f *profileForm) profile() *config.Profile {
	v := func(i int) string {
		if !f.visible(i) {
			return ""
		}
		return f.fields[i].value()
	}
	p := &config.Profile{
		Name:                v(pfName),
		TenantID:            v(pfTenant),
		RealmID:             v(pfRealm),
		APIBaseURL:          v(pfAPIBase),
		AuthBaseURL:         v(pfAuthBase),
		APITokenEnv:         v(pfTokenEnv),
		APITokenCommand:     v(pfTokenCommand),
		APITokenKeyring:     v(pfTokenKeyring),
		ClientID:            v(pfClientID),
		ClientSecretEnv:     v(pfSecretEnv),
		ClientSecretCommand: v(pfSecretCommand),
		ClientSecretKeyring: v(pfSecretKeyring),
		TokenRealmID:        v(pfTokenRealm),
		TokenApplicationID:  v(pfTokenApp),
		ReadOnly:            f.fields[pfReadOnly].choice == 1,
		Production:          f.fields[pfProduction].choice == 1,
	}
	if r := f.fields[pfRegion].choice; r != regionCustom {
		p.Region = regionChoices[r]
	}
	return p
}

// validate marks empty required fields, then applies config's own rules
// and puts each problem next to the field of its key. It reports whether
// the profile is valid, and focuses the first field with a problem.
func (f *profileForm) validate(p *config.Profile) bool {
	f.formErr = ""
	for i, field := range f.fields {
		field.err = ""
		if f.visible(i) && field.required && !field.isChoice() && field.value() == "" {
			field.err = "required"
		}
	}
	// A credential field left empty makes config report the credentials
	// as a whole, and "required" on that field is the clearer message.
	credentialsRequired := false
	for i := pfTokenEnv; i <= pfTokenApp; i++ {
		credentialsRequired = credentialsRequired || f.fields[i].err != ""
	}
	var problems []string
	if err := p.Validate(); err != nil {
		problems = strings.Split(err.Error(), "\n")
	}
	for _, line := range problems {
		i, text := f.fieldOf(p.Name, line)
		switch {
		case i == pfRegion && f.fields[pfRegion].choice == regionCustom:
			// Config reports a missing base URL as a missing region,
			// and the empty URL field already shows "required".
		case i == pfCredentials && credentialsRequired:
		case i < 0:
			f.formErr = joinSentences(f.formErr, sanitize(line))
		case f.fields[i].err == "":
			// "required" is shorter than config's message for a
			// missing key, so it stays.
			f.fields[i].err = sanitize(text)
		}
	}
	if i := f.firstProblem(); i >= 0 {
		f.focus = i
		return false
	}
	return f.formErr == ""
}

func (f *profileForm) firstProblem() int {
	for i, field := range f.fields {
		if field.err != "" && f.visible(i) {
			return i
		}
	}
	return -1
}

// fieldOf finds the field a line of Profile.Validate's error is about and
// returns the line without the profile and key it starts with. Lines read
// "profile NAME: KEY message", or "profile name ... is invalid" for the
// name itself; it returns -1 for a line about no single field.
func (f *profileForm) fieldOf(name, line string) (int, string) {
	if strings.HasPrefix(line, "profile name ") {
		return pfName, strings.TrimPrefix(line, "profile name ")
	}
	rest := strings.TrimPrefix(line, "profile "+name+": ")
	best, bestLen := -1, 0
	for i, field := range f.fields {
		if field.key == "" || !f.visible(i) {
			continue
		}
		if strings.HasPrefix(rest, field.key+" ") && len(field.key) > bestLen {
			best, bestLen = i, len(field.key)
		}
	}
	if best >= 0 {
		return best, strings.TrimPrefix(rest, f.fields[best].key+" ")
	}
	if strings.Contains(rest, "credential") {
		return pfCredentials, rest
	}
	return -1, rest
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

func (f *profileForm) submit() tea.Cmd {
	if f.Busy() {
		return nil
	}
	p := f.profile()
	if !f.validate(p) {
		return f.focusOn(f.focus)
	}
	open, path := f.setup.Open, f.setup.ConfigPath
	info := ProfileInfo{Name: p.Name, TenantID: p.TenantID, RealmID: p.RealmID, Region: p.Region, Credentials: p.CredentialSummary()}
	f.c.log.Info("checking new profile", "profile", p.Name, "tenant_id", p.TenantID, "realm_id", p.RealmID, "credentials", info.Credentials)
	return request(&f.base, "check profile", func(ctx context.Context) (connection, error) {
		return checkAndSave(ctx, open, path, p, info)
	})
}

// checkAndSave builds the API for p, proves it with one GetRealm call, and
// only then writes p to the config file at path. Errors carry the new
// profile, so a rejected token is described with its name.
func checkAndSave(ctx context.Context, open func(context.Context, *config.Profile) (client.API, ProfileInfo, error),
	path string, p *config.Profile, info ProfileInfo) (connection, error) {
	api, opened, err := open(ctx, p)
	if err != nil {
		return connection{}, withProfile(err, info)
	}
	realm, err := api.GetRealm(ctx)
	if err != nil {
		return connection{}, withProfile(err, opened)
	}
	if err := saveNewProfile(path, p); err != nil {
		return connection{}, fmt.Errorf("the check passed but the profile was not saved: %w", err)
	}
	note := fmt.Sprintf("Saved profile %s to %s. Realm %s is open; P switches profiles, W switches realms.",
		sanitize(p.Name), sanitize(path), sanitize(realm.DisplayName))
	return connection{api: api, profile: opened, realm: realm, note: note}, nil
}

// saveNewProfile writes p to the config at path. A file created here makes
// p its default profile. A profile of the same name in a file that
// appeared since the console started is not replaced.
func saveNewProfile(path string, p *config.Profile) error {
	cfg, err := config.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cfg = config.New(path)
		cfg.DefaultProfile = p.Name
	case err != nil:
		return err
	case slices.Contains(cfg.Names(), p.Name):
		return fmt.Errorf("%s already has a profile named %s; choose another name", path, p.Name)
	}
	return cfg.SaveProfile(p)
}

func (f *profileForm) handleResult(msg resultMsg) tea.Cmd {
	if !f.accept(msg) {
		return nil
	}
	if msg.err != nil {
		f.formErr = "Nothing was saved: " + describeError(msg.err)
		return flashErr("The profile check failed", msg.err)
	}
	conn := msg.value.(connection)
	f.c.log.Info("profile saved", "profile", conn.profile.Name, "path", f.setup.ConfigPath)
	return switchTo(conn)
}

func (f *profileForm) KeyMap() help.KeyMap {
	k := f.c.keys
	save := k.Save
	save.SetHelp("ctrl+s", "check and save")
	keys := []key.Binding{k.NextField, save, k.Cancel}
	if f.fields[f.focus].isChoice() {
		keys = []key.Binding{k.Choose, k.NextField, save, k.Cancel}
	}
	next := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next field, save on the last"))
	return helpKeys{short: keys, full: [][]key.Binding{{k.NextField, k.PrevField, k.Choose, next, save, k.Cancel}}}
}

func (f *profileForm) View() string {
	st := f.c.styles
	width := max(f.width, 1)
	top := st.Title.Render("Set up a profile") + "\n" +
		st.Hint.Width(width).Render("Saved to "+sanitize(f.setup.ConfigPath)+" (mode 0600) only after one API call (GetRealm) accepts it.") + "\n"
	bottom := "\n" + f.noteView()

	var rows []string
	focusFirst, focusLast := 0, 0
	for i, field := range f.fields {
		if !f.visible(i) {
			continue
		}
		if i == f.focus {
			focusFirst = len(rows)
		}
		rows = append(rows, strings.Split(f.rowView(field, i == f.focus), "\n")...)
		if i == f.focus {
			focusLast = len(rows) - 1
		}
	}
	// top ends and bottom starts with a line break, which Height counts
	// as a line of its own.
	room := max(f.height-(lipgloss.Height(top)-1)-(lipgloss.Height(bottom)-1), 1)
	more := ""
	if len(rows) > room {
		// One line is kept to say that more fields are out of sight.
		room = max(room-1, 1)
		more = "\n" + st.Dim.Render(clip("  more fields: tab and shift+tab move through them", f.width))
	}
	f.offset = min(f.offset, focusFirst)
	if focusLast >= f.offset+room {
		f.offset = focusLast - room + 1
	}
	f.offset = max(min(f.offset, len(rows)-room), 0)
	end := min(f.offset+room, len(rows))
	return top + strings.Join(rows[f.offset:end], "\n") + more + bottom
}

// rowView draws one field with the same marker and label column as the
// other forms, and its problem under it.
func (f *profileForm) rowView(field *profileField, focused bool) string {
	st := f.c.styles
	marker, label := "  ", st.Label.Render(pad(field.label, labelWidth))
	if focused {
		marker, label = "> ", st.Focused.Render(pad(field.label, labelWidth))
	}
	value := field.input.View()
	if field.isChoice() {
		parts := make([]string, len(field.choices))
		for i, c := range field.choices {
			if i == field.choice {
				parts[i] = st.Focused.Render("[" + c + "]")
			} else {
				parts[i] = st.Dim.Render(" " + c + " ")
			}
		}
		value = strings.Join(parts, "")
	}
	line := ansi.Truncate(marker+label+value, f.width, "…")
	if field.err != "" {
		// Config's messages run long, so they wrap under the input
		// instead of being cut.
		indent := strings.Repeat(" ", labelWidth+2)
		wrapped := st.FieldError.Width(max(f.width-labelWidth-2, 10)).Render("! " + field.err)
		for _, l := range strings.Split(wrapped, "\n") {
			line += "\n" + indent + strings.TrimRight(l, " ")
		}
	}
	return line
}

// noteView draws what sits under the fields: progress, the failure that
// belongs to no single field, or the focused field's hint.
func (f *profileForm) noteView() string {
	st := f.c.styles
	width := max(f.width, 1)
	switch {
	case f.Busy():
		return st.Dim.Render(clip("Checking the profile with one API call, then saving…", f.width))
	case f.formErr != "":
		return st.FieldError.Width(width).Render(f.formErr)
	}
	return st.Hint.Width(width).Render(f.fields[f.focus].hint)
}
