package config

// keySpec describes one key of a [profiles.NAME] table. Exactly one of text
// and flag is set. It returns the Profile field that stores the key, so
// decoding, validation and writing share one list.
type keySpec struct {
	name string
	text func(*Profile) *string
	flag func(*Profile) *bool
	// secret marks keys whose value is itself a secret (api_token,
	// client_secret): loading one gives a warning.
	secret bool
}

// profileKeys lists the keys of a profile in the order Save writes them.
var profileKeys = []keySpec{
	{name: "tenant_id", text: func(p *Profile) *string { return &p.TenantID }},
	{name: "realm_id", text: func(p *Profile) *string { return &p.RealmID }},
	{name: "region", text: func(p *Profile) *string { return &p.Region }},
	{name: "api_base_url", text: func(p *Profile) *string { return &p.APIBaseURL }},
	{name: "auth_base_url", text: func(p *Profile) *string { return &p.AuthBaseURL }},
	{name: "authenticator_config_id", text: func(p *Profile) *string { return &p.AuthenticatorConfigID }},
	{name: "post_binding_redirect_uri", text: func(p *Profile) *string { return &p.PostBindingRedirectURI }},
	{name: "login_application_id", text: func(p *Profile) *string { return &p.LoginApplicationID }},
	{name: "read_only", flag: func(p *Profile) *bool { return &p.ReadOnly }},
	{name: "production", flag: func(p *Profile) *bool { return &p.Production }},

	{name: "api_token_env", text: func(p *Profile) *string { return &p.APITokenEnv }},
	{name: "api_token_command", text: func(p *Profile) *string { return &p.APITokenCommand }},
	{name: "api_token_keyring", text: func(p *Profile) *string { return &p.APITokenKeyring }},
	{name: "api_token", text: func(p *Profile) *string { return &p.APIToken }, secret: true},

	{name: "client_id", text: func(p *Profile) *string { return &p.ClientID }},
	{name: "client_secret_env", text: func(p *Profile) *string { return &p.ClientSecretEnv }},
	{name: "client_secret_command", text: func(p *Profile) *string { return &p.ClientSecretCommand }},
	{name: "client_secret_keyring", text: func(p *Profile) *string { return &p.ClientSecretKeyring }},
	{name: "client_secret", text: func(p *Profile) *string { return &p.ClientSecret }, secret: true},
	{name: "token_realm_id", text: func(p *Profile) *string { return &p.TokenRealmID }},
	{name: "token_application_id", text: func(p *Profile) *string { return &p.TokenApplicationID }},
	{name: "token_url", text: func(p *Profile) *string { return &p.TokenURLOverride }},
}

// topLevelKeys are the keys allowed outside any profile table.
var topLevelKeys = []string{"default_profile", "profiles"}

func lookupKey(name string) (keySpec, bool) {
	for _, k := range profileKeys {
		if k.name == name {
			return k, true
		}
	}
	return keySpec{}, false
}

func profileKeyNames() []string {
	names := make([]string, len(profileKeys))
	for i, k := range profileKeys {
		names[i] = k.name
	}
	return names
}
