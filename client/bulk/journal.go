package bulk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// A journal is a JSON lines file, <action id>.jsonl: a header line with the
// plan, then one line per step. Each line is written with a single write on
// a file opened with O_APPEND, so a crash can cut at most the last line,
// which readers skip and OpenJournal removes before appending.
//
// Steps that would be unsafe to repeat are written as an "attempt" before
// the request goes out (and synced to disk), then closed by "submitted",
// "rejected" or "done". An attempt left open by a crash marks a request
// whose outcome is unknown, which Resume must settle.

const journalVersion = 1

// Record kinds.
const (
	kindHeader    = "header"
	kindAttempt   = "attempt"   // a request for IDs is about to go out
	kindSubmitted = "submitted" // a batch job was created for IDs; its results are pending
	kindRejected  = "rejected"  // the attempt had no effect (429), so IDs are still to do
	kindDone      = "done"      // final outcomes: IDs succeeded, Failures failed, Skipped skipped
	kindPause     = "pause"
	kindResume    = "resume"
	kindFinish    = "finish"
)

// Header is the first line of a journal: the plan being carried out.
type Header struct {
	Kind      string    `json:"kind"`
	Version   int       `json:"version"`
	ActionID  string    `json:"action_id"`
	Action    Action    `json:"action"`
	TenantID  string    `json:"tenant_id"`
	RealmID   string    `json:"realm_id"`
	RealmName string    `json:"realm_name,omitempty"`
	Profile   string    `json:"profile,omitempty"`
	Created   time.Time `json:"created"`
	Source    string    `json:"source,omitempty"`
	RetryOf   string    `json:"retry_of,omitempty"`
	Params    Params    `json:"params"`
	// TargetIDs are the identities the plan acts on.
	TargetIDs []string `json:"target_ids"`
	// PlanSkipped are the identities the plan skipped, with the reason;
	// only the id, username and reason are kept.
	PlanSkipped []Skip `json:"plan_skipped,omitempty"`
}

// Failure is an identity the action failed for.
type Failure struct {
	IdentityID string `json:"identity_id"`
	Username   string `json:"username,omitempty"`
	// Reason is the API's error message, or the batch job's last_error
	// for an email the service could not send.
	Reason    string `json:"reason"`
	Code      string `json:"code,omitempty"`   // the API's error code, e.g. "not_found"
	Status    int    `json:"status,omitempty"` // HTTP status
	RequestID string `json:"request_id,omitempty"`
}

// record is one journal line after the header.
type record struct {
	Kind      string    `json:"kind"`
	Time      time.Time `json:"time"`
	Seq       int       `json:"seq,omitempty"` // links an attempt to what closes it
	BatchID   string    `json:"batch_id,omitempty"`
	IDs       []string  `json:"ids,omitempty"`
	Failures  []Failure `json:"failures,omitempty"`
	Skipped   []Skip    `json:"skipped,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
}

// openAttempt is an attempt or a submitted batch without final outcomes.
type openAttempt struct {
	Seq       int
	Time      time.Time
	IDs       []string
	BatchID   string // set once submitted
	RequestID string
}

// journalState is the sum of a journal's lines.
type journalState struct {
	header   Header
	targets  map[string]bool
	outcome  map[string]string // identity → "ok", "failed" or "skipped"
	ok       int
	failures []Failure
	skipped  []Skip
	open     map[int]*openAttempt
	maxSeq   int
	paused   bool
	finished bool
	updated  time.Time
	// truncated reports that the last line was cut by a crash.
	truncated bool
}

func newState(h Header) *journalState {
	st := &journalState{
		header: h, targets: make(map[string]bool, len(h.TargetIDs)),
		outcome: map[string]string{}, open: map[int]*openAttempt{}, updated: h.Created,
	}
	for _, id := range h.TargetIDs {
		st.targets[id] = true
	}
	return st
}

// apply adds one record. An identity keeps its first outcome.
func (st *journalState) apply(r record) {
	st.maxSeq = max(st.maxSeq, r.Seq)
	if r.Time.After(st.updated) {
		st.updated = r.Time
	}
	switch r.Kind {
	case kindAttempt:
		st.open[r.Seq] = &openAttempt{Seq: r.Seq, Time: r.Time, IDs: r.IDs}
	case kindSubmitted:
		st.open[r.Seq] = &openAttempt{Seq: r.Seq, Time: r.Time, IDs: r.IDs, BatchID: r.BatchID, RequestID: r.RequestID}
	case kindRejected:
		delete(st.open, r.Seq)
	case kindDone:
		if r.Seq != 0 {
			delete(st.open, r.Seq)
		}
		for _, id := range r.IDs {
			if st.settle(id, "ok") {
				st.ok++
			}
		}
		for _, f := range r.Failures {
			if st.settle(f.IdentityID, "failed") {
				st.failures = append(st.failures, f)
			}
		}
		for _, s := range r.Skipped {
			if st.settle(s.IdentityID, "skipped") {
				st.skipped = append(st.skipped, s)
			}
		}
	case kindPause:
		st.paused = true
	case kindResume:
		st.paused = false
	case kindFinish:
		st.paused, st.finished = false, true
	}
}

func (st *journalState) settle(id, outcome string) bool {
	if !st.targets[id] || st.outcome[id] != "" {
		return false
	}
	st.outcome[id] = outcome
	return true
}

// inFlight returns the open attempts in sequence order, leaving out those
// whose identities all have an outcome (a delete attempt that a resumed
// run sent again under a new sequence number).
func (st *journalState) inFlight() []openAttempt {
	var out []openAttempt
	for _, a := range st.open {
		if !slices.ContainsFunc(a.IDs, func(id string) bool { return st.outcome[id] == "" }) {
			continue
		}
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b openAttempt) int { return a.Seq - b.Seq })
	return out
}

// pending returns the target ids with no outcome, split into those in an
// open attempt and those not started, both in target order.
func (st *journalState) pending() (inFlight, notStarted []string) {
	busy := map[string]bool{}
	for _, a := range st.open {
		for _, id := range a.IDs {
			busy[id] = true
		}
	}
	for _, id := range st.header.TargetIDs {
		switch {
		case st.outcome[id] != "":
		case busy[id]:
			inFlight = append(inFlight, id)
		default:
			notStarted = append(notStarted, id)
		}
	}
	return inFlight, notStarted
}

// counts returns the outcome counts and the identities in flight, without
// the copying that result does.
func (st *journalState) counts() (ok, failed, skipped, inFlight int) {
	busy := map[string]bool{}
	for _, a := range st.open {
		for _, id := range a.IDs {
			if st.outcome[id] == "" {
				busy[id] = true
			}
		}
	}
	return st.ok, len(st.failures), len(st.skipped), len(busy)
}

// Result is the state of a bulk action as its journal records it. The
// header's targets split into Succeeded, Failed, RunSkipped, InFlight and
// Remaining.
type Result struct {
	Header Header
	Path   string // the journal file
	// Succeeded counts identities the action succeeded for.
	Succeeded int
	// Failed lists each identity the action failed for, with the reason.
	Failed []Failure
	// RunSkipped lists targets skipped during the run, such as those a
	// resumed plan found already enrolled or deleted. The plan's own
	// skips are in Header.PlanSkipped.
	RunSkipped []Skip
	// InFlight counts identities whose request went out without a
	// recorded outcome: a batch awaiting results, or an attempt cut off
	// by a pause, crash or error. Resume settles them without sending
	// twice.
	InFlight int
	// Remaining counts identities not started yet.
	Remaining int
	// Paused is set when the last run stopped before the end, by a pause
	// or an error; Resume continues it.
	Paused    bool
	Finished  bool
	Truncated bool // the last line was cut by a crash and is ignored
	Updated   time.Time
}

// Total returns how many identities the action targets.
func (r *Result) Total() int { return len(r.Header.TargetIDs) }

func (st *journalState) result(path string) *Result {
	inFlight, notStarted := st.pending()
	return &Result{
		Header: st.header, Path: path,
		Succeeded: st.ok, Failed: slices.Clone(st.failures), RunSkipped: slices.Clone(st.skipped),
		InFlight: len(inFlight), Remaining: len(notStarted),
		Paused: st.paused, Finished: st.finished, Truncated: st.truncated, Updated: st.updated,
	}
}

// Journal is an open journal file. Its methods are safe for concurrent
// use.
type Journal struct {
	path string

	mu     sync.Mutex
	f      *os.File
	st     *journalState
	closed bool
}

// actionIDPattern keeps action ids usable as file names.
var actionIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CreateJournal creates dir (mode 0700) when needed and a new journal for
// plan in it (mode 0600), and writes the header.
func CreateJournal(dir string, plan *Plan) (*Journal, error) {
	if !actionIDPattern.MatchString(plan.ID) || strings.Contains(plan.ID, "..") {
		return nil, fmt.Errorf("create journal: invalid action id %q", plan.ID)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}
	h := Header{
		Kind: kindHeader, Version: journalVersion, ActionID: plan.ID, Action: plan.Action,
		TenantID: plan.TenantID, RealmID: plan.RealmID, RealmName: plan.RealmName, Profile: plan.Profile,
		Created: plan.Created.UTC(), Source: plan.Source, RetryOf: plan.RetryOf, Params: plan.Params,
		TargetIDs: make([]string, 0, len(plan.Targets)),
	}
	for _, t := range plan.Targets {
		h.TargetIDs = append(h.TargetIDs, t.IdentityID)
	}
	for _, s := range plan.Skipped {
		h.PlanSkipped = append(h.PlanSkipped, briefSkip(s))
	}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode journal header: %w", err)
	}

	path := filepath.Join(dir, plan.ID+".jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("write journal %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write journal %s: %w", path, err)
	}
	return &Journal{path: path, f: f, st: newState(h)}, nil
}

// briefSkip keeps what a journal needs of a skip: no email or status.
func briefSkip(s Skip) Skip {
	return Skip{Target: Target{IdentityID: s.IdentityID, Username: s.Username}, Reason: s.Reason}
}

// OpenJournal opens an existing journal for appending, as Resume does. A
// last line cut by a crash is removed first.
func OpenJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	st, validLen, err := parseJournal(data)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	switch {
	case validLen < len(data):
		err = f.Truncate(int64(validLen))
	case len(data) > 0 && data[len(data)-1] != '\n':
		// The last record is whole but its newline was not written.
		_, err = f.Write([]byte{'\n'})
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("repair journal %s: %w", path, err)
	}
	st.truncated = false // the cut line is gone from the file
	return &Journal{path: path, f: f, st: st}, nil
}

// ReadJournal returns the state of the journal at path without opening it
// for writing.
func ReadJournal(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	st, _, err := parseJournal(data)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return st.result(path), nil
}

// parseJournal reads a journal's lines. It returns the state and the
// length of the data up to the end of the last whole record. A last line
// that does not parse counts as cut by a crash and is left out.
func parseJournal(data []byte) (*journalState, int, error) {
	var st *journalState
	offset := 0
	for lineNo := 1; offset < len(data); lineNo++ {
		end := bytes.IndexByte(data[offset:], '\n')
		last := end < 0
		if last {
			end = len(data) - offset
		}
		line := bytes.TrimSpace(data[offset : offset+end])
		next := offset + end + 1

		if len(line) == 0 {
			offset = next
			continue
		}
		var err error
		if st == nil {
			var h Header
			if err = json.Unmarshal(line, &h); err == nil {
				switch {
				case h.Kind != kindHeader:
					return nil, 0, errors.New("line 1 is not a journal header")
				case h.Version != journalVersion:
					return nil, 0, fmt.Errorf("journal version %d is not supported (want %d)", h.Version, journalVersion)
				case !h.Action.Valid():
					return nil, 0, fmt.Errorf("unknown action %q", h.Action)
				}
				st = newState(h)
			}
		} else {
			var r record
			if err = json.Unmarshal(line, &r); err == nil {
				st.apply(r)
			}
		}
		if err != nil {
			if last && st != nil {
				st.truncated = true
				return st, offset, nil
			}
			return nil, 0, fmt.Errorf("line %d is not valid JSON: %w", lineNo, err)
		}
		offset = min(next, len(data))
	}
	if st == nil {
		return nil, 0, errors.New("the journal is empty")
	}
	return st, len(data), nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Header returns the journal's header.
func (j *Journal) Header() Header {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st.header
}

// Result returns the action's state as recorded so far.
func (j *Journal) Result() *Result {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st.result(j.path)
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	return j.f.Close()
}

// nextSeq reserves a sequence number for an attempt.
func (j *Journal) nextSeq() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.st.maxSeq++
	return j.st.maxSeq
}

// write appends r as one line and applies it to the state. durable syncs
// the file, for records that must survive a power loss.
func (j *Journal) write(r record, durable bool) error {
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode journal record: %w", err)
	}
	line = append(line, '\n')

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("write journal %s: the journal is closed", j.path)
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("write journal %s: %w", j.path, err)
	}
	if durable {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("sync journal %s: %w", j.path, err)
		}
	}
	j.st.apply(r)
	return nil
}

// snapshot returns copies of what a run needs to decide its next steps.
func (j *Journal) snapshot() (h Header, open []openAttempt, outcome map[string]string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st.header, j.st.inFlight(), maps.Clone(j.st.outcome)
}

// JournalInfo is one journal found by ListJournals.
type JournalInfo struct {
	Path   string
	Result *Result // nil when Err is set
	Err    error   // the journal could not be read
}

// ListJournals returns the journals in dir, most recently updated first,
// so the UI can offer to resume an unfinished one. A missing directory has
// none. A file that cannot be read is listed with its error.
func ListJournals(dir string) ([]JournalInfo, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list journals: %w", err)
	}
	var out []JournalInfo
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".jsonl") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		res, err := ReadJournal(path)
		out = append(out, JournalInfo{Path: path, Result: res, Err: err})
	}
	slices.SortStableFunc(out, func(a, b JournalInfo) int {
		return updated(b).Compare(updated(a))
	})
	return out, nil
}

func updated(i JournalInfo) time.Time {
	if i.Result == nil {
		return time.Time{}
	}
	return i.Result.Updated
}
