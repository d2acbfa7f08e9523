package sandbox

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sandbox-only endpoints under /_sandbox/ (no authentication: the sandbox
// listens on loopback and exists for tests and demos):
//
//	GET    /_sandbox/outbox       {"messages":[...]} oldest first by sent_time; optional ?to= and ?identity_id=
//	DELETE /_sandbox/outbox       empties the outbox
//	GET    /_sandbox/outbox.html  the same as an HTML page, newest first
//	GET    /_sandbox/faults       current fault settings as JSON
//	POST   /_sandbox/faults       changes the settings present in the JSON body
//	GET    /_sandbox/enrolled     the page a completed binding without a redirect URI lands on

// outboxHTMLLimit caps the rows of the HTML outbox so a seed of 100,000
// identities still renders quickly.
const outboxHTMLLimit = 500

func (s *Sandbox) serveSandboxPage(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_sandbox/outbox":
		s.serveOutboxJSON(w, r)
	case "/_sandbox/outbox.html":
		if !allowPageMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		s.serveOutboxHTML(w)
	case "/_sandbox/faults":
		s.serveFaults(w, r)
	case "/_sandbox/oidc-faults":
		s.serveOIDCFaults(w, r)
	case "/_sandbox/enrolled":
		renderPage(w, http.StatusOK, "Passkey created", "Enrollment is complete. You can close this page.")
	default:
		http.NotFound(w, r)
	}
}

// allowMethods rejects any other method with 405 and the API's Error body,
// because callers of the JSON endpoints decode it like an API response.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	body, _ := json.Marshal(apiError{Code: statusCode(http.StatusMethodNotAllowed), Message: "method not allowed"})
	writeJSONBody(w, http.StatusMethodNotAllowed, body)
	return false
}

// allowPageMethods rejects any other method with 405 and an HTML page.
func allowPageMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	renderPage(w, http.StatusMethodNotAllowed, "Method not allowed", "This page supports "+strings.Join(methods, " and ")+" only.")
	return false
}

func (s *Sandbox) serveOutboxJSON(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead, http.MethodDelete) {
		return
	}
	if r.Method == http.MethodDelete {
		s.mu.Lock()
		s.st.Outbox = nil
		s.changed()
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	to, identityID := r.URL.Query().Get("to"), r.URL.Query().Get("identity_id")
	s.mu.Lock()
	msgs := []OutboxMessage{}
	for _, m := range s.st.Outbox {
		if (to == "" || m.To == to) && (identityID == "" || m.IdentityID == identityID) {
			msgs = append(msgs, m)
		}
	}
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"messages": msgs})
	w.Header().Set("Cache-Control", "no-store")
	writeJSONBody(w, http.StatusOK, body)
}

func (s *Sandbox) serveOutboxHTML(w http.ResponseWriter) {
	s.mu.Lock()
	total := len(s.st.Outbox)
	msgs := make([]OutboxMessage, 0, min(total, outboxHTMLLimit))
	for i := total - 1; i >= 0 && len(msgs) < outboxHTMLLimit; i-- {
		msgs = append(msgs, s.st.Outbox[i])
	}
	s.mu.Unlock()
	setPageHeaders(w)
	w.WriteHeader(http.StatusOK)
	outboxPage.Execute(w, struct {
		Messages []OutboxMessage
		Total    int
	}{msgs, total})
}

// pageFuncs are the helpers of the outbox and landing page templates.
var pageFuncs = template.FuncMap{
	"when":  func(t time.Time) string { return t.Format(time.RFC3339) },
	"count": countNoun,
}

// countNoun formats n with the singular or plural noun.
func countNoun(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return strconv.Itoa(n) + " " + plural
}

// sortOutbox puts messages in sent_time order, oldest first, so the JSON
// view can list them as stored and the HTML view in reverse. The seed sends
// in identity order with random times, and state files written before this
// sort may hold that order. New messages are sent now, so appending keeps
// the order.
func sortOutbox(msgs []OutboxMessage) {
	slices.SortStableFunc(msgs, func(a, b OutboxMessage) int { return a.SentTime.Compare(b.SentTime) })
}

var outboxPage = template.Must(template.New("outbox").Funcs(pageFuncs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox outbox</title>` + pageStyle + `</head>
<body>
<h1>Sandbox outbox</h1>
<p class="muted">{{count .Total "message" "messages"}}, newest first{{if gt .Total (len .Messages)}}; showing {{len .Messages}}{{end}}. Nothing here was really sent. <a href="/">Sandbox home</a> · <a href="/_sandbox/outbox">JSON</a></p>
<table>
<tr><th>Sent</th><th>To</th><th>Subject</th><th>Link</th></tr>
{{range .Messages}}<tr><td>{{when .SentTime}}</td><td>{{.To}}</td><td>{{.Subject}}</td><td><a href="{{.Link}}">open binding link</a><br><span class="muted">job {{.JobID}}</span></td></tr>
{{else}}<tr><td colspan="4">No messages yet.</td></tr>
{{end}}</table>
</body></html>
`))

// serveFaults reads or changes the fault knobs. A POST body holds only the
// settings to change; the others keep their values.
func (s *Sandbox) serveFaults(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		fs := s.faults.snapshot()
		data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
		if err != nil || json.Unmarshal(data, &fs) != nil {
			body, _ := json.Marshal(apiError{Code: "bad_request", Message: "invalid request"})
			writeJSONBody(w, http.StatusBadRequest, body)
			return
		}
		s.faults.apply(fs)
		s.log.Info("sandbox faults changed", "faults", string(data))
	}
	body, _ := json.Marshal(s.faults.snapshot())
	writeJSONBody(w, http.StatusOK, body)
}

// serveLanding shows a person who opens the sandbox in a browser which
// tenant and realm it serves and links to the outbox.
func (s *Sandbox) serveLanding(w http.ResponseWriter, r *http.Request) {
	if !allowPageMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	s.mu.Lock()
	data := landingData{
		URL: s.url, Tenant: s.st.Tenant.ID, Realm: s.st.RealmID, AdminRealm: s.st.AdminRealmID,
		Application: s.st.ApplicationID, Identities: len(s.st.identitiesOf(s.st.RealmID)),
		Outbox: len(s.st.Outbox),
	}
	if realm := s.st.realm(s.st.RealmID); realm != nil {
		data.RealmName = realm.DisplayName
	}
	s.mu.Unlock()
	data.Issuer = s.issuer(data.Realm, data.Application)
	setPageHeaders(w)
	w.WriteHeader(http.StatusOK)
	landingPage.Execute(w, data)
}

type landingData struct {
	URL, Tenant, Realm, RealmName, AdminRealm, Application, Issuer string
	Identities, Outbox                                             int
}

var landingPage = template.Must(template.New("landing").Funcs(pageFuncs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Beyond Identity sandbox</title>` + pageStyle + `</head>
<body>
<h1>Beyond Identity sandbox</h1>
<p>A local emulator of the Beyond Identity management API and OIDC provider, for biadmin tests and demos. Nothing here talks to the real service.</p>
<table>
<tr><th>API and auth base URL</th><td><code>{{.URL}}</code></td></tr>
<tr><th>Tenant</th><td><code>{{.Tenant}}</code></td></tr>
<tr><th>Realm</th><td>{{.RealmName}} <code>{{.Realm}}</code> ({{count .Identities "identity" "identities"}})</td></tr>
<tr><th>Admin realm</th><td><code>{{.AdminRealm}}</code></td></tr>
<tr><th>Demo app issuer</th><td><code>{{.Issuer}}</code></td></tr>
</table>
<p><a href="/_sandbox/outbox.html">Outbox</a> ({{count .Outbox "message" "messages"}}): enrollment emails with their binding links. <a href="/_sandbox/faults">Fault settings</a> (JSON).</p>
</body></html>
`))
