package client

import "context"

// API is the management API as the console uses it, bound to one tenant and
// realm. *Client implements it; screens depend on this interface so a test
// can wrap a real client (to count calls or delay answers) without a mock
// server of its own.
type API interface {
	TenantID() string
	RealmID() string

	GetTenant(ctx context.Context) (*Tenant, error)
	ListRealms(ctx context.Context, opts ListOptions) (*Page[Realm], error)
	GetRealm(ctx context.Context) (*Realm, error)
	UpdateRealm(ctx context.Context, patch RealmPatch) (*Realm, error)

	ListIdentities(ctx context.Context, opts ListIdentitiesOptions) (*Page[Identity], error)
	CreateIdentity(ctx context.Context, in IdentityCreate) (*Identity, error)
	GetIdentity(ctx context.Context, identityID string) (*Identity, error)
	UpdateIdentity(ctx context.Context, identityID string, patch IdentityPatch) (*Identity, error)
	DeleteIdentity(ctx context.Context, identityID string) error
	BatchDeleteIdentities(ctx context.Context, identityIDs []string) error
	ListIdentityGroups(ctx context.Context, identityID string, opts ListOptions) (*Page[Group], error)

	// identityID "-" lists across every identity of the realm.
	ListCredentials(ctx context.Context, identityID string, opts ListOptions) (*Page[Credential], error)
	GetCredential(ctx context.Context, identityID, credentialID string) (*Credential, error)
	RevokeCredential(ctx context.Context, identityID, credentialID string) (*Credential, error)

	CreateCredentialBindingJob(ctx context.Context, identityID string, in CredentialBindingJobCreate) (*CreatedCredentialBindingJob, error)
	// identityID "-" lists across every identity of the realm.
	ListCredentialBindingJobs(ctx context.Context, identityID string, opts ListOptions) (*Page[CredentialBindingJob], error)
	GetCredentialBindingJob(ctx context.Context, identityID, jobID string) (*CredentialBindingJob, error)
	RevokeCredentialBindingJob(ctx context.Context, identityID, jobID string) (*CredentialBindingJob, error)

	CreateBatchCredentialBindingJob(ctx context.Context, in BatchCredentialBindingJobCreate) (*BatchCredentialBindingJob, error)
	GetBatchCredentialBindingJob(ctx context.Context, batchID string) (*BatchCredentialBindingJob, error)
	ListBatchCredentialBindingJobResults(ctx context.Context, batchID string, opts ListOptions) (*BatchResults, error)

	ListGroups(ctx context.Context, opts ListOptions) (*Page[Group], error)
	GetGroup(ctx context.Context, groupID string) (*Group, error)
	ListGroupMembers(ctx context.Context, groupID string, opts ListOptions) (*Page[Identity], error)
	AddGroupMembers(ctx context.Context, groupID string, identityIDs []string) (*Group, error)
	DeleteGroupMembers(ctx context.Context, groupID string, identityIDs []string) (*Group, error)

	ListAuthenticatorConfigs(ctx context.Context, opts ListOptions) (*Page[AuthenticatorConfig], error)
	GetAuthenticatorConfig(ctx context.Context, configID string) (*AuthenticatorConfig, error)
	ListApplications(ctx context.Context, opts ListOptions) (*Page[Application], error)
	GetApplication(ctx context.Context, applicationID string) (*Application, error)
}

// ListIdentitiesOptions adds the SCIM filter to the paging parameters. Build
// Filter with UsernameEquals; never from user text directly.
type ListIdentitiesOptions struct {
	ListOptions
	Filter Filter
}

// BatchResults is the response of ListBatchCredentialBindingJobResults:
// the credential binding jobs the batch created, with outcome counts.
type BatchResults struct {
	Jobs              []CredentialBindingJob
	TotalSuccessCount int
	TotalFailureCount int
	TotalPendingCount int
	TotalSize         int
	NextPageToken     string
}
