package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// OIDCFaultSettings are the OIDC provider's misbehaviour switches, for
// negative tests of a relying party. The zero value misbehaves in no way.
type OIDCFaultSettings struct {
	// WrongIssuer mints ID and access tokens whose iss is the realm URL
	// instead of the application's issuer.
	WrongIssuer bool `json:"wrong_issuer"`
	// DiscoveryWrongIssuer makes the discovery document's issuer differ
	// from the issuer URL by a trailing slash.
	DiscoveryWrongIssuer bool `json:"discovery_wrong_issuer"`
	// WrongAudience mints ID tokens whose aud is not the client_id.
	WrongAudience bool `json:"wrong_audience"`
	// Expired mints tokens that expired an hour ago.
	Expired bool `json:"expired"`
	// NotYetValid mints tokens whose nbf is an hour from now.
	NotYetValid bool `json:"not_yet_valid"`
	// BadSignature signs with a key outside the JWKS while the kid names
	// the current key, so the signature does not verify.
	BadSignature bool `json:"bad_signature"`
	// AlgNone mints unsigned "alg":"none" tokens.
	AlgNone bool `json:"alg_none"`
	// MissingNonce leaves nonce out of ID tokens.
	MissingNonce bool `json:"missing_nonce"`
	// WrongNonce puts a random nonce in ID tokens.
	WrongNonce bool `json:"wrong_nonce"`
	// RotateKey adds a new signing key at the next token request and signs
	// with it, so a relying party with a cached JWKS must refetch once. It
	// switches itself off after that request.
	RotateKey bool `json:"rotate_key"`
	// RetiredKey signs with a key that was never published, under its own
	// kid, as if it had been rotated out of the JWKS: no refetch finds it.
	RetiredKey bool `json:"retired_key"`
	// TokenHTML makes the token endpoint respond 502 with an HTML page, as a
	// misconfigured proxy does. The code is not consumed.
	TokenHTML bool `json:"token_html"`
	// TokenTextPlain makes the token endpoint respond 200 with a text/plain
	// body instead of JSON. The code is not consumed.
	TokenTextPlain bool `json:"token_text_plain"`
	// TamperState changes the state parameter of the authorization
	// redirect, as an attacker or a mixed-up browser tab would.
	TamperState bool `json:"tamper_state"`
}

// OIDCFaultSwitches holds the OIDC fault settings of one sandbox. It is safe
// for concurrent use.
type OIDCFaultSwitches struct {
	mu sync.Mutex
	v  OIDCFaultSettings
}

// OIDCFaults returns the OIDC fault switches of this sandbox. They can also
// be read with GET and replaced with POST /_sandbox/oidc-faults (a JSON
// OIDCFaultSettings).
func (s *Sandbox) OIDCFaults() *OIDCFaultSwitches {
	s.oidc.faultsOnce.Do(func() { s.oidc.faults = &OIDCFaultSwitches{} })
	return s.oidc.faults
}

// Set replaces every switch.
func (f *OIDCFaultSwitches) Set(v OIDCFaultSettings) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.v = v
}

// Update changes the switches under the lock, e.g.
// f.Update(func(v *OIDCFaultSettings) { v.Expired = true }).
func (f *OIDCFaultSwitches) Update(change func(*OIDCFaultSettings)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.v)
}

// Get returns the current switches.
func (f *OIDCFaultSwitches) Get() OIDCFaultSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.v
}

// Reset turns every switch off.
func (f *OIDCFaultSwitches) Reset() { f.Set(OIDCFaultSettings{}) }

// takeRotateKey reports whether the one-shot RotateKey is on and turns it
// off.
func (f *OIDCFaultSwitches) takeRotateKey() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	on := f.v.RotateKey
	f.v.RotateKey = false
	return on
}

// effectiveOIDCFaults returns the switches in force for one request.
func (s *Sandbox) effectiveOIDCFaults() OIDCFaultSettings { return s.OIDCFaults().Get() }

// serveOIDCFaults handles /_sandbox/oidc-faults: GET returns the switches,
// POST replaces them with the JSON body and returns the result.
func (s *Sandbox) serveOIDCFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var v OIDCFaultSettings
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "read body: "+err.Error())
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "body is not a JSON object of OIDC fault switches: "+err.Error())
			return
		}
		s.OIDCFaults().Set(v)
		s.log.Info("OIDC faults set", "faults", v)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use GET or POST")
		return
	}
	writeJSON(w, http.StatusOK, s.OIDCFaults().Get())
}
