package sandbox

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// pkceChallengeValid reports whether a code challenge (or verifier) has the
// RFC 7636 §4.1 form: 43–128 unreserved characters.
func pkceChallengeValid(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range []byte(v) {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// serveAuthorize validates an authorization request and shows the sign-in
// page; a POST carrying request_id is the page's form submission. Until
// client_id and redirect_uri are known good, errors are shown as an HTML
// page; after that they go to the redirect URI (RFC 6749 §4.1.2.1).
func (s *Sandbox) serveAuthorize(w http.ResponseWriter, r *http.Request, oa *oidcApplication) {
	if err := r.ParseForm(); err != nil {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "The request could not be parsed: "+err.Error())
		return
	}
	if r.Method == http.MethodPost && r.PostForm.Has("request_id") {
		s.completeAuthorize(w, r, oa)
		return
	}
	q := r.Form
	pc := &oa.pc

	clientID := q.Get("client_id")
	if clientID == "" {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "The request has no client_id.")
		return
	}
	if clientID != pc.ClientID {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "client_id "+clientID+" does not belong to application "+oa.app.DisplayName+".")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "The request has no redirect_uri.")
		return
	}
	if !slices.Contains(pc.RedirectURIs, redirectURI) {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "redirect_uri "+redirectURI+" is not registered on application "+
			oa.app.DisplayName+"; registered: "+strings.Join(pc.RedirectURIs, ", ")+". Redirect URIs must match exactly.")
		return
	}

	state := q.Get("state")
	fail := func(code, description string) {
		redirectTo(w, redirectURI, url.Values{"error": {code}, "error_description": {description}}, state)
	}
	if rt := q.Get("response_type"); rt != "code" {
		fail("unsupported_response_type", "response_type must be code, not "+strconvQuote(rt))
		return
	}
	if !slices.Contains(pc.GrantType, "authorization_code") {
		fail("unauthorized_client", "the application does not allow the authorization_code grant")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if pc.Type == "oidc" && !slices.Contains(scopes, "openid") {
		fail("invalid_scope", "an OIDC application needs the openid scope")
		return
	}
	for _, sc := range scopes {
		if sc != "openid" && sc != "offline_access" && !slices.Contains(pc.AllowedScopes, sc) {
			fail("invalid_scope", "scope "+sc+" is not allowed for this application")
			return
		}
	}

	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	pkceRequired := pc.Confidentiality == "public" || pc.PKCE == "s256" || pc.PKCE == "plain"
	switch {
	case challenge == "" && pkceRequired:
		fail("invalid_request", "code_challenge is required: the application requires PKCE")
		return
	case challenge == "":
		method = ""
	case pc.PKCE == "disabled" || (pc.PKCE == "" && pc.Confidentiality != "public"):
		// RFC 7636 §5: a server without PKCE ignores the challenge.
		challenge, method = "", ""
	default:
		if method == "" {
			method = "plain" // RFC 7636 §4.3 default
		}
		if method != "S256" && method != "plain" {
			fail("invalid_request", "code_challenge_method must be S256 or plain")
			return
		}
		if want := pkceMethodName(pc.PKCE); want != "" && method != want {
			fail("invalid_request", "the application's PKCE setting requires code_challenge_method "+want)
			return
		}
		if !pkceChallengeValid(challenge) {
			fail("invalid_request", "code_challenge must be 43 to 128 unreserved characters")
			return
		}
	}

	req := &authRequest{
		id:          randomToken(),
		realmID:     oa.realmID,
		appID:       oa.app.ID,
		clientID:    clientID,
		redirectURI: redirectURI,
		scopes:      scopes,
		state:       state,
		nonce:       q.Get("nonce"),
		challenge:   challenge,
		method:      method,
		loginHint:   q.Get("login_hint"),
		expires:     s.now().Add(authRequestLifetime),
	}
	s.oidc.mu.Lock()
	if s.oidc.requests == nil {
		s.oidc.requests = map[string]*authRequest{}
	}
	s.pruneOIDC(s.now())
	s.oidc.requests[req.id] = req
	s.oidc.mu.Unlock()

	s.writeSignInPage(w, r, oa, req, "")
}

// pkceMethodName maps the application's pkce setting to the
// code_challenge_method it demands; "" means either.
func pkceMethodName(setting string) string {
	switch setting {
	case "s256":
		return "S256"
	case "plain":
		return "plain"
	}
	return ""
}

// pruneOIDC drops expired sign-in requests and codes; the caller holds
// s.oidc.mu.
func (s *Sandbox) pruneOIDC(now time.Time) {
	for k, v := range s.oidc.requests {
		if now.After(v.expires) {
			delete(s.oidc.requests, k)
		}
	}
	for k, v := range s.oidc.codes {
		if now.After(v.expires) {
			delete(s.oidc.codes, k)
		}
	}
}

// signInCandidate is one identity on the sign-in page.
type signInCandidate struct {
	ID          string
	DisplayName string
	Username    string
	Checked     bool
}

// signInCandidates returns the realm's enrolled, active identities, or only
// the one login_hint names (by id, username or email, ignoring case) when
// it names one. note explains a hint that matched no identity.
func (s *Sandbox) signInCandidates(realmID, hint string) (list []signInCandidate, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, id := range s.st.identitiesOf(realmID) {
		if id.Status != statusActive || s.st.enrollmentStatus(id.ID, now) != enrollmentEnrolled {
			continue
		}
		list = append(list, signInCandidate{ID: id.ID, DisplayName: id.DisplayName, Username: id.Traits.Username})
	}
	if hint != "" {
		for _, c := range list {
			id := s.st.identity(realmID, c.ID)
			if c.ID == hint || strings.EqualFold(c.Username, hint) ||
				(id.Traits.PrimaryEmailAddress != "" && strings.EqualFold(id.Traits.PrimaryEmailAddress, hint)) {
				c.Checked = true
				return []signInCandidate{c}, ""
			}
		}
		note = "login_hint " + hint + " names no enrolled, active identity of this realm; choose one below."
	}
	if len(list) == 1 {
		list[0].Checked = true
	}
	return list, note
}

var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to {{.App}}</title>
<style>body{font-family:sans-serif;max-width:42em;margin:2em auto;padding:0 1em}label{display:block;padding:.3em 0}.username{color:#555}.note,.error{padding:.5em;border:1px solid #c90}</style>
</head><body>
<h1>Sign in to {{.App}}</h1>
<p>Beyond Identity sandbox: choose the identity to sign in as. A real tenant would ask for its passkey here.</p>
{{if .Error}}<p class="error" id="error">{{.Error}}</p>{{end}}
{{if .Note}}<p class="note" id="note">{{.Note}}</p>{{end}}
<form method="post" action="{{.Action}}" id="signin">
<input type="hidden" name="request_id" value="{{.RequestID}}">
{{range .Identities}}<label><input type="radio" name="identity_id" value="{{.ID}}" id="identity-{{.ID}}"{{if .Checked}} checked{{end}}> {{.DisplayName}} <span class="username">({{.Username}})</span></label>
{{else}}<p id="none">No enrolled, active identity of this realm can sign in.</p>
{{end}}<p><button type="submit" name="action" value="sign_in" id="sign-in">Sign in</button>
<button type="submit" name="action" value="deny" id="deny">Cancel</button></p>
</form>
</body></html>
`))

func (s *Sandbox) writeSignInPage(w http.ResponseWriter, r *http.Request, oa *oidcApplication, req *authRequest, errText string) {
	list, note := s.signInCandidates(req.realmID, req.loginHint)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	status := http.StatusOK
	if errText != "" {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	err := signInPage.Execute(w, map[string]any{
		"App":        oa.app.DisplayName,
		"Action":     r.URL.EscapedPath(),
		"RequestID":  req.id,
		"Identities": list,
		"Note":       note,
		"Error":      errText,
	})
	if err != nil {
		s.log.Error("render sign-in page", "err", err)
	}
}

// completeAuthorize handles the sign-in form: it issues a code for the
// chosen identity, or redirects with access_denied on Cancel.
func (s *Sandbox) completeAuthorize(w http.ResponseWriter, r *http.Request, oa *oidcApplication) {
	now := s.now()
	s.oidc.mu.Lock()
	req := s.oidc.requests[r.PostForm.Get("request_id")]
	s.oidc.mu.Unlock()
	if req == nil || req.appID != oa.app.ID || now.After(req.expires) {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "This sign-in page has expired or was already used. Start the sign-in again from the application.")
		return
	}
	if r.PostForm.Get("action") == "deny" {
		s.dropRequest(req.id)
		redirectTo(w, req.redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"the user cancelled the sign-in"}}, req.state)
		return
	}

	identityID := r.PostForm.Get("identity_id")
	allowed, _ := s.signInCandidates(req.realmID, req.loginHint)
	ok := false
	for _, c := range allowed {
		if c.ID == identityID {
			ok = true
		}
	}
	if !ok {
		msg := "Choose one of the identities listed."
		if identityID != "" {
			msg = "That identity cannot sign in here: it is unknown, suspended, not enrolled, or not the one login_hint names."
		}
		s.writeSignInPage(w, r, oa, req, msg)
		return
	}
	if !s.dropRequest(req.id) {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "This sign-in page was already used. Start the sign-in again from the application.")
		return
	}

	code := randomToken()
	s.oidc.mu.Lock()
	if s.oidc.codes == nil {
		s.oidc.codes = map[string]*authCode{}
	}
	s.pruneOIDC(now)
	s.oidc.codes[hashSecret(code)] = &authCode{
		realmID:     req.realmID,
		appID:       req.appID,
		clientID:    req.clientID,
		redirectURI: req.redirectURI,
		scopes:      req.scopes,
		nonce:       req.nonce,
		challenge:   req.challenge,
		method:      req.method,
		identityID:  identityID,
		authTime:    now,
		expires:     now.Add(authCodeLifetime),
	}
	s.oidc.mu.Unlock()

	state := req.state
	if s.OIDCFaults().Get().TamperState {
		state = tamper(state)
	}
	s.log.Info("OIDC sign-in", "application_id", req.appID, "identity_id", identityID)
	redirectTo(w, req.redirectURI, url.Values{"code": {code}}, state)
}

// dropRequest removes a pending request and reports whether it was there,
// so two submissions of one page cannot both get a code.
func (s *Sandbox) dropRequest(id string) bool {
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	_, ok := s.oidc.requests[id]
	delete(s.oidc.requests, id)
	return ok
}

// tamper changes a state value the way a forged redirect would.
func tamper(state string) string {
	if state == "" {
		return "tampered"
	}
	// Replacing the first character with a fixed one would leave a state
	// that already starts with it unchanged, so pick one that differs.
	replacement := "x"
	if state[0] == 'x' {
		replacement = "y"
	}
	return replacement + state[1:]
}

// redirectTo responds 302 to redirectURI with params (and state when the
// request had one) added to its query.
func redirectTo(w http.ResponseWriter, redirectURI string, params url.Values, state string) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		writeAuthorizeErrorPage(w, http.StatusBadRequest, "The redirect URI does not parse.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
}

var authorizeErrorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head>
<body><h1>Sign-in error</h1><p id="error">{{.}}</p></body></html>
`))

// writeAuthorizeErrorPage shows an error that must not go to the redirect
// URI because the client or the redirect URI itself is in doubt.
func writeAuthorizeErrorPage(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = authorizeErrorPage.Execute(w, text)
}

func strconvQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
