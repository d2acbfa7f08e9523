package ui

import (
	"context"
	"time"

	"github.com/biadmin/biadmin/client"
)

// bucket is one enrollment situation of the overview. Every identity falls
// in exactly one, checked in the order the constants are declared below
// from suspended up, so the counts add up to the identities read.
type bucket int

const (
	bucketNeverInvited bucket = iota
	bucketLinkSent
	bucketLinkOpened
	bucketExpired
	bucketFailed
	bucketNoLiveLink
	bucketEnrolled
	bucketSuspended
	bucketCount
)

// bucketText is a bucket's name and what puts an identity in it.
var bucketText = [bucketCount]struct{ name, rule string }{
	bucketNeverInvited: {"Never invited", "no enrollment job at all"},
	bucketLinkSent:     {"Link sent", "live link, not opened (LINK_SENT)"},
	bucketLinkOpened:   {"Link opened", "live link the user opened"},
	bucketExpired:      {"Link expired", "newest job EXPIRED, no live link"},
	bucketFailed:       {"Failed to send", "newest job FAILED_TO_SEND"},
	bucketNoLiveLink:   {"No live link", "newest job revoked or used; no passkey"},
	bucketEnrolled:     {"Enrolled", "an active passkey (ENROLLED)"},
	bucketSuspended:    {"Suspended", "status suspended, any enrollment"},
}

// Levels of an identity's best live job: an opened link ranks above a
// link that was only sent.
const (
	noLiveJob uint8 = iota
	liveSent
	liveOpened
)

// jobSummary is the part of the realm's binding jobs that the overview
// keeps per identity: the state of the newest job and the best live one.
// It is small on purpose, because a large realm has one per invited
// identity.
type jobSummary struct {
	newest      int64 // unix nanoseconds of the newest job's create_time
	newestState string
	live        uint8
	// count is how many jobs the identity has, so a group's count can
	// leave out the jobs of identities outside it.
	count uint32
}

// addJob folds one job into the identity's summary.
func (s *jobSummary) addJob(j client.CredentialBindingJob) {
	s.count++
	switch j.State {
	case client.JobLinkSent:
		s.live = max(s.live, liveSent)
	case client.JobLinkOpened, client.JobRequestDelivered:
		s.live = max(s.live, liveOpened)
	}
	if t := j.CreateTime.UnixNano(); s.newestState == "" || t >= s.newest {
		s.newest, s.newestState = t, j.State
	}
}

// classify puts an identity in its bucket. hasJobs reports whether the job
// scan found any job for it, and js is then its summary.
func classify(id client.Identity, js jobSummary, hasJobs bool) bucket {
	switch {
	case id.Status == client.StatusSuspended:
		return bucketSuspended
	case id.EnrollmentStatus == client.EnrollmentEnrolled:
		return bucketEnrolled
	case js.live == liveOpened:
		return bucketLinkOpened
	case js.live == liveSent:
		return bucketLinkSent
	case id.EnrollmentStatus == client.EnrollmentPending:
		// A job sent after the job scan passed this identity.
		return bucketLinkSent
	case !hasJobs && id.EnrollmentStatus == client.EnrollmentInviteFailed:
		return bucketFailed
	case !hasJobs:
		return bucketNeverInvited
	}
	switch js.newestState {
	case client.JobExpired:
		return bucketExpired
	case client.JobFailedToSend:
		return bucketFailed
	}
	return bucketNoLiveLink
}

// scanPhase is the step a count is in.
type scanPhase int

const (
	scanIdle scanPhase = iota
	scanJobs
	scanIdentities
	scanDone
)

// overviewScan counts one realm or group. It reads the realm's binding
// jobs once ("-" list), keeping a jobSummary per identity, then pages
// through the identities and files each id in its bucket. Memory is the
// summaries while the identities are read, then the ids per bucket.
type overviewScan struct {
	phase scanPhase
	// group is the group counted, or nil for the whole realm.
	group *client.Group

	jobs      map[string]jobSummary
	jobsRead  int
	jobsTotal int

	identitiesRead  int
	identitiesTotal int
	// jobsCounted is how many of the jobs read belong to the identities
	// counted: for a group, only its members' jobs.
	jobsCounted int

	counts  [bucketCount]int
	ids     [bucketCount][]string
	started time.Time
	ended   time.Time
}

// scanPage is the value of one page of the scan.
type scanPage struct {
	jobs       *client.Page[client.CredentialBindingJob]
	identities *client.Page[client.Identity]
}

// scanPageSize is the API's maximum page size for identities, members and
// binding jobs.
const scanPageSize = 200

// fetchPage returns the function that reads the next page of the scan:
// jobs while phase is scanJobs, else identities (or group members).
func fetchPage(api client.API, phase scanPhase, group *client.Group, token string) func(ctx context.Context) (scanPage, error) {
	opts := client.ListOptions{PageSize: scanPageSize, PageToken: token}
	if phase == scanJobs {
		return func(ctx context.Context) (scanPage, error) {
			p, err := api.ListCredentialBindingJobs(ctx, "-", opts)
			return scanPage{jobs: p}, err
		}
	}
	if group != nil {
		groupID := group.ID
		return func(ctx context.Context) (scanPage, error) {
			p, err := api.ListGroupMembers(ctx, groupID, opts)
			return scanPage{identities: p}, err
		}
	}
	return func(ctx context.Context) (scanPage, error) {
		p, err := api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: opts})
		return scanPage{identities: p}, err
	}
}

// add folds one page into the scan and returns the next page's token, or
// "" when the current phase is complete. The caller moves the phase on.
func (s *overviewScan) add(p scanPage) string {
	if p.jobs != nil {
		s.jobsTotal = p.jobs.TotalSize
		for _, j := range p.jobs.Items {
			js := s.jobs[j.IdentityID]
			js.addJob(j)
			s.jobs[j.IdentityID] = js
		}
		s.jobsRead += len(p.jobs.Items)
		return p.jobs.NextPageToken
	}
	s.identitiesTotal = p.identities.TotalSize
	for _, id := range p.identities.Items {
		js, ok := s.jobs[id.ID]
		s.jobsCounted += int(js.count)
		b := classify(id, js, ok)
		s.counts[b]++
		s.ids[b] = append(s.ids[b], id.ID)
	}
	s.identitiesRead += len(p.identities.Items)
	return p.identities.NextPageToken
}

// fraction is how far the scan is, for the progress bar. Before the first
// identity page the identity total is unknown, so the jobs phase fills the
// first half of the bar.
func (s *overviewScan) fraction() float64 {
	switch s.phase {
	case scanJobs:
		if s.jobsTotal == 0 {
			return 0
		}
		return 0.5 * float64(s.jobsRead) / float64(s.jobsTotal)
	case scanIdentities:
		if s.identitiesTotal == 0 {
			return 0.5
		}
		return 0.5 + 0.5*float64(s.identitiesRead)/float64(s.identitiesTotal)
	case scanDone:
		return 1
	}
	return 0
}
