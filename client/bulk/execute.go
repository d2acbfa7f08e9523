package bulk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/biadmin/biadmin/client"
)

// Phase is the step a run is in.
type Phase string

// The phases a run reports.
const (
	PhaseReconciling Phase = "reconciling" // settling requests an earlier run left without an outcome
	PhaseSubmitting  Phase = "submitting"  // creating a batch credential binding job
	PhaseWaiting     Phase = "waiting"     // the realm's send queue is full; Progress.Wait is the time left
	PhasePolling     Phase = "polling"     // waiting for batch jobs to finish
	PhaseUpdating    Phase = "updating"    // suspending or unsuspending identity by identity
	PhaseDeleting    Phase = "deleting"
	PhasePaused      Phase = "paused"  // stopped by the context; Resume continues
	PhaseStopped     Phase = "stopped" // stopped by an error; Resume continues once it is fixed
	PhaseDone        Phase = "done"
)

// Progress is a snapshot of a run. Counts cover the whole journal, so a
// resumed run starts from what earlier runs did.
type Progress struct {
	Phase     Phase
	Total     int // identities the action targets
	Succeeded int
	Failed    int
	Skipped   int // skipped during the run; the plan's own skips are not counted
	InFlight  int // sent, outcome not known yet
	// Batch and Batches number the batch being created, for enrollment
	// emails.
	Batch, Batches int
	// Wait is how long the run waits before trying again, in PhaseWaiting.
	Wait time.Duration
}

// Execute carries out plan and records each step in journal, which must be
// the journal created for plan (CreateJournal) or opened by Resume.
//
// Cancelling ctx pauses the run: the requests in flight finish and their
// outcomes are recorded, no new request starts, and the journal is left
// ready for Resume. A pause is not an error: Execute returns the result
// with Paused set and a nil error. Some errors stop the run: a rejected
// token, a network failure, a full send queue that does not drain within
// QueueWait, or a journal write failure. Execute returns such an error with
// the result, which is also marked Paused so that Resume can continue once
// the cause is fixed.
//
// Progress snapshots are sent to progress without blocking: when its
// buffer is full a snapshot is dropped, so the final state is the returned
// Result, not the last snapshot. progress may be nil; Execute never
// closes it.
func (e *Engine) Execute(ctx context.Context, plan *Plan, journal *Journal, progress chan<- Progress) (*Result, error) {
	h := journal.Header()
	if h.ActionID != plan.ID {
		return nil, fmt.Errorf("execute: journal %s belongs to action %s, not %s", journal.Path(), h.ActionID, plan.ID)
	}
	if h.TenantID != e.api.TenantID() || h.RealmID != e.api.RealmID() {
		return nil, fmt.Errorf("execute: the plan is for realm %s of tenant %s, but the client is bound to realm %s of tenant %s",
			h.RealmID, h.TenantID, e.api.RealmID(), e.api.TenantID())
	}
	r := &run{e: e, plan: plan, j: journal, progress: progress, usernames: map[string]string{}}
	for _, t := range plan.Targets {
		r.usernames[t.IdentityID] = t.Username
	}

	if err := r.start(); err != nil {
		return journal.Result(), err
	}
	var err error
	switch plan.Action {
	case ActionSend:
		r.emit(PhaseSubmitting, 0)
		err = r.send(ctx)
	case ActionSuspend, ActionUnsuspend:
		r.emit(PhaseUpdating, 0)
		err = r.update(ctx)
	case ActionDelete:
		r.emit(PhaseDeleting, 0)
		err = r.delete(ctx)
	default:
		err = fmt.Errorf("execute: unknown action %q", plan.Action)
	}
	return r.finish(ctx, err)
}

// run is one Execute call.
type run struct {
	e         *Engine
	plan      *Plan
	j         *Journal
	progress  chan<- Progress
	usernames map[string]string

	mu             sync.Mutex
	batch, batches int
}

// start records the resume of an earlier run and settles the targets that
// the plan skipped: a resumed plan re-checks each identity, and one that
// is now enrolled or gone is skipped rather than left pending.
func (r *run) start() error {
	_, open, outcome := r.j.snapshot()
	if len(outcome) > 0 || len(open) > 0 || r.j.Result().Paused {
		if err := r.j.write(record{Kind: kindResume, Time: r.e.now()}, false); err != nil {
			return err
		}
	}
	gone := map[string]bool{} // ids an unfinished delete attempt may have deleted
	if r.plan.Action == ActionDelete {
		for _, a := range open {
			for _, id := range a.IDs {
				gone[id] = true
			}
		}
	}
	targets := map[string]bool{}
	for _, id := range r.j.Header().TargetIDs {
		targets[id] = true
	}
	rec := record{Kind: kindDone, Time: r.e.now()}
	for _, s := range r.plan.Skipped {
		if !targets[s.IdentityID] || outcome[s.IdentityID] != "" {
			continue
		}
		if s.Reason == ReasonNotFound && gone[s.IdentityID] {
			rec.IDs = append(rec.IDs, s.IdentityID) // deleted by the earlier attempt
			continue
		}
		rec.Skipped = append(rec.Skipped, briefSkip(s))
	}
	if len(rec.IDs) == 0 && len(rec.Skipped) == 0 {
		return nil
	}
	return r.j.write(rec, false)
}

// finish writes how the run ended and returns the result.
func (r *run) finish(ctx context.Context, runErr error) (*Result, error) {
	paused := ctx.Err() != nil && (runErr == nil || errors.Is(runErr, ctx.Err()))
	res := r.j.Result()
	switch {
	case paused:
		r.e.log.Info("bulk action paused", "action_id", res.Header.ActionID, "succeeded", res.Succeeded,
			"failed", len(res.Failed), "in_flight", res.InFlight, "remaining", res.Remaining)
		runErr = r.j.write(record{Kind: kindPause, Time: r.e.now(), Reason: "paused"}, true)
		r.emit(PhasePaused, 0)
	case runErr != nil:
		r.e.log.Warn("bulk action stopped", "action_id", res.Header.ActionID, "error", runErr)
		if err := r.j.write(record{Kind: kindPause, Time: r.e.now(), Reason: runErr.Error()}, true); err != nil {
			runErr = errors.Join(runErr, err)
		}
		r.emit(PhaseStopped, 0)
	case res.InFlight == 0 && res.Remaining == 0:
		r.e.log.Info("bulk action finished", "action_id", res.Header.ActionID, "succeeded", res.Succeeded, "failed", len(res.Failed))
		runErr = r.j.write(record{Kind: kindFinish, Time: r.e.now()}, true)
		r.emit(PhaseDone, 0)
	default:
		// Targets of the journal that this plan did not cover: only a plan
		// that is not the journal's, or Resume's, gets here.
		runErr = r.j.write(record{Kind: kindPause, Time: r.e.now(), Reason: "the plan did not cover every target"}, true)
		r.emit(PhasePaused, 0)
	}
	return r.j.Result(), runErr
}

// emit sends a snapshot without blocking.
func (r *run) emit(phase Phase, wait time.Duration) {
	if r.progress == nil {
		return
	}
	r.j.mu.Lock()
	ok, failed, skipped, inFlight := r.j.st.counts()
	total := len(r.j.st.header.TargetIDs)
	r.j.mu.Unlock()
	r.mu.Lock()
	batch, batches := r.batch, r.batches
	r.mu.Unlock()
	select {
	case r.progress <- Progress{
		Phase: phase, Total: total, Succeeded: ok, Failed: failed, Skipped: skipped, InFlight: inFlight,
		Batch: batch, Batches: batches, Wait: wait,
	}:
	default:
	}
}

// todo returns the plan's targets that have no outcome yet. Unless
// includeOpen is set, identities in an open attempt are left out too.
func (r *run) todo(includeOpen bool) []string {
	_, open, outcome := r.j.snapshot()
	busy := map[string]bool{}
	if !includeOpen {
		for _, a := range open {
			for _, id := range a.IDs {
				busy[id] = true
			}
		}
	}
	var out []string
	for _, t := range r.plan.Targets {
		if outcome[t.IdentityID] == "" && !busy[t.IdentityID] {
			out = append(out, t.IdentityID)
		}
	}
	return out
}

// failure builds the journal's failure for id from an API error.
func (r *run) failure(id string, err error, requestID string) Failure {
	f := Failure{IdentityID: id, Username: r.usernames[id], Reason: err.Error(), RequestID: requestID}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		f.Reason, f.Code, f.Status = apiErr.Message, apiErr.Code, apiErr.Status
		if apiErr.RequestID != "" {
			f.RequestID = apiErr.RequestID
		}
	}
	return f
}

// stopsRun reports whether err must stop the whole run instead of failing
// one item: the token or profile cannot make changes, or the outcome is
// unknown because no response arrived.
func stopsRun(err error) bool {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		return true
	}
	switch apiErr.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
		return true
	}
	return false
}

// update suspends or unsuspends the targets, Concurrency at a time.
func (r *run) update(ctx context.Context) error {
	status := client.StatusSuspended
	if r.plan.Action == ActionUnsuspend {
		status = client.StatusActive
	}
	todo := r.todo(true)

	var (
		mu   sync.Mutex
		next int
		stop error
		wg   sync.WaitGroup
	)
	take := func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stop != nil || ctx.Err() != nil || next == len(todo) {
			return "", false
		}
		next++
		return todo[next-1], true
	}
	halt := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if stop == nil {
			stop = err
		}
	}
	for range min(r.e.opts.Concurrency, len(todo)) {
		wg.Go(func() {
			for {
				id, ok := take()
				if !ok {
					return
				}
				if err := r.updateOne(ctx, id, status); err != nil {
					halt(err)
					return
				}
				r.emit(PhaseUpdating, 0)
			}
		})
	}
	wg.Wait()
	if stop != nil {
		return stop
	}
	return ctx.Err()
}

// updateOne sets one identity's status and records the outcome. It returns
// an error only when the run must stop. The identity is then left without
// an outcome, so Resume updates it again, which is safe because the update
// is idempotent.
func (r *run) updateOne(ctx context.Context, id, status string) error {
	var requestID string
	rctx, cancel := r.e.requestContext(ctx, &requestID)
	_, err := r.e.api.UpdateIdentity(rctx, id, client.IdentityPatch{Status: &status})
	cancel()
	if err != nil && stopsRun(err) {
		return fmt.Errorf("update identity %s: %w", id, err)
	}
	rec := record{Kind: kindDone, Time: r.e.now(), RequestID: requestID}
	if err != nil {
		r.e.log.Warn("bulk update failed", "action_id", r.plan.ID, "identity_id", id, "request_id", requestID, "error", err)
		rec.Failures = []Failure{r.failure(id, err, requestID)}
	} else {
		rec.IDs = []string{id}
	}
	return r.j.write(rec, false)
}

// chunks splits ids into slices of at most n.
func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k:k])
		ids = ids[k:]
	}
	return out
}

// queueBackoff is the wait before retry number try (0-based) of a call
// rejected with 429 and no Retry-After.
func queueBackoff(try int) time.Duration {
	return min(time.Second<<min(try, 5), 30*time.Second)
}

// waitRetry waits out a 429 on a batch call, up to the deadline. It
// returns ctx's error on a pause and an error when the deadline passes.
func (r *run) waitRetry(ctx context.Context, apiErr *client.APIError, try int, deadline time.Time, what string) error {
	wait := apiErr.RetryAfter
	if wait <= 0 {
		wait = queueBackoff(try)
	}
	if r.e.now().Add(wait).After(deadline) {
		return fmt.Errorf("%s: still rejected with 429 after %s (%s); resume later", what, r.e.opts.QueueWait, apiErr.Message)
	}
	r.e.log.Info("bulk batch rejected with 429, waiting", "action_id", r.plan.ID, "call", what,
		"wait", wait, "request_id", apiErr.RequestID, slog.Int("try", try+1))
	r.emit(PhaseWaiting, wait)
	return sleep(ctx, wait)
}
