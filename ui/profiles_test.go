package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/sandbox"
)

// realmFake is a fakeAPI bound to a realm id of its own, so a switch
// between two of them shows in RealmID, the header and the rows.
type realmFake struct {
	*fakeAPI
	realmID string
	// realms is what ListRealms pages through, 200 at a time.
	realms []client.Realm
}

func newRealmFake(realmID, realmName string, identities int) *realmFake {
	f := newFakeAPI(identities)
	f.realm = client.Realm{ID: realmID, TenantID: "tenant1", DisplayName: realmName, Classification: "SECURE_CUSTOMER"}
	return &realmFake{fakeAPI: f, realmID: realmID}
}

func (a *realmFake) RealmID() string { return a.realmID }

func (a *realmFake) ListRealms(_ context.Context, opts client.ListOptions) (*client.Page[client.Realm], error) {
	start := 0
	if opts.PageToken != "" {
		fmt.Sscan(opts.PageToken, &start)
	}
	end := min(start+opts.PageSize, len(a.realms))
	p := &client.Page[client.Realm]{Items: append([]client.Realm{}, a.realms[start:end]...), TotalSize: len(a.realms)}
	if end < len(a.realms) {
		p.NextPageToken = fmt.Sprint(end)
	}
	return p, nil
}

// switchRoot returns a root over opts sized 100x30, with its start-up
// requests done.
func switchRoot(t *testing.T, opts Options) *root {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	r := newRoot(opts)
	r.flashTTL = time.Hour
	r.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	settle(t, r, r.Init())
	return r
}

func identityListOf(t *testing.T, r *root) *identityList {
	t.Helper()
	l, ok := r.tabs[0].stack[0].(*identityList)
	if !ok {
		t.Fatalf("the first tab is %T, want *identityList", r.tabs[0].stack[0])
	}
	return l
}

// twoProfiles returns options for a console on profile "a" whose picker
// offers "a" and "b", with Connect counting its calls.
func twoProfiles(apiA, apiB client.API, connects *[]string) Options {
	infoA := ProfileInfo{Name: "a", TenantID: "tenant1", RealmID: "realma", Region: "us", Credentials: "API token from environment variable A_TOKEN"}
	infoB := ProfileInfo{Name: "b", TenantID: "tenant1", RealmID: "realmb", Region: "eu", Production: true, ReadOnly: true}
	return Options{
		API:     apiA,
		Profile: infoA,
		Profiles: func() ([]ProfileInfo, error) {
			return []ProfileInfo{infoA, infoB}, nil
		},
		Connect: func(_ context.Context, name, realmID string) (client.API, ProfileInfo, error) {
			*connects = append(*connects, name+"/"+realmID)
			switch name {
			case "a":
				return apiA, infoA, nil
			case "b":
				return apiB, infoB, nil
			}
			return nil, ProfileInfo{}, fmt.Errorf("profile %q not found", name)
		},
	}
}

func TestProfilePickerSwitchesAPI(t *testing.T) {
	apiA := newRealmFake("realma", "Realm A", 3)
	apiB := newRealmFake("realmb", "Realm B", 5)
	var connects []string
	r := switchRoot(t, twoProfiles(apiA, apiB, &connects))
	if got := identityListOf(t, r).total; got != 3 {
		t.Fatalf("profile a lists %d identities, want 3", got)
	}

	press(t, r, "P")
	picker, ok := r.current().(*profilePicker)
	if !ok {
		t.Fatalf("after P the screen is %T, want *profilePicker", r.current())
	}
	view := r.View()
	for _, want := range []string{"Switch profile", "realma", "realmb", "current", "production, read-only", "eu"} {
		if !strings.Contains(view, want) {
			t.Errorf("the picker does not show %q:\n%s", want, view)
		}
	}
	if picker.view.cursor != 0 {
		t.Errorf("the cursor starts on row %d, want the current profile's row 0", picker.view.cursor)
	}

	oldDesk := r.c.desk
	press(t, r, "down", "enter")
	if r.c.api != client.API(apiB) {
		t.Fatalf("after choosing b the console's API is %T %p, want profile b's", r.c.api, r.c.api)
	}
	if r.c.desk == oldDesk || r.c.desk.realmName == "Realm A" {
		t.Error("the desk state of profile a carried over to profile b")
	}
	if fmt.Sprint(connects) != "[b/]" {
		t.Errorf("Connect calls = %v, want one for b with no realm", connects)
	}
	if _, ok := r.current().(*identityList); !ok {
		t.Errorf("after the switch the screen is %T, want the identity list", r.current())
	}
	if got := identityListOf(t, r).total; got != 5 {
		t.Errorf("profile b lists %d identities, want 5", got)
	}
	view = r.View()
	for _, want := range []string{"profile b", "realm Realm B", "[READ-ONLY]", "PRODUCTION", "Switched to profile b, realm Realm B."} {
		if !strings.Contains(view, want) {
			t.Errorf("after the switch the view does not show %q:\n%s", want, view)
		}
	}
	// Profile b is read-only, so the keys that change data are gone.
	if r.c.keys.NewUser.Enabled() {
		t.Error("the new-user key is still bound on the read-only profile b")
	}
}

func TestProfilePickerDropsStaleResults(t *testing.T) {
	apiA := newRealmFake("realma", "Realm A", 3)
	apiB := newRealmFake("realmb", "Realm B", 5)
	var connects []string
	r := switchRoot(t, twoProfiles(apiA, apiB, &connects))

	// A reload of profile a's list is started but its result held back
	// until after the switch. The fake returns rows even when cancelled, so
	// the result carries a's rows.
	_, stale := r.Update(keyMsg("r"))
	oldHeader := resultMsg{screen: r.header.id, req: r.c.lastID, kind: "get realm", value: &client.Realm{ID: "realma", DisplayName: "Realm A"}}
	press(t, r, "P", "down", "enter")
	if r.c.api != client.API(apiB) {
		t.Fatal("the switch to profile b did not happen")
	}

	msgs := collect(stale)
	if len(msgs) == 0 {
		t.Fatal("the held-back reload produced no message")
	}
	for _, msg := range msgs {
		_, cmd := r.Update(msg)
		settle(t, r, cmd)
	}
	settle(t, r, func() tea.Msg { return oldHeader })
	// A realm rename reported by a screen of profile a arrives late too.
	settle(t, r, func() tea.Msg { return realmChangedMsg{realm: client.Realm{ID: "realma", DisplayName: "Realm A"}} })

	l := identityListOf(t, r)
	if l.total != 5 || len(l.rows) != 5 {
		t.Errorf("after the stale result the list has %d of %d rows, want profile b's 5", len(l.rows), l.total)
	}
	if strings.Contains(r.View(), "Realm A") {
		t.Errorf("profile a's realm reached the screen after the switch:\n%s", r.View())
	}
}

func TestProfilePickerFailedCheckStays(t *testing.T) {
	apiA := newRealmFake("realma", "Realm A", 3)
	rejected := &client.APIError{Status: 401, Code: "unauthorized", Message: "unauthorized", Operation: "GetRealm"}
	apiB := &failingRealm{realmFake: newRealmFake("realmb", "Realm B", 5), err: rejected}
	var connects []string
	opts := twoProfiles(apiA, apiB, &connects)
	r := switchRoot(t, opts)

	press(t, r, "P", "down", "enter")
	if r.c.api != client.API(apiA) {
		t.Fatal("the console switched to a profile whose check failed")
	}
	p, ok := r.current().(*profilePicker)
	if !ok {
		t.Fatalf("after the failed check the screen is %T, want the picker", r.current())
	}
	text := describeError(p.connectErr)
	for _, want := range []string{"rejected (401)", "expired", "API Tokens", "profile b"} {
		if !strings.Contains(text, want) {
			t.Errorf("the failure %q does not contain %q", text, want)
		}
	}

	press(t, r, "esc")
	if _, ok := r.current().(*identityList); !ok {
		t.Errorf("esc left the screen on %T, want the identity list", r.current())
	}
}

// failingRealm fails GetRealm, as the check of a profile with a bad token
// does.
type failingRealm struct {
	*realmFake
	err error
}

func (a *failingRealm) GetRealm(context.Context) (*client.Realm, error) { return nil, a.err }

func TestSwitchKeysNeedCallbacks(t *testing.T) {
	r := switchRoot(t, Options{API: newFakeAPI(3), Profile: ProfileInfo{Name: "test"}})
	press(t, r, "P")
	press(t, r, "W")
	if _, ok := r.current().(*identityList); !ok {
		t.Errorf("without Connect, P or W opened %T", r.current())
	}
}

func TestRealmSwitcherPages(t *testing.T) {
	api := newRealmFake("realm0001", "Realm 1", 3)
	for i := range 450 {
		api.realms = append(api.realms, client.Realm{ID: fmt.Sprintf("realm%04d", i), TenantID: "tenant1", DisplayName: fmt.Sprintf("Realm %d", i)})
	}
	var connected []string
	r := switchRoot(t, Options{
		API:     api,
		Profile: ProfileInfo{Name: "p", TenantID: "tenant1", RealmID: "realm0001"},
		Connect: func(_ context.Context, name, realmID string) (client.API, ProfileInfo, error) {
			connected = append(connected, name+"/"+realmID)
			other := newRealmFake(realmID, "Realm "+realmID, 1)
			return other, ProfileInfo{Name: name, TenantID: "tenant1", RealmID: realmID}, nil
		},
	})

	press(t, r, "W")
	p, ok := r.current().(*realmPicker)
	if !ok {
		t.Fatalf("after W the screen is %T, want *realmPicker", r.current())
	}
	if len(p.realms) != 200 || p.view.cursor != 1 {
		t.Fatalf("first page: %d realms, cursor %d; want 200 and the current realm's row 1", len(p.realms), p.view.cursor)
	}
	press(t, r, "G")
	press(t, r, "G")
	press(t, r, "G")
	if len(p.realms) != 450 {
		t.Fatalf("after paging down %d realms are loaded, want 450", len(p.realms))
	}
	if !strings.Contains(r.View(), "450 of 450") {
		t.Errorf("the position line does not show the last realm:\n%s", r.View())
	}
	press(t, r, "enter")
	if fmt.Sprint(connected) != "[p/realm0449]" {
		t.Errorf("Connect calls = %v, want one for realm0449 of profile p", connected)
	}
	if got := r.c.api.RealmID(); got != "realm0449" {
		t.Errorf("after the switch the API is bound to %q", got)
	}
	if !strings.Contains(r.View(), "realm Realm 449") {
		t.Errorf("the header does not show the realm from the list:\n%s", r.View())
	}
}

// sandboxClient returns a client for realm of sb with token.
func sandboxClient(t *testing.T, sb *sandbox.Sandbox, realmID, token string) *client.Client {
	t.Helper()
	info := sb.Info()
	api, err := client.New(client.Options{
		BaseURL:    sb.URL(),
		TenantID:   info.TenantID,
		RealmID:    realmID,
		Token:      client.StaticToken(token),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		MaxRetries: -1,
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return api
}

func startTestSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func TestRealmSwitcherSandbox(t *testing.T) {
	sb := startTestSandbox(t)
	info := sb.Info()
	base := sandboxClient(t, sb, info.RealmID, info.APIToken)
	profile := ProfileInfo{Name: "demo", TenantID: info.TenantID, RealmID: info.RealmID, AuthenticatorConfigID: info.AuthenticatorConfigID}
	r := switchRoot(t, Options{
		API:     base,
		Profile: profile,
		Connect: func(_ context.Context, name, realmID string) (client.API, ProfileInfo, error) {
			p := profile
			p.RealmID, p.AuthenticatorConfigID = realmID, ""
			return base.WithRealm(realmID), p, nil
		},
	})
	if !strings.Contains(r.View(), "realm Demo Realm") {
		t.Fatalf("the header does not show the demo realm's name:\n%s", r.View())
	}

	press(t, r, "W")
	p, ok := r.current().(*realmPicker)
	if !ok {
		t.Fatalf("after W the screen is %T, want *realmPicker", r.current())
	}
	view := r.View()
	for _, want := range []string{"Admin Realm", "Demo Realm", info.AdminRealmID, "SECURE_WORKFORCE", "current", "Realms of Sandbox Tenant. enter opens one as profile demo"} {
		if !strings.Contains(view, want) {
			t.Errorf("the realm switcher does not show %q:\n%s", want, view)
		}
	}
	admin := -1
	for i, realm := range p.realms {
		if realm.ID == info.AdminRealmID {
			admin = i
		}
	}
	if admin < 0 {
		t.Fatalf("the Admin realm %s is not listed: %+v", info.AdminRealmID, p.realms)
	}
	for p.view.cursor != admin {
		key := "down"
		if p.view.cursor > admin {
			key = "up"
		}
		press(t, r, key)
	}
	press(t, r, "enter")

	if got := r.c.api.RealmID(); got != info.AdminRealmID {
		t.Fatalf("after choosing the Admin realm the API is bound to %q", got)
	}
	want, err := base.WithRealm(info.AdminRealmID).ListIdentities(context.Background(), client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 1}})
	if err != nil {
		t.Fatal(err)
	}
	l := identityListOf(t, r)
	if !l.loaded || l.total != want.TotalSize {
		t.Errorf("the identity list shows %d identities (loaded %v), want the Admin realm's %d", l.total, l.loaded, want.TotalSize)
	}
	view = r.View()
	for _, want := range []string{"realm Admin Realm", "tenant Sandbox Tenant", "Switched to realm Admin Realm of profile demo."} {
		if !strings.Contains(view, want) {
			t.Errorf("after the switch the view does not show %q:\n%s", want, view)
		}
	}
}

// statusText returns the status line as one line of text, however it
// wrapped.
func statusText(r *root) string {
	var parts []string
	for _, line := range r.statusLines() {
		parts = append(parts, strings.TrimSpace(line))
	}
	return strings.Join(parts, " ")
}

func TestAuthErrorSentences(t *testing.T) {
	sb := startTestSandbox(t)
	info := sb.Info()
	profile := ProfileInfo{Name: "demo", TenantID: info.TenantID, RealmID: info.RealmID,
		Credentials: "API token from environment variable DEMO_TOKEN"}
	cases := []struct {
		name  string
		token string
		want  []string
	}{
		{
			name:  "too few scopes",
			token: sb.MintToken([]string{"tenants:read", "realms:read"}, time.Hour),
			want:  []string{"forbidden: ListIdentities needs scope identities:read", "the token of profile demo lacks it"},
		},
		{
			name:  "expired",
			token: sb.MintToken(client.AllScopes(), -time.Minute),
			want: []string{"rejected (401)", "missing, expired or not from Beyond Identity",
				"Beyond Identity Management API, API Tokens", "profile demo: API token from environment variable DEMO_TOKEN"},
		},
		{
			name:  "not a token",
			token: "not-a-jwt",
			want:  []string{"rejected (401)", "not from Beyond Identity", "profile demo"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := switchRoot(t, Options{API: sandboxClient(t, sb, info.RealmID, tc.token), Profile: profile})
			l := identityListOf(t, r)
			if l.loadErr == nil {
				t.Fatal("the identity list loaded with a token that should fail")
			}
			text := describeError(l.loadErr)
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("describeError = %q, want it to contain %q", text, want)
				}
			}
			// The status line wraps instead of cutting the advice off.
			status := statusText(r)
			last := tc.want[len(tc.want)-1]
			if !strings.Contains(status, last) {
				t.Errorf("the status line %q does not show %q", status, last)
			}
			if strings.Contains(r.View(), tc.token) {
				t.Error("the token is on screen")
			}
		})
	}
}

func TestUntrustedCertificateSentence(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("a request reached the server despite the untrusted certificate")
	}))
	// The rejected handshake is the point of the test, not news.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	// The default HTTP client trusts only the system's CAs, which do not
	// include httptest's certificate, as with a TLS-inspecting proxy.
	api, err := client.New(client.Options{BaseURL: ts.URL, TenantID: "0001f1f460b1ace6", RealmID: "8f5bec58229e6f29",
		Token: client.StaticToken("token"), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = api.GetRealm(ctx)
	if !errors.Is(err, client.ErrUntrustedCertificate) {
		t.Fatalf("GetRealm error = %v, want ErrUntrustedCertificate", err)
	}
	text := describeError(withProfile(err, ProfileInfo{Name: "corp"}))
	for _, want := range []string{"TLS certificate is not trusted", "SSL_CERT_FILE", "trust store"} {
		if !strings.Contains(text, want) {
			t.Errorf("describeError = %q, want it to contain %q", text, want)
		}
	}
}

func TestConfigWarningsShownAtStart(t *testing.T) {
	warning := "config.toml is readable by other users; run: chmod 600 /home/u/.config/biadmin/config.toml"
	r := switchRoot(t, Options{API: newFakeAPI(3), Profile: ProfileInfo{Name: "test"}, Warnings: []string{warning}})
	if r.flash.level != flashWarn {
		t.Errorf("the status line level is %v, want a warning", r.flash.level)
	}
	if status := statusText(r); !strings.Contains(status, "chmod 600 /home/u/.config/biadmin/config.toml") {
		t.Errorf("the status line %q does not show the chmod that fixes the file", status)
	}
	_, h := r.bodySize()
	if h != 30-chromeLines-1 {
		t.Errorf("body height with a two-line warning = %d, want %d", h, 30-chromeLines-1)
	}
}

func TestDescribeErrorNamesProfile(t *testing.T) {
	profile := ProfileInfo{Name: "prod", Credentials: "client credentials for client_id abc, secret from a command"}
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{
			name: "token endpoint rejects client credentials",
			err:  fmt.Errorf("get API token: token endpoint https://auth.example/token rejected the client credentials (%w, HTTP 401): invalid_client", client.ErrUnauthorized),
			want: []string{"rejected the client credentials", "check the client ID and client secret", "(profile prod: client credentials for client_id abc, secret from a command)"},
		},
		{
			name: "403 with two scopes",
			err:  &client.APIError{Status: 403, Code: "forbidden", Message: "forbidden", Operation: "AddGroupMembers"},
			want: []string{"forbidden: AddGroupMembers needs scopes groups:update and identities:read", "lacks them, so use one that has them"},
		},
		{
			name: "401 from the API",
			err:  &client.APIError{Status: 401, Code: "unauthorized", Message: "unauthorized", Operation: "ListIdentities", RequestID: "req1"},
			want: []string{"rejected (401)", "missing, expired or not from Beyond Identity", "(profile prod: client credentials"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := describeError(withProfile(tc.err, profile))
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("describeError = %q, want it to contain %q", text, want)
				}
			}
		})
	}

	one := &client.APIError{Status: 403, Code: "forbidden", Message: "forbidden", Operation: "CreateIdentity"}
	if text := describeError(withProfile(one, profile)); !strings.Contains(text, "the token of profile prod lacks it, so use one that has it") {
		t.Errorf("describeError for one scope = %q", text)
	}
	// Without a profile, the sentence names none.
	if text := describeError(cases[2].err); strings.Contains(text, "profile") {
		t.Errorf("describeError without a profile = %q, names one", text)
	}
}
