package client

import (
	"context"
	"net/http"
	"time"
)

// ListCredentials returns one page of an identity's credentials; identityID
// "-" lists those of every identity in the realm.
func (c *Client) ListCredentials(ctx context.Context, identityID string, opts ListOptions) (*Page[Credential], error) {
	const op = "ListCredentials"
	if err := requireIDs(op, "identity ID", identityID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID, "credentials")
	if err != nil {
		return nil, err
	}
	return list[Credential](ctx, c, op, path, "credentials", pageQuery(opts, true))
}

// GetCredential returns one credential of an identity.
func (c *Client) GetCredential(ctx context.Context, identityID, credentialID string) (*Credential, error) {
	const op = "GetCredential"
	if err := requireIDs(op, "identity ID", identityID, "credential ID", credentialID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID, "credentials", credentialID)
	if err != nil {
		return nil, err
	}
	return run[Credential](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}

// RevokeCredential revokes a credential and returns it in state REVOKED.
func (c *Client) RevokeCredential(ctx context.Context, identityID, credentialID string) (*Credential, error) {
	const op = "RevokeCredential"
	if err := requireIDs(op, "identity ID", identityID, "credential ID", credentialID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID, "credentials", credentialID)
	if err != nil {
		return nil, err
	}
	// The operation declares no request body.
	return run[Credential](ctx, c, call{op: op, method: http.MethodPost, path: path + ":revoke", mutating: true})
}

// CreateCredentialBindingJob starts an enrollment for an identity. For
// RETURN delivery the result carries the binding link, which is a bearer
// secret. For EMAIL the service mails the link, and it returns 422 when the
// identity has no email address.
func (c *Client) CreateCredentialBindingJob(ctx context.Context, identityID string, in CredentialBindingJobCreate) (*CreatedCredentialBindingJob, error) {
	const op = "CreateCredentialBindingJob"
	if err := requireIDs(op, "identity ID", identityID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID, "credential-binding-jobs")
	if err != nil {
		return nil, err
	}
	return run[CreatedCredentialBindingJob](ctx, c, call{
		op: op, method: http.MethodPost, path: path,
		body: map[string]any{"job": in}, mutating: true,
	})
}

// ListCredentialBindingJobs returns one page of an identity's binding jobs;
// identityID "-" lists those of every identity in the realm.
func (c *Client) ListCredentialBindingJobs(ctx context.Context, identityID string, opts ListOptions) (*Page[CredentialBindingJob], error) {
	const op = "ListCredentialBindingJobs"
	if err := requireIDs(op, "identity ID", identityID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID, "credential-binding-jobs")
	if err != nil {
		return nil, err
	}
	return list[CredentialBindingJob](ctx, c, op, path, "credential_binding_jobs", pageQuery(opts, true))
}

// GetCredentialBindingJob returns one binding job of an identity.
func (c *Client) GetCredentialBindingJob(ctx context.Context, identityID, jobID string) (*CredentialBindingJob, error) {
	const op = "GetCredentialBindingJob"
	if err := requireIDs(op, "identity ID", identityID, "job ID", jobID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID, "credential-binding-jobs", jobID)
	if err != nil {
		return nil, err
	}
	return run[CredentialBindingJob](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}

// RevokeCredentialBindingJob revokes a binding job so its link stops
// working (operation SetCredentialBindingJobRevoked). A COMPLETE job cannot
// be revoked: the service responds with 409.
func (c *Client) RevokeCredentialBindingJob(ctx context.Context, identityID, jobID string) (*CredentialBindingJob, error) {
	const op = "SetCredentialBindingJobRevoked"
	if err := requireIDs(op, "identity ID", identityID, "job ID", jobID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID, "credential-binding-jobs", jobID)
	if err != nil {
		return nil, err
	}
	return run[CredentialBindingJob](ctx, c, call{
		op: op, method: http.MethodPost, path: path + ":revoke",
		body: struct{}{}, mutating: true, // the request body is an empty object
	})
}

// CreateBatchCredentialBindingJob sends binding jobs to 1 to 1000
// identities. When the realm's queue is full the service responds with 429.
// The call is not retried, so the caller decides when to send again.
func (c *Client) CreateBatchCredentialBindingJob(ctx context.Context, in BatchCredentialBindingJobCreate) (*BatchCredentialBindingJob, error) {
	const op = "CreateBatchCredentialBindingJob"
	if err := checkBatch(op, in.IdentityIDs); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "batch-credential-binding-jobs")
	if err != nil {
		return nil, err
	}
	// expire_time is read-only: the service sets it.
	in.JobTemplate.ExpireTime = time.Time{}
	return run[BatchCredentialBindingJob](ctx, c, call{
		op: op, method: http.MethodPost, path: path,
		body: map[string]any{"batch_credential_binding_job": in}, mutating: true,
	})
}

// GetBatchCredentialBindingJob returns one batch job.
func (c *Client) GetBatchCredentialBindingJob(ctx context.Context, batchID string) (*BatchCredentialBindingJob, error) {
	const op = "GetBatchCredentialBindingJob"
	if err := requireIDs(op, "batch job ID", batchID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "batch-credential-binding-jobs", batchID)
	if err != nil {
		return nil, err
	}
	return run[BatchCredentialBindingJob](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}

// ListBatchCredentialBindingJobResults returns one page of the jobs a batch
// created, with its outcome counts. The API description declares no paging
// parameters for it but returns next_page_token, so the client sends
// page_size and page_token when set; skip is never sent.
func (c *Client) ListBatchCredentialBindingJobResults(ctx context.Context, batchID string, opts ListOptions) (*BatchResults, error) {
	const op = "ListBatchCredentialBindingJobResults"
	if err := requireIDs(op, "batch job ID", batchID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "batch-credential-binding-jobs", batchID)
	if err != nil {
		return nil, err
	}
	var out struct {
		Jobs              []CredentialBindingJob `json:"job_results"`
		TotalSuccessCount int                    `json:"total_success_count"`
		TotalFailureCount int                    `json:"total_failure_count"`
		TotalPendingCount int                    `json:"total_pending_count"`
		TotalSize         int                    `json:"total_size"`
		NextPageToken     *string                `json:"next_page_token"`
	}
	err = c.do(ctx, call{op: op, method: http.MethodGet, path: path + ":listResults", query: pageQuery(opts, false), out: &out, retry: true})
	if err != nil {
		return nil, err
	}
	res := &BatchResults{
		Jobs:              out.Jobs,
		TotalSuccessCount: out.TotalSuccessCount,
		TotalFailureCount: out.TotalFailureCount,
		TotalPendingCount: out.TotalPendingCount,
		TotalSize:         out.TotalSize,
	}
	if out.NextPageToken != nil {
		res.NextPageToken = *out.NextPageToken
	}
	return res, nil
}
