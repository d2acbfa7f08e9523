package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
)

// expectedBuckets works out each identity's bucket the slow way, one job
// list per identity, as ground truth for the overview's single pass.
func (e *deskEnv) expectedBuckets(t *testing.T, members map[string]bool) [bucketCount][]string {
	t.Helper()
	ctx := testContext(t)
	var out [bucketCount][]string
	for id, err := range client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
		return e.check.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200, PageToken: token}})
	}) {
		if err != nil {
			t.Fatalf("list identities: %v", err)
		}
		if members != nil && !members[id.ID] {
			continue
		}
		jobs, err := e.check.ListCredentialBindingJobs(ctx, id.ID, client.ListOptions{PageSize: 200})
		if err != nil {
			t.Fatalf("list jobs of %s: %v", id.ID, err)
		}
		out[expectedBucket(id, jobs.Items)] = append(out[expectedBucket(id, jobs.Items)], id.ID)
	}
	return out
}

// expectedBucket states the overview's rules over one identity's full job
// list.
func expectedBucket(id client.Identity, jobs []client.CredentialBindingJob) bucket {
	if id.Status == client.StatusSuspended {
		return bucketSuspended
	}
	if id.EnrollmentStatus == client.EnrollmentEnrolled {
		return bucketEnrolled
	}
	var sent, opened bool
	var newest client.CredentialBindingJob
	for _, j := range jobs {
		sent = sent || j.State == client.JobLinkSent
		opened = opened || j.State == client.JobLinkOpened || j.State == client.JobRequestDelivered
		if newest.ID == "" || !j.CreateTime.Before(newest.CreateTime) {
			newest = j
		}
	}
	switch {
	case opened:
		return bucketLinkOpened
	case sent:
		return bucketLinkSent
	case len(jobs) == 0:
		return bucketNeverInvited
	case newest.State == client.JobExpired:
		return bucketExpired
	case newest.State == client.JobFailedToSend:
		return bucketFailed
	}
	return bucketNoLiveLink
}

func findOverview(t *testing.T, r *root) *overview {
	t.Helper()
	for _, tab := range r.tabs {
		if o, ok := tab.stack[0].(*overview); ok {
			return o
		}
	}
	t.Fatal("no overview screen")
	return nil
}

// perIdentityCalls counts requests of one identity's own lists, which the
// overview must not make.
func perIdentityCalls(reqs []string) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r, "/identities/") && !strings.Contains(r, "/identities/-/") {
			n++
		}
	}
	return n
}

func TestOverviewCountsMatchSeed(t *testing.T) {
	// 450 identities take three pages, so paging is part of the test.
	env := startDesk(t, ProfileInfo{}, deskOptions{identities: 450})
	tm := env.run(t, 100, 30)
	tm.Send(keyMsg("4"))
	waitForText(t, tm, "Press r to count")
	before := len(env.bodies.matching("GET "))
	tm.Send(keyMsg("r"))
	waitForText(t, tm, "Counted 450 identities")
	scanReqs := env.bodies.matching("GET ")[before:]

	final := quitAndWait(t, tm)
	o := findOverview(t, final)
	if n := perIdentityCalls(scanReqs); n != 0 {
		t.Errorf("the count made %d per-identity requests", n)
	}
	// Three pages of identities plus the job pages: far fewer than one
	// request per identity.
	if len(scanReqs) > 3+(o.scan.jobsRead/200+1) {
		t.Errorf("the count made %d requests for 450 identities and %d jobs", len(scanReqs), o.scan.jobsRead)
	}

	want := env.expectedBuckets(t, nil)
	total := 0
	for b := range bucketCount {
		total += o.scan.counts[b]
		if o.scan.counts[b] != len(want[b]) {
			t.Errorf("%s: counted %d, want %d", bucketText[b].name, o.scan.counts[b], len(want[b]))
		}
		if fmt.Sprint(o.scan.ids[b]) != fmt.Sprint(want[b]) {
			t.Errorf("%s: ids differ from the per-identity truth", bucketText[b].name)
		}
	}
	if total != 450 {
		t.Errorf("the buckets hold %d identities, want 450", total)
	}
	for _, b := range []bucket{bucketNeverInvited, bucketLinkSent, bucketExpired, bucketFailed, bucketEnrolled, bucketSuspended} {
		if o.scan.counts[b] == 0 {
			t.Errorf("the seed has no %s identity, so the test proves little for it", bucketText[b].name)
		}
	}
	if o.scan.jobs != nil {
		t.Error("the per-identity job summaries are kept after the count")
	}
}

func TestOverviewGroupAndBucketFilter(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	eng, row := env.groupByName(t, "Engineering")
	members := map[string]bool{}
	for _, id := range env.memberIDs(t, eng.ID) {
		members[id] = true
	}
	want := env.expectedBuckets(t, members)
	// The summary counts the members' jobs, not the realm's.
	memberJobs, realmJobs := 0, 0
	ctx := testContext(t)
	for id := range members {
		jobs, err := env.check.ListCredentialBindingJobs(ctx, id, client.ListOptions{PageSize: 200})
		if err != nil {
			t.Fatalf("list jobs of %s: %v", id, err)
		}
		memberJobs += len(jobs.Items)
	}
	all, err := env.check.ListCredentialBindingJobs(ctx, "-", client.ListOptions{PageSize: 1})
	if err != nil {
		t.Fatalf("list the realm's jobs: %v", err)
	}
	realmJobs = all.TotalSize
	if memberJobs == realmJobs {
		t.Fatalf("the group's members have all %d of the realm's jobs, so the test proves nothing", realmJobs)
	}

	tm := env.run(t, 100, 30)
	tm.Send(keyMsg("3"))
	waitForText(t, tm, "Engineering")
	for range row {
		tm.Send(keyMsg("down"))
	}
	tm.Send(keyMsg("o"))
	waitForText(t, tm, "Enrollment overview of group Engineering",
		fmt.Sprintf("Counted %s and %s", plural(len(members), "identity", "identities"), plural(memberJobs, "enrollment job", "enrollment jobs")))

	// The first bucket with identities is listed with enter.
	first := bucket(0)
	for len(want[first]) == 0 {
		first++
	}
	for range first {
		tm.Send(keyMsg("down"))
	}
	tm.Send(keyMsg("enter"))
	label := strings.ToLower(bucketText[first].name) + " in group Engineering"
	waitForText(t, tm, "set: "+label)

	final := quitAndWait(t, tm)
	o := findOverview(t, final)
	for b := range bucketCount {
		if o.scan.counts[b] != len(want[b]) {
			t.Errorf("%s: counted %d in the group, want %d", bucketText[b].name, o.scan.counts[b], len(want[b]))
		}
	}
	l := final.current().(*identityList)
	var shownIDs []string
	for _, r := range l.rows {
		shownIDs = append(shownIDs, r.identity.ID)
	}
	if fmt.Sprint(shownIDs) != fmt.Sprint(want[first]) {
		t.Errorf("the list shows %v, want the bucket %v", shownIDs, want[first])
	}
}

func TestOverviewCancel(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	tm := env.run(t, 100, 30)
	tm.Send(keyMsg("4"))
	waitForText(t, tm, "Press r to count")
	// Every request now takes long enough for esc to arrive mid-count.
	env.sb.Faults().SetLatency(2 * time.Second)
	tm.Send(keyMsg("r"))
	waitForText(t, tm, "Enrollment jobs read: 0")
	tm.Send(keyMsg("esc"))
	waitForText(t, tm, "Count cancelled.", "The count was cancelled.")
	env.sb.Faults().SetLatency(0)

	o := findOverview(t, quitAndWait(t, tm))
	if o.scan.phase != scanIdle || o.Busy() {
		t.Errorf("after esc: phase %d, busy %v; want idle", o.scan.phase, o.Busy())
	}
}

func TestClassifyRules(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	job := func(state string, age int) client.CredentialBindingJob {
		return client.CredentialBindingJob{State: state, CreateTime: day.AddDate(0, 0, -age)}
	}
	summary := func(jobs ...client.CredentialBindingJob) (jobSummary, bool) {
		var s jobSummary
		for _, j := range jobs {
			s.addJob(j)
		}
		return s, len(jobs) > 0
	}
	active := client.Identity{Status: client.StatusActive, EnrollmentStatus: client.EnrollmentUnenrolled}
	cases := []struct {
		name string
		id   client.Identity
		jobs []client.CredentialBindingJob
		want bucket
	}{
		{"no jobs", active, nil, bucketNeverInvited},
		{"sent", active, []client.CredentialBindingJob{job(client.JobLinkSent, 1)}, bucketLinkSent},
		{"opened beats sent", active, []client.CredentialBindingJob{job(client.JobLinkSent, 1), job(client.JobLinkOpened, 2)}, bucketLinkOpened},
		{"newest expired", active, []client.CredentialBindingJob{job(client.JobFailedToSend, 9), job(client.JobExpired, 1)}, bucketExpired},
		{"newest failed", active, []client.CredentialBindingJob{job(client.JobExpired, 9), job(client.JobFailedToSend, 1)}, bucketFailed},
		{"newest revoked", active, []client.CredentialBindingJob{job(client.JobExpired, 9), job(client.JobRevoked, 1)}, bucketNoLiveLink},
		{"pending without a job seen", client.Identity{Status: client.StatusActive, EnrollmentStatus: client.EnrollmentPending}, nil, bucketLinkSent},
		{"enrolled", client.Identity{Status: client.StatusActive, EnrollmentStatus: client.EnrollmentEnrolled}, []client.CredentialBindingJob{job(client.JobComplete, 3)}, bucketEnrolled},
		{"suspended and enrolled", client.Identity{Status: client.StatusSuspended, EnrollmentStatus: client.EnrollmentEnrolled}, nil, bucketSuspended},
	}
	for _, c := range cases {
		s, has := summary(c.jobs...)
		if got := classify(c.id, s, has); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, bucketText[got].name, bucketText[c.want].name)
		}
	}
}
