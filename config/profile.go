package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Region names accepted by the region key.
const (
	RegionUS    = "us"
	RegionEU    = "eu"
	RegionUSGov = "us-gov"
)

// Regions lists the valid region values.
var Regions = []string{RegionUS, RegionEU, RegionUSGov}

// regionURLs are the documented base URLs of each region: the management API
// and the auth host that serves OIDC and token endpoints.
var regionURLs = map[string]struct{ api, auth string }{
	RegionUS:    {"https://api-us.beyondidentity.com", "https://auth-us.beyondidentity.com"},
	RegionEU:    {"https://api-eu.beyondidentity.com", "https://auth-eu.beyondidentity.com"},
	RegionUSGov: {"https://api.us1.beyondidentity-gov.com", "https://auth.us1.beyondidentity-gov.com"},
}

var (
	tenantIDPattern = regexp.MustCompile(`^0001[0-9a-f]{12}$`)
	realmIDPattern  = regexp.MustCompile(`^[0-9a-f]{16}$`)
	envNamePattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	profileName     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

func checkProfileName(name string) error {
	if !profileName.MatchString(name) {
		return fmt.Errorf("profile name %q is invalid: use 1 to 64 letters, digits, '-' or '_'", name)
	}
	return nil
}

// Endpoints returns the management API and auth base URLs without a
// trailing slash: the region's, each replaced by api_base_url or
// auth_base_url when set.
func (p *Profile) Endpoints() (apiBase, authBase string, err error) {
	var region struct{ api, auth string }
	if p.APIBaseURL == "" || p.AuthBaseURL == "" {
		var ok bool
		region, ok = regionURLs[p.Region]
		switch {
		case p.Region == "":
			return "", "", fmt.Errorf("profile %s: region is missing; set region to %s, or set both api_base_url and auth_base_url", p.Name, quotedList(Regions))
		case !ok:
			return "", "", fmt.Errorf("profile %s: region %q is invalid; valid regions: %s", p.Name, p.Region, quotedList(Regions))
		}
	}
	apiBase, authBase = region.api, region.auth
	if p.APIBaseURL != "" {
		if apiBase, err = checkBaseURL("api_base_url", p.APIBaseURL); err != nil {
			return "", "", fmt.Errorf("profile %s: %w", p.Name, err)
		}
	}
	if p.AuthBaseURL != "" {
		if authBase, err = checkBaseURL("auth_base_url", p.AuthBaseURL); err != nil {
			return "", "", fmt.Errorf("profile %s: %w", p.Name, err)
		}
	}
	return apiBase, authBase, nil
}

// TokenURL returns the client credentials token endpoint: token_url when
// set, else {auth base}/v1/tenants/{tenant_id}/realms/{token_realm_id}/applications/{token_application_id}/token.
func (p *Profile) TokenURL() (string, error) {
	if p.TokenURLOverride != "" {
		u, err := checkBaseURL("token_url", p.TokenURLOverride)
		if err != nil {
			return "", fmt.Errorf("profile %s: %w", p.Name, err)
		}
		return u, nil
	}
	if p.TokenRealmID == "" || p.TokenApplicationID == "" {
		return "", fmt.Errorf("profile %s: set token_realm_id and token_application_id (the realm and ID of the application that issues management tokens), or token_url", p.Name)
	}
	_, authBase, err := p.Endpoints()
	if err != nil {
		return "", err
	}
	return authBase + "/v1/tenants/" + url.PathEscape(p.TenantID) +
		"/realms/" + url.PathEscape(p.TokenRealmID) +
		"/applications/" + url.PathEscape(p.TokenApplicationID) + "/token", nil
}

// UsesClientCredentials reports whether the profile gets tokens with client
// credentials rather than a static API token.
func (p *Profile) UsesClientCredentials() bool {
	return p.ClientID != "" || len(p.clientSecretKeys()) > 0
}

// Validate checks the profile as Load would, for a profile built in code
// (such as `biadmin profile add`) before it is saved.
func (p *Profile) Validate() error {
	var errs []error
	if err := checkProfileName(p.Name); err != nil {
		errs = append(errs, err)
	}
	for _, fp := range p.fieldProblems() {
		if fp.key == "" {
			errs = append(errs, fmt.Errorf("profile %s: %s", p.Name, fp.msg))
		} else {
			errs = append(errs, fmt.Errorf("profile %s: %s %s", p.Name, fp.key, fp.msg))
		}
	}
	return errors.Join(errs...)
}

// fieldProblem is a problem with one key of a profile, or with the profile
// as a whole when key is empty. msg reads after the key name. about names
// the key whose value caused the problem, or "credentials" for the
// credential keys as a group, so Load can drop problems that follow from a
// key it already reported as mistyped or misspelled.
type fieldProblem struct {
	key   string
	msg   string
	about string
}

// fieldProblems checks values and their combinations, in key order.
func (p *Profile) fieldProblems() []fieldProblem {
	var out []fieldProblem
	add := func(key, format string, args ...any) {
		out = append(out, fieldProblem{key: key, msg: fmt.Sprintf(format, args...), about: key})
	}
	missing := func(about, format string, args ...any) {
		out = append(out, fieldProblem{msg: fmt.Sprintf(format, args...), about: about})
	}

	switch {
	case p.TenantID == "":
		missing("tenant_id", "tenant_id is missing; set it to your 16-character tenant ID, such as \"0001f1f460b1ace6\"")
	case !tenantIDPattern.MatchString(p.TenantID):
		add("tenant_id", "is invalid (%q): a tenant ID is 16 lowercase hexadecimal characters starting with 0001", p.TenantID)
	}
	switch {
	case p.RealmID == "":
		missing("realm_id", "realm_id is missing; set it to the 16-character ID of the realm to manage")
	case !realmIDPattern.MatchString(p.RealmID):
		add("realm_id", "is invalid (%q): a realm ID is 16 lowercase hexadecimal characters", p.RealmID)
	}

	switch _, known := regionURLs[p.Region]; {
	case p.Region == "" && (p.APIBaseURL == "" || p.AuthBaseURL == ""):
		missing("region", "region is missing; set region to %s, or set both api_base_url and auth_base_url", quotedList(Regions))
	case p.Region != "" && !known:
		add("region", "is invalid (%q); valid regions: %s", p.Region, quotedList(Regions))
	}
	for _, k := range []struct{ key, val string }{
		{"api_base_url", p.APIBaseURL},
		{"auth_base_url", p.AuthBaseURL},
		{"token_url", p.TokenURLOverride},
	} {
		if k.val == "" {
			continue
		}
		if msg := urlProblem(k.val); msg != "" {
			add(k.key, "%s", msg)
		}
	}

	for _, k := range []struct{ key, val string }{
		{"authenticator_config_id", p.AuthenticatorConfigID},
		{"login_application_id", p.LoginApplicationID},
		{"token_application_id", p.TokenApplicationID},
	} {
		if k.val != "" && !isPathSegment(k.val) {
			add(k.key, "is invalid (%q): an ID may not be empty or contain '/', '?', '#', spaces or control characters", k.val)
		}
	}
	if p.TokenRealmID != "" && !realmIDPattern.MatchString(p.TokenRealmID) {
		add("token_realm_id", "is invalid (%q): a realm ID is 16 lowercase hexadecimal characters", p.TokenRealmID)
	}
	if p.PostBindingRedirectURI != "" {
		if u, err := url.Parse(p.PostBindingRedirectURI); err != nil || !u.IsAbs() || hasSpaceOrControl(p.PostBindingRedirectURI) {
			add("post_binding_redirect_uri", "is not an absolute URL: write it with a scheme, such as \"https://example.com/enrolled\"")
		}
	}

	out = append(out, p.credentialProblems()...)
	return out
}

func (p *Profile) apiTokenKeys() []string {
	return setKeys(map[string]string{
		"api_token_env": p.APITokenEnv, "api_token_command": p.APITokenCommand,
		"api_token_keyring": p.APITokenKeyring, "api_token": p.APIToken,
	}, "api_token_env", "api_token_command", "api_token_keyring", "api_token")
}

func (p *Profile) clientSecretKeys() []string {
	return setKeys(map[string]string{
		"client_secret_env": p.ClientSecretEnv, "client_secret_command": p.ClientSecretCommand,
		"client_secret_keyring": p.ClientSecretKeyring, "client_secret": p.ClientSecret,
	}, "client_secret_env", "client_secret_command", "client_secret_keyring", "client_secret")
}

// setKeys returns, in the given order, the keys whose values are non-empty.
func setKeys(values map[string]string, order ...string) []string {
	var set []string
	for _, k := range order {
		if values[k] != "" {
			set = append(set, k)
		}
	}
	return set
}

func (p *Profile) credentialProblems() []fieldProblem {
	var out []fieldProblem
	add := func(key, format string, args ...any) {
		out = append(out, fieldProblem{key: key, msg: fmt.Sprintf(format, args...), about: "credentials"})
	}

	sources := p.apiTokenKeys()
	if p.UsesClientCredentials() {
		sources = append(sources, strings.Join(append([]string{"client_id"}, p.clientSecretKeys()...), " + "))
	}
	switch {
	case len(sources) == 0:
		add("", "no credentials; set api_token_env to the name of an environment variable that holds a management API token "+
			"(or api_token_command, api_token_keyring), or set client_id with client_secret_env for client credentials")
		return out
	case len(sources) > 1:
		add("", "several credential sources are set (%s); keep exactly one", strings.Join(sources, ", "))
		return out
	}

	for _, k := range []struct{ key, val string }{
		{"api_token_env", p.APITokenEnv},
		{"client_secret_env", p.ClientSecretEnv},
	} {
		if k.val != "" && !envNamePattern.MatchString(k.val) {
			add(k.key, "is invalid (%q): it names an environment variable, such as \"BIADMIN_TOKEN\"; it is not the secret itself", k.val)
		}
	}
	for _, k := range []struct{ key, val string }{
		{"api_token_keyring", p.APITokenKeyring},
		{"client_secret_keyring", p.ClientSecretKeyring},
	} {
		if k.val == "" {
			continue
		}
		if _, _, err := parseKeyringItem(k.val); err != nil {
			add(k.key, "%v", err)
		}
	}

	if !p.UsesClientCredentials() {
		for _, k := range []struct{ key, val string }{
			{"token_realm_id", p.TokenRealmID},
			{"token_application_id", p.TokenApplicationID},
			{"token_url", p.TokenURLOverride},
		} {
			if k.val != "" {
				add(k.key, "is used only with client credentials; remove it, or set client_id and a client secret")
			}
		}
		return out
	}

	secrets := p.clientSecretKeys()
	switch {
	case p.ClientID == "":
		add("", "%s is set but client_id is missing", secrets[0])
	case len(secrets) == 0:
		add("client_id", "is set but no client secret is; set client_secret_env (or client_secret_command, client_secret_keyring)")
	case len(secrets) > 1:
		add("", "several client secret sources are set (%s); keep exactly one", strings.Join(secrets, ", "))
	}
	if p.TokenURLOverride == "" {
		if p.TokenRealmID == "" {
			add("", "token_realm_id is missing; client credentials need the realm of the application that issues management tokens (usually the Admin realm), or token_url")
		}
		if p.TokenApplicationID == "" {
			add("", "token_application_id is missing; client credentials need the ID of the application that issues management tokens, or token_url")
		}
	}
	return out
}

// isCredentialKey reports whether a profile key belongs to the credential
// settings checked together by credentialProblems.
func isCredentialKey(key string) bool {
	return strings.HasPrefix(key, "api_token") || strings.HasPrefix(key, "client_") || strings.HasPrefix(key, "token_")
}

// checkBaseURL validates an http(s) base URL and returns it without a
// trailing slash. Errors name key and never echo a user name or password
// embedded in the URL.
func checkBaseURL(key, raw string) (string, error) {
	if msg := urlProblem(raw); msg != "" {
		return "", fmt.Errorf("%s %s", key, msg)
	}
	return strings.TrimRight(raw, "/"), nil
}

// urlProblem returns what is wrong with raw as a base URL, worded to follow
// the key name, or "" when it is valid. Plain http is accepted only for
// loopback hosts, because tokens travel in the clear over it.
func urlProblem(raw string) string {
	if hasSpaceOrControl(raw) {
		return "contains spaces or control characters"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL: write it as https://HOST"
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("must start with https:// (got %q)", shown)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("has no host (got %q)", shown)
	case u.User != nil:
		return "must not contain a user name or password"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Sprintf("must not have a query or fragment (got %q)", shown)
	case u.Scheme == "http" && !IsLoopbackHost(u.Hostname()):
		return fmt.Sprintf("must use https: plain http is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost), and %q is not one",
			u.Hostname())
	}
	return ""
}

// IsLoopbackHost reports whether host (without port) is localhost or a
// loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isPathSegment reports whether s can be put into a URL path as one segment
// without escaping surprises.
func isPathSegment(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/?#%\\") && !hasSpaceOrControl(s)
}

func hasSpaceOrControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) })
}

func quotedList(values []string) string {
	q := slices.Clone(values)
	for i, v := range q {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
