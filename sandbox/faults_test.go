package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestRateLimitFault(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	s.Faults().RateLimit(2, 1500*time.Millisecond)

	for i := range 2 {
		r := a.get("")
		mustStatus(t, r, http.StatusTooManyRequests)
		if got := r.header.Get("Retry-After"); got != "2" {
			t.Errorf("request %d: Retry-After %q, want 2", i, got)
		}
		if e := r.apiError(t); e.Code != "too_many_requests" {
			t.Errorf("429 body %s", r.raw)
		}
	}
	mustStatus(t, a.get(""), http.StatusOK)
}

func TestRateLimitFraction(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	s.Faults().RateLimitFraction(1, time.Second)
	mustStatus(t, a.get(""), http.StatusTooManyRequests)
	s.Faults().RateLimitFraction(0, time.Second)
	mustStatus(t, a.get(""), http.StatusOK)
}

func TestServerErrorFault(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	s.Faults().ServerErrors(1, http.StatusServiceUnavailable)
	r := a.get("")
	mustStatus(t, r, http.StatusServiceUnavailable)
	if e := r.apiError(t); e.Code != "service_unavailable" {
		t.Errorf("503 body %s", r.raw)
	}
	s.Faults().ServerErrors(1, 418)
	mustStatus(t, a.get(""), http.StatusInternalServerError)
	mustStatus(t, a.get(""), http.StatusOK)
}

func TestDropConnectionFault(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	s.Faults().DropConnections(1)
	req, _ := http.NewRequest(http.MethodGet, a.realmURL(""), nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if resp, err := testClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered with %d", resp.StatusCode)
	}
	mustStatus(t, a.get(""), http.StatusOK)
}

func TestMalformedBodyFault(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	s.Faults().MalformedBodies(1)
	r := a.get("")
	mustStatus(t, r, http.StatusOK)
	var v map[string]any
	if json.Unmarshal(r.raw, &v) == nil {
		t.Errorf("malformed fault returned valid JSON %s", r.raw)
	}
	a.get("").object(t)
}

func TestLatencyFault(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)
	s.Faults().SetLatency(150 * time.Millisecond)
	start := time.Now()
	mustStatus(t, a.get(""), http.StatusOK)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("request took %v with 150ms latency", d)
	}
	// Faults leave sandbox-only pages alone.
	s.Faults().SetLatency(0)
	s.Faults().ServerErrors(5, 500)
	mustStatus(t, do(t, http.MethodGet, s.URL()+"/_sandbox/outbox", "", nil), http.StatusOK)
}

func TestFaultsOverHTTP(t *testing.T) {
	s := startSandbox(t, Options{})
	a := newAPI(t, s)

	r := do(t, http.MethodPost, s.URL()+"/_sandbox/faults", "", `{"server_error_count":1,"server_error_status":503,"shuffle":true}`)
	mustStatus(t, r, http.StatusOK)
	var fs faultSettings
	r.decode(t, &fs)
	if fs.ServerErrorCount != 1 || fs.ServerErrorStatus != 503 || !fs.Shuffle {
		t.Errorf("settings after POST %+v", fs)
	}
	mustStatus(t, a.get(""), http.StatusServiceUnavailable)

	// A partial update keeps the other settings.
	do(t, http.MethodPost, s.URL()+"/_sandbox/faults", "", `{"latency_ms":1}`).decode(t, &fs)
	if !fs.Shuffle || fs.LatencyMS != 1 || fs.ServerErrorCount != 0 {
		t.Errorf("settings after partial POST %+v", fs)
	}
	mustStatus(t, do(t, http.MethodPost, s.URL()+"/_sandbox/faults", "", `{`), http.StatusBadRequest)
	s.Faults().Reset()
	do(t, http.MethodGet, s.URL()+"/_sandbox/faults", "", nil).decode(t, &fs)
	if fs.Shuffle || fs.LatencyMS != 0 {
		t.Errorf("settings after Reset %+v", fs)
	}
}
