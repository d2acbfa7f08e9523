package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TokenClaims are the facts a profile needs from a Beyond Identity access
// token, read from its payload without verifying the signature.
type TokenClaims struct {
	// Issuer is the iss claim:
	// {auth base}/v1/tenants/{t}/realms/{r}/applications/{a}.
	Issuer string
	// TenantID is bi_t, or the tenant in iss when bi_t is absent.
	TenantID string
	// RealmID is bi_r. Management API tokens carry "*" here because they
	// are valid for every realm of the tenant.
	RealmID string
	// IssuerRealmID and ApplicationID come from iss: the realm that holds
	// the application that issued the token (for management tokens, the
	// Admin realm) and that application.
	IssuerRealmID string
	ApplicationID string
	// Region is "us", "eu" or "us-gov", from the iss host. It is empty for a
	// loopback issuer (the sandbox), which sets APIBaseURL and AuthBaseURL
	// to the issuer's origin instead.
	Region      string
	APIBaseURL  string
	AuthBaseURL string
	Subject     string
	Scopes      []string
	// ExpiresAt is the exp claim; zero when absent.
	ExpiresAt time.Time
}

// issuerHosts maps the auth host of each region to its region name.
var issuerHosts = map[string]string{
	"auth-us.beyondidentity.com":      RegionUS,
	"auth-eu.beyondidentity.com":      RegionEU,
	"auth.us1.beyondidentity-gov.com": RegionUSGov,
}

// ParseTokenClaims decodes the payload of a JWT access token WITHOUT
// verifying it, to fill in a new profile from a token the user pasted. Trust
// nothing it returns for access decisions. Errors never contain the token.
func ParseTokenClaims(token string) (TokenClaims, error) {
	var tc TokenClaims
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return tc, fmt.Errorf("token is not a JWT: it has %d dot-separated parts, and a JWT has 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return tc, errors.New("token is not a JWT: its payload is not base64url")
	}
	var raw struct {
		Iss   string      `json:"iss"`
		Sub   string      `json:"sub"`
		BiT   string      `json:"bi_t"`
		BiR   string      `json:"bi_r"`
		Scope string      `json:"scope"`
		Exp   json.Number `json:"exp"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return tc, errors.New("token is not a JWT: its payload is not a JSON object with string claims")
	}
	if raw.Iss == "" {
		return tc, errors.New("token has no iss claim, so its tenant and region are unknown")
	}

	tc.Issuer, tc.Subject, tc.RealmID = raw.Iss, raw.Sub, raw.BiR
	if raw.Scope != "" {
		tc.Scopes = strings.Fields(raw.Scope)
	}
	if raw.Exp != "" {
		f, err := raw.Exp.Float64()
		if err != nil {
			return tc, errors.New("token's exp claim is not a number")
		}
		tc.ExpiresAt = time.Unix(int64(f), 0).UTC()
	}

	u, err := url.Parse(raw.Iss)
	if err != nil || u.Host == "" {
		return tc, fmt.Errorf("token's iss claim %q is not a URL", raw.Iss)
	}
	// The issuer path is /v1/tenants/{t}/realms/{r}/applications/{a}.
	seg := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(seg) != 7 || seg[0] != "v1" || seg[1] != "tenants" || seg[3] != "realms" || seg[5] != "applications" {
		return tc, fmt.Errorf("token's iss claim %q does not have the form https://HOST/v1/tenants/T/realms/R/applications/A", raw.Iss)
	}
	issTenant := seg[2]
	tc.IssuerRealmID, tc.ApplicationID = seg[4], seg[6]
	tc.TenantID = raw.BiT
	switch {
	case tc.TenantID == "":
		tc.TenantID = issTenant
	case tc.TenantID != issTenant:
		return tc, fmt.Errorf("token's bi_t claim %q does not match the tenant %q in its iss claim", raw.BiT, issTenant)
	}
	if !tenantIDPattern.MatchString(tc.TenantID) {
		return tc, fmt.Errorf("token's tenant %q is not a tenant ID (16 lowercase hexadecimal characters starting with 0001)", tc.TenantID)
	}

	host := strings.ToLower(u.Hostname())
	if region, ok := issuerHosts[host]; ok && u.Scheme == "https" {
		tc.Region = region
		return tc, nil
	}
	if IsLoopbackHost(host) && (u.Scheme == "http" || u.Scheme == "https") {
		origin := u.Scheme + "://" + u.Host
		tc.APIBaseURL, tc.AuthBaseURL = origin, origin
		return tc, nil
	}
	return tc, fmt.Errorf("token's issuer host %q is not a Beyond Identity auth host (auth-us.beyondidentity.com, auth-eu.beyondidentity.com, auth.us1.beyondidentity-gov.com) or a loopback address", u.Host)
}
