package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// jobWrite is the `job` object of CreateCredentialBindingJob.
type jobWrite struct {
	DeliveryMethod         string          `json:"delivery_method"`
	AuthenticatorConfigID  string          `json:"authenticator_config_id"`
	AuthenticatorConfig    json.RawMessage `json:"authenticator_config"`
	PostBindingRedirectURI string          `json:"post_binding_redirect_uri"`
}

// errMissingEmail is the 422 message for EMAIL delivery to an identity
// without a primary email address, worded as the service words it.
const errMissingEmail = "Identity missing email address"

func (s *Sandbox) createJob(rq *apiRequest) {
	var body struct {
		Job *jobWrite `json:"job"`
	}
	if !rq.decode(&body) {
		return
	}
	in := body.Job
	var v violationList
	if in == nil {
		v.add("job", "missing")
	} else {
		switch in.DeliveryMethod {
		case deliveryEmail, deliveryReturn:
		case "":
			v.add("job.delivery_method", "missing")
		default:
			v.add("job.delivery_method", "invalid value; expected EMAIL or RETURN")
		}
		hasInline := len(in.AuthenticatorConfig) > 0 && string(in.AuthenticatorConfig) != "null"
		switch {
		case in.AuthenticatorConfigID != "" && hasInline:
			v.add("job.authenticator_config", "must not be set together with authenticator_config_id")
		case in.AuthenticatorConfigID == "":
			// NOTE: inline authenticator configs (embedded or console) are
			// valid in the spec but not emulated; they get this violation.
			v.add("job.authenticator_config_id", "missing")
		}
		v.redirectURI("job.post_binding_redirect_uri", in.PostBindingRedirectURI)
	}
	if len(v) > 0 {
		rq.invalid(v...)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	realmID, identityID := rq.param("realm"), rq.param("identity")
	id := s.st.identity(realmID, identityID)
	if id == nil {
		rq.notFound("Identity", identityID)
		return
	}
	if s.st.authenticatorConfig(realmID, in.AuthenticatorConfigID) == nil {
		rq.invalid(fieldViolation{Field: "job.authenticator_config_id", Description: "authenticator config not found"})
		return
	}
	if in.DeliveryMethod == deliveryEmail && id.Traits.PrimaryEmailAddress == "" {
		rq.fail(http.StatusUnprocessableEntity, errMissingEmail, resourceInfo("Identity", id.ID, errMissingEmail))
		return
	}
	j, link := s.newJob(id, in.DeliveryMethod, in.AuthenticatorConfigID, in.PostBindingRedirectURI, "", rq.now)
	s.changed()
	resp := struct {
		Job  CredentialBindingJob `json:"credential_binding_job"`
		Link string               `json:"credential_binding_link,omitempty"`
	}{Job: j.view(rq.now)}
	if in.DeliveryMethod == deliveryReturn {
		resp.Link = link
	}
	rq.json(http.StatusOK, resp)
}

// newJob creates a LINK_SENT job expiring in seven days and its single-use
// link. EMAIL jobs put the link in the outbox, or end as FAILED_TO_SEND
// under the email-failure fault. The caller holds s.mu and has checked the
// identity's email address.
func (s *Sandbox) newJob(id *Identity, delivery, configID, redirect, batchID string, now time.Time) (*jobRecord, string) {
	j := &jobRecord{CredentialBindingJob: CredentialBindingJob{
		ID: randomID(16), IdentityID: id.ID, RealmID: id.RealmID, TenantID: id.TenantID,
		BatchID: batchID, DeliveryMethod: delivery, State: jobLinkSent,
		PostBindingRedirectURI: redirect, AuthenticatorConfigID: configID,
		ExpireTime: now.Add(linkLifetime), CreateTime: now, UpdateTime: now,
	}}
	token := randomToken()
	j.LinkHash = hashSecret(token)
	link := bindingLink(s.url, j, token)
	s.st.addJob(j)
	if delivery == deliveryEmail {
		if s.faults.emailFailure() {
			j.State = jobFailedToSend
			s.log.Info("sandbox email not sent (email failure fault)", "job_id", j.ID, "identity_id", id.ID)
		} else {
			s.st.Outbox = append(s.st.Outbox, outboxMessage(randomID(16), id, j, link, now))
		}
	}
	return j, link
}

func (s *Sandbox) listJobs(rq *apiRequest) {
	realmID, identityID := rq.param("realm"), rq.param("identity")
	p, ok := s.paging(rq, standardPages, "jobs:"+realmID+":"+identityID, false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*jobRecord
	if identityID == wildcardIdentity {
		for _, j := range s.st.Jobs {
			if j.RealmID == realmID {
				all = append(all, j)
			}
		}
	} else {
		if s.st.identity(realmID, identityID) == nil {
			rq.notFound("Identity", identityID)
			return
		}
		all = s.st.jobsOf(identityID)
	}
	items, next := page(s, p, all)
	views := make([]CredentialBindingJob, len(items))
	for i, j := range items {
		views[i] = j.view(rq.now)
	}
	rq.json(http.StatusOK, listResponse("credential_binding_jobs", views, len(all), next))
}

// job looks up the path's identity and job and writes the 404 itself when
// either is missing. The caller holds s.mu.
func (s *Sandbox) job(rq *apiRequest) *jobRecord {
	realmID, identityID, jobID := rq.param("realm"), rq.param("identity"), rq.param("job")
	if s.st.identity(realmID, identityID) == nil {
		rq.notFound("Identity", identityID)
		return nil
	}
	j := s.st.jobByID[jobID]
	if j == nil || j.IdentityID != identityID {
		rq.notFound("CredentialBindingJob", jobID)
		return nil
	}
	return j
}

func (s *Sandbox) getJob(rq *apiRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.job(rq); j != nil {
		rq.json(http.StatusOK, j.view(rq.now))
	}
}

// revokeJob sets the job REVOKED so its link stops working. A COMPLETE job
// cannot be revoked (409); revoking a revoked job is a no-op.
func (s *Sandbox) revokeJob(rq *apiRequest) {
	var body struct{}
	if !rq.decodeOptional(&body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(rq)
	if j == nil {
		return
	}
	switch j.State {
	case jobComplete:
		rq.fail(http.StatusConflict, fmt.Sprintf("credential binding job %s is already complete", j.ID),
			resourceInfo("CredentialBindingJob", j.ID, "credential binding job is already complete"))
		return
	case jobRevoked:
	default:
		j.State = jobRevoked
		j.UpdateTime = rq.now
		s.changed()
	}
	rq.json(http.StatusOK, j.view(rq.now))
}
