package ui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// fakeAPI is a client.API for model tests, over in-memory data. Methods
// it does not implement panic through the nil embedded interface, so a
// screen that calls one fails its test.
type fakeAPI struct {
	client.API

	mu         sync.Mutex
	identities []client.Identity
	configs    []client.AuthenticatorConfig
	jobs       []client.CredentialBindingJob
	realm      client.Realm

	createErr error // returned by CreateIdentity when set
	jobErr    error // returned by CreateCredentialBindingJob when set
	realmErr  error // returned by UpdateRealm when set

	created []client.IdentityCreate
	sent    []client.CredentialBindingJobCreate
	filters []string
}

func newFakeAPI(n int) *fakeAPI {
	f := &fakeAPI{
		realm:   client.Realm{ID: "realm1", TenantID: "tenant1", DisplayName: "Demo realm", Classification: "SECURE_CUSTOMER"},
		configs: []client.AuthenticatorConfig{{ID: "cfg1", DisplayName: "Hosted Web", Config: client.AuthenticatorSubset{Type: "hosted_web"}}},
	}
	for i := range n {
		f.identities = append(f.identities, f.identity(i))
	}
	return f
}

// identity returns the i-th generated identity.
func (f *fakeAPI) identity(i int) client.Identity {
	return client.Identity{
		ID:               fmt.Sprintf("id%06d", i),
		DisplayName:      fmt.Sprintf("User %d", i),
		Status:           client.StatusActive,
		EnrollmentStatus: client.EnrollmentUnenrolled,
		Traits: client.Traits{Type: client.TraitsTypeV0, Username: fmt.Sprintf("user%06d", i),
			PrimaryEmailAddress: fmt.Sprintf("user%d@example.com", i)},
	}
}

func (f *fakeAPI) TenantID() string { return "tenant1" }
func (f *fakeAPI) RealmID() string  { return "realm1" }

func (f *fakeAPI) GetTenant(context.Context) (*client.Tenant, error) {
	return &client.Tenant{ID: "tenant1", DisplayName: "Demo tenant"}, nil
}

func (f *fakeAPI) GetRealm(context.Context) (*client.Realm, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.realm
	return &r, nil
}

func (f *fakeAPI) UpdateRealm(_ context.Context, patch client.RealmPatch) (*client.Realm, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.realmErr != nil {
		return nil, f.realmErr
	}
	f.realm.DisplayName = *patch.DisplayName
	r := f.realm
	return &r, nil
}

// ListIdentities pages by index: the page token is the decimal offset.
func (f *fakeAPI) ListIdentities(_ context.Context, opts client.ListIdentitiesOptions) (*client.Page[client.Identity], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, opts.Filter.String())
	all := f.identities
	if !opts.Filter.IsZero() {
		all = nil
		for _, id := range f.identities {
			if client.UsernameEquals(id.Traits.Username) == opts.Filter {
				all = append(all, id)
			}
		}
	}
	start := 0
	if opts.PageToken != "" {
		fmt.Sscan(opts.PageToken, &start)
	}
	end := min(start+opts.PageSize, len(all))
	p := &client.Page[client.Identity]{Items: append([]client.Identity{}, all[start:end]...), TotalSize: len(all)}
	if end < len(all) {
		p.NextPageToken = fmt.Sprint(end)
	}
	return p, nil
}

func (f *fakeAPI) GetIdentity(_ context.Context, identityID string) (*client.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.identities {
		if id.ID == identityID {
			return &id, nil
		}
	}
	return nil, &client.APIError{Status: 404, Code: "not_found", Message: "identity not found"}
}

func (f *fakeAPI) CreateIdentity(_ context.Context, in client.IdentityCreate) (*client.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, in)
	if f.createErr != nil {
		return nil, f.createErr
	}
	id := client.Identity{ID: fmt.Sprintf("new%d", len(f.created)), DisplayName: in.DisplayName, Traits: in.Traits,
		Status: client.StatusActive, EnrollmentStatus: client.EnrollmentUnenrolled}
	f.identities = append(f.identities, id)
	return &id, nil
}

func (f *fakeAPI) ListAuthenticatorConfigs(context.Context, client.ListOptions) (*client.Page[client.AuthenticatorConfig], error) {
	return &client.Page[client.AuthenticatorConfig]{Items: f.configs, TotalSize: len(f.configs)}, nil
}

func (f *fakeAPI) ListCredentialBindingJobs(_ context.Context, identityID string, _ client.ListOptions) (*client.Page[client.CredentialBindingJob], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []client.CredentialBindingJob
	for _, j := range f.jobs {
		if j.IdentityID == identityID {
			out = append(out, j)
		}
	}
	return &client.Page[client.CredentialBindingJob]{Items: out, TotalSize: len(out)}, nil
}

func (f *fakeAPI) CreateCredentialBindingJob(_ context.Context, identityID string, in client.CredentialBindingJobCreate) (*client.CreatedCredentialBindingJob, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, in)
	if f.jobErr != nil {
		return nil, f.jobErr
	}
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	job := client.CredentialBindingJob{ID: fmt.Sprintf("job%d", len(f.sent)), IdentityID: identityID,
		DeliveryMethod: in.DeliveryMethod, State: client.JobLinkSent, AuthenticatorConfigID: in.AuthenticatorConfigID,
		CreateTime: now, UpdateTime: now, ExpireTime: now.Add(7 * 24 * time.Hour)}
	f.jobs = append(f.jobs, job)
	out := &client.CreatedCredentialBindingJob{Job: job}
	if in.DeliveryMethod == client.DeliveryReturn {
		out.Link = "http://127.0.0.1:1/v1/tenants/t/realms/r/identities/" + identityID + "/credential-binding-jobs/" + job.ID + ":invokeAuthenticator?token=secret-token"
	}
	return out, nil
}

// fixedNow is the clock of model tests.
func fixedNow() time.Time { return time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC) }

// newTestRoot returns a root model over api, sized to 80x24, with its
// start-up requests done.
func newTestRoot(t testing.TB, api client.API, profile ProfileInfo) *root {
	t.Helper()
	r := newRoot(Options{API: api, Profile: profile, Now: fixedNow})
	r.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	settle(t, r, r.Init())
	return r
}

// settle runs cmd and feeds the messages it produces back into m until no
// command is left. Commands that take longer than a short wait (timers
// such as the flash clearing or the spinner) are abandoned.
func settle(t testing.TB, m tea.Model, cmd tea.Cmd) {
	t.Helper()
	queue := collect(cmd)
	for i := 0; len(queue) > 0; i++ {
		if i > 1000 {
			t.Fatal("settle: messages keep coming after 1000 rounds")
		}
		msg := queue[0]
		queue = queue[1:]
		if _, ok := msg.(spinner.TickMsg); ok {
			continue
		}
		_, next := m.Update(msg)
		queue = append(queue, collect(next)...)
	}
}

// collect runs cmd and returns its messages, flattening batches.
func collect(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(300 * time.Millisecond):
		return nil
	}
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, collect(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// press sends one key to m and settles what follows.
func press(t testing.TB, m tea.Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		settle(t, m, cmd)
	}
}

// typeText types s one rune at a time.
func typeText(t testing.TB, m tea.Model, s string) {
	t.Helper()
	for _, r := range s {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		settle(t, m, cmd)
	}
}

// keyMsg builds the tea.KeyMsg for a key name as key.Binding spells it.
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+s":
		return tea.KeyMsg{Type: tea.KeyCtrlS}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}
