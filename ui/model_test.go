package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

func openCreateUser(t *testing.T, api *fakeAPI) (*root, *createUser) {
	t.Helper()
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	press(t, r, "n")
	f, ok := r.current().(*createUser)
	if !ok {
		t.Fatalf("after n the screen is %T, want *createUser", r.current())
	}
	return r, f
}

func TestCreateUserValidation(t *testing.T) {
	cases := []struct {
		name                     string
		username, email, display string
		field                    int
		problem                  string
	}{
		{"username missing", "", "", "", fieldUsername, "required"},
		{"username too long", strings.Repeat("u", 65), "", "", fieldUsername, "at most 64"},
		{"username forbidden char", "al:ice", "", "", fieldUsername, `must not contain ':'`},
		{"email without at", "alice", "alice.example.com", "", fieldEmail, "not an email address"},
		{"email with name", "alice", "Alice <a@example.com>", "", fieldEmail, "not an email address"},
		{"email without dotted domain", "alice", "alice@localhost", "", fieldEmail, "needs a dot"},
		{"display name too long", "alice", "", strings.Repeat("d", 65), fieldDisplayName, "at most 64"},
		{"display name forbidden char", "alice", "", "Alice!", fieldDisplayName, `must not contain '!'`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(3)
			r, f := openCreateUser(t, api)
			typeText(t, r, tc.username)
			press(t, r, "tab")
			typeText(t, r, tc.email)
			press(t, r, "tab")
			typeText(t, r, tc.display)
			press(t, r, "ctrl+s")

			if got := f.fields[tc.field].err; !strings.Contains(got, tc.problem) {
				t.Errorf("field %d problem = %q, want it to contain %q", tc.field, got, tc.problem)
			}
			if f.focus != tc.field {
				t.Errorf("focus = %d, want the invalid field %d", f.focus, tc.field)
			}
			if len(api.created) != 0 {
				t.Errorf("CreateIdentity was called %d times with invalid input", len(api.created))
			}
			if !strings.Contains(r.View(), "! ") {
				t.Errorf("the view shows no problem marker:\n%s", r.View())
			}
		})
	}
}

func TestCreateUserDefaultsDisplayName(t *testing.T) {
	api := newFakeAPI(3)
	r, f := openCreateUser(t, api)
	typeText(t, r, "alice")
	press(t, r, "enter")
	typeText(t, r, "alice@example.com")
	press(t, r, "enter", "enter")

	if len(api.created) != 1 {
		t.Fatalf("CreateIdentity called %d times, want 1", len(api.created))
	}
	got := api.created[0]
	if got.DisplayName != "alice" {
		t.Errorf("display name = %q, want the username", got.DisplayName)
	}
	if got.Traits.Type != client.TraitsTypeV0 || got.Traits.Username != "alice" || got.Traits.PrimaryEmailAddress != "alice@example.com" {
		t.Errorf("traits = %+v", got.Traits)
	}
	if f.created == nil {
		t.Fatal("the form does not show the created identity")
	}
	if !strings.Contains(r.View(), "Send the enrollment email to alice@example.com now?") {
		t.Errorf("the view does not offer the enrollment email:\n%s", r.View())
	}
}

func fillCreateUser(t *testing.T, r *root) {
	t.Helper()
	typeText(t, r, "alice")
	press(t, r, "tab")
	typeText(t, r, "alice@example.com")
	press(t, r, "tab")
	typeText(t, r, "Alice Example")
	press(t, r, "ctrl+s")
}

func assertKeptInput(t *testing.T, f *createUser) {
	t.Helper()
	want := []string{"alice", "alice@example.com", "Alice Example"}
	for i, w := range want {
		if got := f.fields[i].input.Value(); got != w {
			t.Errorf("field %d = %q after the failure, want %q as typed", i, got, w)
		}
	}
	if f.created != nil {
		t.Error("the form claims the identity was created")
	}
}

func TestCreateUserConflictKeepsInput(t *testing.T) {
	api := newFakeAPI(3)
	api.createErr = &client.APIError{Status: 409, Code: "conflict", Message: "username already exists"}
	r, f := openCreateUser(t, api)
	fillCreateUser(t, r)

	assertKeptInput(t, f)
	if got := f.fields[fieldUsername].err; !strings.Contains(got, "already exists") {
		t.Errorf("username problem = %q, want it to say the username exists", got)
	}
	if f.focus != fieldUsername {
		t.Errorf("focus = %d, want the username field", f.focus)
	}
	if !strings.Contains(r.View(), "already exists in this realm") {
		t.Errorf("the view does not show the conflict next to the field:\n%s", r.View())
	}
}

func TestCreateUserBadRequestMapsFields(t *testing.T) {
	api := newFakeAPI(3)
	api.createErr = &client.APIError{Status: 400, Code: "bad_request", Message: "invalid parameters",
		FieldViolations: []client.FieldViolation{
			{Field: "identity.traits.primary_email_address", Description: "invalid email address"},
			{Field: "identity.display_name", Description: "contains \x1b[31mbad\x1b[0m characters"},
		}}
	r, f := openCreateUser(t, api)
	fillCreateUser(t, r)

	assertKeptInput(t, f)
	if got := f.fields[fieldEmail].err; got != "invalid email address" {
		t.Errorf("email problem = %q", got)
	}
	if got := f.fields[fieldDisplayName].err; got != "contains \uFFFDbad\uFFFD characters" {
		t.Errorf("display name problem = %q, want the sanitized description", got)
	}
	if got := f.fields[fieldUsername].err; got != "" {
		t.Errorf("username problem = %q, want none", got)
	}
	if f.focus != fieldEmail {
		t.Errorf("focus = %d, want the first field the API named", f.focus)
	}

	// Fixing the input and sending again works, and sends the new values.
	api.createErr = nil
	press(t, r, "ctrl+s")
	if f.created == nil {
		t.Fatal("the second attempt did not create the identity")
	}
	if len(api.created) != 2 {
		t.Errorf("CreateIdentity called %d times, want 2", len(api.created))
	}
}

func TestCreateUserOtherErrorShownUnderForm(t *testing.T) {
	api := newFakeAPI(3)
	api.createErr = &client.APIError{Status: 503, Code: "service_unavailable", Message: "try later"}
	r, f := openCreateUser(t, api)
	fillCreateUser(t, r)

	assertKeptInput(t, f)
	if !strings.Contains(f.formErr, "try later (503)") {
		t.Errorf("form problem = %q", f.formErr)
	}
}

func TestCreateUserThenEnrollmentPreselectsEmail(t *testing.T) {
	api := newFakeAPI(3)
	r, f := openCreateUser(t, api)
	fillCreateUser(t, r)
	if f.created == nil {
		t.Fatal("identity not created")
	}
	press(t, r, "y")
	e, ok := r.current().(*enrollment)
	if !ok {
		t.Fatalf("after y the screen is %T, want *enrollment", r.current())
	}
	if deliveryMethods[e.delivery] != client.DeliveryEmail {
		t.Errorf("delivery = %s, want EMAIL", deliveryMethods[e.delivery])
	}
	if len(r.tabs[r.active].stack) != 2 {
		t.Errorf("stack depth = %d, want the form replaced by the enrollment screen", len(r.tabs[r.active].stack))
	}
	press(t, r, "enter")
	if len(api.sent) != 1 || api.sent[0].DeliveryMethod != client.DeliveryEmail || api.sent[0].AuthenticatorConfigID != "cfg1" {
		t.Fatalf("sent jobs = %+v, want one EMAIL job with cfg1", api.sent)
	}
}

func TestCreateUserNoGoesBackToRefreshedList(t *testing.T) {
	api := newFakeAPI(3)
	r, _ := openCreateUser(t, api)
	fillCreateUser(t, r)
	press(t, r, "n")
	l, ok := r.current().(*identityList)
	if !ok {
		t.Fatalf("after n the screen is %T, want the identity list", r.current())
	}
	if l.total != 4 || len(l.rows) != 4 {
		t.Errorf("list has %d rows of %d, want the new identity loaded (4)", len(l.rows), l.total)
	}
}

func TestEnrollmentMissingEmailIsASentence(t *testing.T) {
	api := newFakeAPI(3)
	api.jobErr = &client.APIError{Status: 422, Code: "unprocessable_entity", Message: "Identity missing email address"}
	r := newTestRoot(t, api, ProfileInfo{Name: "test", AuthenticatorConfigID: "cfg1"})
	press(t, r, "e")
	e := r.current().(*enrollment)
	press(t, r, "enter")
	want := "user000000 has no email address; add one or use RETURN to get a link."
	if e.formErr != want {
		t.Errorf("form problem = %q, want %q", e.formErr, want)
	}
	if !strings.Contains(r.View(), "has no email address; add one or use RETURN") {
		t.Errorf("view:\n%s", r.View())
	}
}

func TestEnrollmentReturnShowsLinkOnOneLine(t *testing.T) {
	api := newFakeAPI(3)
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	press(t, r, "e")
	e := r.current().(*enrollment)
	if strings.Contains(r.View(), "token=") {
		t.Fatal("a link is on screen before anything was sent")
	}
	press(t, r, "right", "enter")
	if len(api.sent) != 1 || api.sent[0].DeliveryMethod != client.DeliveryReturn {
		t.Fatalf("sent = %+v, want one RETURN job", api.sent)
	}
	if e.link == "" {
		t.Fatal("no link kept after a RETURN send")
	}
	var linkLine string
	for _, line := range strings.Split(r.View(), "\n") {
		if strings.Contains(line, "token=") {
			if linkLine != "" {
				t.Fatal("the link is on more than one line")
			}
			linkLine = line
		}
	}
	if linkLine != e.link {
		t.Errorf("link line = %q, want exactly the link %q", linkLine, e.link)
	}
	if !strings.Contains(r.View(), "Single-use") {
		t.Error("the view does not say the link is single-use")
	}
}

func TestReadOnlyHidesChangingKeys(t *testing.T) {
	api := newFakeAPI(3)
	r := newTestRoot(t, api, ProfileInfo{Name: "prod", ReadOnly: true, Production: true})
	press(t, r, "n")
	if _, ok := r.current().(*identityList); !ok {
		t.Fatalf("n opened %T in read-only mode", r.current())
	}
	view := r.View()
	for _, hidden := range []string{"n new user", "create a user"} {
		if strings.Contains(view, hidden) {
			t.Errorf("read-only view mentions %q:\n%s", hidden, view)
		}
	}
	if !strings.Contains(view, "READ-ONLY") || !strings.Contains(view, "PRODUCTION") {
		t.Errorf("read-only production view lacks its badges:\n%s", view)
	}

	press(t, r, "e")
	e := r.current().(*enrollment)
	press(t, r, "enter")
	if len(api.sent) != 0 {
		t.Errorf("read-only enrollment screen sent %d jobs", len(api.sent))
	}
	if strings.Contains(r.View(), "Delivery") {
		t.Errorf("read-only enrollment screen shows the send form:\n%s", r.View())
	}
	_ = e

	press(t, r, "esc", "2", "e")
	if r.current().InputFocused() {
		t.Error("e started editing the realm in read-only mode")
	}
}

func TestQuitKeys(t *testing.T) {
	api := newFakeAPI(3)
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	press(t, r, "n")
	typeText(t, r, "q")
	f := r.current().(*createUser)
	if got := f.fields[fieldUsername].input.Value(); got != "q" {
		t.Fatalf("q in a focused input gave %q, want it typed", got)
	}
	if r.quitting {
		t.Fatal("q quit while a text input had focus")
	}
	_, cmd := r.Update(keyMsg("ctrl+c"))
	if !r.quitting || cmd == nil {
		t.Fatal("ctrl+c did not quit from a focused input")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("ctrl+c did not return tea.Quit")
	}

	r = newTestRoot(t, api, ProfileInfo{Name: "test"})
	_, cmd = r.Update(keyMsg("q"))
	if _, ok := cmd().(tea.QuitMsg); !ok || !r.quitting {
		t.Fatal("q did not quit from the list")
	}
}

func TestTabsSwitchScreens(t *testing.T) {
	r := newTestRoot(t, newFakeAPI(3), ProfileInfo{Name: "test"})
	press(t, r, "2")
	if _, ok := r.current().(*realmSettings); !ok {
		t.Fatalf("2 shows %T, want realm settings", r.current())
	}
	press(t, r, "tab")
	if _, ok := r.current().(*groupList); !ok {
		t.Fatalf("tab shows %T, want the groups screen", r.current())
	}
	press(t, r, "shift+tab", "shift+tab")
	if _, ok := r.current().(*identityList); !ok {
		t.Fatalf("shift+tab shows %T, want the identity list", r.current())
	}
}

func TestRealmRenameKeepsValueOnViolation(t *testing.T) {
	api := newFakeAPI(3)
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	press(t, r, "2", "e")
	s := r.current().(*realmSettings)
	if !s.editing {
		t.Fatal("e did not start editing")
	}
	press(t, r, "ctrl+u")
	typeText(t, r, "Bad;name")
	press(t, r, "enter")
	if !strings.Contains(s.name.err, `must not contain ';'`) {
		t.Errorf("local problem = %q", s.name.err)
	}

	press(t, r, "backspace", "backspace", "backspace", "backspace", "backspace")
	typeText(t, r, "Fine")
	api.realmErr = &client.APIError{Status: 400, Message: "invalid parameters",
		FieldViolations: []client.FieldViolation{{Field: "realm.display_name", Description: "name reserved"}}}
	press(t, r, "enter")
	if s.name.err != "name reserved" {
		t.Errorf("API problem = %q, want the violation", s.name.err)
	}
	if got := s.name.input.Value(); got != "BadFine" {
		t.Errorf("value after failure = %q, want it kept", got)
	}

	api.realmErr = nil
	press(t, r, "enter")
	if s.editing || s.realm.DisplayName != "BadFine" {
		t.Errorf("after a good save: editing=%v name=%q", s.editing, s.realm.DisplayName)
	}
	if r.realm == nil || r.realm.DisplayName != "BadFine" {
		t.Error("the header did not get the new realm name")
	}
}

// TestStaleQueryResultDropped searches twice; the first search's result
// arrives last and must not replace the second's.
func TestStaleQueryResultDropped(t *testing.T) {
	api := newFakeAPI(10)
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	l := r.current().(*identityList)

	search := func(name string) tea.Cmd {
		press(t, r, "/", "ctrl+u")
		typeText(t, r, name)
		_, cmd := r.Update(keyMsg("enter"))
		return cmd
	}
	first := collectResults(search("user000001"))
	second := collectResults(search("user000002"))
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("got %d and %d results, want one each", len(first), len(second))
	}
	r.Update(second[0])
	r.Update(first[0])

	if len(l.rows) != 1 || l.rows[0].username != "user000002" {
		t.Fatalf("rows = %+v, want only the second search's user000002", l.rows)
	}
	if l.query != "user000002" {
		t.Errorf("query = %q", l.query)
	}
}

// TestResultForClosedScreenDropped leaves the enrollment screen before its
// jobs arrive; the late result must change nothing.
func TestResultForClosedScreenDropped(t *testing.T) {
	api := newFakeAPI(3)
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	_, cmd := r.Update(keyMsg("e"))
	push := collect(cmd)
	if len(push) != 1 {
		t.Fatalf("enter gave %d messages, want the push", len(push))
	}
	_, initCmd := r.Update(push[0])
	e := r.current().(*enrollment)
	late := collectResults(initCmd)
	if len(late) == 0 {
		t.Fatal("the enrollment screen started no request")
	}

	press(t, r, "esc") // cancels the requests in flight
	press(t, r, "esc") // leaves the screen
	if _, ok := r.current().(*identityList); !ok {
		t.Fatalf("after esc the screen is %T", r.current())
	}
	for _, msg := range late {
		_, cmd := r.Update(msg)
		if cmd != nil {
			if msgs := collect(cmd); len(msgs) > 0 {
				t.Errorf("a late result produced messages %v", msgs)
			}
		}
	}
	if e.jobsLoaded || len(e.configs) != 0 {
		t.Error("the closed screen took a late result")
	}
	// The cancel notice went with its screen; a late result adds none.
	if r.flash.text != "" {
		t.Errorf("flash = %q, want none after leaving the screen", r.flash.text)
	}
}

// TestCancelledSubmitResultDropped stops waiting for a create with esc.
// The answer that comes back later is dropped; the form looks the
// username up instead and, as the create went through, says so.
func TestCancelledSubmitResultDropped(t *testing.T) {
	api := newFakeAPI(3)
	r, f := openCreateUser(t, api)
	typeText(t, r, "alice")
	_, cmd := r.Update(keyMsg("ctrl+s"))
	late := collectResults(cmd)
	if !f.Busy() {
		t.Fatal("the form is not busy after submit")
	}
	press(t, r, "esc")
	if f.Busy() {
		t.Fatal("esc did not stop the wait")
	}
	if r.current() != screen(f) {
		t.Error("stopping the wait left the form")
	}
	if f.created == nil || r.flash.text != "alice was created." {
		t.Fatalf("created = %v, flash = %q; want the look-up to find alice", f.created, r.flash.text)
	}
	f.created = nil
	for _, msg := range late {
		r.Update(msg)
	}
	if f.created != nil {
		t.Error("the late answer of the stopped create was taken")
	}
}

// collectResults runs cmd and returns only the API results it produced.
func collectResults(cmd tea.Cmd) []tea.Msg {
	var out []tea.Msg
	for _, msg := range collect(cmd) {
		if _, ok := msg.(resultMsg); ok {
			out = append(out, msg)
		}
	}
	return out
}

func TestTooSmallWindow(t *testing.T) {
	r := newTestRoot(t, newFakeAPI(3), ProfileInfo{Name: "test"})
	r.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	view := r.View()
	if !strings.Contains(view, "too small (60x20)") {
		t.Errorf("view:\n%s", view)
	}
	if strings.Contains(view, "USERNAME") {
		t.Error("the list is drawn in a window that is too small")
	}
}

func TestViewFitsWindow(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		r := newTestRoot(t, newFakeAPI(500), ProfileInfo{Name: "test", Sandbox: true, Production: true})
		r.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(r.View(), "\n")
		if len(lines) != size[1] {
			t.Errorf("%dx%d: view has %d lines", size[0], size[1], len(lines))
		}
		for i, line := range lines {
			if w := len([]rune(line)); w > size[0] {
				t.Errorf("%dx%d: line %d is %d wide: %q", size[0], size[1], i, w, line)
			}
		}
	}
}

func TestListPagesNearTheEnd(t *testing.T) {
	api := newFakeAPI(450)
	r := newTestRoot(t, api, ProfileInfo{Name: "test"})
	l := r.current().(*identityList)
	if len(l.rows) != identityPageSize || l.total != 450 {
		t.Fatalf("after start: %d rows of %d, want one page of %d", len(l.rows), l.total, identityPageSize)
	}
	for range identityPageSize - prefetchMargin - 1 {
		_, _ = r.Update(keyMsg("down"))
	}
	if len(l.rows) != identityPageSize {
		t.Fatalf("a page was fetched before the cursor came within %d rows of the end", prefetchMargin)
	}
	press(t, r, "down")
	if len(l.rows) != 2*identityPageSize {
		t.Fatalf("rows = %d after nearing the end, want two pages", len(l.rows))
	}
	press(t, r, "G")
	press(t, r, "G")
	if len(l.rows) != 450 {
		t.Errorf("rows = %d at the end, want all 450", len(l.rows))
	}
	if !strings.Contains(r.View(), fmt.Sprintf("of %d", 450)) {
		t.Errorf("the view does not show the total:\n%s", r.View())
	}
}

func TestDescribeError(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&client.APIError{Status: 404, Message: "identity not found", RequestID: "r1"}, "identity not found (404), request id r1"},
		{&client.APIError{Status: 500, Message: "boom\x1b[2J"}, "boom\uFFFD (500); the service failed, try again"},
		{fmt.Errorf("wrapped: %w", client.ErrReadOnly), "the profile is read-only, so nothing was changed"},
		{errors.New("dial tcp: refused"), "dial tcp: refused"},
	}
	for _, c := range cases {
		if got := describeError(c.err); got != c.want {
			t.Errorf("describeError(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestShareWidth(t *testing.T) {
	cases := []struct {
		total int
		texts []string
		want  []int
	}{
		{30, []string{"prod", "Sandbox Tenant", "Demo Realm"}, []int{4, 14, 10}},
		{20, []string{"prod", "Sandbox Tenant", "Demo Realm"}, []int{4, 8, 8}},
		{12, []string{"a-very-long-name", "b-very-long-name", "c"}, []int{5, 5, 1}},
		{0, []string{"x", "y"}, []int{1, 1}},
	}
	for _, c := range cases {
		got := shareWidth(c.total, c.texts)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("shareWidth(%d, %q) = %v, want %v", c.total, c.texts, got, c.want)
		}
	}
}

// TestDescribeErrorNetwork checks that a request that reached no server is
// worded with the host alone, never the path or query, which may carry a
// token.
func TestDescribeErrorNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	api, err := client.New(client.Options{
		BaseURL: "http://" + addr, TenantID: "t", RealmID: "r",
		Token: client.StaticToken("secret-token"), MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, refused := api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200}})
	if refused == nil {
		t.Fatal("ListIdentities against a closed port succeeded")
	}

	cases := []struct {
		name string
		err  error
		want string
	}{
		{"connection refused", refused, "could not reach " + addr + " (connection refused); check that the service is up and that the profile's api_base_url or region is right"},
		{"unknown host", &url.Error{Op: "Get", URL: "https://api.example.invalid/v1/x?token=abc", Err: &net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}},
			"could not reach api.example.invalid (no such host name); check that the service is up and that the profile's api_base_url or region is right"},
		{"dial timeout", fmt.Errorf("GetRealm: %w", &url.Error{Op: "Get", URL: "https://10.0.0.1:443/v1", Err: &net.OpError{Op: "dial", Net: "tcp", Err: timeoutError{}}}),
			"could not reach 10.0.0.1:443 (timed out); check that the service is up and that the profile's api_base_url or region is right"},
		{"with profile", withProfile(refused, ProfileInfo{Name: "prod", Credentials: "an API token"}),
			"could not reach " + addr + " (connection refused); check that the service is up and that the profile's api_base_url or region is right (profile prod)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := describeError(c.err)
			if got != c.want {
				t.Errorf("describeError(%v)\n = %q\nwant %q", c.err, got, c.want)
			}
			if strings.Contains(got, "/v1") || strings.Contains(got, "token") {
				t.Errorf("describeError(%v) = %q shows more of the URL than the host", c.err, got)
			}
		})
	}
}

// timeoutError is a net.Error that timed out, as a dial timeout is.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
