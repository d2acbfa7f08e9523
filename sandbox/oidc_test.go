package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// oidcFixture is a sandbox with one extra application under test.
type oidcFixture struct {
	t        *testing.T
	s        *Sandbox
	app      Application
	issuer   string
	redirect string
}

func newOIDCFixture(t *testing.T, spec OIDCApplicationSpec) *oidcFixture {
	t.Helper()
	s := startSandbox(t, Options{})
	f := &oidcFixture{t: t, s: s, redirect: "http://127.0.0.1:9/cb"}
	spec.RedirectURIs = append(spec.RedirectURIs, f.redirect)
	if spec.AllowedScopes == nil {
		spec.AllowedScopes = []string{"email"}
	}
	app, err := s.AddOIDCApplication(spec)
	if err != nil {
		t.Fatalf("AddOIDCApplication: %v", err)
	}
	f.app = app
	s.mu.Lock()
	f.issuer = s.issuer(app.RealmID, app.ID)
	s.mu.Unlock()
	return f
}

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeQuery is a valid authorization request for the fixture's app.
func (f *oidcFixture) authorizeQuery() url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {f.app.ProtocolConfig.ClientID},
		"redirect_uri":          {f.redirect},
		"scope":                 {"openid email"},
		"state":                 {"st-123"},
		"nonce":                 {"n-456"},
		"code_challenge":        {s256(testVerifier)},
		"code_challenge_method": {"S256"},
	}
}

func (f *oidcFixture) get(rawURL string) response {
	f.t.Helper()
	return do(f.t, http.MethodGet, rawURL, "", nil)
}

// postForm posts form with optional Basic credentials.
func (f *oidcFixture) postForm(rawURL string, form url.Values, basicUser, basicPass string) response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(url.QueryEscape(basicUser), url.QueryEscape(basicPass))
	}
	resp, err := testClient.Do(req)
	if err != nil {
		f.t.Fatalf("POST %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

var requestIDRe = regexp.MustCompile(`name="request_id" value="([^"]+)"`)

// signIn completes the sign-in page for identityID and returns the code
// from the redirect.
func (f *oidcFixture) signIn(q url.Values, identityID string) string {
	f.t.Helper()
	page := f.get(f.issuer + "/authorize?" + q.Encode())
	mustStatus(f.t, page, http.StatusOK)
	m := requestIDRe.FindStringSubmatch(string(page.raw))
	if m == nil {
		f.t.Fatalf("sign-in page has no request_id: %s", page.raw)
	}
	resp := f.postForm(f.issuer+"/authorize", url.Values{"request_id": {m[1]}, "identity_id": {identityID}, "action": {"sign_in"}}, "", "")
	mustStatus(f.t, resp, http.StatusFound)
	loc, err := url.Parse(resp.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), f.redirect+"?") {
		f.t.Fatalf("redirect %q does not go to %s", resp.header.Get("Location"), f.redirect)
	}
	if loc.Query().Get("state") != q.Get("state") {
		f.t.Fatalf("redirect state %q, want %q", loc.Query().Get("state"), q.Get("state"))
	}
	return loc.Query().Get("code")
}

func (f *oidcFixture) enrolled() Identity {
	return seededIdentity(f.t, f.s, func(id *Identity, status string) bool {
		return status == enrollmentEnrolled && id.Status == statusActive && id.Traits.PrimaryEmailAddress != ""
	})
}

// exchange redeems code with client_secret_post.
func (f *oidcFixture) exchange(code, verifier string) response {
	f.t.Helper()
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {f.redirect},
		"code_verifier": {verifier},
		"client_id":     {f.app.ProtocolConfig.ClientID},
	}
	if f.app.ProtocolConfig.ClientSecret != "" {
		form.Set("client_secret", f.app.ProtocolConfig.ClientSecret)
	}
	return f.postForm(f.issuer+"/token", form, "", "")
}

func oauthErrorOf(t *testing.T, r response) string {
	t.Helper()
	var e oauthError
	r.decode(t, &e)
	return e.Error
}

// claimsOf decodes a JWT payload without verifying it.
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOIDCDiscoveryDocument(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	r := f.get(f.issuer + "/.well-known/openid-configuration")
	mustStatus(t, r, http.StatusOK)
	doc := r.object(t)
	if doc["issuer"] != f.issuer {
		t.Errorf("issuer %v, want %s", doc["issuer"], f.issuer)
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "introspection_endpoint",
		"revocation_endpoint", "response_types_supported", "grant_types_supported", "token_endpoint_auth_methods_supported",
		"code_challenge_methods_supported", "scopes_supported", "subject_types_supported", "id_token_signing_alg_values_supported"} {
		if doc[k] == nil {
			t.Errorf("discovery has no %s", k)
		}
	}
	jwks := f.get(doc["jwks_uri"].(string))
	mustStatus(t, jwks, http.StatusOK)
	var set struct {
		Keys []struct{ Kty, Kid, Alg, Use string }
	}
	jwks.decode(t, &set)
	if len(set.Keys) == 0 || set.Keys[0].Alg != "RS256" || set.Keys[0].Kid == "" || set.Keys[0].Kty != "RSA" {
		t.Errorf("JWKS %+v, want RSA RS256 keys with a kid", set.Keys)
	}
	kid, err := f.s.RotateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(f.get(doc["jwks_uri"].(string)).raw), kid) {
		t.Errorf("JWKS does not publish the rotated key %s", kid)
	}
	if r := f.get(strings.Replace(f.issuer, f.app.ID, "00000000-0000-4000-8000-000000000000", 1) + "/.well-known/openid-configuration"); r.status != http.StatusNotFound {
		t.Errorf("unknown application: HTTP %d, want 404", r.status)
	}
}

func TestOIDCAuthorizeErrorsBeforeRedirectAreHTML(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	for name, change := range map[string]func(url.Values){
		"missing client_id":        func(q url.Values) { q.Del("client_id") },
		"wrong client_id":          func(q url.Values) { q.Set("client_id", "someone-else") },
		"unregistered redirect":    func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9/other") },
		"redirect differs in case": func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9/CB") },
	} {
		q := f.authorizeQuery()
		change(q)
		r := f.get(f.issuer + "/authorize?" + q.Encode())
		if r.status != http.StatusBadRequest || r.header.Get("Location") != "" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: HTTP %d Location %q type %q, want a 400 HTML page without redirect", name, r.status, r.header.Get("Location"), r.header.Get("Content-Type"))
		}
	}
}

func TestOIDCAuthorizeErrorsRedirect(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	cases := map[string]struct {
		change func(url.Values)
		want   string
	}{
		"response_type token": {func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		"scope not allowed":   {func(q url.Values) { q.Set("scope", "openid payments") }, "invalid_scope"},
		"no openid":           {func(q url.Values) { q.Set("scope", "email") }, "invalid_scope"},
		"no challenge":        {func(q url.Values) { q.Del("code_challenge") }, "invalid_request"},
		"plain on s256 app":   {func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		"short challenge":     {func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request"},
	}
	for name, tc := range cases {
		q := f.authorizeQuery()
		tc.change(q)
		r := f.get(f.issuer + "/authorize?" + q.Encode())
		if r.status != http.StatusFound {
			t.Errorf("%s: HTTP %d, want 302", name, r.status)
			continue
		}
		loc, _ := url.Parse(r.header.Get("Location"))
		if got := loc.Query().Get("error"); got != tc.want || loc.Query().Get("state") != "st-123" {
			t.Errorf("%s: redirect %s, want error=%s with the state", name, loc, tc.want)
		}
	}
}

func TestOIDCPublicClientNeedsPKCE(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{Public: true})
	q := f.authorizeQuery()
	q.Del("code_challenge")
	q.Del("code_challenge_method")
	r := f.get(f.issuer + "/authorize?" + q.Encode())
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != http.StatusFound || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("public client without PKCE: HTTP %d %s, want a redirect with invalid_request", r.status, loc)
	}
}

func TestOIDCSignInPageEscapesValues(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{DisplayName: `<b>Evil</b> "App"`})
	id := f.enrolled()
	f.s.mu.Lock()
	f.s.st.identity(id.RealmID, id.ID).DisplayName = `Ann "Quote" & O'Neil <i>`
	f.s.mu.Unlock()

	page := string(f.get(f.issuer + "/authorize?" + f.authorizeQuery().Encode()).raw)
	for _, raw := range []string{"<b>Evil</b>", `Ann "Quote"`, "<i>"} {
		if strings.Contains(page, raw) {
			t.Errorf("sign-in page contains unescaped %q", raw)
		}
	}
	if !strings.Contains(html.UnescapeString(page), `Ann "Quote" & O'Neil <i>`) {
		t.Error("sign-in page does not show the escaped display name")
	}
	if strings.Contains(page, `value="`+f.enrolledSuspendedID()+`"`) {
		t.Error("sign-in page lists a suspended identity")
	}
}

// enrolledSuspendedID returns a suspended identity that has a credential,
// or "" when the seed has none.
func (f *oidcFixture) enrolledSuspendedID() string {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	for _, id := range f.s.st.identitiesOf(f.s.st.RealmID) {
		if id.Status == statusSuspended && f.s.st.enrollmentStatus(id.ID, f.s.now()) == enrollmentEnrolled {
			return id.ID
		}
	}
	return "no-such-identity"
}

func TestOIDCLoginHintShowsOnlyThatIdentity(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	id := f.enrolled()
	q := f.authorizeQuery()
	q.Set("login_hint", strings.ToUpper(id.Traits.Username))
	page := string(f.get(f.issuer + "/authorize?" + q.Encode()).raw)
	if n := strings.Count(page, `name="identity_id"`); n != 1 {
		t.Errorf("sign-in page lists %d identities for a login_hint, want 1", n)
	}
	if !strings.Contains(page, `value="`+id.ID+`" id="identity-`+id.ID+`" checked`) {
		t.Error("the hinted identity is not preselected")
	}
}

func TestOIDCCodeIsSingleUseAndChecksPKCE(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	id := f.enrolled()

	code := f.signIn(f.authorizeQuery(), id.ID)
	r := f.exchange(code, strings.Repeat("x", 43))
	if r.status != http.StatusBadRequest || oauthErrorOf(t, r) != "invalid_grant" {
		t.Errorf("wrong verifier: HTTP %d %s, want 400 invalid_grant", r.status, r.raw)
	}
	if r := f.exchange(code, testVerifier); oauthErrorOf(t, r) != "invalid_grant" {
		t.Errorf("code after a failed attempt: %s, want invalid_grant (codes burn on first use)", r.raw)
	}

	code = f.signIn(f.authorizeQuery(), id.ID)
	r = f.exchange(code, testVerifier)
	mustStatus(t, r, http.StatusOK)
	var tok map[string]any
	r.decode(t, &tok)
	if tok["token_type"] != "Bearer" || tok["id_token"] == nil || tok["access_token"] == nil {
		t.Errorf("token response %v lacks Bearer, id_token or access_token", tok)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
	}
	claims := claimsOf(t, tok["id_token"].(string))
	appPath := "tenants/" + f.app.TenantID + "/realms/" + f.app.RealmID + "/applications/" + f.app.ID
	if claims["nonce"] != "n-456" || claims["sub"] != id.ID || claims["azp"] != appPath || claims["bi_t"] != f.app.TenantID {
		t.Errorf("ID token claims %v: want nonce, sub, azp and bi_t", claims)
	}
	if r := f.exchange(code, testVerifier); oauthErrorOf(t, r) != "invalid_grant" {
		t.Errorf("second redemption: %s, want invalid_grant", r.raw)
	}
}

func TestOIDCClientAuthenticationRules(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	pc := f.app.ProtocolConfig
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {f.redirect}}

	r := f.postForm(f.issuer+"/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {pc.ClientID}}, "", "")
	if r.status != http.StatusUnauthorized || oauthErrorOf(t, r) != "invalid_client" {
		t.Errorf("confidential client without secret: HTTP %d %s", r.status, r.raw)
	}
	r = f.postForm(f.issuer+"/token", form, pc.ClientID, "wrong")
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("wrong Basic secret: HTTP %d, WWW-Authenticate %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	both := url.Values{"client_secret": {pc.ClientSecret}}
	for k, v := range form {
		both[k] = v
	}
	r = f.postForm(f.issuer+"/token", both, pc.ClientID, pc.ClientSecret)
	if r.status != http.StatusBadRequest || oauthErrorOf(t, r) != "invalid_request" {
		t.Errorf("Basic and client_secret together: HTTP %d %s, want 400 invalid_request", r.status, r.raw)
	}
	r = f.postForm(f.issuer+"/token", form, pc.ClientID, pc.ClientSecret)
	if oauthErrorOf(t, r) != "invalid_grant" {
		t.Errorf("valid Basic auth with a bad code: %s, want invalid_grant (auth passed)", r.raw)
	}

	pub := newOIDCFixture(t, OIDCApplicationSpec{Public: true})
	r = pub.postForm(pub.issuer+"/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {pub.app.ProtocolConfig.ClientID}, "client_secret": {"anything"}}, "", "")
	if r.status != http.StatusUnauthorized || oauthErrorOf(t, r) != "invalid_client" {
		t.Errorf("public client with a secret: HTTP %d %s", r.status, r.raw)
	}
}

func TestOIDCManagementClientCredentials(t *testing.T) {
	s := startSandbox(t, Options{})
	info := s.Info()
	s.mu.Lock()
	issuer := s.issuer(info.AdminRealmID, info.ManagementApplicationID)
	s.mu.Unlock()
	f := &oidcFixture{t: t, s: s}

	r := f.postForm(issuer+"/token", url.Values{"grant_type": {"client_credentials"}}, info.ManagementClientID, info.ManagementClientSecret)
	mustStatus(t, r, http.StatusOK)
	var tok map[string]any
	r.decode(t, &tok)
	claims := claimsOf(t, tok["access_token"].(string))
	if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != "beyondidentity" {
		t.Errorf("aud %v, want [beyondidentity]", claims["aud"])
	}
	if claims["bi_r"] != "*" || claims["sub"] != info.ManagementClientID {
		t.Errorf("bi_r %v sub %v, want * and the client_id", claims["bi_r"], claims["sub"])
	}
	if !strings.Contains(claims["scope"].(string), "identities:read") || !strings.Contains(claims["scope"].(string), "tokens:introspect") {
		t.Errorf("scope %v, want every management scope", claims["scope"])
	}
	realm := do(t, http.MethodGet, s.URL()+"/v1/tenants/"+info.TenantID+"/realms/"+info.RealmID, tok["access_token"].(string), nil)
	mustStatus(t, realm, http.StatusOK)

	r = f.postForm(issuer+"/token", url.Values{
		"grant_type": {"client_credentials"}, "scope": {"identities:read"},
		"expiration_time": {"120"}, "custom_claims": {`{"team":"ops"}`},
	}, info.ManagementClientID, info.ManagementClientSecret)
	mustStatus(t, r, http.StatusOK)
	r.decode(t, &tok)
	claims = claimsOf(t, tok["access_token"].(string))
	if tok["expires_in"] != float64(120) || claims["scope"] != "identities:read" {
		t.Errorf("expires_in %v scope %v, want 120 and identities:read", tok["expires_in"], claims["scope"])
	}
	if custom, _ := claims["bi_custom"].(map[string]any); custom["team"] != "ops" {
		t.Errorf("bi_custom %v, want team=ops", claims["bi_custom"])
	}

	for name, form := range map[string]url.Values{
		"scope not allowed":      {"grant_type": {"client_credentials"}, "scope": {"payments:write"}},
		"expiration too long":    {"grant_type": {"client_credentials"}, "expiration_time": {"999999999"}},
		"custom claims not JSON": {"grant_type": {"client_credentials"}, "custom_claims": {"[1,2]"}},
		"grant not allowed":      {"grant_type": {"authorization_code"}, "code": {"x"}},
		"unknown grant":          {"grant_type": {"password"}},
	} {
		if r := f.postForm(issuer+"/token", form, info.ManagementClientID, info.ManagementClientSecret); r.status != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d %s, want 400", name, r.status, r.raw)
		}
	}
}

func TestOIDCRefreshRevokeIntrospect(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{TokenFormat: "referential"})
	pc := f.app.ProtocolConfig
	id := f.enrolled()
	q := f.authorizeQuery()
	q.Set("scope", "openid email offline_access")
	r := f.exchange(f.signIn(q, id.ID), testVerifier)
	mustStatus(t, r, http.StatusOK)
	var raw map[string]any
	r.decode(t, &raw)
	tok := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			tok[k] = s
		}
	}
	if tok["refresh_token"] == "" || strings.Count(tok["access_token"], ".") == 2 {
		t.Fatalf("want a refresh token and an opaque access token, got %v", raw)
	}

	userinfo := func(access string) response {
		req, _ := http.NewRequest(http.MethodGet, f.issuer+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, raw: b}
	}
	u := userinfo(tok["access_token"])
	mustStatus(t, u, http.StatusOK)
	if body := u.object(t); body["sub"] != id.ID || body["email"] != id.Traits.PrimaryEmailAddress || body["preferred_username"] != id.Traits.Username {
		t.Errorf("userinfo %v, want sub, email and preferred_username of %s", body, id.ID)
	}

	introspect := func(token string) map[string]any {
		r := f.postForm(f.s.URL()+"/v1/tenants/"+f.app.TenantID+"/realms/"+f.app.RealmID+"/introspect", url.Values{"token": {token}}, pc.ClientID, pc.ClientSecret)
		mustStatus(t, r, http.StatusOK)
		return r.object(t)
	}
	if got := introspect(tok["access_token"]); got["active"] != true || got["client_id"] != pc.ClientID {
		t.Errorf("introspect of a live token: %v", got)
	}
	if got := introspect("garbage"); got["active"] != false {
		t.Errorf("introspect of garbage: %v, want active false", got)
	}

	refreshed := f.postForm(f.issuer+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"]}}, pc.ClientID, pc.ClientSecret)
	mustStatus(t, refreshed, http.StatusOK)
	newAccess, _ := refreshed.object(t)["access_token"].(string)
	if newAccess == "" || newAccess == tok["access_token"] {
		t.Errorf("refresh returned access token %q, want a new one", newAccess)
	}

	rv := f.postForm(f.issuer+"/revoke", url.Values{"token": {tok["access_token"]}}, pc.ClientID, pc.ClientSecret)
	mustStatus(t, rv, http.StatusOK)
	if u := userinfo(tok["access_token"]); u.status != http.StatusUnauthorized {
		t.Errorf("userinfo with a revoked token: HTTP %d, want 401", u.status)
	}
	if got := introspect(tok["access_token"]); got["active"] != false {
		t.Errorf("introspect of a revoked token: %v, want active false", got)
	}
	if rv := f.postForm(f.issuer+"/revoke", url.Values{"token": {"unknown-token"}}, pc.ClientID, pc.ClientSecret); rv.status != http.StatusOK {
		t.Errorf("revoke of an unknown token: HTTP %d, want 200", rv.status)
	}
	f.s.mu.Lock()
	revoked := 0
	for _, rec := range f.s.st.Tokens {
		if rec.Revoked && rec.ApplicationID == f.app.ID {
			revoked++
		}
	}
	f.s.mu.Unlock()
	if revoked != 1 {
		t.Errorf("token store has %d revoked tokens of the app, want 1", revoked)
	}
}

func TestOIDCIntrospectWithManagementToken(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	info := f.s.Info()
	introspectURL := f.s.URL() + "/v1/tenants/" + info.TenantID + "/realms/" + info.RealmID + "/introspect"
	post := func(token string) response {
		req, _ := http.NewRequest(http.MethodPost, introspectURL, strings.NewReader(url.Values{"token": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return response{status: resp.StatusCode}
	}
	if r := post(f.s.MintToken([]string{"tokens:introspect"}, time.Hour)); r.status != http.StatusOK {
		t.Errorf("introspect with tokens:introspect: HTTP %d, want 200", r.status)
	}
	if r := post(f.s.MintToken([]string{"identities:read"}, time.Hour)); r.status != http.StatusForbidden {
		t.Errorf("introspect without tokens:introspect: HTTP %d, want 403", r.status)
	}
}

func TestOIDCFaultsOverHTTP(t *testing.T) {
	f := newOIDCFixture(t, OIDCApplicationSpec{})
	r := f.postForm(f.s.URL()+"/_sandbox/oidc-faults", nil, "", "")
	if r.status != http.StatusBadRequest {
		t.Errorf("form body: HTTP %d, want 400", r.status)
	}
	req, _ := http.NewRequest(http.MethodPost, f.s.URL()+"/_sandbox/oidc-faults", strings.NewReader(`{"expired":true,"wrong_nonce":true}`))
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := f.s.OIDCFaults().Get(); resp.StatusCode != http.StatusOK || !got.Expired || !got.WrongNonce || got.AlgNone {
		t.Errorf("after POST: HTTP %d, switches %+v", resp.StatusCode, got)
	}
	var state OIDCFaultSettings
	f.get(f.s.URL()+"/_sandbox/oidc-faults").decode(t, &state)
	if !state.Expired {
		t.Errorf("GET returned %+v, want expired on", state)
	}
}

func TestTamperAlwaysChangesState(t *testing.T) {
	for _, state := range []string{"", "x", "xyz", "abc", "yxx"} {
		if got := tamper(state); got == state {
			t.Errorf("tamper(%q) = %q, want a different state", state, got)
		}
	}
}
