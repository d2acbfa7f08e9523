package bulk

import (
	"context"
	"errors"
	"fmt"
)

// ErrNothingToRetry is returned by RetryFailures for a journal without
// failures.
var ErrNothingToRetry = errors.New("the action has no failures to retry")

// Resume reopens the journal at path after a pause, crash or restart and
// returns a plan for what is left, with the journal open for Execute. It
// uses the journal's action and parameters, not the engine's options.
//
// The plan re-reads the identities that were not started and applies the
// action's skip rules again, so one that has enrolled or been deleted in the
// meantime is skipped. Identities whose request was already sent are not
// targets: Execute collects the results of their batch, or reconciles them
// against the binding jobs, instead of sending twice. A delete chunk whose
// outcome is unknown is the exception. It is a target again, because
// deleting twice is harmless.
func (e *Engine) Resume(ctx context.Context, path string) (*Plan, *Journal, error) {
	j, err := OpenJournal(path)
	if err != nil {
		return nil, nil, err
	}
	h := j.Header()
	if err := e.checkRealm(h); err != nil {
		j.Close()
		return nil, nil, err
	}

	j.mu.Lock()
	inFlight, notStarted := j.st.pending()
	j.mu.Unlock()
	ids := notStarted
	if h.Action == ActionDelete {
		ids = append(inFlight, notStarted...)
		inFlight = nil
	}

	p, err := e.plan(ctx, h.Action, IDs(ids...), h.Params)
	if err != nil {
		j.Close()
		return nil, nil, fmt.Errorf("resume %s: %w", h.ActionID, err)
	}
	p.ID, p.Source, p.Created, p.RetryOf, p.Profile = h.ActionID, h.Source, h.Created, h.RetryOf, h.Profile
	p.InFlight = len(inFlight)
	return p, j, nil
}

// RetryFailures returns a new plan, with a new action id, for the
// identities that failed in the journal at path. It uses the journal's
// action and parameters, and the action's skip rules apply again.
func (e *Engine) RetryFailures(ctx context.Context, path string) (*Plan, error) {
	res, err := ReadJournal(path)
	if err != nil {
		return nil, err
	}
	h := res.Header
	if err := e.checkRealm(h); err != nil {
		return nil, err
	}
	if len(res.Failed) == 0 {
		return nil, fmt.Errorf("retry %s: %w", h.ActionID, ErrNothingToRetry)
	}
	ids := make([]string, 0, len(res.Failed))
	for _, f := range res.Failed {
		ids = append(ids, f.IdentityID)
	}
	p, err := e.plan(ctx, h.Action, IDs(ids...), h.Params)
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", h.ActionID, err)
	}
	p.RetryOf = h.ActionID
	p.Source = fmt.Sprintf("the %d failures of %s", len(ids), h.ActionID)
	return p, nil
}

func (e *Engine) checkRealm(h Header) error {
	if h.TenantID != e.api.TenantID() || h.RealmID != e.api.RealmID() {
		return fmt.Errorf("journal %s is for realm %s (%s) of tenant %s, but the console is on realm %s of tenant %s: switch to that realm first",
			h.ActionID, h.RealmID, h.RealmName, h.TenantID, e.api.RealmID(), e.api.TenantID())
	}
	return nil
}
