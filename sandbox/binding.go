package sandbox

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Credential binding links. A link is
//
//	{origin}/v1/tenants/{t}/realms/{r}/identities/{i}/credential-binding-jobs/{j}:invokeAuthenticator?token=<opaque>
//
// GET shows the hosted enrollment page and moves the job to LINK_OPENED.
// POST plays the authenticator: it creates a passkey credential, completes
// the job and redirects to the job's post_binding_redirect_uri.
// Only the token's SHA-256 is stored, and a link works once.

const invokeAuthenticatorVerb = ":invokeAuthenticator"

func bindingLink(origin string, j *jobRecord, token string) string {
	return origin + "/v1/tenants/" + j.TenantID + "/realms/" + j.RealmID + "/identities/" + j.IdentityID +
		"/credential-binding-jobs/" + j.ID + invokeAuthenticatorVerb + "?token=" + url.QueryEscape(token)
}

// bindingPath is the parsed path of a binding link.
type bindingPath struct {
	tenant, realm, identity, job string
}

func parseBindingPath(path string) (bindingPath, bool) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if len(seg) != 9 || seg[0] != "v1" || seg[1] != "tenants" || seg[3] != "realms" ||
		seg[5] != "identities" || seg[7] != "credential-binding-jobs" {
		return bindingPath{}, false
	}
	jobID, ok := strings.CutSuffix(seg[8], invokeAuthenticatorVerb)
	if !ok || jobID == "" {
		return bindingPath{}, false
	}
	return bindingPath{tenant: seg[2], realm: seg[4], identity: seg[6], job: jobID}, true
}

func isBindingLinkPath(path string) bool {
	_, ok := parseBindingPath(path)
	return ok
}

// outboxMessage composes the enrollment email of an EMAIL job.
func outboxMessage(id string, ident *Identity, j *jobRecord, link string, at time.Time) OutboxMessage {
	return OutboxMessage{
		ID:      id,
		To:      ident.Traits.PrimaryEmailAddress,
		Subject: "Set up your passkey",
		Text: fmt.Sprintf("Hello %s,\n\nOpen this link to create a passkey for your account:\n\n%s\n\nThe link works once and expires at %s.\n",
			ident.DisplayName, link, j.ExpireTime.Format(time.RFC1123)),
		Link:       link,
		IdentityID: ident.ID,
		JobID:      j.ID,
		SentTime:   at,
	}
}

// linkProblem is the reason a link cannot be used, shown on the error page.
type linkProblem struct {
	status  int
	message string
}

var (
	linkGone = &linkProblem{http.StatusGone,
		"This enrollment link was already used, has expired or was revoked. Ask your administrator to send a new one."}
	linkSuspended = &linkProblem{http.StatusForbidden,
		"This account is suspended, so no passkey can be created for it. Contact your administrator."}
)

// usableJob finds the job a link names and checks its token and state. The
// caller holds s.mu.
func (s *Sandbox) usableJob(bp bindingPath, token string, now time.Time) (*jobRecord, *Identity, *linkProblem) {
	j := s.st.jobByID[bp.job]
	if j == nil || j.TenantID != bp.tenant || j.RealmID != bp.realm || j.IdentityID != bp.identity || j.LinkHash == "" {
		return nil, nil, linkGone
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(token)), []byte(j.LinkHash)) != 1 {
		return nil, nil, linkGone
	}
	if j.LinkUsed || !jobLive(j.effectiveState(now)) {
		return nil, nil, linkGone
	}
	id := s.st.identityByID[j.IdentityID]
	if id == nil {
		return nil, nil, linkGone
	}
	if id.Status == statusSuspended {
		return nil, nil, linkSuspended
	}
	return j, id, nil
}

func (s *Sandbox) serveBindingLink(w http.ResponseWriter, r *http.Request) {
	bp, _ := parseBindingPath(r.URL.Path)
	token := r.URL.Query().Get("token")
	now := s.now()
	setPageHeaders(w)

	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.mu.Lock()
		j, id, problem := s.usableJob(bp, token, now)
		var data bindingPageData
		if problem == nil {
			if j.State == jobLinkSent {
				j.State = jobLinkOpened
				j.UpdateTime = now
				s.changed()
			}
			data = bindingPageData{Name: id.DisplayName, Username: id.Traits.Username, Action: r.URL.RequestURI(), Expires: j.ExpireTime.Format(time.RFC1123)}
			if realm := s.st.realm(j.RealmID); realm != nil {
				data.Realm = realm.DisplayName
			}
		}
		s.mu.Unlock()
		if problem != nil {
			renderPage(w, problem.status, "Enrollment link not usable", problem.message)
			return
		}
		w.WriteHeader(http.StatusOK)
		bindingPage.Execute(w, data)

	case http.MethodPost:
		redirect, problem := s.completeBinding(bp, token, now)
		if problem != nil {
			renderPage(w, problem.status, "Enrollment link not usable", problem.message)
			return
		}
		if redirect == "" {
			redirect = "/_sandbox/enrolled"
		}
		http.Redirect(w, r, redirect, http.StatusSeeOther)

	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		renderPage(w, http.StatusMethodNotAllowed, "Method not allowed", "Open the link in a browser.")
	}
}

// completeBinding plays the authenticator: it generates a P-256 passkey,
// moves the job through REQUEST_DELIVERED to COMPLETE and marks the link
// used. It returns the job's post_binding_redirect_uri.
func (s *Sandbox) completeBinding(bp bindingPath, token string, now time.Time) (string, *linkProblem) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", &linkProblem{http.StatusInternalServerError, "The passkey could not be created. Try again."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, id, problem := s.usableJob(bp, token, now)
	if problem != nil {
		return "", problem
	}
	j.State = jobRequestDelivered
	j.UpdateTime = now
	s.log.Debug("credential binding request delivered", "job_id", j.ID, "identity_id", id.ID)

	c := newCredential(randomID(16), id, key, now)
	s.st.addCredential(c)
	j.State = jobComplete
	j.CredentialID = c.ID
	j.LinkUsed = true
	s.changed()
	s.log.Info("credential bound", "job_id", j.ID, "identity_id", id.ID, "credential_id", c.ID)
	return j.PostBindingRedirectURI, nil
}

type bindingPageData struct {
	Name, Username, Realm, Action, Expires string
}

// setPageHeaders marks a hosted page as HTML that loads nothing external
// and must not be cached, since its URL carries a secret.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
}

const pageStyle = `<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem} .muted{color:#666;font-size:.9rem}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #245;background:#2a5ca8;color:#fff;cursor:pointer}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:0 .2rem}
</style>`

var bindingPage = template.Must(template.New("binding").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Set up your passkey</title>` + pageStyle + `</head>
<body>
<h1>Set up your passkey</h1>
<p>Hello {{.Name}}. This page creates a passkey for <strong>{{.Username}}</strong>{{if .Realm}} in <strong>{{.Realm}}</strong>{{end}}.</p>
<form method="post" action="{{.Action}}">
<button type="submit" id="complete">Complete enrollment</button>
</form>
<p class="muted">Beyond Identity sandbox: no real authenticator runs here. The link works once and expires at {{.Expires}}.</p>
</body></html>
`))

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>` + pageStyle + `</head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p><p class="muted">Beyond Identity sandbox</p></body></html>
`))

// renderPage writes a small HTML page with a title and one message.
func renderPage(w http.ResponseWriter, status int, title, message string) {
	setPageHeaders(w)
	w.WriteHeader(status)
	messagePage.Execute(w, struct{ Title, Message string }{title, message})
}
