// Package bulk runs the support desk's bulk work on a realm's identities:
// sending enrollment emails, suspending, unsuspending and deleting. It has
// no UI. A screen gets a Plan from the Engine (who will be changed, who
// will be skipped and why) and shows it. It then runs the plan with
// Execute, which reports progress, pauses when its context is cancelled,
// and records every outcome in a journal file. A crash or a pause can then
// be resumed without acting on anyone twice.
//
// Every request goes through the client.API the Engine was given, so
// wrapping it with audit.Wrap records each change in the audit log.
package bulk

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
)

// Action is a bulk operation on identities.
type Action string

// The actions. The values are written to journals, so they must not change.
const (
	// ActionSend sends an enrollment (credential binding) email through
	// the batch credential binding job API.
	ActionSend      Action = "send-enrollment"
	ActionSuspend   Action = "suspend"
	ActionUnsuspend Action = "unsuspend"
	ActionDelete    Action = "delete"
)

// Valid reports whether a is one of the actions above.
func (a Action) Valid() bool {
	switch a {
	case ActionSend, ActionSuspend, ActionUnsuspend, ActionDelete:
		return true
	}
	return false
}

// Verb returns the action as a lower-case phrase for messages, such as
// "send an enrollment email to".
func (a Action) Verb() string {
	switch a {
	case ActionSend:
		return "send an enrollment email to"
	case ActionSuspend:
		return "suspend"
	case ActionUnsuspend:
		return "unsuspend"
	case ActionDelete:
		return "delete"
	}
	return string(a)
}

// Set names how the targets of a plan are chosen.
type Set string

// The target sets.
const (
	// SetIDs is an explicit list of identity ids, such as the rows
	// selected in the identity list.
	SetIDs Set = "ids"
	// SetSearch is every identity matching a list filter; the zero
	// filter matches the whole realm.
	SetSearch Set = "search"
	// SetUnenrolled is every identity of the realm that is neither
	// enrolled nor waiting on a live invitation: enrollment_status
	// UNENROLLED or INVITE_FAILED.
	SetUnenrolled Set = "unenrolled"
	// SetUnenrolledInGroup is SetUnenrolled limited to one group's
	// members.
	SetUnenrolledInGroup Set = "unenrolled-in-group"
	// SetJobsExpiredOrFailed is every identity whose latest binding job
	// is EXPIRED or FAILED_TO_SEND and that has neither an ACTIVE
	// credential nor a live job.
	SetJobsExpiredOrFailed Set = "jobs-expired-or-failed"
)

// Targets chooses the identities of a plan. Build it with IDs, Search,
// Unenrolled, UnenrolledInGroup or JobsExpiredOrFailed.
type Targets struct {
	Set     Set
	IDs     []string      // for SetIDs
	Filter  client.Filter // for SetSearch
	GroupID string        // for SetUnenrolledInGroup
}

// IDs targets the listed identities. Duplicates are dropped; the first
// occurrence keeps its place.
func IDs(ids ...string) Targets { return Targets{Set: SetIDs, IDs: ids} }

// Search targets every identity that the identity list shows for filter.
func Search(filter client.Filter) Targets { return Targets{Set: SetSearch, Filter: filter} }

// Unenrolled targets every unenrolled identity of the realm.
func Unenrolled() Targets { return Targets{Set: SetUnenrolled} }

// UnenrolledInGroup targets the unenrolled members of a group.
func UnenrolledInGroup(groupID string) Targets {
	return Targets{Set: SetUnenrolledInGroup, GroupID: groupID}
}

// JobsExpiredOrFailed targets identities whose invitation expired or could
// not be sent and that have nothing newer.
func JobsExpiredOrFailed() Targets { return Targets{Set: SetJobsExpiredOrFailed} }

// Describe returns the set in words, for the plan screen and the journal.
func (t Targets) Describe() string {
	switch t.Set {
	case SetIDs:
		return fmt.Sprintf("%d selected identities", len(t.IDs))
	case SetSearch:
		if t.Filter.IsZero() {
			return "every identity in the realm"
		}
		return "identities matching " + t.Filter.String()
	case SetUnenrolled:
		return "all unenrolled identities in the realm"
	case SetUnenrolledInGroup:
		return "all unenrolled identities in group " + t.GroupID
	case SetJobsExpiredOrFailed:
		return "identities whose enrollment link expired or failed to send"
	}
	return string(t.Set)
}

// Options configures an Engine. Zero values select the defaults.
type Options struct {
	// Profile is the config profile's name, written to journals.
	Profile string
	// AuthenticatorConfigID and PostBindingRedirectURI go into the job
	// template of enrollment emails. When AuthenticatorConfigID is empty
	// and the realm has exactly one authenticator config, Plan uses it.
	AuthenticatorConfigID  string
	PostBindingRedirectURI string
	// Concurrency is how many per-identity requests (suspend, unsuspend,
	// identity look-ups) run at once; default 4.
	Concurrency int
	// PollInterval is the longest wait between two polls of a running
	// batch. The first poll follows the create at once, and the waits
	// start at 200 ms and double up to PollInterval. Default 5 s.
	PollInterval time.Duration
	// QueueWait bounds how long one batch may keep being rejected with
	// 429 because the realm's send queue is full. After that the run
	// stops and can be resumed later. Default 15 minutes.
	QueueWait time.Duration
	// RequestTimeout bounds each request. It is the only bound, because
	// a pause lets the request in flight finish instead of cancelling it.
	// Default 2 minutes.
	RequestTimeout time.Duration
	// Logger receives the run's starts, stops, retries and failures;
	// nil discards.
	Logger *slog.Logger
}

// Engine plans and runs bulk actions on the realm of its API. It is safe
// for concurrent use, but two runs of the same journal must not overlap.
type Engine struct {
	api  client.API
	opts Options
	log  *slog.Logger

	// batchSize is the most identities per batch call; the API allows
	// 1000. Tests lower it to exercise splitting with fewer identities.
	batchSize int
	pollStart time.Duration
	now       func() time.Time
}

// maxBatch is the most ids one batch call accepts, for both
// CreateBatchCredentialBindingJob and BatchDeleteIdentities.
const maxBatch = 1000

// New returns an engine that acts on api's tenant and realm.
func New(api client.API, opts Options) *Engine {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = 15 * time.Minute
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 2 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		api: api, opts: opts, log: log,
		batchSize: maxBatch, pollStart: 200 * time.Millisecond, now: time.Now,
	}
}

// DefaultJournalDir returns the journal directory under the user's state
// directory. Callers create journals there with CreateJournal.
func DefaultJournalDir() (string, error) {
	dir, err := config.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "journal"), nil
}

// requestContext returns the context for one request. It is detached from
// the run's cancellation, so that a pause lets the request finish and its
// outcome be recorded. RequestTimeout bounds it, and the response's request
// id is stored into *requestID.
func (e *Engine) requestContext(ctx context.Context, requestID *string) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.RequestTimeout)
	return client.WithRequestIDRecorder(rctx, requestID), cancel
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
