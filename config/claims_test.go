package config

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func makeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(payload) + ".c2lnbmF0dXJl"
}

func TestParseTokenClaims(t *testing.T) {
	const iss = "/v1/tenants/0001f1f460b1ace6/realms/0c3d5a1e2f4b6c7d/applications/38833c36-6f47-4992-9329-ea0a00915137"
	tests := []struct {
		name   string
		claims map[string]any
		want   TokenClaims
	}{
		{
			name: "us management token",
			claims: map[string]any{
				"iss": "https://auth-us.beyondidentity.com" + iss, "sub": "cid", "bi_t": "0001f1f460b1ace6", "bi_r": "*",
				"scope": "identities:read identities:create", "exp": 1767225600,
			},
			want: TokenClaims{
				Issuer: "https://auth-us.beyondidentity.com" + iss, TenantID: "0001f1f460b1ace6", RealmID: "*",
				IssuerRealmID: "0c3d5a1e2f4b6c7d", ApplicationID: "38833c36-6f47-4992-9329-ea0a00915137",
				Region: "us", Subject: "cid", Scopes: []string{"identities:read", "identities:create"},
				ExpiresAt: time.Unix(1767225600, 0).UTC(),
			},
		},
		{
			name:   "eu token without bi_t",
			claims: map[string]any{"iss": "https://auth-eu.beyondidentity.com" + iss, "bi_r": "8f5bec58229e6f29"},
			want: TokenClaims{
				Issuer: "https://auth-eu.beyondidentity.com" + iss, TenantID: "0001f1f460b1ace6", RealmID: "8f5bec58229e6f29",
				IssuerRealmID: "0c3d5a1e2f4b6c7d", ApplicationID: "38833c36-6f47-4992-9329-ea0a00915137", Region: "eu",
			},
		},
		{
			name:   "fedramp token",
			claims: map[string]any{"iss": "https://auth.us1.beyondidentity-gov.com" + iss, "bi_t": "0001f1f460b1ace6"},
			want: TokenClaims{
				Issuer: "https://auth.us1.beyondidentity-gov.com" + iss, TenantID: "0001f1f460b1ace6",
				IssuerRealmID: "0c3d5a1e2f4b6c7d", ApplicationID: "38833c36-6f47-4992-9329-ea0a00915137", Region: "us-gov",
			},
		},
		{
			name:   "sandbox token on loopback",
			claims: map[string]any{"iss": "http://127.0.0.1:8787" + iss, "bi_t": "0001f1f460b1ace6", "bi_r": "*"},
			want: TokenClaims{
				Issuer: "http://127.0.0.1:8787" + iss, TenantID: "0001f1f460b1ace6", RealmID: "*",
				IssuerRealmID: "0c3d5a1e2f4b6c7d", ApplicationID: "38833c36-6f47-4992-9329-ea0a00915137",
				APIBaseURL: "http://127.0.0.1:8787", AuthBaseURL: "http://127.0.0.1:8787",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTokenClaims(makeJWT(t, tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Scopes, tt.want.Scopes) {
				t.Errorf("Scopes = %q, want %q", got.Scopes, tt.want.Scopes)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("claims:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseTokenClaimsErrors(t *testing.T) {
	const iss = "/v1/tenants/0001f1f460b1ace6/realms/0c3d5a1e2f4b6c7d/applications/app"
	enc := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"opaque token", "tok-opaque-secret-value", "token is not a JWT: it has 1 dot-separated parts"},
		{"bad base64", "aGVhZGVy.!!tok-secret!!.sig", "payload is not base64url"},
		{"not json", "aGVhZGVy." + enc([]byte("tok-secret-not-json")) + ".sig", "payload is not a JSON object"},
		{"no iss", makeJWT(t, map[string]any{"bi_t": "0001f1f460b1ace6"}), "token has no iss claim"},
		{"iss path", makeJWT(t, map[string]any{"iss": "https://auth-us.beyondidentity.com/v1/tenants/0001f1f460b1ace6"}), "does not have the form"},
		{"foreign host", makeJWT(t, map[string]any{"iss": "https://auth.example.com" + iss}), `issuer host "auth.example.com" is not a Beyond Identity auth host`},
		{"plain http public host", makeJWT(t, map[string]any{"iss": "http://auth-us.beyondidentity.com" + iss}), "is not a Beyond Identity auth host"},
		{"bi_t mismatch", makeJWT(t, map[string]any{"iss": "https://auth-us.beyondidentity.com" + iss, "bi_t": "0001aaaaaaaaaaaa"}), "does not match the tenant"},
		{"bad tenant", makeJWT(t, map[string]any{"iss": "https://auth-us.beyondidentity.com/v1/tenants/xyz/realms/r/applications/a"}), `token's tenant "xyz" is not a tenant ID`},
		{"exp not a number", makeJWT(t, map[string]any{"iss": "https://auth-us.beyondidentity.com" + iss, "exp": "soon"}), "payload is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTokenClaims(tt.token)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.token) || strings.Contains(err.Error(), "tok-") {
				t.Errorf("error contains the token: %q", err)
			}
		})
	}
}
