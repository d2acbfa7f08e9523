// Package audit keeps the record of every change biadmin makes through the
// management API: one JSON object per line in audit.jsonl under the user's
// state directory. Wrap puts the recording around a client.API, so screens
// and the bulk engine get it without doing anything themselves.
//
// An entry holds who (profile), where (tenant, realm), what (operationId and
// target ids), the API request id and the outcome. It never holds request
// or response bodies, so tokens, binding links and client secrets cannot
// reach the file.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/biadmin/biadmin/config"
)

// FileName is the audit log's name inside the state directory.
const FileName = "audit.jsonl"

// Outcomes of an entry.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// Entry is one mutating API call.
type Entry struct {
	Time      time.Time `json:"time"`
	Profile   string    `json:"profile,omitempty"`
	TenantID  string    `json:"tenant_id"`
	RealmID   string    `json:"realm_id,omitempty"`
	Operation string    `json:"operation"` // operationId in the API description, e.g. "UpdateIdentity"
	// TargetIDs are the ids the call acted on, in path order followed by
	// the ids of the body: for RevokeCredential the identity and the
	// credential, for AddGroupMembers the group and then the identities.
	TargetIDs []string `json:"target_ids,omitempty"`
	// Detail is a short, non-secret note on what changed, e.g.
	// "status=suspended" or "batch 1a2b…".
	Detail    string `json:"detail,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Outcome   string `json:"outcome"` // OutcomeOK or OutcomeError
	// Status, Code and Message describe a failure: the HTTP status and the
	// API's error code and message, or only Message for a failure without
	// a response (network error, read-only profile).
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Log appends entries to an audit file. It is safe for concurrent use.
// Each entry is one write(2) on a file opened with O_APPEND, so a line is
// never interleaved with another and a crash can only cut the last line.
type Log struct {
	path string
	now  func() time.Time

	mu     sync.Mutex
	f      *os.File
	err    error // first write failure, for Err
	closed bool
}

// DefaultPath returns audit.jsonl in the user's state directory, creating
// the directory when needed.
func DefaultPath() (string, error) {
	dir, err := config.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, FileName), nil
}

// Open opens the audit log at path for appending, creating it with mode
// 0600 and its directory with mode 0700 when they do not exist.
func Open(path string) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create audit log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	// A crash can leave the last line cut. Start on a fresh line so the
	// next entry is not glued to the fragment.
	if err := terminatePartialLine(path, f); err != nil {
		f.Close()
		return nil, err
	}
	return &Log{path: path, f: f, now: time.Now}, nil
}

// Path returns the file the log writes to.
func (l *Log) Path() string { return l.path }

// Append writes e as one line. A zero Time is set to now.
func (l *Log) Append(e Entry) error {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	line = append(line, '\n')

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("write audit entry: the audit log is closed")
	}
	if _, err := l.f.Write(line); err != nil {
		err = fmt.Errorf("write audit entry to %s: %w", l.path, err)
		if l.err == nil {
			l.err = err
		}
		return err
	}
	return nil
}

// Err returns the first failed write, or nil. Wrap cannot return an audit
// failure from the API call it recorded, so the UI checks this to warn that
// the audit log is incomplete.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the file. Appending afterwards fails.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.f.Close()
}

// terminatePartialLine appends a newline when the file does not end with
// one.
func terminatePartialLine(path string, f *os.File) error {
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	defer r.Close()
	info, err := r.Stat()
	if err != nil || info.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, info.Size()-1); err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// readChunk is how much of the file's end Read loads at a time.
const readChunk = 64 << 10

// Read returns the newest limit entries of the audit log at path, newest
// first. A limit of 0 or less returns every entry. It reads the file backwards, so
// the cost follows limit rather than the file's size. A missing file
// yields no entries. Lines that are not valid entries (a line cut by a
// crash) are skipped.
func Read(path string, limit int) ([]Entry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	if limit <= 0 {
		return readAll(f)
	}

	var entries []Entry
	end := info.Size()
	var carry []byte // first line of the chunk read last; its start may lie in the chunk read next
	for end > 0 && len(entries) < limit {
		start := max(end-readChunk, 0)
		buf := make([]byte, end-start, int(end-start)+len(carry))
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		buf = append(buf, carry...)
		lines := bytes.Split(buf, []byte{'\n'})
		// Unless the chunk starts the file, its first line may be cut.
		first := 0
		if start > 0 {
			carry = lines[0]
			first = 1
		}
		for i := len(lines) - 1; i >= first && len(entries) < limit; i-- {
			if e, ok := parseLine(lines[i]); ok {
				entries = append(entries, e)
			}
		}
		end = start
	}
	return entries, nil
}

func readAll(r io.Reader) ([]Entry, error) {
	var entries []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if e, ok := parseLine(sc.Bytes()); ok {
			entries = append(entries, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
		entries[i], entries[j] = entries[j], entries[i]
	}
	return entries, nil
}

func parseLine(line []byte) (Entry, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Entry{}, false
	}
	var e Entry
	if json.Unmarshal(line, &e) != nil || e.Operation == "" {
		return Entry{}, false
	}
	return e, true
}
