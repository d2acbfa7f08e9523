package sandbox

import "time"

// Wire types of the Beyond Identity Secure Access API v1.7.0, declared here
// rather than shared with the client so that a drift between the two sides
// shows up in the contract tests.

// Tenant is schema Tenant.
type Tenant struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"display_name"`
	CreateTime  time.Time `json:"create_time"`
	UpdateTime  time.Time `json:"update_time"`
}

// Realm is schema Realm.
type Realm struct {
	ID             string    `json:"id"`
	TenantID       string    `json:"tenant_id"`
	DisplayName    string    `json:"display_name"`
	Classification string    `json:"classification,omitempty"`
	CreateTime     time.Time `json:"create_time"`
	UpdateTime     time.Time `json:"update_time"`
}

// Traits is schema Traits_v0.
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

// Identity is schema Identity. EnrollmentStatus is never stored: handlers
// fill it in on every read from the identity's credentials and jobs.
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

// Identity statuses and derived enrollment statuses.
const (
	statusActive    = "active"
	statusSuspended = "suspended"

	enrollmentEnrolled     = "ENROLLED"
	enrollmentPending      = "PENDING"
	enrollmentInviteFailed = "INVITE_FAILED"
	enrollmentUnenrolled   = "UNENROLLED"

	traitsV0 = "traits_v0"
)

// Group is schema Group.
type Group struct {
	ID          string    `json:"id"`
	RealmID     string    `json:"realm_id"`
	TenantID    string    `json:"tenant_id"`
	DisplayName string    `json:"display_name"`
	Description string    `json:"description,omitempty"`
	CreateTime  time.Time `json:"create_time"`
	UpdateTime  time.Time `json:"update_time"`
}

// Credential is schema Credential.
type Credential struct {
	ID            string    `json:"id"`
	IdentityID    string    `json:"identity_id"`
	RealmID       string    `json:"realm_id"`
	TenantID      string    `json:"tenant_id"`
	State         string    `json:"state"`
	CSRType       string    `json:"csr_type"`
	JWKJSON       string    `json:"jwk_json"`
	JWKThumbprint string    `json:"jwk_thumbprint"`
	CreateTime    time.Time `json:"create_time"`
	UpdateTime    time.Time `json:"update_time"`
}

// Credential states.
const (
	credentialActive  = "ACTIVE"
	credentialRevoked = "REVOKED"
)

// CredentialBindingJob is schema CredentialBindingJob.
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

// Delivery methods and job states.
const (
	deliveryEmail  = "EMAIL"
	deliveryReturn = "RETURN"

	jobLinkSent         = "LINK_SENT"
	jobLinkOpened       = "LINK_OPENED"
	jobRequestDelivered = "REQUEST_DELIVERED"
	jobComplete         = "COMPLETE"
	jobExpired          = "EXPIRED"
	jobFailedToSend     = "FAILED_TO_SEND"
	jobRevoked          = "REVOKED"
)

// jobLive reports whether a job in this stored state can still bind a
// credential, not counting its expiry time.
func jobLive(state string) bool {
	switch state {
	case jobLinkSent, jobLinkOpened, jobRequestDelivered:
		return true
	}
	return false
}

// BatchJobTemplate is the job_template of a batch credential binding job.
type BatchJobTemplate struct {
	PostBindingRedirectURI string     `json:"post_binding_redirect_uri,omitempty"`
	AuthenticatorConfigID  string     `json:"authenticator_config_id,omitempty"`
	ExpireTime             *time.Time `json:"expire_time,omitempty"`
}

// BatchError is the last error of one identity in a batch.
type BatchError struct {
	LastError         string `json:"last_error"`
	FailedPermanently bool   `json:"failed_permanently"`
}

// BatchStateCommentary carries the per-identity errors of a batch.
type BatchStateCommentary struct {
	Errors map[string]BatchError `json:"errors"`
}

// BatchCredentialBindingJob is the batch_credential_binding_job resource.
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

// Batch states.
const (
	batchRunning        = "RUNNING"
	batchFailed         = "FAILED"
	batchPartialSuccess = "PARTIAL_SUCCESS"
	batchSuccess        = "SUCCESS"
)

// AuthenticationMethod is one entry of an authenticator config's
// authentication_methods.
type AuthenticationMethod struct {
	Type string `json:"type"`
}

// AuthenticatorConfigBody is the `config` object of an authenticator config.
// It covers the embedded and hosted_web variants, the only ones seeded.
type AuthenticatorConfigBody struct {
	Type                  string                 `json:"type"`
	InvokeURL             string                 `json:"invoke_url,omitempty"`
	InvocationType        string                 `json:"invocation_type,omitempty"`
	TrustedOrigins        []string               `json:"trusted_origins,omitempty"`
	AuthenticationMethods []AuthenticationMethod `json:"authentication_methods,omitempty"`
}

// AuthenticatorConfig is schema AuthenticatorConfig.
type AuthenticatorConfig struct {
	ID          string                  `json:"id"`
	RealmID     string                  `json:"realm_id"`
	TenantID    string                  `json:"tenant_id"`
	DisplayName string                  `json:"display_name,omitempty"`
	Config      AuthenticatorConfigBody `json:"config"`
}

// TokenConfiguration is schema TokenConfiguration.
type TokenConfiguration struct {
	ExpiresAfter          uint32 `json:"expires_after"`
	TokenSigningAlgorithm string `json:"token_signing_algorithm,omitempty"`
	SubjectField          string `json:"subject_field,omitempty"`
}

// ProtocolConfig is the oauth2 or oidc protocol_config of an application.
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

// Application is schema Application. Classification is not in the spec but
// the real service returns it ("management_api" on the management app).
type Application struct {
	ID                    string          `json:"id"`
	RealmID               string          `json:"realm_id"`
	TenantID              string          `json:"tenant_id"`
	ResourceServerID      string          `json:"resource_server_id,omitempty"`
	AuthenticatorConfigID string          `json:"authenticator_config_id,omitempty"`
	DisplayName           string          `json:"display_name"`
	IsManaged             bool            `json:"is_managed"`
	Classification        string          `json:"classification,omitempty"`
	ProtocolConfig        *ProtocolConfig `json:"protocol_config,omitempty"`
}

// ResourceServer is schema ResourceServer.
type ResourceServer struct {
	ID          string   `json:"id"`
	RealmID     string   `json:"realm_id"`
	TenantID    string   `json:"tenant_id"`
	DisplayName string   `json:"display_name"`
	IsManaged   bool     `json:"is_managed"`
	Identifier  string   `json:"identifier"`
	Scopes      []string `json:"scopes"`
}

// Token is one entry of the ListTokens response.
type Token struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name,omitempty"`
	Scopes      []string `json:"scopes"`
	TokenSuffix string   `json:"token_suffix"`
	TokenFormat string   `json:"token_format"`
	Expires     int64    `json:"expires"`
	IssuedAt    int64    `json:"issued_at"`
	TokenType   string   `json:"token_type"`
}

// tokenRecord is a token in the store shared by the management API (bearer
// checks, ListTokens, RevokeToken) and the OIDC provider (token, introspect,
// revoke). The embedded Token is what ListTokens shows.
type tokenRecord struct {
	Token
	TenantID      string `json:"tenant_id"`
	RealmID       string `json:"realm_id"`
	ApplicationID string `json:"application_id"`
	// PrincipalType is "application" or "identity"; PrincipalID is the
	// application or identity id, as the ListTokens filter expects.
	PrincipalType string `json:"principal_type,omitempty"`
	PrincipalID   string `json:"principal_id,omitempty"`
	Revoked       bool   `json:"revoked,omitempty"`
	// ReferenceHash is the SHA-256 (base64url) of a referential token's
	// value; empty for self-contained tokens.
	ReferenceHash string `json:"reference_hash,omitempty"`
	// Claims are kept for referential tokens and introspection.
	Claims map[string]any `json:"claims,omitempty"`
}

// OutboxMessage is one email the sandbox pretended to send.
type OutboxMessage struct {
	ID         string    `json:"id"`
	To         string    `json:"to"`
	Subject    string    `json:"subject"`
	Text       string    `json:"text"`
	Link       string    `json:"link"`
	IdentityID string    `json:"identity_id"`
	JobID      string    `json:"job_id"`
	SentTime   time.Time `json:"sent_time"`
}
