package bulk

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/biadmin/biadmin/client"
)

// delete removes the targets with BatchDeleteIdentities, batchSize at a
// time. A chunk is deleted all or nothing. When it fails with 404 because
// some of its identities do not exist, those are recorded as not found and
// the rest of the chunk is sent once more.
func (r *run) delete(ctx context.Context) error {
	// Identities in an attempt an earlier run left open may already be
	// gone. For them a 404 means that attempt deleted them.
	_, open, _ := r.j.snapshot()
	gone := map[string]bool{}
	for _, a := range open {
		for _, id := range a.IDs {
			gone[id] = true
		}
	}

	for _, ids := range chunks(r.todo(true), r.e.batchSize) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.deleteChunk(ctx, ids, gone); err != nil {
			return err
		}
		r.emit(PhaseDeleting, 0)
	}
	return nil
}

// deleteChunk deletes one chunk and records its outcomes. It returns an
// error only when the run must stop. After a 5xx or no response the
// attempt stays open and Resume sends the chunk again, which is safe:
// identities that the lost call deleted then come back as not found and
// are counted as deleted.
func (r *run) deleteChunk(ctx context.Context, ids []string, gone map[string]bool) error {
	deadline := r.e.now().Add(r.e.opts.QueueWait)
	seq := r.j.nextSeq()
	if err := r.j.write(record{Kind: kindAttempt, Time: r.e.now(), Seq: seq, IDs: ids}, true); err != nil {
		return err
	}
	rec := record{Kind: kindDone, Seq: seq}
	// settle records the chunk's outcomes. The ids in rest succeeded when
	// fail is nil and failed with fail otherwise.
	settle := func(rest []string, requestID string, fail error) error {
		rec.Time = r.e.now()
		rec.RequestID = requestID
		for _, id := range rest {
			if fail == nil {
				rec.IDs = append(rec.IDs, id)
			} else {
				rec.Failures = append(rec.Failures, r.failure(id, fail, requestID))
			}
		}
		return r.j.write(rec, true)
	}

	retried := false
	for try := 0; ; try++ {
		var requestID string
		rctx, cancel := r.e.requestContext(ctx, &requestID)
		err := r.e.api.BatchDeleteIdentities(rctx, ids)
		cancel()
		if err == nil {
			r.e.log.Info("bulk delete chunk deleted", "action_id", r.plan.ID, "identities", len(ids), "request_id", requestID)
			return settle(ids, requestID, nil)
		}

		var apiErr *client.APIError
		switch {
		case errors.Is(err, client.ErrReadOnly):
			_ = r.j.write(record{Kind: kindRejected, Time: r.e.now(), Seq: seq, Reason: err.Error()}, true)
			return err
		case !errors.As(err, &apiErr) || apiErr.Status >= 500:
			return fmt.Errorf("delete %d identities: %w", len(ids), err)
		case apiErr.Status == http.StatusTooManyRequests:
			if werr := r.waitRetry(ctx, apiErr, try, deadline, "delete identities"); werr != nil {
				return werr
			}
		case apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden:
			_ = r.j.write(record{Kind: kindRejected, Time: r.e.now(), Seq: seq, Reason: apiErr.Message, RequestID: apiErr.RequestID}, true)
			return fmt.Errorf("delete %d identities: %w", len(ids), err)
		case apiErr.Status == http.StatusNotFound && len(apiErr.BatchErrors) > 0:
			ids = r.splitNotFound(&rec, ids, apiErr, gone)
			r.e.log.Warn("bulk delete chunk named missing identities", "action_id", r.plan.ID,
				"missing", len(rec.Failures), "rest", len(ids), "request_id", apiErr.RequestID)
			switch {
			case len(ids) == 0:
				return settle(nil, apiErr.RequestID, nil)
			case retried:
				return settle(ids, apiErr.RequestID, fmt.Errorf("not deleted: the batch delete failed twice: %w", err))
			}
			retried = true
		default:
			r.e.log.Warn("bulk delete chunk rejected", "action_id", r.plan.ID, "identities", len(ids), "error", err)
			return settle(ids, apiErr.RequestID, err)
		}
	}
}

// splitNotFound moves the ids that a 404's BatchOperationErrors name out of
// ids and into rec: as deleted when an earlier attempt may have deleted
// them, as failures otherwise. It returns the ids left to delete.
func (r *run) splitNotFound(rec *record, ids []string, apiErr *client.APIError, gone map[string]bool) []string {
	named := map[string]string{}
	for _, be := range apiErr.BatchErrors {
		for _, id := range be.IDs {
			named[id] = be.Description
		}
	}
	var rest []string
	for _, id := range ids {
		desc, missing := named[id]
		switch {
		case !missing:
			rest = append(rest, id)
		case gone[id]:
			rec.IDs = append(rec.IDs, id)
		default:
			if desc == "" {
				desc = ReasonNotFound
			}
			rec.Failures = append(rec.Failures, Failure{
				IdentityID: id, Username: r.usernames[id], Reason: desc,
				Code: apiErr.Code, Status: apiErr.Status, RequestID: apiErr.RequestID,
			})
		}
	}
	return rest
}
