package sandbox

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults are the management API's fault-injection knobs. The transport
// faults (latency, 429, 5xx, dropped connections, malformed bodies) apply
// only to management API requests. The outbox, the binding-link pages and
// the OIDC provider never see them. The other knobs change the behaviour
// their names describe.
// Count-based faults apply to the next N requests and then switch
// themselves off. The zero state injects nothing. All methods are safe for
// concurrent use.
type Faults struct {
	mu sync.Mutex
	fs faultSettings
	// rng decides the fractional rate limit; math/rand/v2's top-level
	// functions would do, but a seeded source keeps tests repeatable.
	rng *rand.Rand
}

// faultSettings is the JSON shape of GET and POST /_sandbox/faults.
type faultSettings struct {
	LatencyMS         int64   `json:"latency_ms"`
	RateLimitCount    int     `json:"rate_limit_count"`
	RateLimitFraction float64 `json:"rate_limit_fraction"`
	RetryAfterSeconds int     `json:"retry_after_seconds"`
	ServerErrorCount  int     `json:"server_error_count"`
	ServerErrorStatus int     `json:"server_error_status"`
	DropConnections   int     `json:"drop_connections"`
	MalformedBodies   int     `json:"malformed_bodies"`
	EmailFailure      bool    `json:"email_failure"`
	ExpiredTokens403  bool    `json:"expired_tokens_403"`
	Shuffle           bool    `json:"shuffle"`
	BatchSendDelayMS  int64   `json:"batch_send_delay_ms"`
}

func newFaults() *Faults {
	return &Faults{rng: rand.New(rand.NewPCG(1, 2)), fs: faultSettings{RetryAfterSeconds: 1, ServerErrorStatus: http.StatusInternalServerError}}
}

// Reset switches every fault off.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs = faultSettings{RetryAfterSeconds: 1, ServerErrorStatus: http.StatusInternalServerError}
}

// SetLatency delays every management API request by d (0 turns it off).
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.LatencyMS = d.Milliseconds()
}

// RateLimit fails the next n management API requests with 429
// too_many_requests and a Retry-After of retryAfter, rounded up to whole
// seconds (at least 1).
func (f *Faults) RateLimit(n int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.RateLimitCount = max(n, 0)
	f.fs.RetryAfterSeconds = retrySeconds(retryAfter)
}

// RateLimitFraction fails each management API request with 429 with
// probability p (0 turns it off, 1 limits everything) until changed.
func (f *Faults) RateLimitFraction(p float64, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.RateLimitFraction = min(max(p, 0), 1)
	f.fs.RetryAfterSeconds = retrySeconds(retryAfter)
}

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// ServerErrors fails the next n management API requests with status, which
// must be 500 or 503. Any other status means 500.
func (f *Faults) ServerErrors(n int, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if status != http.StatusServiceUnavailable {
		status = http.StatusInternalServerError
	}
	f.fs.ServerErrorCount = max(n, 0)
	f.fs.ServerErrorStatus = status
}

// DropConnections closes the connection of the next n management API
// requests without writing a response.
func (f *Faults) DropConnections(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.DropConnections = max(n, 0)
}

// MalformedBodies makes the next n management API responses carry a
// truncated JSON body with the normal status and headers.
func (f *Faults) MalformedBodies(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.MalformedBodies = max(n, 0)
}

// SetEmailFailure makes new EMAIL binding jobs end as FAILED_TO_SEND
// instead of landing in the outbox.
func (f *Faults) SetEmailFailure(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.EmailFailure = on
}

// SetExpiredTokens403 rejects expired and revoked bearer tokens with 403
// forbidden instead of 401. The vendor's CLI retries a 403 with a fresh
// token, which suggests the real service does this.
func (f *Faults) SetExpiredTokens403(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.ExpiredTokens403 = on
}

// SetShuffle makes lists return each page's items in a random order. Pages
// are still cut from the stable order, so paging covers every item once.
func (f *Faults) SetShuffle(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.Shuffle = on
}

// SetBatchSendDelay makes the batch worker wait d before each identity of
// a batch credential binding job, so a batch stays RUNNING long enough to
// observe and the realm's send queue can fill up (0 sends at once).
func (f *Faults) SetBatchSendDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fs.BatchSendDelayMS = d.Milliseconds()
}

func (f *Faults) batchSendDelay() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Duration(f.fs.BatchSendDelayMS) * time.Millisecond
}

func (f *Faults) emailFailure() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fs.EmailFailure
}

func (f *Faults) expiredTokens403() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fs.ExpiredTokens403
}

func (f *Faults) shuffle() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fs.Shuffle
}

func (f *Faults) snapshot() faultSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fs
}

func (f *Faults) apply(fs faultSettings) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fs.LatencyMS = max(fs.LatencyMS, 0)
	fs.BatchSendDelayMS = max(fs.BatchSendDelayMS, 0)
	fs.RateLimitCount = max(fs.RateLimitCount, 0)
	fs.RateLimitFraction = min(max(fs.RateLimitFraction, 0), 1)
	fs.RetryAfterSeconds = max(fs.RetryAfterSeconds, 1)
	fs.ServerErrorCount = max(fs.ServerErrorCount, 0)
	if fs.ServerErrorStatus != http.StatusServiceUnavailable {
		fs.ServerErrorStatus = http.StatusInternalServerError
	}
	fs.DropConnections = max(fs.DropConnections, 0)
	fs.MalformedBodies = max(fs.MalformedBodies, 0)
	f.fs = fs
}

// faultDecision is the transport-fault outcome for one request.
type faultDecision struct {
	latency    time.Duration
	drop       bool
	status     int // 429, 500 or 503; 0 means serve normally
	retryAfter int
	malformed  bool
}

// take decides the faults of one management API request and consumes the
// counters it uses. Precedence: drop, then 429, then 5xx, then malformed.
func (f *Faults) take() faultDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := faultDecision{latency: time.Duration(f.fs.LatencyMS) * time.Millisecond}
	switch {
	case f.fs.DropConnections > 0:
		f.fs.DropConnections--
		d.drop = true
	case f.fs.RateLimitCount > 0:
		f.fs.RateLimitCount--
		d.status, d.retryAfter = http.StatusTooManyRequests, f.fs.RetryAfterSeconds
	case f.fs.RateLimitFraction > 0 && f.rng.Float64() < f.fs.RateLimitFraction:
		d.status, d.retryAfter = http.StatusTooManyRequests, f.fs.RetryAfterSeconds
	case f.fs.ServerErrorCount > 0:
		f.fs.ServerErrorCount--
		d.status = f.fs.ServerErrorStatus
	case f.fs.MalformedBodies > 0:
		f.fs.MalformedBodies--
		d.malformed = true
	}
	return d
}
