package bulk

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
)

// Seed identities with fixed roles (see the sandbox seed): #3 has only a
// FAILED_TO_SEND job, #5 only an expired one, #7 has no email address.
const (
	seedInviteFailed = "dmitri.garcia"
	seedExpired      = "farah.kim"
	seedNoEmail      = "hana.rossi"
)

func TestPlanUnenrolledRealm(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	all := env.allIdentities(t, ctx)
	env.api.reset()

	p, err := env.engine.Plan(ctx, ActionSend, Unenrolled())
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}

	// The set is every UNENROLLED or INVITE_FAILED identity; the send
	// rules then skip the suspended and those without email.
	var wantTargets, wantSkipped []string
	for _, id := range all {
		if id.EnrollmentStatus != client.EnrollmentUnenrolled && id.EnrollmentStatus != client.EnrollmentInviteFailed {
			continue
		}
		if sendable(id) {
			wantTargets = append(wantTargets, id.ID)
		} else {
			wantSkipped = append(wantSkipped, id.ID)
		}
	}
	if got := targetIDs(p); !slices.Equal(got, wantTargets) {
		t.Errorf("targets = %v, want %v", got, wantTargets)
	}
	var skipped []string
	for _, s := range p.Skipped {
		skipped = append(skipped, s.IdentityID)
	}
	if !slices.Equal(skipped, wantSkipped) {
		t.Errorf("skipped = %v, want %v", skipped, wantSkipped)
	}
	if len(wantTargets) < 3 {
		t.Fatalf("the seed has only %d unenrolled identities to send to; the test needs a few", len(wantTargets))
	}

	byName := map[string]Target{}
	for _, tg := range p.Targets {
		byName[tg.Username] = tg
	}
	if tg, ok := byName[seedInviteFailed]; !ok || tg.EnrollmentStatus != client.EnrollmentInviteFailed || tg.Email == "" {
		t.Errorf("invite-failed seed identity: %+v, in targets %v", tg, ok)
	}
	if _, ok := byName[seedExpired]; !ok {
		t.Errorf("identity %s with an expired job is not a target", seedExpired)
	}
	noEmail := slices.IndexFunc(p.Skipped, func(s Skip) bool { return s.Username == seedNoEmail })
	if noEmail < 0 || p.Skipped[noEmail].Reason != ReasonNoEmail {
		t.Errorf("identity without email not skipped with %q: %+v", ReasonNoEmail, p.Skipped)
	}

	if p.Action != ActionSend || p.RealmID != env.info.RealmID || p.TenantID != env.info.TenantID || p.Profile != "test" {
		t.Errorf("plan header = %s %s %s %s", p.Action, p.TenantID, p.RealmID, p.Profile)
	}
	if p.Params.AuthenticatorConfigID != env.info.AuthenticatorConfigID {
		t.Errorf("authenticator config = %q, want %q", p.Params.AuthenticatorConfigID, env.info.AuthenticatorConfigID)
	}
	if !p.Destructive || p.ConfirmPhrase != "" {
		t.Errorf("bulk send: Destructive %v, ConfirmPhrase %q; want true and none", p.Destructive, p.ConfirmPhrase)
	}

	// One page of identities, no per-identity requests, and no
	// credential or job lists, because every identity carries
	// enrollment_status.
	if n := env.api.n("ListIdentities"); n != 1 {
		t.Errorf("ListIdentities called %d times for 40 identities, want 1 page", n)
	}
	if n := env.api.n("GetIdentity"); n != 0 {
		t.Errorf("GetIdentity called %d times; planning a set must not cost a request per identity", n)
	}
}

func TestPlanJobsExpiredOrFailed(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)

	p, err := env.engine.Plan(ctx, ActionSend, JobsExpiredOrFailed())
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var names []string
	for _, tg := range p.Targets {
		names = append(names, tg.Username)
	}
	slices.Sort(names)
	want := []string{seedInviteFailed, seedExpired}
	slices.Sort(want)
	if !slices.Equal(names, want) || len(p.Skipped) != 0 {
		t.Errorf("targets = %v, skipped %+v; want exactly %v", names, p.Skipped, want)
	}
	if env.api.n("ListCredentials") != 1 || env.api.n("ListCredentialBindingJobs") == 0 {
		t.Errorf("ListCredentials %d, ListCredentialBindingJobs %d calls; want the realm-wide lists",
			env.api.n("ListCredentials"), env.api.n("ListCredentialBindingJobs"))
	}
	if n := env.api.n("GetIdentity"); n > 2 {
		t.Errorf("GetIdentity called %d times for 2 identities", n)
	}

	// After a new invitation the identity has a live job and leaves the
	// set.
	inviteFailed := env.identityByUsername(t, ctx, seedInviteFailed)
	if _, err := env.client.CreateCredentialBindingJob(ctx, inviteFailed.ID, client.CredentialBindingJobCreate{
		DeliveryMethod: client.DeliveryEmail, AuthenticatorConfigID: env.info.AuthenticatorConfigID,
	}); err != nil {
		t.Fatal(err)
	}
	p, err = env.engine.Plan(ctx, ActionSend, JobsExpiredOrFailed())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 1 || p.Targets[0].Username != seedExpired {
		t.Errorf("after a new invitation targets = %+v, want only %s", p.Targets, seedExpired)
	}
}

func TestPlanUnenrolledInGroup(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	groups, err := env.client.ListGroups(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, g := range groups.Items {
		members, err := env.client.ListGroupMembers(ctx, g.ID, client.ListOptions{PageSize: 200})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, m := range members.Items {
			if (m.EnrollmentStatus == client.EnrollmentUnenrolled || m.EnrollmentStatus == client.EnrollmentInviteFailed) && m.Status != client.StatusSuspended {
				want = append(want, m.ID)
			}
		}
		p, err := env.engine.Plan(ctx, ActionSuspend, UnenrolledInGroup(g.ID))
		if err != nil {
			t.Fatalf("Plan for group %s: %v", g.DisplayName, err)
		}
		if got := targetIDs(p); !slices.Equal(got, want) {
			t.Errorf("group %s: targets %v, want %v", g.DisplayName, got, want)
		}
		if len(want) > 0 {
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no seeded group has unenrolled members; the test proves nothing")
	}

	if _, err := env.engine.Plan(ctx, ActionSend, UnenrolledInGroup("00000000000000ff")); err == nil {
		t.Error("Plan for an unknown group succeeded")
	}
}

func TestPlanSkipReasons(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	all := env.allIdentities(t, ctx)
	pick := func(ok func(client.Identity) bool) client.Identity {
		for _, id := range all {
			if ok(id) {
				return id
			}
		}
		t.Fatal("the seed lacks an identity the test needs")
		return client.Identity{}
	}
	enrolled := pick(func(id client.Identity) bool {
		return id.EnrollmentStatus == client.EnrollmentEnrolled && id.Status != client.StatusSuspended
	})
	suspended := pick(func(id client.Identity) bool { return id.Status == client.StatusSuspended })
	pending := pick(func(id client.Identity) bool {
		return id.EnrollmentStatus == client.EnrollmentPending && id.Status != client.StatusSuspended
	})
	noEmail := env.identityByUsername(t, ctx, seedNoEmail)
	const unknown = "00000000000000ee"
	ids := []string{enrolled.ID, suspended.ID, pending.ID, noEmail.ID, unknown, pending.ID}

	cases := []struct {
		action      Action
		targets     []string
		skips       map[string]string
		destructive bool
		confirm     bool
	}{
		{ActionSend, []string{pending.ID}, map[string]string{
			enrolled.ID: ReasonEnrolled, suspended.ID: ReasonSuspended, noEmail.ID: ReasonNoEmail, unknown: ReasonNotFound,
		}, false, false},
		{ActionSuspend, []string{enrolled.ID, pending.ID, noEmail.ID}, map[string]string{
			suspended.ID: ReasonAlreadySuspended, unknown: ReasonNotFound,
		}, true, true},
		{ActionUnsuspend, []string{suspended.ID}, map[string]string{
			enrolled.ID: ReasonAlreadyActive, pending.ID: ReasonAlreadyActive, noEmail.ID: ReasonAlreadyActive, unknown: ReasonNotFound,
		}, false, false},
		{ActionDelete, []string{enrolled.ID, suspended.ID, pending.ID, noEmail.ID}, map[string]string{unknown: ReasonNotFound}, true, true},
	}
	for _, tc := range cases {
		t.Run(string(tc.action), func(t *testing.T) {
			p, err := env.engine.Plan(ctx, tc.action, IDs(ids...))
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if got := targetIDs(p); !slices.Equal(got, tc.targets) {
				t.Errorf("targets = %v, want %v (duplicates dropped, order kept)", got, tc.targets)
			}
			got := map[string]string{}
			for _, s := range p.Skipped {
				got[s.IdentityID] = s.Reason
			}
			if len(got) != len(tc.skips) {
				t.Errorf("skipped = %v, want %v", got, tc.skips)
			}
			for id, reason := range tc.skips {
				if got[id] != reason {
					t.Errorf("skip of %s = %q, want %q", id, got[id], reason)
				}
			}
			if p.Destructive != tc.destructive {
				t.Errorf("Destructive = %v, want %v", p.Destructive, tc.destructive)
			}
			if tc.confirm && p.ConfirmPhrase != "Demo Realm" {
				t.Errorf("ConfirmPhrase = %q, want the realm's display name", p.ConfirmPhrase)
			}
			if !tc.confirm && p.ConfirmPhrase != "" {
				t.Errorf("ConfirmPhrase = %q, want none", p.ConfirmPhrase)
			}
			if tc.action != ActionSend && p.Params != (Params{}) {
				t.Errorf("params = %+v, want none outside send", p.Params)
			}
		})
	}
	if _, err := env.engine.Plan(ctx, Action("explode"), IDs(pending.ID)); err == nil {
		t.Error("Plan accepted an unknown action")
	}
}

func TestPlanSearchAndLookups(t *testing.T) {
	env := startEnv(t, 450)
	ctx := testContext(t, 30*time.Second)
	all := env.allIdentities(t, ctx)

	// A search for one username plans exactly that identity.
	p, err := env.engine.Plan(ctx, ActionDelete, Search(client.UsernameEquals(all[10].Traits.Username)))
	if err != nil {
		t.Fatal(err)
	}
	if got := targetIDs(p); !slices.Equal(got, []string{all[10].ID}) {
		t.Errorf("search targets = %v, want %s", got, all[10].ID)
	}
	p, err = env.engine.Plan(ctx, ActionDelete, Search(client.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != len(all) {
		t.Errorf("empty search planned %d identities, want all %d", len(p.Targets), len(all))
	}

	// Few ids beyond the first page: fetched one by one.
	env.api.reset()
	few := []string{all[5].ID, all[300].ID, all[440].ID}
	p, err = env.engine.Plan(ctx, ActionDelete, IDs(few...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(targetIDs(p), few) {
		t.Errorf("targets = %v, want %v", targetIDs(p), few)
	}
	if env.api.n("ListIdentities") != 1 || env.api.n("GetIdentity") != 2 {
		t.Errorf("3 ids in a realm of 450: ListIdentities %d, GetIdentity %d; want 1 page and 2 gets",
			env.api.n("ListIdentities"), env.api.n("GetIdentity"))
	}

	// Many ids: paged, never one request each.
	env.api.reset()
	var many []string
	for _, id := range all[150:] {
		many = append(many, id.ID)
	}
	p, err = env.engine.Plan(ctx, ActionDelete, IDs(many...))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != len(many) {
		t.Errorf("planned %d of %d ids", len(p.Targets), len(many))
	}
	if env.api.n("ListIdentities") != 3 || env.api.n("GetIdentity") != 0 {
		t.Errorf("300 ids in a realm of 450: ListIdentities %d, GetIdentity %d; want 3 pages and no gets",
			env.api.n("ListIdentities"), env.api.n("GetIdentity"))
	}
}

func TestEnrollmentIndexStatus(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	job := func(id, state string, created time.Time) client.CredentialBindingJob {
		return client.CredentialBindingJob{IdentityID: id, State: state, CreateTime: created, ExpireTime: created.Add(7 * 24 * time.Hour)}
	}
	old, recent := now.Add(-9*24*time.Hour), now.Add(-time.Hour)
	idx := &enrollmentIndex{active: map[string]bool{"enrolled": true}, jobs: map[string][]client.CredentialBindingJob{}}
	for _, j := range []client.CredentialBindingJob{
		job("enrolled", client.JobComplete, old),
		job("pending", client.JobFailedToSend, old), job("pending", client.JobLinkSent, recent),
		job("failed", client.JobFailedToSend, old), job("failed", client.JobFailedToSend, recent),
		job("stale", client.JobLinkSent, old), // past expire_time but not yet marked EXPIRED
		job("mixed", client.JobFailedToSend, old), job("mixed", client.JobExpired, recent),
		job("revoked", client.JobExpired, old), job("revoked", client.JobRevoked, recent),
	} {
		if _, ok := idx.jobs[j.IdentityID]; !ok {
			idx.order = append(idx.order, j.IdentityID)
		}
		idx.jobs[j.IdentityID] = append(idx.jobs[j.IdentityID], j)
	}
	want := map[string]string{
		"enrolled": client.EnrollmentEnrolled, "pending": client.EnrollmentPending,
		"failed": client.EnrollmentInviteFailed, "stale": client.EnrollmentUnenrolled,
		"mixed": client.EnrollmentUnenrolled, "revoked": client.EnrollmentUnenrolled,
		"nobody": client.EnrollmentUnenrolled,
	}
	for id, w := range want {
		if got := idx.status(id, now); got != w {
			t.Errorf("status(%s) = %s, want %s", id, got, w)
		}
	}
	got := idx.expiredOrFailed(now)
	if !slices.Equal(got, []string{"failed", "stale", "mixed"}) {
		t.Errorf("expiredOrFailed = %v, want [failed stale mixed] (latest job expired or failed, nothing live)", got)
	}
}

func TestWriteCSV(t *testing.T) {
	p := &Plan{
		Targets: []Target{
			{IdentityID: "a1", Username: "=HYPERLINK(\"http://x\")", Email: "+1@example.com", Status: "active", EnrollmentStatus: "UNENROLLED"},
			{IdentityID: "a2", Username: "-2+3", Email: "@evil", Status: "active"},
			{IdentityID: "a3", Username: "\tcmd", Email: "\rcr", Status: "active"},
			{IdentityID: "a4", Username: "plain, \"quoted\"", Email: "ok@example.com", Status: "active"},
		},
		Skipped: []Skip{{Target: Target{IdentityID: "a5", Username: "bob", Status: "suspended"}, Reason: "=suspended"}},
	}
	var buf bytes.Buffer
	if err := p.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatalf("the output is not valid CSV: %v\n%s", err, buf.String())
	}
	want := [][]string{
		{"identity_id", "username", "email", "status", "enrollment_status", "planned", "skip_reason"},
		{"a1", "'=HYPERLINK(\"http://x\")", "'+1@example.com", "active", "UNENROLLED", "yes", ""},
		{"a2", "'-2+3", "'@evil", "active", "", "yes", ""},
		{"a3", "'\tcmd", "'\rcr", "active", "", "yes", ""},
		{"a4", "plain, \"quoted\"", "ok@example.com", "active", "", "yes", ""},
		{"a5", "bob", "", "suspended", "", "no", "'=suspended"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d:\n%s", len(rows), len(want), buf.String())
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}
