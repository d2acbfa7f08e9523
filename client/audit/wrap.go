package audit

import (
	"context"
	"errors"
	"fmt"
	"unicode"

	"github.com/biadmin/biadmin/client"
)

// Wrap returns an API that passes every call to api and appends an entry
// to log for each mutating one: UpdateRealm, CreateIdentity,
// UpdateIdentity, DeleteIdentity, BatchDeleteIdentities, RevokeCredential,
// CreateCredentialBindingJob, SetCredentialBindingJobRevoked,
// CreateBatchCredentialBindingJob, AddGroupMembers and DeleteGroupMembers.
// Reads pass through unrecorded. profile names the config profile in each
// entry.
//
// A failed audit write does not fail the call, because the change has
// already happened at the service; log.Err reports it.
func Wrap(api client.API, log *Log, profile string) client.API {
	return &auditedAPI{API: api, log: log, profile: profile}
}

// auditedAPI embeds the wrapped API so that reads pass through. Each
// mutating method below overrides the embedded one.
type auditedAPI struct {
	client.API
	log     *Log
	profile string
}

// Unwrap returns the API that Wrap wrapped.
func (a *auditedAPI) Unwrap() client.API { return a.API }

// ReadOnly reports whether the wrapped API rejects mutating calls. An API
// without a ReadOnly method counts as writable.
func (a *auditedAPI) ReadOnly() bool {
	ro, ok := a.API.(interface{ ReadOnly() bool })
	return ok && ro.ReadOnly()
}

// call is one mutating call in progress.
type call struct {
	a         *auditedAPI
	requestID string
	entry     Entry
}

// begin returns the context to pass to the wrapped call, which records the
// response's request id into c.
func (a *auditedAPI) begin(ctx context.Context, op string, targets ...string) (context.Context, *call) {
	c := &call{a: a, entry: Entry{
		Profile: a.profile, TenantID: a.API.TenantID(), RealmID: a.API.RealmID(),
		Operation: op, TargetIDs: targets,
	}}
	return client.WithRequestIDRecorder(ctx, &c.requestID), c
}

// end appends the entry for the finished call.
func (c *call) end(err error) {
	e := c.entry
	e.RequestID = c.requestID
	e.Outcome = OutcomeOK
	if err != nil {
		e.Outcome = OutcomeError
		var apiErr *client.APIError
		if errors.As(err, &apiErr) {
			e.Status, e.Code, e.Message = apiErr.Status, apiErr.Code, clip(apiErr.Message)
			e.RequestID = apiErr.RequestID
			for _, be := range apiErr.BatchErrors {
				e.Message = clip(fmt.Sprintf("%s; %s: %d ids", e.Message, be.Description, len(be.IDs)))
			}
		} else {
			e.Message = clip(err.Error())
		}
	}
	_ = c.a.log.Append(e) // recorded in log.Err
}

// maxMessage bounds an error message in an entry.
const maxMessage = 300

// clip keeps a message to one line of at most maxMessage runes. Messages
// come from the API or from the client, neither of which puts tokens,
// links or request bodies in them.
func clip(s string) string {
	out := make([]rune, 0, min(len(s), maxMessage))
	for _, r := range s {
		if len(out) == maxMessage {
			out = append(out, '…')
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}

func (a *auditedAPI) UpdateRealm(ctx context.Context, patch client.RealmPatch) (*client.Realm, error) {
	ctx, c := a.begin(ctx, "UpdateRealm", a.API.RealmID())
	if patch.DisplayName != nil {
		c.entry.Detail = "display_name changed"
	}
	r, err := a.API.UpdateRealm(ctx, patch)
	c.end(err)
	return r, err
}

func (a *auditedAPI) CreateIdentity(ctx context.Context, in client.IdentityCreate) (*client.Identity, error) {
	ctx, c := a.begin(ctx, "CreateIdentity")
	c.entry.Detail = "username=" + clip(in.Traits.Username)
	id, err := a.API.CreateIdentity(ctx, in)
	if err == nil && id != nil {
		c.entry.TargetIDs = []string{id.ID}
	}
	c.end(err)
	return id, err
}

func (a *auditedAPI) UpdateIdentity(ctx context.Context, identityID string, patch client.IdentityPatch) (*client.Identity, error) {
	ctx, c := a.begin(ctx, "UpdateIdentity", identityID)
	c.entry.Detail = patchDetail(patch)
	id, err := a.API.UpdateIdentity(ctx, identityID, patch)
	c.end(err)
	return id, err
}

// patchDetail names what an identity patch changes. It gives the new
// status but no trait values, only that traits changed.
func patchDetail(p client.IdentityPatch) string {
	var d string
	add := func(s string) {
		if d != "" {
			d += ", "
		}
		d += s
	}
	if p.Status != nil {
		add("status=" + clip(*p.Status))
	}
	if p.DisplayName != nil {
		add("display_name changed")
	}
	if p.Traits != nil {
		add("traits changed")
	}
	return d
}

func (a *auditedAPI) DeleteIdentity(ctx context.Context, identityID string) error {
	ctx, c := a.begin(ctx, "DeleteIdentity", identityID)
	err := a.API.DeleteIdentity(ctx, identityID)
	c.end(err)
	return err
}

func (a *auditedAPI) BatchDeleteIdentities(ctx context.Context, identityIDs []string) error {
	ctx, c := a.begin(ctx, "BatchDeleteIdentities", cloneIDs(identityIDs)...)
	err := a.API.BatchDeleteIdentities(ctx, identityIDs)
	c.end(err)
	return err
}

func (a *auditedAPI) RevokeCredential(ctx context.Context, identityID, credentialID string) (*client.Credential, error) {
	ctx, c := a.begin(ctx, "RevokeCredential", identityID, credentialID)
	cred, err := a.API.RevokeCredential(ctx, identityID, credentialID)
	c.end(err)
	return cred, err
}

func (a *auditedAPI) CreateCredentialBindingJob(ctx context.Context, identityID string, in client.CredentialBindingJobCreate) (*client.CreatedCredentialBindingJob, error) {
	ctx, c := a.begin(ctx, "CreateCredentialBindingJob", identityID)
	c.entry.Detail = "delivery=" + clip(in.DeliveryMethod)
	job, err := a.API.CreateCredentialBindingJob(ctx, identityID, in)
	if err == nil && job != nil {
		// The job id, never the binding link that RETURN delivery carries.
		c.entry.TargetIDs = append(c.entry.TargetIDs, job.Job.ID)
	}
	c.end(err)
	return job, err
}

func (a *auditedAPI) RevokeCredentialBindingJob(ctx context.Context, identityID, jobID string) (*client.CredentialBindingJob, error) {
	ctx, c := a.begin(ctx, "SetCredentialBindingJobRevoked", identityID, jobID)
	job, err := a.API.RevokeCredentialBindingJob(ctx, identityID, jobID)
	c.end(err)
	return job, err
}

func (a *auditedAPI) CreateBatchCredentialBindingJob(ctx context.Context, in client.BatchCredentialBindingJobCreate) (*client.BatchCredentialBindingJob, error) {
	ctx, c := a.begin(ctx, "CreateBatchCredentialBindingJob", cloneIDs(in.IdentityIDs)...)
	batch, err := a.API.CreateBatchCredentialBindingJob(ctx, in)
	if err == nil && batch != nil {
		c.entry.Detail = "batch " + batch.ID
	}
	c.end(err)
	return batch, err
}

func (a *auditedAPI) AddGroupMembers(ctx context.Context, groupID string, identityIDs []string) (*client.Group, error) {
	ctx, c := a.begin(ctx, "AddGroupMembers", append([]string{groupID}, identityIDs...)...)
	g, err := a.API.AddGroupMembers(ctx, groupID, identityIDs)
	c.end(err)
	return g, err
}

func (a *auditedAPI) DeleteGroupMembers(ctx context.Context, groupID string, identityIDs []string) (*client.Group, error) {
	ctx, c := a.begin(ctx, "DeleteGroupMembers", append([]string{groupID}, identityIDs...)...)
	g, err := a.API.DeleteGroupMembers(ctx, groupID, identityIDs)
	c.end(err)
	return g, err
}

// cloneIDs copies ids so the entry does not share the caller's slice.
func cloneIDs(ids []string) []string { return append([]string(nil), ids...) }
