package login

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// Discovery is the part of the OpenID Provider metadata the test uses.
type Discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
}

// fetchJSON GETs url and decodes a 200 JSON response into out. Anything else
// becomes a *ResponseError naming the endpoint.
func fetchJSON(ctx context.Context, hc *http.Client, endpoint, url string, header http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%s: build request for %s: %w", endpoint, url, err)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: GET %s failed: %w", endpoint, url, err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return fmt.Errorf("%s: read the response from %s: %w", endpoint, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return describeResponse(endpoint, resp, body, "")
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return describeResponse(endpoint, resp, body, "the response is not JSON")
	}
	if err := json.Unmarshal(body, out); err != nil {
		return describeResponse(endpoint, resp, body, "the JSON does not decode: "+err.Error())
	}
	return nil
}

// keySet caches the provider's JWKS. An unknown kid triggers at most one
// refetch per run, so a token with a made-up kid cannot make the test hammer
// the provider, while a freshly rotated key is still found.
type keySet struct {
	hc  *http.Client
	uri string

	mu        sync.Mutex
	keys      jose.JSONWebKeySet
	fetches   int
	refetched bool
}

func (k *keySet) fetch(ctx context.Context) error {
	var set jose.JSONWebKeySet
	if err := fetchJSON(ctx, k.hc, "jwks", k.uri, nil, &set); err != nil {
		return err
	}
	k.mu.Lock()
	k.keys = set
	k.fetches++
	k.mu.Unlock()
	return nil
}

// lookup returns the key with kid. refetched reports whether the JWKS had to be
// fetched again to find it (or to learn that it is absent).
func (k *keySet) lookup(ctx context.Context, kid string) (key *jose.JSONWebKey, refetched bool, err error) {
	k.mu.Lock()
	found := findKey(k.keys, kid)
	canRefetch := !k.refetched
	k.mu.Unlock()
	if found != nil {
		return found, false, nil
	}
	if !canRefetch {
		return nil, false, nil
	}
	k.mu.Lock()
	k.refetched = true
	k.mu.Unlock()
	if err := k.fetch(ctx); err != nil {
		return nil, true, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return findKey(k.keys, kid), true, nil
}

func findKey(set jose.JSONWebKeySet, kid string) *jose.JSONWebKey {
	for i := range set.Keys {
		key := &set.Keys[i]
		if key.KeyID == kid && (key.Use == "" || key.Use == "sig") {
			return key
		}
	}
	return nil
}

func (k *keySet) kids() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]string, 0, len(k.keys.Keys))
	for _, key := range k.keys.Keys {
		out = append(out, key.KeyID)
	}
	return out
}

func (k *keySet) snapshot() []jose.JSONWebKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.keys.Keys)
}
