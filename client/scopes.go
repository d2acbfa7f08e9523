package client

import "slices"

// operationScopes lists, per operationId, the scopes the API description's
// security section requires; a token needs all of them. A test checks this
// table against client/testdata/openapi-subset.yaml.
var operationScopes = map[string][]string{
	"GetTenant":   {"tenants:read"},
	"ListRealms":  {"realms:read"},
	"GetRealm":    {"realms:read"},
	"UpdateRealm": {"realms:update"},

	"ListGroups":         {"groups:read"},
	"GetGroup":           {"groups:read"},
	"AddGroupMembers":    {"groups:update", "identities:read"},
	"DeleteGroupMembers": {"groups:update", "identities:read"},
	"ListGroupMembers":   {"groups:read", "identities:read"},

	"CreateIdentity":        {"identities:create"},
	"ListIdentities":        {"identities:read"},
	"BatchDeleteIdentities": {"identities:delete"},
	"GetIdentity":           {"identities:read"},
	"UpdateIdentity":        {"identities:update"},
	"DeleteIdentity":        {"identities:delete"},
	"ListIdentityGroups":    {"identities:read", "groups:read"},

	"ListCredentials":  {"credentials:read"},
	"GetCredential":    {"credentials:read"},
	"RevokeCredential": {"credentials:revoke"},

	"CreateCredentialBindingJob":     {"credential-binding-jobs:create"},
	"ListCredentialBindingJobs":      {"credential-binding-jobs:read"},
	"GetCredentialBindingJob":        {"credential-binding-jobs:read"},
	"SetCredentialBindingJobRevoked": {"credential-binding-jobs:revoke"},

	"CreateBatchCredentialBindingJob":      {"credential-binding-jobs:create"},
	"GetBatchCredentialBindingJob":         {"credential-binding-jobs:read"},
	"ListBatchCredentialBindingJobResults": {"credential-binding-jobs:read"},

	"ListApplications":         {"applications:read"},
	"GetApplication":           {"applications:read"},
	"ListAuthenticatorConfigs": {"authenticator-configs:read"},
	"GetAuthenticatorConfig":   {"authenticator-configs:read"},
}

// RequiredScopes returns the scopes a token needs for the operation with
// this operationId (e.g. "CreateIdentity"), or nil for an unknown one.
func RequiredScopes(operationID string) []string {
	return slices.Clone(operationScopes[operationID])
}

// AllScopes returns every scope some operation of the client needs, sorted;
// a client-credentials token request can ask for exactly these.
func AllScopes() []string {
	var all []string
	for _, scopes := range operationScopes {
		for _, s := range scopes {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	slices.Sort(all)
	return all
}
