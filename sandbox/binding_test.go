package sandbox

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestBindingFlow(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("binding.flow", "binding.flow@example.com")
	const redirect = "http://127.0.0.1:8765/enrolled?x=1"
	job, link, r := a.createJob(id.ID, deliveryReturn, redirect)
	mustStatus(t, r, http.StatusOK)
	jobPath := "/identities/" + id.ID + "/credential-binding-jobs/" + job.ID

	page := do(t, http.MethodGet, link, "", nil)
	mustStatus(t, page, http.StatusOK)
	if !strings.Contains(string(page.raw), "Complete enrollment") || !strings.Contains(string(page.raw), `method="post"`) {
		t.Errorf("binding page lacks the form: %s", page.raw)
	}
	if !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type %q", page.header.Get("Content-Type"))
	}
	var opened CredentialBindingJob
	a.get(jobPath).decode(t, &opened)
	if opened.State != jobLinkOpened {
		t.Errorf("state after GET %q, want LINK_OPENED", opened.State)
	}

	done := do(t, http.MethodPost, link, "", nil)
	mustStatus(t, done, http.StatusSeeOther)
	if loc := done.header.Get("Location"); loc != redirect {
		t.Errorf("Location %q, want %q", loc, redirect)
	}

	var complete CredentialBindingJob
	a.get(jobPath).decode(t, &complete)
	if complete.State != jobComplete || complete.CredentialID == "" {
		t.Fatalf("job after POST: %+v", complete)
	}
	var cred Credential
	cr := a.get("/identities/" + id.ID + "/credentials/" + complete.CredentialID)
	mustStatus(t, cr, http.StatusOK)
	cr.decode(t, &cred)
	if cred.State != credentialActive || cred.CSRType != "WEBAUTHN" || cred.IdentityID != id.ID {
		t.Errorf("credential %s", cr.raw)
	}
	checkJWK(t, cred)

	var view Identity
	a.get("/identities/"+id.ID).decode(t, &view)
	if view.EnrollmentStatus != enrollmentEnrolled {
		t.Errorf("enrollment_status %q, want ENROLLED", view.EnrollmentStatus)
	}

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		again := do(t, method, link, "", nil)
		mustStatus(t, again, http.StatusGone)
		if !strings.Contains(string(again.raw), "already used") {
			t.Errorf("%s of a used link: %s", method, again.raw)
		}
	}
}

// checkJWK verifies that jwk_json is an EC P-256 public key and that
// jwk_thumbprint is its RFC 7638 thumbprint.
func checkJWK(t *testing.T, c Credential) {
	t.Helper()
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON([]byte(c.JWKJSON)); err != nil {
		t.Fatalf("jwk_json %q: %v", c.JWKJSON, err)
	}
	if !jwk.IsPublic() || !strings.Contains(c.JWKJSON, `"crv":"P-256"`) {
		t.Errorf("jwk_json %q is not a P-256 public key", c.JWKJSON)
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.RawURLEncoding.EncodeToString(tp); c.JWKThumbprint != want {
		t.Errorf("jwk_thumbprint %q, want %q", c.JWKThumbprint, want)
	}
}

func TestBindingFromOutboxWithoutRedirect(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("outbox.flow", "outbox.flow@example.com")
	_, _, r := a.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusOK)

	var box struct{ Messages []OutboxMessage }
	do(t, http.MethodGet, s.URL()+"/_sandbox/outbox?identity_id="+id.ID, "", nil).decode(t, &box)
	if len(box.Messages) != 1 {
		t.Fatalf("%d messages", len(box.Messages))
	}
	done := do(t, http.MethodPost, box.Messages[0].Link, "", nil)
	mustStatus(t, done, http.StatusSeeOther)
	loc := done.header.Get("Location")
	if loc != "/_sandbox/enrolled" {
		t.Errorf("Location %q, want the sandbox's done page", loc)
	}
	mustStatus(t, do(t, http.MethodGet, s.URL()+loc, "", nil), http.StatusOK)
}

func TestBindingLinkRejections(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("link.rejects", "link.rejects@example.com")
	job, link, _ := a.createJob(id.ID, deliveryReturn, "")

	wrong := link[:strings.Index(link, "token=")+len("token=")] + "wrong"
	mustStatus(t, do(t, http.MethodGet, wrong, "", nil), http.StatusGone)

	r := a.send(http.MethodPost, "/identities/"+id.ID+"/credential-binding-jobs/"+job.ID+":revoke", map[string]any{})
	mustStatus(t, r, http.StatusOK)
	mustStatus(t, do(t, http.MethodGet, link, "", nil), http.StatusGone)

	// A suspended identity cannot enroll.
	other := a.createIdentity("suspended.one", "suspended.one@example.com")
	_, link2, _ := a.createJob(other.ID, deliveryReturn, "")
	mustStatus(t, a.send(http.MethodPatch, "/identities/"+other.ID, map[string]any{"identity": map[string]any{"status": "suspended"}}), http.StatusOK)
	mustStatus(t, do(t, http.MethodPost, link2, "", nil), http.StatusForbidden)
}
