package bulk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/biadmin/biadmin/client"
)

// reconcileSkew is how far before an interrupted attempt a binding job may
// have been created and still count as that attempt's, to allow for the
// difference between this machine's clock and the service's.
const reconcileSkew = 5 * time.Minute

// send mails enrollment links through batch credential binding jobs: it
// settles attempts an earlier run left open, creates one batch per
// batchSize targets, and then polls every batch until it leaves RUNNING.
func (r *run) send(ctx context.Context) error {
	_, open, _ := r.j.snapshot()
	var jobs []client.CredentialBindingJob // loaded once, for reconciling
	for _, a := range open {
		if a.BatchID != "" {
			continue
		}
		if jobs == nil {
			r.emit(PhaseReconciling, 0)
			var err error
			if jobs, err = collect(client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.CredentialBindingJob], error) {
				return r.e.api.ListCredentialBindingJobs(ctx, "-", client.ListOptions{PageSize: 200, PageToken: token})
			})); err != nil {
				return fmt.Errorf("reconcile interrupted batch requests: list binding jobs: %w", err)
			}
		}
		if err := r.reconcile(a, jobs); err != nil {
			return err
		}
	}

	batches := chunks(r.todo(false), r.e.batchSize)
	r.mu.Lock()
	r.batches = len(batches)
	r.mu.Unlock()
	for i, ids := range batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.mu.Lock()
		r.batch = i + 1
		r.mu.Unlock()
		if err := r.submit(ctx, ids); err != nil {
			return err
		}
	}

	// Poll every batch without results, an earlier run's included.
	_, open, _ = r.j.snapshot()
	for _, a := range open {
		if a.BatchID == "" {
			continue
		}
		if err := r.poll(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// reconcile settles an attempt whose batch request got no response (a
// crash, a network failure or a 5xx), so it is unknown whether the service
// created the batch. A binding job created for an identity since the
// attempt shows its email went out. For the others nothing shows either
// way, and sending again could mail them twice, so they are recorded as
// failures that RetryFailures can send again once someone has checked.
func (r *run) reconcile(a openAttempt, jobs []client.CredentialBindingJob) error {
	since := a.Time.Add(-reconcileSkew)
	sent := map[string]bool{}
	for _, j := range jobs {
		if !j.CreateTime.Before(since) {
			sent[j.IdentityID] = true
		}
	}
	rec := record{Kind: kindDone, Time: r.e.now(), Seq: a.Seq}
	for _, id := range a.IDs {
		if sent[id] {
			rec.IDs = append(rec.IDs, id)
			continue
		}
		rec.Failures = append(rec.Failures, Failure{
			IdentityID: id, Username: r.usernames[id],
			Reason: "outcome unknown: the request that sent this identity's email got no response, and no binding job has appeared for it since; retry if the email did not arrive",
		})
	}
	r.e.log.Info("bulk send reconciled an interrupted batch request", "action_id", r.plan.ID,
		"seq", a.Seq, "sent", len(rec.IDs), "unknown", len(rec.Failures))
	return r.j.write(rec, true)
}

// submit creates one batch credential binding job for ids. A 429 (the
// realm's queue of 1,000 pending sends is full) creates nothing, so the same
// batch is sent again after Retry-After, or after a backoff when the header
// is missing. Any other client error fails the batch's identities.
func (r *run) submit(ctx context.Context, ids []string) error {
	deadline := r.e.now().Add(r.e.opts.QueueWait)
	r.mu.Lock()
	what := fmt.Sprintf("create batch %d of %d", r.batch, r.batches)
	r.mu.Unlock()
	in := client.BatchCredentialBindingJobCreate{
		IdentityIDs: ids,
		JobTemplate: client.BatchJobTemplate{
			AuthenticatorConfigID:  r.plan.Params.AuthenticatorConfigID,
			PostBindingRedirectURI: r.plan.Params.PostBindingRedirectURI,
		},
	}
	for try := 0; ; try++ {
		// The attempt is on disk before the request leaves, so a crash
		// while it is in flight cannot lead to a second send.
		seq := r.j.nextSeq()
		if err := r.j.write(record{Kind: kindAttempt, Time: r.e.now(), Seq: seq, IDs: ids}, true); err != nil {
			return err
		}
		r.emit(PhaseSubmitting, 0)

		var requestID string
		rctx, cancel := r.e.requestContext(ctx, &requestID)
		batch, err := r.e.api.CreateBatchCredentialBindingJob(rctx, in)
		cancel()
		if err == nil {
			r.e.log.Info("bulk send batch created", "action_id", r.plan.ID, "batch_id", batch.ID,
				"identities", len(ids), "request_id", requestID)
			return r.j.write(record{Kind: kindSubmitted, Time: r.e.now(), Seq: seq, BatchID: batch.ID, IDs: ids, RequestID: requestID}, true)
		}

		var apiErr *client.APIError
		switch {
		case errors.Is(err, client.ErrReadOnly):
			_ = r.j.write(record{Kind: kindRejected, Time: r.e.now(), Seq: seq, Reason: err.Error()}, true)
			return err
		case !errors.As(err, &apiErr) || apiErr.Status >= 500:
			// No response, or a server error: the attempt stays open,
			// and Resume reconciles it against the binding jobs.
			return fmt.Errorf("%s: %w", what, err)
		case apiErr.Status == http.StatusTooManyRequests:
			if werr := r.j.write(record{Kind: kindRejected, Time: r.e.now(), Seq: seq, Reason: apiErr.Message, RequestID: apiErr.RequestID}, false); werr != nil {
				return werr
			}
			if werr := r.waitRetry(ctx, apiErr, try, deadline, what); werr != nil {
				return werr
			}
		case apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden:
			_ = r.j.write(record{Kind: kindRejected, Time: r.e.now(), Seq: seq, Reason: apiErr.Message, RequestID: apiErr.RequestID}, true)
			return fmt.Errorf("%s: %w", what, err)
		default:
			r.e.log.Warn("bulk send batch rejected", "action_id", r.plan.ID, "identities", len(ids), "error", err)
			rec := record{Kind: kindDone, Time: r.e.now(), Seq: seq}
			for _, id := range ids {
				rec.Failures = append(rec.Failures, r.failure(id, err, requestID))
			}
			return r.j.write(rec, true)
		}
	}
}

// poll waits for a batch to leave RUNNING and then records its outcomes.
// It polls at once, then after pollStart, doubling up to PollInterval.
func (r *run) poll(ctx context.Context, a openAttempt) error {
	interval := r.e.pollStart
	for {
		var requestID string
		rctx, cancel := r.e.requestContext(ctx, &requestID)
		batch, err := r.e.api.GetBatchCredentialBindingJob(rctx, a.BatchID)
		cancel()
		switch {
		case errors.Is(err, client.ErrNotFound):
			rec := record{Kind: kindDone, Time: r.e.now(), Seq: a.Seq}
			for _, id := range a.IDs {
				f := r.failure(id, err, requestID)
				f.Reason = fmt.Sprintf("outcome unknown: batch job %s was not found (%s)", a.BatchID, f.Reason)
				rec.Failures = append(rec.Failures, f)
			}
			return r.j.write(rec, true)
		case err != nil:
			return fmt.Errorf("poll batch job %s: %w", a.BatchID, err)
		case batch.State != client.BatchRunning:
			return r.collectBatch(ctx, a, batch)
		}
		r.emit(PhasePolling, 0)
		if err := sleep(ctx, interval); err != nil {
			return err
		}
		interval = min(interval*2, r.e.opts.PollInterval)
	}
}

// collectBatch records the outcome of a finished batch. Identities named
// in state_commentary.errors failed with the error given there. Unless the
// batch is SUCCESS, its results are listed as well: a job that ended
// FAILED_TO_SEND is a failure, and so is an identity for which the batch
// created no job at all.
func (r *run) collectBatch(ctx context.Context, a openAttempt, batch *client.BatchCredentialBindingJob) error {
	inBatch := make(map[string]bool, len(a.IDs))
	for _, id := range a.IDs {
		inBatch[id] = true
	}
	reasons := map[string]string{}
	if batch.StateCommentary != nil {
		for id, e := range batch.StateCommentary.Errors {
			if !inBatch[id] {
				continue
			}
			reasons[id] = e.LastError
			if reasons[id] == "" {
				reasons[id] = "the batch job reported an error without a message"
			}
		}
	}
	if batch.State != client.BatchSuccess {
		haveJob := map[string]bool{}
		token := ""
		for {
			rctx, cancel := r.e.requestContext(ctx, new(string))
			page, err := r.e.api.ListBatchCredentialBindingJobResults(rctx, a.BatchID, client.ListOptions{PageSize: 200, PageToken: token})
			cancel()
			if err != nil {
				return fmt.Errorf("list results of batch job %s: %w", a.BatchID, err)
			}
			for _, j := range page.Jobs {
				haveJob[j.IdentityID] = true
				if j.State == client.JobFailedToSend && reasons[j.IdentityID] == "" && inBatch[j.IdentityID] {
					reasons[j.IdentityID] = "the service could not send the email (job " + j.ID + " is FAILED_TO_SEND)"
				}
			}
			if page.NextPageToken == "" || page.NextPageToken == token {
				break
			}
			token = page.NextPageToken
		}
		for _, id := range a.IDs {
			if !haveJob[id] && reasons[id] == "" {
				reasons[id] = fmt.Sprintf("batch job %s ended %s without creating a binding job for this identity", a.BatchID, batch.State)
			}
		}
	}

	rec := record{Kind: kindDone, Time: r.e.now(), Seq: a.Seq, BatchID: a.BatchID, RequestID: a.RequestID}
	for _, id := range a.IDs {
		reason, failed := reasons[id]
		if !failed {
			rec.IDs = append(rec.IDs, id)
			continue
		}
		rec.Failures = append(rec.Failures, Failure{IdentityID: id, Username: r.usernames[id], Reason: reason, RequestID: a.RequestID})
	}
	r.e.log.Info("bulk send batch finished", "action_id", r.plan.ID, "batch_id", a.BatchID, "state", batch.State,
		"sent", len(rec.IDs), "failed", len(rec.Failures))
	if err := r.j.write(rec, true); err != nil {
		return err
	}
	r.emit(PhasePolling, 0)
	return nil
}
