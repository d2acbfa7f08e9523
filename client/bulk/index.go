package bulk

import (
	"context"
	"slices"
	"time"

	"github.com/biadmin/biadmin/client"
)

// enrollmentIndex is the realm's credentials and binding jobs grouped by
// identity, read from the realm-wide ("-") lists.
type enrollmentIndex struct {
	active map[string]bool                          // identity → has an ACTIVE credential
	jobs   map[string][]client.CredentialBindingJob // identity → jobs
	order  []string                                 // identities with jobs, in the order first seen
}

func loadEnrollmentIndex(ctx context.Context, api client.API) (*enrollmentIndex, error) {
	idx := &enrollmentIndex{active: map[string]bool{}, jobs: map[string][]client.CredentialBindingJob{}}
	creds := client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.Credential], error) {
		return api.ListCredentials(ctx, "-", client.ListOptions{PageSize: 200, PageToken: token})
	})
	for c, err := range creds {
		if err != nil {
			return nil, err
		}
		if c.State == client.CredentialActive {
			idx.active[c.IdentityID] = true
		}
	}
	jobs := client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.CredentialBindingJob], error) {
		return api.ListCredentialBindingJobs(ctx, "-", client.ListOptions{PageSize: 200, PageToken: token})
	})
	for j, err := range jobs {
		if err != nil {
			return nil, err
		}
		if _, seen := idx.jobs[j.IdentityID]; !seen {
			idx.order = append(idx.order, j.IdentityID)
		}
		idx.jobs[j.IdentityID] = append(idx.jobs[j.IdentityID], j)
	}
	return idx, nil
}

// jobState is a job's state as of now: a live job past its expire_time
// reads as EXPIRED even if the service has not updated it yet.
func jobState(j client.CredentialBindingJob, now time.Time) string {
	if client.JobLive(j.State) && !j.ExpireTime.IsZero() && !now.Before(j.ExpireTime) {
		return client.JobExpired
	}
	return j.State
}

// status derives enrollment_status the way the API describes it: ENROLLED
// with an ACTIVE credential, PENDING with a live job, INVITE_FAILED when
// every job failed to send, UNENROLLED otherwise.
func (idx *enrollmentIndex) status(identityID string, now time.Time) string {
	if idx.active[identityID] {
		return client.EnrollmentEnrolled
	}
	jobs := idx.jobs[identityID]
	allFailed := len(jobs) > 0
	for _, j := range jobs {
		state := jobState(j, now)
		if client.JobLive(state) {
			return client.EnrollmentPending
		}
		if state != client.JobFailedToSend {
			allFailed = false
		}
	}
	if allFailed {
		return client.EnrollmentInviteFailed
	}
	return client.EnrollmentUnenrolled
}

// expiredOrFailed returns the identities whose latest job is EXPIRED or
// FAILED_TO_SEND and that have no ACTIVE credential and no live job.
func (idx *enrollmentIndex) expiredOrFailed(now time.Time) []string {
	var out []string
	for _, id := range idx.order {
		if idx.active[id] {
			continue
		}
		jobs := idx.jobs[id]
		if slices.ContainsFunc(jobs, func(j client.CredentialBindingJob) bool { return client.JobLive(jobState(j, now)) }) {
			continue
		}
		latest := slices.MaxFunc(jobs, func(a, b client.CredentialBindingJob) int { return a.CreateTime.Compare(b.CreateTime) })
		if s := jobState(latest, now); s == client.JobExpired || s == client.JobFailedToSend {
			out = append(out, id)
		}
	}
	return out
}
