package login

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenResponse is a successful token endpoint response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	TokenType    string          `json:"token_type"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	Scope        string          `json:"scope"`
	IDToken      string          `json:"id_token"`
	RefreshToken string          `json:"refresh_token"`
}

// tokenResult is a parsed response plus the server's Date header, which gives
// a measure of clock skew independent of the token's own claims.
type tokenResult struct {
	tokens     Tokens
	serverDate time.Time
	received   time.Time
	status     int
	ctype      string
}

// exchangeCode redeems the authorization code exactly once, authenticating
// the client with the one method cfg names. It neither retries nor falls
// back to another method, because codes are single use: a second attempt
// could only fail, or hide which method the server accepted.
func exchangeCode(ctx context.Context, cfg *Config, endpoint string, code Secret, verifier string) (*tokenResult, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code.Reveal()},
		"redirect_uri":  {cfg.RedirectURI},
		"code_verifier": {verifier},
	}
	switch cfg.AuthMethod {
	case AuthPost:
		form.Set("client_id", cfg.ClientID)
		form.Set("client_secret", cfg.ClientSecret.Reveal())
	case AuthNone:
		form.Set("client_id", cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("token: build request for %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if cfg.AuthMethod == AuthBasic {
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(cfg.ClientSecret.Reveal()))
	}

	// A redirect is reported, not followed: net/http would resend the form,
	// and with it the code and secret, to wherever a 307 points.
	hc := *cfg.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		// The error from net/http names the URL but never the body, so the
		// code and secret stay out of it.
		return nil, fmt.Errorf("token: POST %s failed: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("token: read the response from %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, describeResponse("token", resp, body, "")
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return nil, describeResponse("token", resp, body, "the response is not JSON")
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, describeResponse("token", resp, body, "the JSON does not decode: "+err.Error())
	}
	res := &tokenResult{
		tokens: Tokens{
			Access:    NewSecret(tr.AccessToken),
			ID:        NewSecret(tr.IDToken),
			Refresh:   NewSecret(tr.RefreshToken),
			TokenType: tr.TokenType,
			Scope:     tr.Scope,
		},
		received: cfg.Now(),
		status:   resp.StatusCode,
		ctype:    resp.Header.Get("Content-Type"),
	}
	// expires_in is a number, but some servers send it as a string, which
	// json.Number also accepts.
	var n json.Number
	if len(tr.ExpiresIn) > 0 && json.Unmarshal(tr.ExpiresIn, &n) == nil {
		res.tokens.ExpiresIn, _ = n.Int64()
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		res.serverDate = d
	}
	return res, nil
}
