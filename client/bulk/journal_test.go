package bulk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testPlan(id string, targets ...string) *Plan {
	p := &Plan{ID: id, Action: ActionSuspend, TenantID: "0001aaaaaaaaaaaa", RealmID: "bbbbbbbbbbbbbbbb", Created: time.Now()}
	for _, t := range targets {
		p.Targets = append(p.Targets, Target{IdentityID: t, Username: "user-" + t})
	}
	return p
}

func TestJournalFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	j, err := CreateJournal(dir, testPlan("a1", "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	fi, err := os.Stat(j.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	di, err := os.Stat(dir)
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("journal directory mode = %v, %v; want 0700", di.Mode().Perm(), err)
	}
	if filepath.Base(j.Path()) != "a1.jsonl" {
		t.Errorf("journal path = %s", j.Path())
	}
	if _, err := CreateJournal(dir, testPlan("a1", "x")); err == nil {
		t.Error("CreateJournal overwrote an existing journal")
	}
	for _, bad := range []string{"../escape", "a/b", "", ".hidden", "a..b"} {
		if _, err := CreateJournal(dir, testPlan(bad, "x")); err == nil {
			t.Errorf("CreateJournal accepted action id %q", bad)
		}
	}
}

func TestJournalTruncatedLine(t *testing.T) {
	dir := t.TempDir()
	j, err := CreateJournal(dir, testPlan("cut", "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.write(record{Kind: kindDone, IDs: []string{"a"}}, false); err != nil {
		t.Fatal(err)
	}
	if err := j.write(record{Kind: kindDone, Failures: []Failure{{IdentityID: "b", Reason: "nope"}}}, false); err != nil {
		t.Fatal(err)
	}
	path := j.Path()
	j.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"kind":"done","ids":["c"`)
	f.Close()

	res, err := ReadJournal(path)
	if err != nil {
		t.Fatalf("ReadJournal of a journal with a cut last line: %v", err)
	}
	if !res.Truncated || res.Succeeded != 1 || len(res.Failed) != 1 || res.Remaining != 1 {
		t.Errorf("result = truncated %v, %d succeeded, %d failed, %d remaining; want true, 1, 1, 1",
			res.Truncated, res.Succeeded, len(res.Failed), res.Remaining)
	}
	if res.Failed[0].Username != "" || res.Failed[0].Reason != "nope" {
		t.Errorf("failure = %+v", res.Failed[0])
	}

	// Reopening removes the fragment, so appended lines stay readable.
	j, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != string(whole) {
		t.Errorf("OpenJournal left the fragment:\n%s", data)
	}
	if err := j.write(record{Kind: kindDone, IDs: []string{"c"}}, false); err != nil {
		t.Fatal(err)
	}
	j.Close()
	res, err = ReadJournal(path)
	if err != nil || res.Truncated || res.Succeeded != 2 || res.Remaining != 0 {
		t.Errorf("after repair: %v, truncated %v, %d succeeded, %d remaining", err, res.Truncated, res.Succeeded, res.Remaining)
	}

	// A record whose newline was never written is kept, and the newline
	// is added before the next one.
	f, _ = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"kind":"pause","time":"2026-01-01T00:00:00Z","reason":"x"}`)
	f.Close()
	j, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	j.write(record{Kind: kindFinish}, false)
	j.Close()
	res, err = ReadJournal(path)
	if err != nil || !res.Finished || res.Paused {
		t.Errorf("after a record without newline: %v, finished %v, paused %v", err, res.Finished, res.Paused)
	}
}

func TestJournalCorruptMiddleLine(t *testing.T) {
	dir := t.TempDir()
	j, err := CreateJournal(dir, testPlan("bad", "a"))
	if err != nil {
		t.Fatal(err)
	}
	path := j.Path()
	j.Close()
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("garbage\n{\"kind\":\"finish\"}\n")
	f.Close()
	if _, err := ReadJournal(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("ReadJournal of a corrupt line = %v, want an error naming line 2", err)
	}
	if _, err := OpenJournal(path); err == nil {
		t.Error("OpenJournal accepted a corrupt journal")
	}
}

func TestListJournals(t *testing.T) {
	dir := t.TempDir()
	if list, err := ListJournals(filepath.Join(dir, "missing")); err != nil || len(list) != 0 {
		t.Errorf("ListJournals of a missing directory = %v, %v", list, err)
	}
	older, err := CreateJournal(dir, testPlan("older", "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	newer, err := CreateJournal(dir, testPlan("newer", "c"))
	if err != nil {
		t.Fatal(err)
	}
	older.write(record{Kind: kindDone, Time: time.Now().Add(-time.Hour), IDs: []string{"a"}}, false)
	older.write(record{Kind: kindPause, Time: time.Now().Add(-time.Hour)}, false)
	newer.write(record{Kind: kindDone, Time: time.Now().Add(time.Minute), IDs: []string{"c"}}, false)
	newer.write(record{Kind: kindFinish, Time: time.Now().Add(time.Minute)}, false)
	older.Close()
	newer.Close()
	os.WriteFile(filepath.Join(dir, "junk.jsonl"), []byte("not json\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o600)

	list, err := ListJournals(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("ListJournals returned %d entries, want 3", len(list))
	}
	if r := list[0].Result; r == nil || r.Header.ActionID != "newer" || !r.Finished || r.Succeeded != 1 {
		t.Errorf("first entry = %+v, want the finished newer journal", list[0])
	}
	if r := list[1].Result; r == nil || r.Header.ActionID != "older" || !r.Paused || r.Remaining != 1 || r.Total() != 2 {
		t.Errorf("second entry = %+v, want the paused older journal with 1 remaining", list[1])
	}
	if list[2].Err == nil || filepath.Base(list[2].Path) != "junk.jsonl" {
		t.Errorf("third entry = %+v, want junk.jsonl with an error", list[2])
	}
}
