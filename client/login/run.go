package login

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Runner runs one login test. Create it with NewRunner, start Run in a
// goroutine, and call SubmitRedirect when the user pastes the address the
// browser ended on. A Runner runs once.
type Runner struct {
	cfg Config

	mu      sync.Mutex
	started bool
	gate    *callbackGate
	path    string
}

// NewRunner checks cfg and returns a Runner for it. It does no I/O.
func NewRunner(cfg Config) (*Runner, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("login test configuration: %w", err)
	}
	return &Runner{cfg: c}, nil
}

// Run is NewRunner followed by Runner.Run, for callers that never paste a
// redirect. It closes events in every case, an invalid cfg included.
func Run(ctx context.Context, cfg Config, events chan<- Event) (*Report, error) {
	r, err := NewRunner(cfg)
	if err != nil {
		if events != nil {
			close(events)
		}
		return nil, err
	}
	return r.Run(ctx, events)
}

// Run performs the login test: pre-flight through the management API,
// discovery, loopback listener, browser, redirect, token exchange, ID token
// checks, userinfo and verdict. Each step is sent on events as it starts and
// ends, with every check in between. events may be nil. Run closes it before
// returning, and a send blocks until the receiver takes the event or ctx
// ends, so the receiver must drain the channel.
//
// The report is never nil once the run started. The error is nil when the
// flow reached its verdict, which may still have failed checks (see
// Report.Passed). It is non-nil when a step stopped the flow early, and then
// it names that step.
func (r *Runner) Run(ctx context.Context, events chan<- Event) (*Report, error) {
	if events != nil {
		defer close(events)
	}
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return nil, errors.New("this login test has already run; create a new Runner")
	}
	r.started = true
	r.mu.Unlock()

	ru := &run{
		runner: r,
		cfg:    r.cfg,
		ctx:    ctx,
		events: events,
		report: &Report{Started: r.cfg.Now()},
	}
	err := ru.execute(ctx)
	ru.report.Duration = r.cfg.Now().Sub(ru.report.Started)
	r.mu.Lock()
	r.gate = nil
	r.mu.Unlock()
	return ru.report, err
}

// SubmitRedirect hands the run the address the browser ended on, for when
// the redirect cannot reach the loopback listener (a browser on another
// machine, or a paste-only run). It is checked like a redirect to the
// listener: the first one with a code, state or error decides the run, and a
// wrong state fails it without a token request. The returned error gives the
// reason an address was not accepted and never contains the code.
func (r *Runner) SubmitRedirect(rawURL string) error {
	r.mu.Lock()
	gate, path := r.gate, r.path
	r.mu.Unlock()
	if gate == nil {
		return ErrNotWaiting
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return errors.New("the pasted text is not a URL: copy the whole address from the browser's address bar")
	}
	if u.EscapedPath() != path {
		return fmt.Errorf("the pasted address has path %q but the redirect URI's path is %q: copy the address the browser ended on after signing in",
			sanitize(truncate(u.EscapedPath(), 80)), path)
	}
	return gate.handle(u.Query(), "pasted URL")
}

// run is the state of one execution.
type run struct {
	runner *Runner
	cfg    Config
	ctx    context.Context
	events chan<- Event
	report *Report

	expectedSub string // sub the expected identity gets; set by the pre-flight
}

func (r *run) emit(ev Event) {
	if r.events == nil {
		return
	}
	ev.Time = r.cfg.Now()
	select {
	case r.events <- ev:
	case <-r.ctx.Done():
	}
}

// stepRecorder collects the checks of one step and times them.
type stepRecorder struct {
	run       *run
	step      Step
	start     time.Time
	lastCheck time.Time
	failed    int
}

func (r *run) begin(name string) *stepRecorder {
	now := r.cfg.Now()
	r.emit(Event{Kind: EventStepStarted, Step: name})
	return &stepRecorder{run: r, step: Step{Name: name}, start: now, lastCheck: now}
}

// check records one check; its duration is the time since the previous
// check of the step (or the step's start).
func (s *stepRecorder) check(name string, status Status, detail, fix string) {
	now := s.run.cfg.Now()
	c := Check{Name: name, Status: status, Detail: detail, Fix: fix, Duration: now.Sub(s.lastCheck)}
	s.lastCheck = now
	if status == StatusFail {
		s.failed++
	}
	s.step.Checks = append(s.step.Checks, c)
	s.run.emit(Event{Kind: EventCheck, Step: s.step.Name, Check: &c})
}

// finish closes the step. An empty status is derived from the checks: fail
// if any failed, skip if all were skipped, pass otherwise. An empty detail
// summarises the failures.
func (s *stepRecorder) finish(status Status, detail string) Status {
	if status == "" {
		status = StatusPass
		skipped := 0
		for _, c := range s.step.Checks {
			if c.Status == StatusSkip {
				skipped++
			}
		}
		if s.failed > 0 {
			status = StatusFail
		} else if len(s.step.Checks) > 0 && skipped == len(s.step.Checks) {
			status = StatusSkip
		}
	}
	if detail == "" && s.failed > 0 {
		var names []string
		for _, c := range s.step.Checks {
			if c.Status == StatusFail {
				names = append(names, c.Name)
			}
		}
		detail = "failed: " + strings.Join(names, ", ")
	}
	s.step.Status = status
	s.step.Detail = detail
	s.step.Duration = s.run.cfg.Now().Sub(s.start)
	s.run.report.Steps = append(s.run.report.Steps, s.step)
	done := s.step
	s.run.emit(Event{Kind: EventStepFinished, Step: s.step.Name, Result: &done})
	return status
}

// stopError is returned by Run when a step stopped the flow.
func stopError(step, detail string) error {
	return fmt.Errorf("login test stopped at %s: %s", step, detail)
}

// stopErrorWrap is stopError for a step that failed with err, which stays
// reachable through errors.As (a *PortInUseError, *ResponseError,
// *StateMismatchError or *AuthorizationError).
func stopErrorWrap(step string, err error) error {
	return fmt.Errorf("login test stopped at %s: %w", step, err)
}

func (r *run) execute(ctx context.Context) error {
	cfg := &r.cfg
	r.report.Scopes = cfg.requestedScopes()
	r.report.ClientID = cfg.ClientID
	r.report.ApplicationID = cfg.ApplicationID

	if !r.preflight(ctx) && !cfg.IgnorePreflight {
		return stopError(StepPreflight, "the pre-flight checks failed; see the fixes listed")
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.report.Issuer = cfg.issuer()
	r.report.RedirectURI = cfg.RedirectURI
	r.report.ClientID = cfg.ClientID
	r.report.AuthMethod = cfg.AuthMethod

	disc, keys, err := r.discover(ctx)
	if err != nil {
		return err
	}

	verifier, err := NewVerifier(defaultVerifierLength)
	if err != nil {
		return err
	}
	state, err := randomToken()
	if err != nil {
		return err
	}
	nonce, err := randomToken()
	if err != nil {
		return err
	}
	authURL, err := r.authorizeURL(disc.AuthorizationEndpoint, state, nonce, S256Challenge(verifier))
	if err != nil {
		return err
	}

	cb, err := r.receiveRedirect(ctx, authURL, state)
	if err != nil {
		return err
	}

	tok, err := r.exchange(ctx, disc.TokenEndpoint, cb.code, verifier)
	if err != nil {
		return err
	}

	st := r.begin(StepIDToken)
	var idSub string
	if tok.tokens.ID.IsZero() {
		st.check("present", StatusFail, "the token response has no id_token; was the openid scope dropped?", "")
	} else {
		algs := disc.IDTokenSigningAlgValuesSupported
		if len(algs) == 0 {
			algs = []string{"RS256"} // OIDC Discovery §3: RS256 must be supported
		}
		claims := verifyIDToken(ctx, st, idTokenCheck{
			raw:         tok.tokens.ID.Reveal(),
			issuer:      cfg.issuer(),
			clientID:    cfg.ClientID,
			appPath:     cfg.applicationPath(),
			nonce:       nonce,
			allowedAlgs: algs,
			keys:        keys,
			now:         cfg.Now(),
			skew:        cfg.ClockSkew,
			serverDate:  tok.serverDate,
		})
		r.report.IDTokenClaims = claims
		idSub, _ = claims["sub"].(string)
	}
	st.finish("", "")

	r.fetchUserinfo(ctx, disc.UserinfoEndpoint, idSub)
	r.verdict(idSub)
	return nil
}

// discover fetches the discovery document and the JWKS. The JWKS is fetched
// now, before any token exists, so a key the provider adds later is found by
// the one refetch the signature check allows.
func (r *run) discover(ctx context.Context) (*Discovery, *keySet, error) {
	cfg := &r.cfg
	st := r.begin(StepDiscovery)
	issuer := cfg.issuer()
	wellKnown := issuer + "/.well-known/openid-configuration"
	var d Discovery
	if err := fetchJSON(ctx, cfg.HTTPClient, "discovery", wellKnown, nil, &d); err != nil {
		st.check("document", StatusFail, err.Error(), "check the auth base URL, tenant, realm and application ID of the profile")
		st.finish("", "")
		return nil, nil, stopErrorWrap(StepDiscovery, err)
	}
	st.check("document", StatusPass, "GET "+wellKnown, "")

	if d.Issuer != issuer {
		detail := fmt.Sprintf("the document's issuer %q differs from the expected issuer %q (they must match exactly)", d.Issuer, issuer)
		st.check("issuer", StatusFail, detail, "check the auth base URL (region) of the profile; a proxy must not rewrite the issuer")
		st.finish("", "")
		return nil, nil, stopError(StepDiscovery, detail)
	}
	st.check("issuer", StatusPass, "issuer matches "+issuer, "")

	var missing []string
	for name, v := range map[string]string{
		"authorization_endpoint": d.AuthorizationEndpoint,
		"token_endpoint":         d.TokenEndpoint,
		"jwks_uri":               d.JWKSURI,
	} {
		if err := checkEndpointURL(v); err != nil {
			missing = append(missing, name+" "+err.Error())
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		detail := strings.Join(missing, "; ")
		st.check("endpoints", StatusFail, detail, "")
		st.finish("", "")
		return nil, nil, stopError(StepDiscovery, detail)
	}
	st.check("endpoints", StatusPass, "authorization, token and JWKS endpoints are set", "")

	if len(d.CodeChallengeMethodsSupported) > 0 && !slices.Contains(d.CodeChallengeMethodsSupported, "S256") {
		st.check("pkce", StatusFail, "code_challenge_methods_supported ("+strings.Join(d.CodeChallengeMethodsSupported, ", ")+") lacks S256", "")
	} else if len(d.CodeChallengeMethodsSupported) == 0 {
		st.check("pkce", StatusSkip, "code_challenge_methods_supported is not published", "")
	} else {
		st.check("pkce", StatusPass, "S256 supported", "")
	}
	methods := d.TokenEndpointAuthMethodsSupported
	if len(methods) == 0 {
		methods = []string{string(AuthBasic)} // the OIDC Discovery default
	}
	if slices.Contains(methods, string(cfg.AuthMethod)) {
		st.check("auth_method", StatusPass, string(cfg.AuthMethod)+" supported", "")
	} else {
		st.check("auth_method", StatusFail, fmt.Sprintf("%s is not in token_endpoint_auth_methods_supported (%s)", cfg.AuthMethod, strings.Join(methods, ", ")),
			"set the profile's token endpoint auth method to one the provider supports")
	}

	keys := &keySet{hc: cfg.HTTPClient, uri: d.JWKSURI}
	if err := keys.fetch(ctx); err != nil {
		st.check("jwks", StatusFail, err.Error(), "")
		st.finish("", "")
		return nil, nil, stopErrorWrap(StepDiscovery, err)
	}
	noun := "keys"
	if len(keys.kids()) == 1 {
		noun = "key"
	}
	st.check("jwks", StatusPass, fmt.Sprintf("%d %s (%s)", len(keys.kids()), noun, strings.Join(keys.kids(), ", ")), "")
	if st.finish("", "") == StatusFail {
		return nil, nil, stopError(StepDiscovery, st.step.Detail)
	}
	return &d, keys, nil
}

func checkEndpointURL(raw string) error {
	if raw == "" {
		return errors.New("is missing")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())) {
		return fmt.Errorf("%q is not https", raw)
	}
	return nil
}

func (r *run) authorizeURL(endpoint, state, nonce, challenge string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("authorization endpoint %q is invalid: %w", endpoint, err)
	}
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", r.cfg.ClientID)
	q.Set("redirect_uri", r.cfg.RedirectURI)
	q.Set("scope", strings.Join(r.cfg.requestedScopes(), " "))
	q.Set("state", state)
	q.Set("nonce", nonce)
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	if r.cfg.LoginHint != "" {
		q.Set("login_hint", r.cfg.LoginHint)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// receiveRedirect starts the listener, opens the browser and waits for the
// first redirect, the timeout or cancellation. The listener is closed, and
// its port free, before it returns.
func (r *run) receiveRedirect(ctx context.Context, authURL, state string) (callback, error) {
	cfg := &r.cfg
	lr, err := parseLoopbackRedirect(cfg.RedirectURI)
	if err != nil {
		st := r.begin(StepListener)
		st.finish(StatusFail, err.Error())
		return callback{}, stopErrorWrap(StepListener, err)
	}
	gate := newCallbackGate(state)

	st := r.begin(StepListener)
	var srv *loopbackServer
	if cfg.NoListener {
		st.finish(StatusSkip, "no listener: the redirect must be pasted")
	} else {
		srv, err = listenLoopback(lr, gate)
		if err != nil {
			st.finish(StatusFail, err.Error())
			return callback{}, stopErrorWrap(StepListener, err)
		}
		st.finish(StatusPass, fmt.Sprintf("listening on 127.0.0.1:%d for %s", lr.port, lr.path))
	}
	closeListener := func() {
		if srv != nil {
			srv.close()
			srv = nil
		}
	}
	defer closeListener()

	r.runner.mu.Lock()
	r.runner.gate, r.runner.path = gate, lr.path
	r.runner.mu.Unlock()

	r.openBrowser(ctx, authURL)

	cbStep := r.begin(StepCallback)
	deadline := cfg.Now().Add(cfg.Timeout)
	where := "the loopback listener at " + cfg.RedirectURI
	if cfg.NoListener {
		where = "a pasted redirect URL"
	} else {
		where += " or a pasted redirect URL"
	}
	r.emit(Event{Kind: EventWaiting, Step: StepCallback,
		Message: fmt.Sprintf("waiting for %s until %s (%s)", where, deadline.Format("15:04:05"), cfg.Timeout)})

	timer := time.NewTimer(cfg.Timeout)
	defer timer.Stop()
	var cb callback
	select {
	case cb = <-gate.result:
	case <-timer.C:
		closeListener()
		detail := fmt.Sprintf("no redirect within %s: the browser never came back to %s", cfg.Timeout, cfg.RedirectURI)
		cbStep.check("redirect", StatusFail, detail, "finish signing in within the time, raise the timeout, or paste the address the browser ended on")
		cbStep.finish("", "")
		return callback{}, stopError(StepCallback, detail)
	case <-ctx.Done():
		closeListener()
		detail := "cancelled while waiting for the redirect"
		cbStep.check("redirect", StatusFail, detail, "")
		cbStep.finish("", "")
		return callback{}, fmt.Errorf("%s: %w", stopError(StepCallback, detail), ctx.Err())
	}
	closeListener()

	cbStep.check("redirect", StatusPass, "received through the "+cb.source, "")
	var authErr *AuthorizationError
	var stateErr *StateMismatchError
	switch {
	case errors.As(cb.err, &authErr):
		cbStep.check("error", StatusFail, authErr.Error(), authorizationFix(authErr.Code))
	case errors.As(cb.err, &stateErr):
		cbStep.check("state", StatusFail, stateErr.Error(), "start a new test from biadmin and use only the browser tab it opened")
	case cb.err != nil:
		cbStep.check("code", StatusFail, cb.err.Error(), "")
	default:
		cbStep.check("state", StatusPass, "state matches the one sent", "")
		cbStep.check("code", StatusPass, "authorization code received ("+cb.code.String()+")", "")
	}
	if cbStep.finish("", "") == StatusFail {
		return callback{}, stopErrorWrap(StepCallback, cb.err)
	}
	return cb, nil
}

// authorizationFix suggests what to change for the RFC 6749 §4.1.2.1 errors.
func authorizationFix(code string) string {
	switch code {
	case "invalid_scope":
		return "request only scopes in the application's allowed_scopes"
	case "unauthorized_client":
		return "allow the authorization_code grant type on the application"
	case "access_denied":
		return "the sign-in was refused; sign in as an enrolled, active identity"
	case "invalid_request":
		return "compare the redirect URI, PKCE and client ID with the application's settings"
	}
	return ""
}

// openBrowser opens the authorization URL, or hands it to the user (whole and
// as a QR code) when no browser can be opened.
func (r *run) openBrowser(ctx context.Context, authURL string) {
	cfg := &r.cfg
	st := r.begin(StepBrowser)
	r.emit(Event{Kind: EventAuthorizeURL, Step: StepBrowser, URL: authURL})
	var reason string
	if cfg.NoBrowser {
		reason = "opening a browser was turned off"
	} else if err := cfg.Opener.Open(ctx, authURL); err != nil {
		reason = "the browser could not be opened: " + err.Error()
	} else {
		st.finish(StatusPass, "opened the authorization URL in the browser")
		return
	}
	qr, qrErr := QRCode(authURL)
	msg := reason + ". Open the URL below in a browser (or scan the QR code), sign in, and if the browser cannot reach " +
		cfg.RedirectURI + ", paste the address it ends on."
	if qrErr != nil {
		msg += " (No QR code: " + qrErr.Error() + ".)"
	}
	r.emit(Event{Kind: EventOpenManually, Step: StepBrowser, URL: authURL, QRCode: qr, Message: msg})
	st.finish(StatusSkip, reason+"; the URL was handed to the user")
}

// exchange redeems the code and records the token step.
func (r *run) exchange(ctx context.Context, endpoint string, code Secret, verifier string) (*tokenResult, error) {
	st := r.begin(StepToken)
	res, err := exchangeCode(ctx, &r.cfg, endpoint, code, verifier)
	if err != nil {
		fix := ""
		var re *ResponseError
		if errors.As(err, &re) {
			fix = tokenErrorFix(re.OAuthError)
		}
		st.check("response", StatusFail, err.Error(), fix)
		st.finish("", "")
		return nil, stopErrorWrap(StepToken, err)
	}
	st.check("response", StatusPass, fmt.Sprintf("HTTP %d, %s, client authentication %s", res.status, res.ctype, r.cfg.AuthMethod), "")
	r.report.Tokens = res.tokens
	if strings.EqualFold(res.tokens.TokenType, "Bearer") {
		st.check("token_type", StatusPass, "Bearer", "")
	} else {
		st.check("token_type", StatusFail, fmt.Sprintf("token_type is %q, not Bearer", res.tokens.TokenType), "")
	}
	if res.tokens.Access.IsZero() {
		st.check("access_token", StatusFail, "the response has no access_token", "")
	} else {
		detail := "present, " + res.tokens.Access.String()
		if res.tokens.ExpiresIn > 0 {
			detail += fmt.Sprintf(", expires in %s", time.Duration(res.tokens.ExpiresIn)*time.Second)
		}
		st.check("access_token", StatusPass, detail, "")
	}
	st.finish("", "")
	return res, nil
}

// tokenErrorFix suggests what to change for RFC 6749 §5.2 errors.
func tokenErrorFix(code string) string {
	switch code {
	case "invalid_client":
		return "check the client secret and the token endpoint auth method (basic or post for confidential applications, none for public ones)"
	case "invalid_grant":
		return "the code was already used, expired, or the PKCE verifier or redirect URI did not match; run the test again"
	case "unauthorized_client":
		return "allow the authorization_code grant type on the application"
	}
	return ""
}

// verdict checks the expected subject and sums up.
func (r *run) verdict(idSub string) {
	st := r.begin(StepVerdict)
	if r.cfg.ExpectedSubject != "" {
		want := r.expectedSub
		if want == "" {
			want = r.cfg.ExpectedSubject
		}
		switch {
		case idSub == "":
			st.check("subject", StatusFail, "no sub to compare with the expected identity "+r.cfg.ExpectedSubject, "")
		case idSub != want:
			st.check("subject", StatusFail, fmt.Sprintf("signed in as sub %q, not the expected identity %s (sub %q)", idSub, r.cfg.ExpectedSubject, want),
				"sign in as the expected identity, or pass its username as the login hint")
		default:
			st.check("subject", StatusPass, fmt.Sprintf("signed in as the expected identity %s", r.cfg.ExpectedSubject), "")
		}
	}
	failed := r.report.Failures()
	if len(failed) > 0 {
		st.check("all", StatusFail, fmt.Sprintf("%d checks failed: %s", len(failed), strings.Join(failed, "; ")), "")
	} else {
		st.check("all", StatusPass, "every check passed", "")
	}
	st.finish("", "")
}
