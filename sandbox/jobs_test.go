package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCreateJobReturnsLink(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("return.link", "return.link@example.com")

	job, link, r := a.createJob(id.ID, deliveryReturn, "http://127.0.0.1:9/after")
	mustStatus(t, r, http.StatusOK)
	if job.State != jobLinkSent || job.DeliveryMethod != deliveryReturn || job.IdentityID != id.ID {
		t.Errorf("job %s", r.raw)
	}
	if d := job.ExpireTime.Sub(job.CreateTime); d != 7*24*time.Hour {
		t.Errorf("expire_time is %v after create_time, want 7 days", d)
	}
	wantPrefix := s.URL() + "/v1/tenants/" + a.info.TenantID + "/realms/" + a.info.RealmID + "/identities/" + id.ID +
		"/credential-binding-jobs/" + job.ID + ":invokeAuthenticator?token="
	if !strings.HasPrefix(link, wantPrefix) || len(link) < len(wantPrefix)+40 {
		t.Errorf("link %q, want prefix %q and a long token", link, wantPrefix)
	}

	got := a.get("/identities/" + id.ID)
	var view Identity
	got.decode(t, &view)
	if view.EnrollmentStatus != enrollmentPending {
		t.Errorf("enrollment_status %q after a RETURN job, want PENDING", view.EnrollmentStatus)
	}
}

func TestCreateEmailJob(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("email.me", "email.me@example.com")

	job, link, r := a.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusOK)
	if link != "" || strings.Contains(string(r.raw), "credential_binding_link") {
		t.Errorf("EMAIL response carries a link: %s", r.raw)
	}
	var box struct {
		Messages []OutboxMessage `json:"messages"`
	}
	do(t, http.MethodGet, s.URL()+"/_sandbox/outbox?to=email.me@example.com", "", nil).decode(t, &box)
	if len(box.Messages) != 1 {
		t.Fatalf("outbox has %d messages for the identity, want 1", len(box.Messages))
	}
	m := box.Messages[0]
	if m.JobID != job.ID || m.IdentityID != id.ID || !strings.Contains(m.Text, m.Link) || !strings.Contains(m.Link, job.ID+":invokeAuthenticator") {
		t.Errorf("outbox message %+v", m)
	}
}

func TestCreateJobMissingEmail(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("no.email", "")

	_, _, r := a.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusUnprocessableEntity)
	e := r.apiError(t)
	if e.Code != "unprocessable_entity" || e.Message != "Identity missing email address" ||
		len(e.Details) != 1 || e.Details[0].Type != "ResourceInfo" || e.Details[0].ID != id.ID {
		t.Errorf("422 body %s", r.raw)
	}
	_, _, r = a.createJob(id.ID, deliveryReturn, "")
	mustStatus(t, r, http.StatusOK)
}

func TestCreateJobViolations(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("job.checks", "job.checks@example.com")
	path := "/identities/" + id.ID + "/credential-binding-jobs"
	cfg := a.info.AuthenticatorConfigID

	tests := []struct {
		name  string
		job   map[string]any
		field string
	}{
		{"missing config", map[string]any{"delivery_method": "EMAIL"}, "job.authenticator_config_id"},
		{"unknown config", map[string]any{"delivery_method": "EMAIL", "authenticator_config_id": "nope"}, "job.authenticator_config_id"},
		{"config and inline", map[string]any{"delivery_method": "EMAIL", "authenticator_config_id": cfg, "authenticator_config": map[string]any{"config": map[string]any{"type": "console"}}}, "job.authenticator_config"},
		{"bad delivery", map[string]any{"delivery_method": "SMS", "authenticator_config_id": cfg}, "job.delivery_method"},
		{"missing delivery", map[string]any{"authenticator_config_id": cfg}, "job.delivery_method"},
		{"bad redirect", map[string]any{"delivery_method": "RETURN", "authenticator_config_id": cfg, "post_binding_redirect_uri": "not a uri"}, "job.post_binding_redirect_uri"},
	}
	for _, tt := range tests {
		r := a.send(http.MethodPost, path, map[string]any{"job": tt.job})
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d body %s", tt.name, r.status, r.raw)
			continue
		}
		if _, ok := r.apiError(t).violation(tt.field); !ok {
			t.Errorf("%s: no %s violation in %s", tt.name, tt.field, r.raw)
		}
	}

	r := a.send(http.MethodPost, "/identities/ffffffffffffffff/credential-binding-jobs",
		map[string]any{"job": map[string]any{"delivery_method": "RETURN", "authenticator_config_id": cfg}})
	mustStatus(t, r, http.StatusNotFound)
}

func TestEmailFailureFault(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("bounce", "bounce@example.com")
	s.Faults().SetEmailFailure(true)

	job, _, r := a.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusOK)
	if job.State != jobFailedToSend {
		t.Errorf("state %q, want FAILED_TO_SEND", job.State)
	}
	var view Identity
	a.get("/identities/"+id.ID).decode(t, &view)
	if view.EnrollmentStatus != enrollmentInviteFailed {
		t.Errorf("enrollment_status %q, want INVITE_FAILED", view.EnrollmentStatus)
	}
	box := do(t, http.MethodGet, s.URL()+"/_sandbox/outbox?identity_id="+id.ID, "", nil).object(t)
	if msgs := box["messages"].([]any); len(msgs) != 0 {
		t.Errorf("failed email landed in the outbox: %v", msgs)
	}
}

func TestSeededEnrollmentStates(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	p, _ := a.listIdentities(map[string][]string{"page_size": {"200"}})
	if p.TotalSize != defaultIdentities {
		t.Errorf("seeded %d identities, want %d", p.TotalSize, defaultIdentities)
	}
	counts := map[string]int{}
	noEmail, suspended := 0, 0
	for _, id := range p.Identities {
		counts[id.EnrollmentStatus]++
		if id.Traits.PrimaryEmailAddress == "" {
			noEmail++
		}
		if id.Status == statusSuspended {
			suspended++
		}
		if id.DisplayName != id.Traits.Username || !strings.Contains(id.Traits.Username, ".") {
			t.Errorf("seeded identity %q / %q", id.DisplayName, id.Traits.Username)
		}
	}
	for _, st := range []string{enrollmentEnrolled, enrollmentPending, enrollmentUnenrolled} {
		if counts[st] < 3 {
			t.Errorf("only %d seeded identities are %s", counts[st], st)
		}
	}
	if counts[enrollmentInviteFailed] != 1 || noEmail != 1 || suspended == 0 {
		t.Errorf("INVITE_FAILED %d, without email %d, suspended %d", counts[enrollmentInviteFailed], noEmail, suspended)
	}

	var jobs struct {
		Jobs  []CredentialBindingJob `json:"credential_binding_jobs"`
		Total int                    `json:"total_size"`
	}
	r := a.get("/identities/-/credential-binding-jobs?page_size=200")
	mustStatus(t, r, http.StatusOK)
	r.decode(t, &jobs)
	states := map[string]int{}
	for _, j := range jobs.Jobs {
		states[j.State]++
	}
	if states[jobExpired] != 1 || states[jobFailedToSend] != 1 || states[jobComplete] == 0 || states[jobLinkSent]+states[jobLinkOpened] == 0 {
		t.Errorf("seeded job states %v", states)
	}

	r = a.get("/identities/-/credentials")
	mustStatus(t, r, http.StatusOK)
	if total := r.object(t)["total_size"].(float64); int(total) < counts[enrollmentEnrolled] {
		t.Errorf("%v credentials for %d enrolled identities", total, counts[enrollmentEnrolled])
	}
}

func TestJobExpiresOnRead(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("soon.expired", "soon.expired@example.com")
	job, _, _ := a.createJob(id.ID, deliveryReturn, "")

	s.mu.Lock()
	s.st.jobByID[job.ID].ExpireTime = s.now().Add(-time.Second)
	s.mu.Unlock()

	var got CredentialBindingJob
	a.get("/identities/"+id.ID+"/credential-binding-jobs/"+job.ID).decode(t, &got)
	if got.State != jobExpired {
		t.Errorf("state %q, want EXPIRED", got.State)
	}
	var view Identity
	a.get("/identities/"+id.ID).decode(t, &view)
	if view.EnrollmentStatus != enrollmentUnenrolled {
		t.Errorf("enrollment_status %q, want UNENROLLED", view.EnrollmentStatus)
	}
}
