package bulk

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
)

// checkSentOnce fails unless every id got exactly one new email and no one
// else got any.
func checkSentOnce(t *testing.T, sent map[string]int, ids []string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
		if sent[id] != 1 {
			t.Errorf("identity %s got %d emails, want 1", id, sent[id])
		}
	}
	for id, n := range sent {
		if !want[id] {
			t.Errorf("identity %s got %d emails but was not a target", id, n)
		}
	}
}

// checkNoDuplicateSends fails when an identity was in more than one created
// batch.
func checkNoDuplicateSends(t *testing.T, batches [][]string) {
	t.Helper()
	seen := map[string]int{}
	for i, b := range batches {
		for _, id := range b {
			if prev, dup := seen[id]; dup {
				t.Errorf("identity %s was sent in batch %d and again in batch %d", id, prev+1, i+1)
			}
			seen[id] = i
		}
	}
}

// TestSendBatchesUnderQueueLimit sends to every unenrolled identity of a
// realm of 8,000, about 2,400, while the sandbox's batch worker takes 1 ms
// per identity. The service lets a realm have 1,000 queued sends, so the
// second and third batch are rejected with 429 until the first drains.
func TestSendBatchesUnderQueueLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("sends about 2,400 emails through the sandbox; skipped with -short")
	}
	env := startEnv(t, 8000)
	ctx := testContext(t, 2*time.Minute)
	p, err := env.engine.Plan(ctx, ActionSend, Unenrolled())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Targets); n <= 2000 || n > 3000 {
		t.Fatalf("the seed gives %d unenrolled identities to send to; the test needs 2,001 to 3,000 for three batches", n)
	}
	if env.api.n("GetIdentity") != 0 || env.api.n("ListIdentities") != 40 {
		t.Errorf("planning 8,000 identities: %d ListIdentities and %d GetIdentity calls; want 40 pages and no gets",
			env.api.n("ListIdentities"), env.api.n("GetIdentity"))
	}

	env.sb.Faults().SetBatchSendDelay(time.Millisecond)
	before := env.outboxCounts(t)
	progress := make(chan Progress, 1000)
	j, err := CreateJournal(env.dir, p)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	start := time.Now()
	res, err := env.engine.Execute(ctx, p, j, progress)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	t.Logf("sent %d emails in %s; %d batch creations rejected with 429", res.Succeeded, time.Since(start).Round(time.Millisecond), env.api.rejected429)

	if res.Succeeded != len(p.Targets) || len(res.Failed) != 0 || res.InFlight != 0 || res.Remaining != 0 || !res.Finished || res.Paused {
		t.Errorf("result: %d succeeded, %d failed, %d in flight, %d remaining, finished %v, paused %v; want all %d succeeded",
			res.Succeeded, len(res.Failed), res.InFlight, res.Remaining, res.Finished, res.Paused, len(p.Targets))
	}
	if len(env.api.batchIDs) != 3 {
		t.Errorf("%d batch jobs created, want 3", len(env.api.batchIDs))
	}
	for i, b := range env.api.batchIDs {
		if len(b) > 1000 {
			t.Errorf("batch %d has %d identities, more than the API's 1,000", i+1, len(b))
		}
	}
	if env.api.rejected429 == 0 {
		t.Error("no batch was rejected with 429; the queue limit was not exercised")
	}
	checkNoDuplicateSends(t, env.api.batchIDs)
	checkSentOnce(t, env.sentSince(t, before), targetIDs(p))

	close(progress)
	var phases []Phase
	last := Progress{}
	for pr := range progress {
		if len(phases) == 0 || phases[len(phases)-1] != pr.Phase {
			phases = append(phases, pr.Phase)
		}
		if pr.Succeeded < last.Succeeded || pr.Total != len(p.Targets) {
			t.Errorf("progress went from %+v to %+v", last, pr)
		}
		last = pr
	}
	for _, want := range []Phase{PhaseSubmitting, PhaseWaiting, PhasePolling, PhaseDone} {
		if !slices.Contains(phases, want) {
			t.Errorf("progress phases %v lack %s", phases, want)
		}
	}
	if last.Phase != PhaseDone || last.Succeeded != len(p.Targets) || last.Batches != 3 {
		t.Errorf("last progress = %+v", last)
	}
}

// TestSendHonoursRetryAfter makes the first batch call fail with 429 and
// Retry-After: 1 and checks the run waits before sending the same batch
// again.
func TestSendHonoursRetryAfter(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	p, err := env.engine.Plan(ctx, ActionSend, Unenrolled())
	if err != nil {
		t.Fatal(err)
	}
	before := env.outboxCounts(t)
	env.sb.Faults().RateLimit(1, time.Second)

	start := time.Now()
	res, err := env.runPlan(t, ctx, env.engine, p)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("Execute took %s; it must wait the Retry-After of 1 s", elapsed)
	}
	if env.api.rejected429 != 1 || len(env.api.batchIDs) != 1 {
		t.Errorf("%d rejections, %d batches created; want 1 and 1", env.api.rejected429, len(env.api.batchIDs))
	}
	if res.Succeeded != len(p.Targets) || len(res.Failed) != 0 {
		t.Errorf("result %d succeeded, %v failed; want %d succeeded", res.Succeeded, res.Failed, len(p.Targets))
	}
	checkSentOnce(t, env.sentSince(t, before), targetIDs(p))

	data, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"kind":"rejected"`) {
		t.Errorf("journal does not record the rejected attempt:\n%s", data)
	}
}

// TestSendPartialFailure removes the email address of two planned
// identities before the run, as a change made meanwhile by someone else
// would. The batch fails for them and succeeds for the rest.
func TestSendPartialFailure(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	p, err := env.engine.Plan(ctx, ActionSend, Unenrolled())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) < 4 {
		t.Fatalf("only %d targets", len(p.Targets))
	}
	lost := []Target{p.Targets[0], p.Targets[2]}
	for _, tg := range lost {
		env.clearEmail(t, tg.IdentityID)
	}
	before := env.outboxCounts(t)

	res, err := env.runPlan(t, ctx, env.engine, p)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if res.Succeeded != len(p.Targets)-2 || len(res.Failed) != 2 {
		t.Fatalf("result %d succeeded, %d failed; want %d and 2", res.Succeeded, len(res.Failed), len(p.Targets)-2)
	}
	if env.api.n("ListBatchCredentialBindingJobResults") == 0 {
		t.Error("the results of a PARTIAL_SUCCESS batch were not listed")
	}
	for i, f := range res.Failed {
		if f.IdentityID != lost[i].IdentityID || f.Username != lost[i].Username {
			t.Errorf("failure %d is %s (%s), want %s", i, f.IdentityID, f.Username, lost[i].IdentityID)
		}
		if f.Reason != "Identity missing email address" {
			t.Errorf("failure reason = %q, want the batch job's last_error", f.Reason)
		}
		if len(f.RequestID) != 32 {
			t.Errorf("failure request id = %q, want the batch creation's", f.RequestID)
		}
	}
	var sent []string
	for _, tg := range p.Targets[1:] {
		if tg.IdentityID != lost[1].IdentityID {
			sent = append(sent, tg.IdentityID)
		}
	}
	checkSentOnce(t, env.sentSince(t, before), sent)
	if len(res.Header.PlanSkipped) == 0 || res.Header.PlanSkipped[0].Reason == "" {
		t.Errorf("journal header lacks the plan's skips: %+v", res.Header.PlanSkipped)
	}
}

// TestSendEmailFailure: the service creates the jobs but cannot deliver
// any mail, so every job ends FAILED_TO_SEND and the batch FAILED.
func TestSendEmailFailure(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	p, err := env.engine.Plan(ctx, ActionSend, Unenrolled())
	if err != nil {
		t.Fatal(err)
	}
	env.sb.Faults().SetEmailFailure(true)
	res, err := env.runPlan(t, ctx, env.engine, p)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if res.Succeeded != 0 || len(res.Failed) != len(p.Targets) {
		t.Fatalf("result %d succeeded, %d failed; want all %d failed", res.Succeeded, len(res.Failed), len(p.Targets))
	}
	for _, f := range res.Failed {
		if f.Reason == "" || f.RequestID == "" {
			t.Errorf("failure %+v lacks a reason or request id", f)
		}
	}
}

// TestSendPauseAndResume cancels the run after its second batch, cuts the
// journal's last line as a crash would, and resumes. Every target gets
// exactly one email.
func TestSendPauseAndResume(t *testing.T) {
	env := startEnv(t, 150)
	ctx := testContext(t, time.Minute)
	env.engine.batchSize = 10
	p, err := env.engine.Plan(ctx, ActionSend, Search(client.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) < 40 {
		t.Fatalf("only %d targets; the test needs more than 4 batches", len(p.Targets))
	}
	before := env.outboxCounts(t)

	runCtx, pause := context.WithCancel(ctx)
	env.api.afterCreateBatch = func(n int) {
		if n == 2 {
			pause() // as esc in the UI would
		}
	}
	j, err := CreateJournal(env.dir, p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.engine.Execute(runCtx, p, j, nil)
	j.Close()
	if err != nil {
		t.Fatalf("paused Execute returned an error: %v", err)
	}
	if !res.Paused || res.Finished || res.InFlight != 20 || res.Remaining != len(p.Targets)-20 || res.Succeeded != 0 {
		t.Fatalf("paused result: paused %v, finished %v, %d in flight, %d remaining, %d succeeded; want 20 in flight and the rest remaining",
			res.Paused, res.Finished, res.InFlight, res.Remaining, res.Succeeded)
	}
	env.api.afterCreateBatch = nil

	// A crash while writing leaves half a line.
	f, err := os.OpenFile(res.Path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"attempt","time":"2026-01-01T00:00:00Z","seq":99,"ids":["abc`)
	f.Close()

	list, err := ListJournals(env.dir)
	if err != nil || len(list) != 1 || list[0].Err != nil {
		t.Fatalf("ListJournals = %+v, %v", list, err)
	}
	if s := list[0].Result; !s.Paused || !s.Truncated || s.InFlight != 20 || s.Header.Action != ActionSend {
		t.Errorf("journal summary = %+v", s)
	}

	rp, rj, err := env.engine.Resume(ctx, res.Path)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	defer rj.Close()
	if rp.ID != p.ID || rp.InFlight != 20 || len(rp.Targets) != len(p.Targets)-20 {
		t.Errorf("resumed plan: id %s, %d in flight, %d targets; want %s, 20, %d", rp.ID, rp.InFlight, len(rp.Targets), p.ID, len(p.Targets)-20)
	}
	progress := make(chan Progress, 100)
	res, err = env.engine.Execute(ctx, rp, rj, progress)
	if err != nil {
		t.Fatalf("resumed Execute: %v", err)
	}
	if !res.Finished || res.Succeeded != len(p.Targets) || len(res.Failed) != 0 || res.Truncated {
		t.Errorf("after resume: finished %v, %d succeeded, %d failed, truncated %v; want all %d succeeded",
			res.Finished, res.Succeeded, len(res.Failed), res.Truncated, len(p.Targets))
	}
	first := <-progress
	if first.Succeeded != 0 || first.InFlight != 20 || first.Total != len(p.Targets) {
		t.Errorf("first progress after resume = %+v, want the journal's counts", first)
	}
	checkNoDuplicateSends(t, env.api.batchIDs)
	checkSentOnce(t, env.sentSince(t, before), targetIDs(p))
}

// TestSendLostResponse: the service creates a batch but its response is
// lost, and for the next batch the request never arrives. Resume must
// count the first as sent without sending again, and report the second as
// unknown instead of guessing; RetryFailures then sends it once.
func TestSendLostResponse(t *testing.T) {
	env := startEnv(t, 150)
	ctx := testContext(t, time.Minute)
	env.engine.batchSize = 10
	p, err := env.engine.Plan(ctx, ActionSend, Search(client.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	before := env.outboxCounts(t)

	calls := 0
	var mu sync.Mutex
	lostIDs := map[int][]string{}
	env.api.createBatch = func(ctx context.Context, in client.BatchCredentialBindingJobCreate, next func() (*client.BatchCredentialBindingJob, error)) (*client.BatchCredentialBindingJob, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 2: // created, but the response is lost
			if _, err := next(); err != nil {
				return nil, err
			}
			lostIDs[2] = in.IdentityIDs
			return nil, errors.New("read tcp: connection reset by peer")
		case 3: // never arrives
			lostIDs[3] = in.IdentityIDs
			return nil, errors.New("dial tcp: connection refused")
		}
		return next()
	}
	res, err := env.runPlan(t, ctx, env.engine, p)
	if err == nil {
		t.Fatal("Execute succeeded although a batch request got no response")
	}
	if !res.Paused || res.InFlight != 20 {
		t.Fatalf("stopped result: paused %v, %d in flight; want 20 (the first batch awaiting results and the lost one)", res.Paused, res.InFlight)
	}

	// The service creates the lost batch's jobs in the background. Wait
	// for them, as time passing before a resume would.
	deadline := time.Now().Add(10 * time.Second)
	for {
		sent := env.sentSince(t, before)
		if !slices.ContainsFunc(lostIDs[2], func(id string) bool { return sent[id] == 0 }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sandbox did not send the lost batch within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The run stopped at the lost response; let the next run hit the
	// second failure.
	env.api.createBatch = func(ctx context.Context, in client.BatchCredentialBindingJobCreate, next func() (*client.BatchCredentialBindingJob, error)) (*client.BatchCredentialBindingJob, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 3 {
			lostIDs[3] = in.IdentityIDs
			return nil, errors.New("dial tcp: connection refused")
		}
		return next()
	}
	rp, rj, err := env.engine.Resume(ctx, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.engine.Execute(ctx, rp, rj, nil)
	rj.Close()
	if err == nil {
		t.Fatal("second run succeeded although its first batch request got no response")
	}

	env.api.createBatch = nil
	rp, rj, err = env.engine.Resume(ctx, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	res, err = env.engine.Execute(ctx, rp, rj, nil)
	rj.Close()
	if err != nil {
		t.Fatalf("third run: %v", err)
	}
	if !res.Finished || len(res.Failed) != 10 || res.Succeeded != len(p.Targets)-10 {
		t.Fatalf("after reconciling: finished %v, %d succeeded, %d failed; want the 10 of the request that never arrived failed",
			res.Finished, res.Succeeded, len(res.Failed))
	}
	for i, f := range res.Failed {
		if f.IdentityID != lostIDs[3][i] || !strings.HasPrefix(f.Reason, "outcome unknown") {
			t.Errorf("failure %d = %+v, want %s with an unknown outcome", i, f, lostIDs[3][i])
		}
	}
	sent := env.sentSince(t, before)
	for _, id := range lostIDs[2] {
		if sent[id] != 1 {
			t.Errorf("identity %s of the batch whose response was lost got %d emails, want 1", id, sent[id])
		}
	}
	for _, id := range lostIDs[3] {
		if sent[id] != 0 {
			t.Errorf("identity %s of the request that never arrived got %d emails before the retry", id, sent[id])
		}
	}

	retry, err := env.engine.RetryFailures(ctx, res.Path)
	if err != nil {
		t.Fatalf("RetryFailures: %v", err)
	}
	if retry.ID == p.ID || retry.RetryOf != p.ID || !slices.Equal(targetIDs(retry), lostIDs[3]) {
		t.Errorf("retry plan: id %s, retry of %s, targets %v; want a new id retrying %s for %v", retry.ID, retry.RetryOf, targetIDs(retry), p.ID, lostIDs[3])
	}
	rres, err := env.runPlan(t, ctx, env.engine, retry)
	if err != nil || rres.Succeeded != 10 || rres.Header.RetryOf != p.ID {
		t.Fatalf("retry run: %v, %d succeeded, retry of %q", err, rres.Succeeded, rres.Header.RetryOf)
	}
	checkSentOnce(t, env.sentSince(t, before), targetIDs(p))

	// The retry journal has no failures left to retry.
	if _, err := env.engine.RetryFailures(ctx, rres.Path); !errors.Is(err, ErrNothingToRetry) {
		t.Errorf("RetryFailures of a clean journal = %v, want ErrNothingToRetry", err)
	}
}

func TestExecuteRejectsForeignJournal(t *testing.T) {
	env := startEnv(t, 0)
	ctx := testContext(t, 30*time.Second)
	p1, err := env.engine.Plan(ctx, ActionSuspend, IDs(env.allIdentities(t, ctx)[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	p2 := *p1
	p2.ID = p1.ID + "-other"
	j, err := CreateJournal(env.dir, &p2)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := env.engine.Execute(ctx, p1, j, nil); err == nil {
		t.Error("Execute accepted another plan's journal")
	}
	other := New(env.client.WithRealm(env.info.AdminRealmID), Options{})
	if _, err := other.Execute(ctx, &p2, j, nil); err == nil {
		t.Error("Execute ran a plan on another realm")
	}
	if _, _, err := other.Resume(ctx, j.Path()); err == nil || !strings.Contains(err.Error(), "switch to that realm") {
		t.Errorf("Resume on another realm = %v", err)
	}
	if env.api.n("UpdateIdentity") != 0 {
		t.Error("a rejected Execute changed identities")
	}
}
