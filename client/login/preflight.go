package login

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/biadmin/biadmin/client"
)

// maxApplicationPages bounds the application search so a misbehaving server
// that always returns a next page token cannot keep the pre-flight going.
const maxApplicationPages = 50

// preflight reads the application through the management API, fills in what
// the config left empty and checks that the application accepts what the
// test will send. It returns false when a check failed.
func (r *run) preflight(ctx context.Context) bool {
	st := r.begin(StepPreflight)
	cfg := &r.cfg
	if cfg.API == nil {
		r.defaultAuthMethod("")
		st.finish(StatusSkip, "no management API access, so the application was not checked against the test")
		return true
	}

	app, ok := r.findApplication(ctx, st)
	if !ok {
		st.finish("", "")
		return false
	}
	r.report.ApplicationID = app.ID
	pc := app.ProtocolConfig

	if pc == nil || pc.Type != "oidc" {
		kind := "no protocol configuration"
		if pc != nil {
			kind = "protocol " + pc.Type
		}
		st.check("protocol", StatusFail, fmt.Sprintf("application %q has %s, not oidc", app.DisplayName, kind),
			"choose an OIDC application: only OIDC applications issue ID tokens")
		st.finish("", "")
		return false
	}
	st.check("protocol", StatusPass, fmt.Sprintf("application %q (%s) is an OIDC application", app.DisplayName, app.ID), "")

	if slices.Contains(pc.GrantType, "authorization_code") || len(pc.GrantType) == 0 {
		st.check("grant_type", StatusPass, "authorization_code is allowed", "")
	} else {
		st.check("grant_type", StatusFail, "grant types are "+strings.Join(pc.GrantType, ", ")+", without authorization_code",
			"add authorization_code to the application's grant_type")
	}

	r.checkClientID(st, pc)
	r.checkRedirectURI(st, pc)
	r.checkConfidentiality(st, pc)
	r.checkPKCE(st, pc)
	r.checkScopes(st, pc)
	r.checkExpectedIdentity(ctx, st, pc)

	st.finish("", "")
	return st.failed == 0
}

// findApplication reads cfg.ApplicationID, or picks the realm's only OIDC
// application with a loopback redirect URI when none was given.
func (r *run) findApplication(ctx context.Context, st *stepRecorder) (*client.Application, bool) {
	cfg := &r.cfg
	if cfg.ApplicationID != "" {
		app, err := cfg.API.GetApplication(ctx, cfg.ApplicationID)
		if err != nil {
			st.check("application", StatusFail, fmt.Sprintf("read application %s: %v", cfg.ApplicationID, err),
				managementFix(err, "check the application ID, the realm of the profile and that the API token has applications:read"))
			return nil, false
		}
		st.check("application", StatusPass, "application "+app.ID+" exists", "")
		return app, true
	}

	var candidates []client.Application
	opts := client.ListOptions{}
	for page := 0; page < maxApplicationPages; page++ {
		p, err := cfg.API.ListApplications(ctx, opts)
		if err != nil {
			st.check("application", StatusFail, "list applications: "+err.Error(),
				managementFix(err, "pass the application ID, or grant the API token applications:read"))
			return nil, false
		}
		for _, a := range p.Items {
			if a.IsManaged || a.ProtocolConfig == nil || a.ProtocolConfig.Type != "oidc" {
				continue
			}
			if _, ok := firstLoopbackRedirect(a.ProtocolConfig.RedirectURIs); ok {
				candidates = append(candidates, a)
			}
		}
		if p.NextPageToken == "" {
			break
		}
		opts.PageToken = p.NextPageToken
	}
	switch len(candidates) {
	case 1:
		app := candidates[0]
		cfg.ApplicationID = app.ID
		st.check("application", StatusPass, fmt.Sprintf("chose %q (%s), the realm's only OIDC application with a loopback redirect URI", app.DisplayName, app.ID), "")
		return &app, true
	case 0:
		st.check("application", StatusFail, "the realm has no OIDC application with a loopback redirect URI",
			"register http://127.0.0.1:8765/callback (any free port) as a redirect URI of an OIDC application, or pass its ID")
	default:
		names := make([]string, 0, len(candidates))
		for _, a := range candidates {
			names = append(names, fmt.Sprintf("%s (%q)", a.ID, a.DisplayName))
		}
		st.check("application", StatusFail, "several OIDC applications could be tested: "+strings.Join(names, ", "),
			"pass the ID of the one to test")
	}
	return nil, false
}

func (r *run) checkClientID(st *stepRecorder, pc *client.ProtocolConfig) {
	cfg := &r.cfg
	switch {
	case cfg.ClientID == "":
		cfg.ClientID = pc.ClientID
		st.check("client_id", StatusPass, "using the application's client_id "+pc.ClientID, "")
	case cfg.ClientID == pc.ClientID:
		st.check("client_id", StatusPass, "client_id "+pc.ClientID+" matches the application", "")
	default:
		st.check("client_id", StatusFail, fmt.Sprintf("the test would send client_id %q but the application's is %q", cfg.ClientID, pc.ClientID),
			"remove the client ID override or set it to "+pc.ClientID)
	}
	r.report.ClientID = cfg.ClientID
}

func (r *run) checkRedirectURI(st *stepRecorder, pc *client.ProtocolConfig) {
	cfg := &r.cfg
	if cfg.RedirectURI == "" {
		uri, ok := firstLoopbackRedirect(pc.RedirectURIs)
		if !ok {
			st.check("redirect_uri", StatusFail,
				"none of the application's redirect URIs is a loopback URI with a fixed port: "+listOrNone(pc.RedirectURIs),
				"add a loopback redirect URI such as http://127.0.0.1:8765/callback to the application")
			return
		}
		cfg.RedirectURI = uri
		st.check("redirect_uri", StatusPass, "using the application's loopback redirect URI "+uri, "")
		return
	}
	if slices.Contains(pc.RedirectURIs, cfg.RedirectURI) {
		st.check("redirect_uri", StatusPass, cfg.RedirectURI+" is registered on the application", "")
		return
	}
	st.check("redirect_uri", StatusFail,
		fmt.Sprintf("%s is not among the application's redirect URIs (%s); they must match exactly", cfg.RedirectURI, listOrNone(pc.RedirectURIs)),
		"add "+cfg.RedirectURI+" to the application's redirect URIs, or test with one of those")
}

func (r *run) checkConfidentiality(st *stepRecorder, pc *client.ProtocolConfig) {
	cfg := &r.cfg
	if cfg.ClientSecret.IsZero() && pc.ClientSecret != "" {
		cfg.ClientSecret = NewSecret(pc.ClientSecret)
	}
	r.defaultAuthMethod(pc.Confidentiality)
	method := cfg.AuthMethod
	switch pc.Confidentiality {
	case "public":
		if method != AuthNone {
			st.check("client_auth", StatusFail, "the application is public but the test would authenticate with "+string(method),
				"set the profile's token endpoint auth method to none: public clients send no secret")
			return
		}
		st.check("client_auth", StatusPass, "public client; the token request carries client_id only", "")
	case "confidential", "":
		if method == AuthNone {
			st.check("client_auth", StatusFail, "the application is confidential but the test would send no client secret",
				"set the profile's token endpoint auth method to client_secret_basic or client_secret_post")
			return
		}
		if cfg.ClientSecret.IsZero() {
			st.check("client_auth", StatusFail, "the application is confidential but no client secret is known",
				"put the application's client secret in the profile, or use an API token that may read it")
			return
		}
		st.check("client_auth", StatusPass, "confidential client; the token request uses "+string(method), "")
	default:
		st.check("client_auth", StatusFail, "unknown confidentiality "+pc.Confidentiality, "set confidentiality to confidential or public")
	}
}

// defaultAuthMethod picks the auth method when the config left it empty:
// none for public clients and client_secret_basic otherwise, which is what
// the service reports as token_endpoint_auth_method.
func (r *run) defaultAuthMethod(confidentiality string) {
	cfg := &r.cfg
	if cfg.AuthMethod == "" {
		switch {
		case confidentiality == "public":
			cfg.AuthMethod = AuthNone
		case confidentiality == "" && cfg.ClientSecret.IsZero():
			cfg.AuthMethod = AuthNone
		default:
			cfg.AuthMethod = AuthBasic
		}
	}
	r.report.AuthMethod = cfg.AuthMethod
}

func (r *run) checkPKCE(st *stepRecorder, pc *client.ProtocolConfig) {
	switch pc.PKCE {
	case "s256":
		st.check("pkce", StatusPass, "the application requires S256, which the test sends", "")
	case "plain":
		st.check("pkce", StatusFail, "the application expects plain PKCE but the test sends an S256 challenge",
			"set the application's pkce to s256; plain exposes the verifier and the tester does not send it")
	default:
		if pc.Confidentiality == "public" {
			st.check("pkce", StatusFail, "the application is public with PKCE disabled, which the service rejects",
				"set the application's pkce to s256: public clients must use PKCE")
			return
		}
		st.check("pkce", StatusPass, "PKCE is disabled on this confidential application; the S256 challenge the test sends is not enforced", "")
	}
}

func (r *run) checkScopes(st *stepRecorder, pc *client.ProtocolConfig) {
	var missing []string
	for _, s := range r.cfg.Scopes {
		if s != "openid" && !slices.Contains(pc.AllowedScopes, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		st.check("scopes", StatusFail,
			fmt.Sprintf("not in the application's allowed scopes (%s): %s", listOrNone(pc.AllowedScopes), strings.Join(missing, ", ")),
			"add them to the application's allowed_scopes or drop them from the test")
		return
	}
	st.check("scopes", StatusPass, "requesting "+strings.Join(r.cfg.requestedScopes(), " ")+"; all allowed", "")
}

// checkExpectedIdentity resolves the sub the expected identity will get,
// which is not its ID when the application's subject_field names another
// trait.
func (r *run) checkExpectedIdentity(ctx context.Context, st *stepRecorder, pc *client.ProtocolConfig) {
	cfg := &r.cfg
	if cfg.ExpectedSubject == "" {
		return
	}
	id, err := cfg.API.GetIdentity(ctx, cfg.ExpectedSubject)
	if err != nil {
		st.check("identity", StatusFail, fmt.Sprintf("read identity %s: %v", cfg.ExpectedSubject, err),
			"check the identity ID; it must be in the realm under test")
		return
	}

	field := "id"
	if pc.TokenConfiguration != nil && pc.TokenConfiguration.SubjectField != "" {
		field = pc.TokenConfiguration.SubjectField
	}
	want := id.ID
	switch field {
	case "email":
		want = id.Traits.PrimaryEmailAddress
	case "username":
		want = id.Traits.Username
	case "external_id":
		want = id.Traits.ExternalID
	}
	if want == "" {
		st.check("identity", StatusFail, fmt.Sprintf("the application puts the identity's %s in sub, but identity %s has none", field, id.ID),
			"set that trait on the identity, or test as another identity")
		return
	}
	r.expectedSub = want

	switch {
	case id.Status == client.StatusSuspended:
		st.check("identity", StatusFail, fmt.Sprintf("identity %s (%s) is suspended and cannot sign in", id.ID, id.Traits.Username),
			"reactivate the identity or test as another one")
	case id.EnrollmentStatus != "" && id.EnrollmentStatus != client.EnrollmentEnrolled:
		st.check("identity", StatusFail, fmt.Sprintf("identity %s (%s) is %s and has no passkey to sign in with", id.ID, id.Traits.Username, id.EnrollmentStatus),
			"send the identity an enrollment email and let it finish, or test as an enrolled identity")
	default:
		st.check("identity", StatusPass, fmt.Sprintf("identity %s (%s) can sign in; expected sub %q (subject_field %s)", id.ID, id.Traits.Username, want, field), "")
	}
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

// managementFix returns the fix for a failed management API call. A
// rejected token needs a new token, not a scope, so 401 gets its own advice;
// 403 errors already name the missing scope, which the fallback repeats.
func managementFix(err error, fallback string) string {
	if errors.Is(err, client.ErrUnauthorized) {
		return "the API token is missing, expired or not from Beyond Identity: get a new one " +
			"(Admin Console, Applications, Beyond Identity Management API, API Tokens) " +
			"or fix where the profile reads it from"
	}
	return fallback
}
