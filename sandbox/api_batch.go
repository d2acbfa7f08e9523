package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Batch credential binding jobs. Create validates the request, checks the
// realm's queue and returns a RUNNING batch at once. The batch worker then
// sends one EMAIL job per identity in queue order, records per-identity
// errors in state_commentary, and settles the batch as SUCCESS,
// PARTIAL_SUCCESS or FAILED. Faults.SetBatchSendDelay slows the worker so tests can watch a
// batch run and fill the queue.

// maxQueuedSends is how many identities of RUNNING batches a realm may have
// waiting at once; the spec states 1000 for the service.
const maxQueuedSends = 1000

type batchWrite struct {
	IdentityIDs []string `json:"identity_ids"`
	JobTemplate *struct {
		PostBindingRedirectURI string          `json:"post_binding_redirect_uri"`
		AuthenticatorConfigID  string          `json:"authenticator_config_id"`
		AuthenticatorConfig    json.RawMessage `json:"authenticator_config"`
	} `json:"job_template"`
}

func (s *Sandbox) createBatch(rq *apiRequest) {
	var body struct {
		Batch *batchWrite `json:"batch_credential_binding_job"`
	}
	if !rq.decode(&body) {
		return
	}
	const prefix = "batch_credential_binding_job."
	in := body.Batch
	var v violationList
	if in == nil {
		v.add("batch_credential_binding_job", "missing")
	} else {
		v.idList(prefix+"identity_ids", in.IdentityIDs, true)
		tpl := in.JobTemplate
		if tpl == nil {
			v.add(prefix+"job_template", "missing")
		} else {
			hasInline := len(tpl.AuthenticatorConfig) > 0 && string(tpl.AuthenticatorConfig) != "null"
			switch {
			case tpl.AuthenticatorConfigID != "" && hasInline:
				v.add(prefix+"job_template.authenticator_config", "must not be set together with authenticator_config_id")
			case tpl.AuthenticatorConfigID == "":
				// NOTE: inline authenticator configs are valid in the spec
				// but not emulated; they get this violation.
				v.add(prefix+"job_template.authenticator_config_id", "missing")
			}
			v.redirectURI(prefix+"job_template.post_binding_redirect_uri", tpl.PostBindingRedirectURI)
		}
	}
	if len(v) > 0 {
		rq.invalid(v...)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	realmID := rq.param("realm")
	tpl := in.JobTemplate
	if s.st.authenticatorConfig(realmID, tpl.AuthenticatorConfigID) == nil {
		rq.invalid(fieldViolation{Field: prefix + "job_template.authenticator_config_id", Description: "authenticator config not found"})
		return
	}
	queued := s.st.queuedSends(realmID)
	if queued+len(in.IdentityIDs) > maxQueuedSends {
		h := rq.w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(maxQueuedSends))
		h.Set("RateLimit-Remaining", strconv.Itoa(max(maxQueuedSends-queued, 0)))
		h.Set("Retry-After", strconv.Itoa(s.queueDrainSeconds(queued)))
		// The message copies the service's wording, typo included.
		rq.fail(http.StatusTooManyRequests, fmt.Sprintf("Maximum queue sized reached. Maximum: %d Current Total: %d Overage: %d",
			maxQueuedSends, queued, queued+len(in.IdentityIDs)-maxQueuedSends))
		return
	}
	expire := rq.now.Add(linkLifetime)
	b := &batchRecord{BatchCredentialBindingJob: BatchCredentialBindingJob{
		ID: randomID(16), TenantID: s.st.Tenant.ID, RealmID: realmID,
		IdentityIDs: append([]string{}, in.IdentityIDs...), State: batchRunning,
		JobTemplate: BatchJobTemplate{
			PostBindingRedirectURI: tpl.PostBindingRedirectURI,
			AuthenticatorConfigID:  tpl.AuthenticatorConfigID,
			ExpireTime:             &expire,
		},
		CreateTime: rq.now, UpdateTime: rq.now,
	}}
	s.st.Batches = append(s.st.Batches, b)
	s.st.batchByID[b.ID] = b
	s.changed()
	s.wakeBatchWorker()
	s.log.Info("batch credential binding job queued", "batch_id", b.ID, "identities", len(b.IdentityIDs))
	rq.json(http.StatusOK, b.view())
}

// queueDrainSeconds estimates when the queue has room again, for
// Retry-After: the queued sends times the batch send delay, at least 1 s.
func (s *Sandbox) queueDrainSeconds(queued int) int {
	return retrySeconds(time.Duration(queued) * s.faults.batchSendDelay())
}

// view returns the batch as the API shows it.
func (b *batchRecord) view() BatchCredentialBindingJob {
	v := b.BatchCredentialBindingJob
	v.IdentityIDs = append([]string{}, b.IdentityIDs...)
	if b.StateCommentary != nil {
		errs := make(map[string]BatchError, len(b.StateCommentary.Errors))
		for k, e := range b.StateCommentary.Errors {
			errs[k] = e
		}
		v.StateCommentary = &BatchStateCommentary{Errors: errs}
	}
	return v
}

func (s *Sandbox) batch(rq *apiRequest) *batchRecord {
	b := s.st.batchByID[rq.param("batch")]
	if b == nil || b.RealmID != rq.param("realm") {
		rq.notFound("BatchCredentialBindingJob", rq.param("batch"))
		return nil
	}
	return b
}

func (s *Sandbox) getBatch(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.batch(rq); b != nil {
		rq.json(http.StatusOK, b.view())
	}
}

// listBatchResults lists the jobs the batch created. The counts follow the
// jobs' binding outcome, as in the spec's example: COMPLETE is a success,
// a live job is pending, anything else (EXPIRED, REVOKED, FAILED_TO_SEND)
// is a failure. The spec declares no paging parameters but returns
// next_page_token, so the standard ones are accepted.
func (s *Sandbox) listBatchResults(rq *apiRequest) {
	p, ok := s.paging(rq, standardPages, "batch-results:"+rq.param("batch"), false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.batch(rq)
	if b == nil {
		return
	}

	var jobs []CredentialBindingJob
	success, failure, pending := 0, 0, 0
	for _, j := range s.st.Jobs {
		if j.BatchID != b.ID {
			continue
		}
		view := j.view(rq.now)
		switch {
		case view.State == jobComplete:
			success++
		case jobLive(view.State):
			pending++
		default:
			failure++
		}
		jobs = append(jobs, view)
	}

	items, next := page(s, p, jobs)
	resp := map[string]any{
		"job_results":         items,
		"total_size":          len(jobs),
		"total_success_count": success,
		"total_failure_count": failure,
		"total_pending_count": pending,
	}
	if next != "" {
		resp["next_page_token"] = next
	}
	rq.json(http.StatusOK, resp)
}

// queuedSends counts the identities of the realm's RUNNING batches that the
// worker has not handled yet.
func (st *state) queuedSends(realmID string) int {
	n := 0
	for _, b := range st.Batches {
		if b.RealmID == realmID && b.State == batchRunning {
			n += len(b.IdentityIDs) - b.Processed
		}
	}
	return n
}

func (s *Sandbox) wakeBatchWorker() {
	select {
	case s.batchWake <- struct{}{}:
	default:
	}
}

// batchWorker sends the queued jobs of RUNNING batches, oldest batch first,
// until Close. Batches left RUNNING in a loaded state file resume here.
func (s *Sandbox) batchWorker() {
	for {
		s.mu.Lock()
		b := s.st.nextRunningBatch()
		s.mu.Unlock()
		if b == nil {
			select {
			case <-s.batchWake:
				continue
			case <-s.stop:
				return
			}
		}
		if d := s.faults.batchSendDelay(); d > 0 {
			select {
			case <-time.After(d):
			case <-s.stop:
				return
			}
		}
		s.mu.Lock()
		s.sendNextInBatch(b)
		s.changed()
		s.mu.Unlock()
	}
}

func (st *state) nextRunningBatch() *batchRecord {
	for _, b := range st.Batches {
		if b.State == batchRunning {
			return b
		}
	}
	return nil
}

// sendNextInBatch handles the batch's next identity and settles the batch
// after its last one. The caller holds s.mu.
func (s *Sandbox) sendNextInBatch(b *batchRecord) {
	if b.State != batchRunning || b.Processed >= len(b.IdentityIDs) {
		return
	}
	now := s.now()
	idID := b.IdentityIDs[b.Processed]
	b.Processed++
	b.UpdateTime = now

	var failure string
	id := s.st.identity(b.RealmID, idID)
	switch {
	case id == nil:
		failure = "identity not found"
	case id.Traits.PrimaryEmailAddress == "":
		failure = errMissingEmail
	case s.st.authenticatorConfig(b.RealmID, b.JobTemplate.AuthenticatorConfigID) == nil:
		failure = "authenticator config not found"
	default:
		j, _ := s.newJob(id, deliveryEmail, b.JobTemplate.AuthenticatorConfigID, b.JobTemplate.PostBindingRedirectURI, b.ID, now)
		if j.State == jobFailedToSend {
			failure = "failed to send email"
		}
	}
	if failure != "" {
		if b.StateCommentary == nil {
			b.StateCommentary = &BatchStateCommentary{Errors: map[string]BatchError{}}
		}
		// The worker does not retry, so every failure is permanent.
		b.StateCommentary.Errors[idID] = BatchError{LastError: failure, FailedPermanently: true}
	}
	if b.Processed < len(b.IdentityIDs) {
		return
	}
	failed := 0
	if b.StateCommentary != nil {
		failed = len(b.StateCommentary.Errors)
	}
	switch {
	case failed == 0:
		b.State = batchSuccess
	case failed == len(b.IdentityIDs):
		b.State = batchFailed
	default:
		b.State = batchPartialSuccess
	}
	s.log.Info("batch credential binding job finished", "batch_id", b.ID, "state", b.State, "failures", failed)
}
