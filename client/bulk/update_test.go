package bulk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/client/audit"
)

// TestSuspendAndUnsuspend suspends 15 identities through an audited API
// with 20 ms of latency per request, one of them deleted after planning,
// and then unsuspends the rest.
func TestSuspendAndUnsuspend(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	logPath := filepath.Join(t.TempDir(), audit.FileName)
	alog, err := audit.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer alog.Close()
	env.api.API = audit.Wrap(env.client, alog, "test")

	var ids []string
	var alreadySuspended string
	for _, id := range env.allIdentities(t, ctx) {
		switch {
		case id.Status == client.StatusSuspended && alreadySuspended == "":
			alreadySuspended = id.ID
			ids = append(ids, id.ID)
		case id.Status != client.StatusSuspended && len(ids) < 16:
			ids = append(ids, id.ID)
		}
	}
	p, err := env.engine.Plan(ctx, ActionSuspend, IDs(ids...))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 15 || len(p.Skipped) != 1 || p.Skipped[0].IdentityID != alreadySuspended || p.Skipped[0].Reason != ReasonAlreadySuspended {
		t.Fatalf("plan: %d targets, skipped %+v; want 15 and the suspended one", len(p.Targets), p.Skipped)
	}
	gone := p.Targets[4]
	if err := env.client.DeleteIdentity(ctx, gone.IdentityID); err != nil {
		t.Fatal(err)
	}

	env.sb.Faults().SetLatency(20 * time.Millisecond)
	env.api.reset()
	res, err := env.runPlan(t, ctx, env.engine, p)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if res.Succeeded != 14 || len(res.Failed) != 1 || !res.Finished {
		t.Fatalf("result %d succeeded, %d failed, finished %v; want 14, 1, true", res.Succeeded, len(res.Failed), res.Finished)
	}
	f := res.Failed[0]
	if f.IdentityID != gone.IdentityID || f.Username != gone.Username || f.Status != 404 || f.Code != "not_found" || f.Reason == "" || len(f.RequestID) != 32 {
		t.Errorf("failure = %+v, want the deleted identity with the API's 404, message and request id", f)
	}
	if got := env.api.maxInFlight; got != 4 {
		t.Errorf("at most %d requests ran at once, want the default concurrency 4", got)
	}
	for _, tg := range p.Targets {
		if tg.IdentityID == gone.IdentityID {
			continue
		}
		id, err := env.client.GetIdentity(ctx, tg.IdentityID)
		if err != nil || id.Status != client.StatusSuspended {
			t.Errorf("identity %s after suspend: %v, %v", tg.IdentityID, id, err)
		}
	}

	// Every UpdateIdentity is in the audit log with its request id.
	entries, err := audit.Read(logPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string]audit.Entry{}
	for _, e := range entries {
		if e.Operation == "UpdateIdentity" {
			byTarget[e.TargetIDs[0]] = e
		}
	}
	if len(byTarget) != 15 {
		t.Errorf("audit log has %d UpdateIdentity entries, want 15", len(byTarget))
	}
	for _, tg := range p.Targets {
		e := byTarget[tg.IdentityID]
		wantOutcome := audit.OutcomeOK
		if tg.IdentityID == gone.IdentityID {
			wantOutcome = audit.OutcomeError
		}
		if e.Outcome != wantOutcome || e.Detail != "status=suspended" || len(e.RequestID) != 32 {
			t.Errorf("audit entry for %s = %+v", tg.IdentityID, e)
		}
	}

	env.sb.Faults().SetLatency(0)
	var back []string
	for _, tg := range p.Targets {
		back = append(back, tg.IdentityID)
	}
	up, err := env.engine.Plan(ctx, ActionUnsuspend, IDs(back...))
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Targets) != 14 || up.Destructive != true || up.ConfirmPhrase != "" {
		t.Errorf("unsuspend plan: %d targets, destructive %v, confirm %q", len(up.Targets), up.Destructive, up.ConfirmPhrase)
	}
	res, err = env.runPlan(t, ctx, env.engine, up)
	if err != nil || res.Succeeded != 14 || len(res.Failed) != 0 {
		t.Fatalf("unsuspend: %v, %d succeeded, %d failed", err, res.Succeeded, len(res.Failed))
	}
	for _, id := range up.Targets {
		got, err := env.client.GetIdentity(ctx, id.IdentityID)
		if err != nil || got.Status != client.StatusActive {
			t.Errorf("identity %s after unsuspend: %v, %v", id.IdentityID, got, err)
		}
	}
}

// TestSuspendPauseAndResume pauses a suspend run after a few identities;
// Resume finishes the rest and leaves the done ones alone.
func TestSuspendPauseAndResume(t *testing.T) {
	env := startEnv(t, 120)
	ctx := testContext(t, 30*time.Second)
	p, err := env.engine.Plan(ctx, ActionSuspend, Search(client.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	env.sb.Faults().SetLatency(10 * time.Millisecond)

	runCtx, pause := context.WithCancel(ctx)
	progress := make(chan Progress, 1000)
	go func() {
		for pr := range progress {
			if pr.Succeeded >= 10 {
				pause()
			}
		}
	}()
	j, err := CreateJournal(env.dir, p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.engine.Execute(runCtx, p, j, progress)
	j.Close()
	close(progress)
	if err != nil {
		t.Fatalf("paused Execute: %v", err)
	}
	if !res.Paused || res.Succeeded < 10 || res.Succeeded+res.Remaining != len(p.Targets) || res.InFlight != 0 {
		t.Fatalf("paused: paused %v, %d succeeded, %d remaining, %d in flight of %d",
			res.Paused, res.Succeeded, res.Remaining, res.InFlight, len(p.Targets))
	}
	if res.Remaining == 0 {
		t.Fatal("the pause came too late to leave anything for Resume")
	}
	doneBefore := env.api.n("UpdateIdentity")
	if doneBefore != res.Succeeded {
		t.Errorf("%d updates sent but %d recorded: the pause lost an in-flight outcome", doneBefore, res.Succeeded)
	}

	rp, rj, err := env.engine.Resume(ctx, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rj.Close()
	if len(rp.Targets) != res.Remaining {
		t.Errorf("resumed plan has %d targets, want the %d remaining", len(rp.Targets), res.Remaining)
	}
	res, err = env.engine.Execute(ctx, rp, rj, nil)
	if err != nil || !res.Finished || res.Succeeded != len(p.Targets) {
		t.Fatalf("resumed: %v, finished %v, %d succeeded of %d", err, res.Finished, res.Succeeded, len(p.Targets))
	}
	if n := env.api.n("UpdateIdentity"); n != len(p.Targets) {
		t.Errorf("%d UpdateIdentity calls in total, want one per target (%d)", n, len(p.Targets))
	}
}

// TestSuspendStopsOnRejectedToken: a token without identities:update makes
// every update fail alike, so the run stops at once and stays resumable.
func TestSuspendStopsOnRejectedToken(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	p, err := env.engine.Plan(ctx, ActionSuspend, Search(client.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	weak, err := client.New(client.Options{
		BaseURL: env.info.APIBaseURL, TenantID: env.info.TenantID, RealmID: env.info.RealmID,
		Token: client.StaticToken(env.sb.MintToken([]string{"identities:read", "realms:read"}, time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.runPlan(t, ctx, env.newEngine(weak), p)
	if !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("Execute with a read-only token = %v, want a forbidden error", err)
	}
	if !res.Paused || res.Succeeded != 0 || len(res.Failed) != 0 || res.Remaining != len(p.Targets) {
		t.Errorf("result: paused %v, %d succeeded, %d failed, %d remaining; want everything left for Resume",
			res.Paused, res.Succeeded, len(res.Failed), res.Remaining)
	}
	data, err := os.ReadFile(res.Path)
	if err != nil || !strings.Contains(string(data), `"kind":"pause"`) || !strings.Contains(string(data), "identities:update") {
		t.Errorf("journal does not record why the run stopped: %v\n%s", err, data)
	}
}

// TestDeleteInChunks deletes 20 identities 7 at a time. Two of the first
// chunk are deleted by someone else after planning: the service rejects
// that chunk with 404 naming them, and the run records them and deletes
// the other five.
func TestDeleteInChunks(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	env.engine.batchSize = 7
	var ids []string
	for _, id := range env.allIdentities(t, ctx)[:20] {
		ids = append(ids, id.ID)
	}
	p, err := env.engine.Plan(ctx, ActionDelete, IDs(ids...))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Destructive || p.ConfirmPhrase != "Demo Realm" || len(p.Targets) != 20 {
		t.Fatalf("delete plan: destructive %v, confirm %q, %d targets", p.Destructive, p.ConfirmPhrase, len(p.Targets))
	}
	if err := env.client.BatchDeleteIdentities(ctx, []string{ids[1], ids[3]}); err != nil {
		t.Fatal(err)
	}

	res, err := env.runPlan(t, ctx, env.engine, p)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if res.Succeeded != 18 || len(res.Failed) != 2 || !res.Finished {
		t.Fatalf("result %d succeeded, %d failed, finished %v; want 18 and 2", res.Succeeded, len(res.Failed), res.Finished)
	}
	for i, f := range res.Failed {
		if f.IdentityID != []string{ids[1], ids[3]}[i] || f.Status != 404 || f.Reason != "identities not found" || f.RequestID == "" {
			t.Errorf("failure %d = %+v", i, f)
		}
	}
	calls := env.api.deleteIDs
	want := [][]string{ids[0:7], append([]string{ids[0], ids[2]}, ids[4:7]...), ids[7:14], ids[14:20]}
	if len(calls) != len(want) {
		t.Fatalf("BatchDeleteIdentities calls = %v, want %v", calls, want)
	}
	for i := range want {
		if !slices.Equal(calls[i], want[i]) {
			t.Errorf("call %d deleted %v, want %v", i+1, calls[i], want[i])
		}
	}
	for _, id := range ids {
		if _, err := env.client.GetIdentity(ctx, id); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("identity %s still exists: %v", id, err)
		}
	}
}

// TestDeleteResumeAfterLostResponse: a chunk is deleted but the response
// is lost. Resume sends the chunk again and counts the identities it no
// longer finds as deleted.
func TestDeleteResumeAfterLostResponse(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	env.engine.batchSize = 5
	var ids []string
	for _, id := range env.allIdentities(t, ctx)[:12] {
		ids = append(ids, id.ID)
	}
	p, err := env.engine.Plan(ctx, ActionDelete, IDs(ids...))
	if err != nil {
		t.Fatal(err)
	}
	lossy := env.newEngine(&lostDelete{API: env.client, loseCall: 2})
	lossy.batchSize = 5
	res, err := env.runPlan(t, ctx, lossy, p)
	if err == nil {
		t.Fatal("Execute succeeded although a response was lost")
	}
	if res.Succeeded != 5 || res.InFlight != 5 || res.Remaining != 2 {
		t.Fatalf("stopped: %d succeeded, %d in flight, %d remaining; want 5, 5, 2", res.Succeeded, res.InFlight, res.Remaining)
	}

	rp, rj, err := env.engine.Resume(ctx, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rj.Close()
	if len(rp.Targets) != 2 || len(rp.Skipped) != 5 {
		t.Errorf("resumed plan: %d targets, %d skipped; want the 2 not started and the 5 already gone", len(rp.Targets), len(rp.Skipped))
	}
	res, err = env.engine.Execute(ctx, rp, rj, nil)
	if err != nil || !res.Finished || res.Succeeded != 12 || len(res.Failed) != 0 || len(res.RunSkipped) != 0 {
		t.Fatalf("resumed: %v, finished %v, %d succeeded, %d failed, %d skipped; want all 12 deleted",
			err, res.Finished, res.Succeeded, len(res.Failed), len(res.RunSkipped))
	}
}

// lostDelete deletes on call loseCall but reports a network error.
type lostDelete struct {
	client.API
	calls    int
	loseCall int
}

func (l *lostDelete) BatchDeleteIdentities(ctx context.Context, ids []string) error {
	l.calls++
	err := l.API.BatchDeleteIdentities(ctx, ids)
	if l.calls == l.loseCall && err == nil {
		return errors.New("read tcp: connection reset by peer")
	}
	return err
}
