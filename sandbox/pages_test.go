package sandbox

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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

func TestOutboxNewestFirst(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	id := a.createIdentity("newest.message", "newest@example.com")
	job, _, r := a.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusOK)

	var box struct{ Messages []OutboxMessage }
	do(t, http.MethodGet, s.URL()+"/_sandbox/outbox", "", nil).decode(t, &box)
	if len(box.Messages) < 3 {
		t.Fatalf("%d outbox messages, want the seed's and one more", len(box.Messages))
	}
	for i := 1; i < len(box.Messages); i++ {
		if box.Messages[i].SentTime.Before(box.Messages[i-1].SentTime) {
			t.Errorf("JSON message %d sent %v before message %d sent %v", i, box.Messages[i].SentTime, i-1, box.Messages[i-1].SentTime)
		}
	}
	if last := box.Messages[len(box.Messages)-1]; last.JobID != job.ID {
		t.Errorf("last JSON message is for job %s, want the new job %s", last.JobID, job.ID)
	}

	page := string(do(t, http.MethodGet, s.URL()+"/_sandbox/outbox.html", "", nil).raw)
	var times []time.Time
	for _, m := range regexp.MustCompile(`<tr><td>([^<]+)</td>`).FindAllStringSubmatch(page, -1) {
		at, err := time.Parse(time.RFC3339, m[1])
		if err != nil {
			t.Fatalf("row time %q: %v", m[1], err)
		}
		times = append(times, at)
	}
	if len(times) != len(box.Messages) {
		t.Fatalf("%d HTML rows, want %d", len(times), len(box.Messages))
	}
	for i := 1; i < len(times); i++ {
		if times[i].After(times[i-1]) {
			t.Errorf("HTML row %d sent %v after row %d sent %v", i, times[i], i-1, times[i-1])
		}
	}
	if want := strconv.Itoa(len(box.Messages)) + " messages, newest first"; !strings.Contains(page, want) {
		t.Errorf("outbox page lacks %q", want)
	}
}

func TestOutboxCountSingular(t *testing.T) {
	s := startSandbox(t, Options{Identities: 1})
	mustStatus(t, do(t, http.MethodDelete, s.URL()+"/_sandbox/outbox", "", nil), http.StatusNoContent)
	a := newAPI(t, s)
	id := a.createIdentity("only.message", "only@example.com")
	_, _, r := a.createJob(id.ID, deliveryEmail, "")
	mustStatus(t, r, http.StatusOK)

	page := string(do(t, http.MethodGet, s.URL()+"/_sandbox/outbox.html", "", nil).raw)
	if !strings.Contains(page, ">1 message, newest first") {
		t.Errorf("outbox page does not say 1 message:\n%s", page)
	}
	landing := string(do(t, http.MethodGet, s.URL()+"/", "", nil).raw)
	if !strings.Contains(landing, "(1 message)") {
		t.Errorf("landing page does not say 1 message:\n%s", landing)
	}
	if !strings.Contains(landing, "(2 identities)") {
		t.Errorf("landing page does not say 2 identities:\n%s", landing)
	}
}
