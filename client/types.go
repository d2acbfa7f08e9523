package client

import "time"

// The types below mirror the schemas of the Beyond Identity Secure Access API
// v1.7.0. Fields the service marks read-only appear only on the response
// types; the request types carry only what a write may set. Unknown response
// fields are ignored by encoding/json, so a newer service does not break us.

// Tenant is the top-level account that owns realms.
type Tenant struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"display_name"`
	CreateTime  time.Time `json:"create_time"`
	UpdateTime  time.Time `json:"update_time"`
}

// Realm is an isolated set of identities, applications and configs.
type Realm struct {
	ID             string    `json:"id"`
	TenantID       string    `json:"tenant_id"`
	DisplayName    string    `json:"display_name"`
	Classification string    `json:"classification,omitempty"`
	CreateTime     time.Time `json:"create_time"`
	UpdateTime     time.Time `json:"update_time"`
}

// RealmPatch is the body of UpdateRealm; nil fields are left unchanged.
type RealmPatch struct {
	DisplayName *string `json:"display_name,omitempty"`
}

// Enrollment statuses of an identity. The service derives them from the
// identity's credentials and binding jobs; the field may be absent.
const (
	EnrollmentEnrolled     = "ENROLLED"
	EnrollmentPending      = "PENDING"
	EnrollmentInviteFailed = "INVITE_FAILED"
	EnrollmentUnenrolled   = "UNENROLLED"
)

// Identity statuses. The spec has no enum for them; these are the two values
// the service documents.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// TraitsTypeV0 is the only traits schema the API defines; every write that
// carries traits must name it.
const TraitsTypeV0 = "traits_v0"

// Traits are the profile attributes of an identity (schema Traits_v0).
type Traits struct {
	Type                  string `json:"type"`
	Username              string `json:"username,omitempty"`
	PrimaryEmailAddress   string `json:"primary_email_address,omitempty"`
	SecondaryEmailAddress string `json:"secondary_email_address,omitempty"`
	ExternalID            string `json:"external_id,omitempty"`
	FamilyName            string `json:"family_name,omitempty"`
	GivenName             string `json:"given_name,omitempty"`
	FormattedName         string `json:"formatted_name,omitempty"`
	MiddleName            string `json:"middle_name,omitempty"`
	HonorificPrefix       string `json:"honorific_prefix,omitempty"`
	HonorificSuffix       string `json:"honorific_suffix,omitempty"`
	NickName              string `json:"nick_name,omitempty"`
	Title                 string `json:"title,omitempty"`
	PrimaryPhone          string `json:"primary_phone,omitempty"`
	SecondaryPhone        string `json:"secondary_phone,omitempty"`
	ProfileURL            string `json:"profile_url,omitempty"`
	Photo                 string `json:"photo,omitempty"`
	PreferredLanguage     string `json:"preferred_language,omitempty"`
	Locale                string `json:"locale,omitempty"`
	Timezone              string `json:"timezone,omitempty"`
	FormattedAddress      string `json:"formatted_address,omitempty"`
	StreetAddress         string `json:"street_address,omitempty"`
	Locality              string `json:"locality,omitempty"`
	Region                string `json:"region,omitempty"`
	PostalCode            string `json:"postal_code,omitempty"`
	Country               string `json:"country,omitempty"`
	UserType              string `json:"user_type,omitempty"`
	EmployeeNumber        string `json:"employee_number,omitempty"`
	CostCenter            string `json:"cost_center,omitempty"`
	Organization          string `json:"organization,omitempty"`
	Division              string `json:"division,omitempty"`
	Department            string `json:"department,omitempty"`
	ManagerID             string `json:"manager_id,omitempty"`
	ManagerName           string `json:"manager_name,omitempty"`
}

// Identity is a user of the realm.
type Identity struct {
	ID               string    `json:"id"`
	RealmID          string    `json:"realm_id"`
	TenantID         string    `json:"tenant_id"`
	DisplayName      string    `json:"display_name"`
	Status           string    `json:"status,omitempty"`
	Traits           Traits    `json:"traits"`
	EnrollmentStatus string    `json:"enrollment_status,omitempty"`
	CreateTime       time.Time `json:"create_time"`
	UpdateTime       time.Time `json:"update_time"`
}

// IdentityCreate is the body of CreateIdentity. Traits.Type is filled in by
// the client when empty.
type IdentityCreate struct {
	// DisplayName is left out when empty: the API rejects "" against the
	// schema, and the service reports a missing name as a field violation.
	DisplayName string `json:"display_name,omitempty"`
	Status      string `json:"status,omitempty"`
	Traits      Traits `json:"traits"`
}

// IdentityPatch is the body of UpdateIdentity. The service merges traits
// field by field, so only the traits set here change; nil means unchanged.
type IdentityPatch struct {
	DisplayName *string `json:"display_name,omitempty"`
	Status      *string `json:"status,omitempty"`
	Traits      *Traits `json:"traits,omitempty"`
}

// Credential states and types.
const (
	CredentialActive  = "ACTIVE"
	CredentialRevoked = "REVOKED"
)

// Credential is a passkey bound to an identity. Every field is read-only.
type Credential struct {
	ID            string    `json:"id"`
	IdentityID    string    `json:"identity_id"`
	RealmID       string    `json:"realm_id"`
	TenantID      string    `json:"tenant_id"`
	State         string    `json:"state"`
	CSRType       string    `json:"csr_type,omitempty"`
	JWKJSON       string    `json:"jwk_json,omitempty"`
	JWKThumbprint string    `json:"jwk_thumbprint,omitempty"`
	CreateTime    time.Time `json:"create_time"`
	UpdateTime    time.Time `json:"update_time"`
}

// Delivery methods of a credential binding job.
const (
	DeliveryEmail  = "EMAIL"
	DeliveryReturn = "RETURN"
)

// Credential binding job states.
const (
	JobLinkSent         = "LINK_SENT"
	JobLinkOpened       = "LINK_OPENED"
	JobRequestDelivered = "REQUEST_DELIVERED"
	JobComplete         = "COMPLETE"
	JobExpired          = "EXPIRED"
	JobFailedToSend     = "FAILED_TO_SEND"
	JobRevoked          = "REVOKED"
)

// JobLive reports whether a job in this state can still bind a credential.
func JobLive(state string) bool {
	switch state {
	case JobLinkSent, JobLinkOpened, JobRequestDelivered:
		return true
	}
	return false
}

// CredentialBindingJob is one enrollment invitation for an identity.
type CredentialBindingJob struct {
	ID                     string    `json:"id"`
	IdentityID             string    `json:"identity_id"`
	RealmID                string    `json:"realm_id"`
	TenantID               string    `json:"tenant_id"`
	CredentialID           string    `json:"credential_id,omitempty"`
	BatchID                string    `json:"batch_id,omitempty"`
	DeliveryMethod         string    `json:"delivery_method"`
	State                  string    `json:"state"`
	PostBindingRedirectURI string    `json:"post_binding_redirect_uri,omitempty"`
	AuthenticatorConfigID  string    `json:"authenticator_config_id,omitempty"`
	ExpireTime             time.Time `json:"expire_time"`
	CreateTime             time.Time `json:"create_time"`
	UpdateTime             time.Time `json:"update_time"`
}

// CredentialBindingJobCreate is the body of CreateCredentialBindingJob.
// The client sends only authenticator_config_id; inline configs are not
// supported by biadmin.
type CredentialBindingJobCreate struct {
	DeliveryMethod         string `json:"delivery_method"`
	AuthenticatorConfigID  string `json:"authenticator_config_id,omitempty"`
	PostBindingRedirectURI string `json:"post_binding_redirect_uri,omitempty"`
}

// CreatedCredentialBindingJob is the response of CreateCredentialBindingJob.
// Link is set only for RETURN delivery; it is a bearer secret for the
// identity's enrollment and must be shown only on request.
type CreatedCredentialBindingJob struct {
	Job  CredentialBindingJob `json:"credential_binding_job"`
	Link string               `json:"credential_binding_link,omitempty"`
}

// AuthenticatorConfig describes how identities of the realm authenticate.
// Only the fields the console shows are decoded; the rest of the config
// object is dropped.
type AuthenticatorConfig struct {
	ID          string              `json:"id"`
	RealmID     string              `json:"realm_id"`
	TenantID    string              `json:"tenant_id"`
	DisplayName string              `json:"display_name,omitempty"`
	Config      AuthenticatorSubset `json:"config"`
}

// AuthenticatorSubset is the part of an authenticator config's `config`
// object that the console reads.
type AuthenticatorSubset struct {
	Type           string   `json:"type"`
	InvokeURL      string   `json:"invoke_url,omitempty"`
	TrustedOrigins []string `json:"trusted_origins,omitempty"`
}

// Application is an OAuth2, OIDC or SAML client registered in the realm.
type Application struct {
	ID                    string          `json:"id"`
	RealmID               string          `json:"realm_id"`
	TenantID              string          `json:"tenant_id"`
	ResourceServerID      string          `json:"resource_server_id,omitempty"`
	AuthenticatorConfigID string          `json:"authenticator_config_id,omitempty"`
	DisplayName           string          `json:"display_name"`
	IsManaged             bool            `json:"is_managed,omitempty"`
	Classification        string          `json:"classification,omitempty"`
	ProtocolConfig        *ProtocolConfig `json:"protocol_config,omitempty"`
}

// ProtocolConfig is the oauth2 or oidc protocol_config of an application.
// ClientSecret is a secret: never log it or show it unmasked.
type ProtocolConfig struct {
	Type                    string              `json:"type"`
	AllowedScopes           []string            `json:"allowed_scopes,omitempty"`
	ClientID                string              `json:"client_id,omitempty"`
	ClientSecret            string              `json:"client_secret,omitempty"`
	Confidentiality         string              `json:"confidentiality,omitempty"`
	TokenEndpointAuthMethod string              `json:"token_endpoint_auth_method,omitempty"`
	GrantType               []string            `json:"grant_type,omitempty"`
	RedirectURIs            []string            `json:"redirect_uris,omitempty"`
	TokenConfiguration      *TokenConfiguration `json:"token_configuration,omitempty"`
	PKCE                    string              `json:"pkce,omitempty"`
	TokenFormat             string              `json:"token_format,omitempty"`
}

// TokenConfiguration controls the tokens an application's issuer mints.
type TokenConfiguration struct {
	ExpiresAfter          uint32 `json:"expires_after"`
	TokenSigningAlgorithm string `json:"token_signing_algorithm,omitempty"`
	SubjectField          string `json:"subject_field,omitempty"`
}

// Group is a named set of identities.
type Group struct {
	ID          string    `json:"id"`
	RealmID     string    `json:"realm_id"`
	TenantID    string    `json:"tenant_id"`
	DisplayName string    `json:"display_name"`
	Description string    `json:"description,omitempty"`
	CreateTime  time.Time `json:"create_time"`
	UpdateTime  time.Time `json:"update_time"`
}

// Batch credential binding job states.
const (
	BatchRunning        = "RUNNING"
	BatchFailed         = "FAILED"
	BatchPartialSuccess = "PARTIAL_SUCCESS"
	BatchSuccess        = "SUCCESS"
)

// BatchJobTemplate is the per-identity job a batch fans out.
type BatchJobTemplate struct {
	PostBindingRedirectURI string    `json:"post_binding_redirect_uri,omitempty"`
	AuthenticatorConfigID  string    `json:"authenticator_config_id,omitempty"`
	ExpireTime             time.Time `json:"expire_time,omitzero"`
}

// BatchError is the last error of one identity in a batch.
type BatchError struct {
	LastError         string `json:"last_error"`
	FailedPermanently bool   `json:"failed_permanently"`
}

// BatchStateCommentary carries per-identity errors of a batch.
type BatchStateCommentary struct {
	Errors map[string]BatchError `json:"errors,omitempty"`
}

// BatchCredentialBindingJob sends binding jobs to up to 1,000 identities.
type BatchCredentialBindingJob struct {
	ID              string                `json:"id"`
	TenantID        string                `json:"tenant_id"`
	RealmID         string                `json:"realm_id"`
	IdentityIDs     []string              `json:"identity_ids"`
	State           string                `json:"state"`
	StateCommentary *BatchStateCommentary `json:"state_commentary,omitempty"`
	JobTemplate     BatchJobTemplate      `json:"job_template"`
	CreateTime      time.Time             `json:"create_time"`
	UpdateTime      time.Time             `json:"update_time"`
}

// BatchCredentialBindingJobCreate is the body of CreateBatchCredentialBindingJob.
type BatchCredentialBindingJobCreate struct {
	IdentityIDs []string         `json:"identity_ids"`
	JobTemplate BatchJobTemplate `json:"job_template"`
}

// Page is one page of a list call. NextPageToken is empty on the last page.
type Page[T any] struct {
	Items         []T
	TotalSize     int
	NextPageToken string
}

// ListOptions are the paging parameters every list call shares. Zero values
// are not sent, so the service's defaults apply.
type ListOptions struct {
	PageSize  int
	PageToken string
	Skip      int
}
