package sandbox

import (
	"net/http"
	"strings"
	"testing"
)

func TestOutboxHTMLEscapes(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("html.escape", `"><script>alert(1)</script>@example.com`)
	_, _, r := a.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusOK)

	page := do(t, http.MethodGet, s.URL()+"/_sandbox/outbox.html", "", nil)
	mustStatus(t, page, http.StatusOK)
	body := string(page.raw)
	if strings.Contains(body, "<script>") {
		t.Fatal("outbox page contains an unescaped script tag")
	}
	if !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("escaped address not on the page")
	}
	if !strings.Contains(body, ":invokeAuthenticator?token=") {
		t.Error("outbox page has no binding links")
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestOutboxJSONAndClear(t *testing.T) {
	s := startSandbox(t, Options{})
	var box struct{ Messages []OutboxMessage }
	do(t, http.MethodGet, s.URL()+"/_sandbox/outbox", "", nil).decode(t, &box)
	if len(box.Messages) == 0 {
		t.Fatal("the seed put no messages in the outbox")
	}
	for _, m := range box.Messages {
		if m.ID == "" || m.To == "" || m.Link == "" || m.JobID == "" || m.IdentityID == "" || m.SentTime.IsZero() {
			t.Errorf("incomplete message %+v", m)
		}
	}
	mustStatus(t, do(t, http.MethodDelete, s.URL()+"/_sandbox/outbox", "", nil), http.StatusNoContent)
	do(t, http.MethodGet, s.URL()+"/_sandbox/outbox", "", nil).decode(t, &box)
	if len(box.Messages) != 0 {
		t.Errorf("%d messages after DELETE", len(box.Messages))
	}
}

func TestLandingPage(t *testing.T) {
	s := startSandbox(t, Options{})
	r := do(t, http.MethodGet, s.URL()+"/", "", nil)
	mustStatus(t, r, http.StatusOK)
	body := string(r.raw)
	for _, want := range []string{s.Info().TenantID, s.Info().RealmID, "/_sandbox/outbox.html", "Demo Realm"} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page lacks %q", want)
		}
	}
	mustStatus(t, do(t, http.MethodGet, s.URL()+"/nothing-here", "", nil), http.StatusNotFound)
}
