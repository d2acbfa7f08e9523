package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type batchResults struct {
	JobResults        []CredentialBindingJob `json:"job_results"`
	TotalSuccessCount int                    `json:"total_success_count"`
	TotalFailureCount int                    `json:"total_failure_count"`
	TotalPendingCount int                    `json:"total_pending_count"`
	TotalSize         int                    `json:"total_size"`
	NextPageToken     string                 `json:"next_page_token"`
}

func (a *api) createBatch(ids []string) (BatchCredentialBindingJob, response) {
	a.t.Helper()
	r := a.send(http.MethodPost, "/batch-credential-binding-jobs", map[string]any{"batch_credential_binding_job": map[string]any{
		"identity_ids": ids,
		"job_template": map[string]any{"authenticator_config_id": a.info.AuthenticatorConfigID, "post_binding_redirect_uri": "http://127.0.0.1:8765/done"},
	}})
	var b BatchCredentialBindingJob
	if r.status == http.StatusOK {
		r.decode(a.t, &b)
	}
	return b, r
}

// waitBatch polls until the batch leaves RUNNING.
func (a *api) waitBatch(id string) BatchCredentialBindingJob {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var b BatchCredentialBindingJob
		r := a.get("/batch-credential-binding-jobs/" + id)
		mustStatus(a.t, r, http.StatusOK)
		r.decode(a.t, &b)
		if b.State != batchRunning {
			return b
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("batch %s still RUNNING", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBatchPartialSuccess(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	ok1 := a.createIdentity("batch.ok1", "batch.ok1@example.com")
	ok2 := a.createIdentity("batch.ok2", "batch.ok2@example.com")
	noMail := a.createIdentity("batch.nomail", "")

	s.Faults().SetBatchSendDelay(20 * time.Millisecond)
	created, r := a.createBatch([]string{ok1.ID, noMail.ID, "ffffffffffffffff", ok2.ID})
	mustStatus(t, r, http.StatusOK)
	if created.State != batchRunning || len(created.ID) != 16 || created.JobTemplate.ExpireTime == nil {
		t.Errorf("created batch %s", r.raw)
	}

	b := a.waitBatch(created.ID)
	if b.State != batchPartialSuccess {
		t.Errorf("state %q, want PARTIAL_SUCCESS", b.State)
	}
	errs := b.StateCommentary.Errors
	if len(errs) != 2 || errs[noMail.ID].LastError != "Identity missing email address" || errs["ffffffffffffffff"].LastError != "identity not found" {
		t.Errorf("state_commentary %+v", b.StateCommentary)
	}

	var res batchResults
	a.get("/batch-credential-binding-jobs/"+b.ID+":listResults").decode(t, &res)
	if res.TotalSize != 2 || len(res.JobResults) != 2 || res.TotalPendingCount != 2 || res.TotalSuccessCount != 0 {
		t.Fatalf("results %+v", res)
	}
	for _, j := range res.JobResults {
		if j.BatchID != b.ID || j.DeliveryMethod != deliveryEmail || j.PostBindingRedirectURI != "http://127.0.0.1:8765/done" {
			t.Errorf("batch job %+v", j)
		}
	}

	// Completing one link turns it into a success; revoking the other a
	// failure.
	var box struct{ Messages []OutboxMessage }
	do(t, http.MethodGet, s.URL()+"/_sandbox/outbox?identity_id="+ok1.ID, "", nil).decode(t, &box)
	mustStatus(t, do(t, http.MethodPost, box.Messages[0].Link, "", nil), http.StatusSeeOther)
	other := res.JobResults[1]
	mustStatus(t, a.send(http.MethodPost, "/identities/"+other.IdentityID+"/credential-binding-jobs/"+other.ID+":revoke", map[string]any{}), http.StatusOK)
	a.get("/batch-credential-binding-jobs/"+b.ID+":listResults?page_size=1").decode(t, &res)
	if res.TotalSuccessCount != 1 || res.TotalFailureCount != 1 || res.TotalPendingCount != 0 || len(res.JobResults) != 1 || res.NextPageToken == "" {
		t.Errorf("results after binding %+v", res)
	}
}

func TestBatchOutcomes(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	x := a.createIdentity("batch.x", "batch.x@example.com")

	b, r := a.createBatch([]string{x.ID})
	mustStatus(t, r, http.StatusOK)
	if got := a.waitBatch(b.ID); got.State != batchSuccess || got.StateCommentary != nil {
		t.Errorf("single good identity: %+v", got)
	}
	s.Faults().SetEmailFailure(true)
	b, _ = a.createBatch([]string{x.ID})
	got := a.waitBatch(b.ID)
	if got.State != batchFailed || got.StateCommentary.Errors[x.ID].LastError != "failed to send email" {
		t.Errorf("email failure: %+v", got)
	}
	mustStatus(t, a.get("/batch-credential-binding-jobs/ffffffffffffffff"), http.StatusNotFound)
	mustStatus(t, a.get("/batch-credential-binding-jobs/ffffffffffffffff:listResults"), http.StatusNotFound)
}

func TestBatchViolations(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	const p = "batch_credential_binding_job."
	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"missing", map[string]any{}, "batch_credential_binding_job"},
		{"no ids", map[string]any{"identity_ids": []string{}, "job_template": map[string]any{"authenticator_config_id": a.info.AuthenticatorConfigID}}, p + "identity_ids"},
		{"duplicate ids", map[string]any{"identity_ids": []string{"a", "a"}, "job_template": map[string]any{"authenticator_config_id": a.info.AuthenticatorConfigID}}, p + "identity_ids"},
		{"too many ids", map[string]any{"identity_ids": manyIDs(1001), "job_template": map[string]any{"authenticator_config_id": a.info.AuthenticatorConfigID}}, p + "identity_ids"},
		{"no template", map[string]any{"identity_ids": []string{"a"}}, p + "job_template"},
		{"no config", map[string]any{"identity_ids": []string{"a"}, "job_template": map[string]any{}}, p + "job_template.authenticator_config_id"},
		{"unknown config", map[string]any{"identity_ids": []string{"a"}, "job_template": map[string]any{"authenticator_config_id": "nope"}}, p + "job_template.authenticator_config_id"},
	}
	for _, tt := range tests {
		body := map[string]any{}
		if tt.field != "batch_credential_binding_job" {
			body["batch_credential_binding_job"] = tt.body
		}
		r := a.send(http.MethodPost, "/batch-credential-binding-jobs", body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d %s", tt.name, r.status, r.raw)
			continue
		}
		if _, ok := r.apiError(t).violation(tt.field); !ok {
			t.Errorf("%s: no %s violation in %s", tt.name, tt.field, r.raw)
		}
	}
}

func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x", i)
	}
	return ids
}

func TestBatchQueueFull(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	// A long delay keeps the first batch queued for the whole test.
	s.Faults().SetBatchSendDelay(time.Hour)

	_, r := a.createBatch(manyIDs(600))
	mustStatus(t, r, http.StatusOK)
	_, r = a.createBatch(manyIDs(500))
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("RateLimit-Limit") != "1000" || r.header.Get("Retry-After") == "" {
		t.Errorf("429 headers %v", r.header)
	}
	// The worker may have taken the first identity off the queue already.
	if rem := r.header.Get("RateLimit-Remaining"); rem != "400" && rem != "401" {
		t.Errorf("RateLimit-Remaining %q, want 400", rem)
	}
	e := r.apiError(t)
	if e.Code != "too_many_requests" || !strings.HasPrefix(e.Message, "Maximum queue sized reached. Maximum: 1000") {
		t.Errorf("429 body %s", r.raw)
	}
	_, r = a.createBatch(manyIDs(300))
	mustStatus(t, r, http.StatusOK)
}

// BenchmarkSendBindingJobs measures 1000 EMAIL binding-job requests sent
// sequentially and by 8 concurrent senders, against a sandbox that delays
// every API request by 2 ms, the shape of a support-desk bulk resend.
func BenchmarkSendBindingJobs(b *testing.B) {
	s := startSandbox(b, Options{Identities: 1000})
	a := newAPI(b, s)
	p, _ := a.listIdentities(map[string][]string{"page_size": {"200"}})
	var ids []string
	for token := p.NextPageToken; ; {
		for _, id := range p.Identities {
			if id.Traits.PrimaryEmailAddress != "" {
				ids = append(ids, id.ID)
			}
		}
		if token == "" {
			break
		}
		p, _ = a.listIdentities(map[string][]string{"page_token": {token}})
		token = p.NextPageToken
	}
	// Identities without an email address are skipped, so reuse some.
	for n := len(ids); len(ids) < 1000; {
		ids = append(ids, ids[len(ids)%n])
	}
	ids = ids[:1000]
	s.Faults().SetLatency(2 * time.Millisecond)

	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				var wg sync.WaitGroup
				next := make(chan string)
				for range workers {
					wg.Go(func() {
						for id := range next {
							if err := sendEmailJob(a, id); err != nil {
								b.Error(err)
							}
						}
					})
				}
				for _, id := range ids {
					next <- id
				}
				close(next)
				wg.Wait()
			}
		})
	}
}

// sendEmailJob creates an EMAIL job without testing.TB helpers, which must
// not call FailNow from the benchmark's sender goroutines.
func sendEmailJob(a *api, identityID string) error {
	body := fmt.Sprintf(`{"job":{"delivery_method":"EMAIL","authenticator_config_id":%q}}`, a.info.AuthenticatorConfigID)
	req, err := http.NewRequest(http.MethodPost, a.realmURL("/identities/"+identityID+"/credential-binding-jobs"), strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := testClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("create job for %s: status %d", identityID, resp.StatusCode)
	}
	return nil
}
