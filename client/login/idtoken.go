package login

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// asymmetricAlgs are the JWS algorithms the tester can verify with a JWKS.
// HMAC algorithms are left out: they would need the client secret as the
// key, and "none" is never acceptable.
var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// idTokenCheck holds what verifying an ID token needs.
type idTokenCheck struct {
	raw         string
	issuer      string
	clientID    string
	appPath     string // the azp Beyond Identity sends: tenants/{t}/realms/{r}/applications/{app}
	nonce       string
	allowedAlgs []string
	keys        *keySet
	now         time.Time
	skew        time.Duration
	serverDate  time.Time // Date header of the token response, zero if absent
}

// verifyIDToken runs every check on the ID token and records each as its own
// line on st. Claims are decoded even when the signature fails, so the report
// can show them; they are marked unverified by the failed check.
func verifyIDToken(ctx context.Context, st *stepRecorder, in idTokenCheck) map[string]any {
	parts := strings.Split(in.raw, ".")
	if len(parts) != 3 {
		st.check("format", StatusFail, fmt.Sprintf("the ID token has %d dot-separated parts, not 3: it is not a compact JWS", len(parts)), "")
		return nil
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		st.check("format", StatusFail, "the ID token header does not decode: "+err.Error(), "")
		return nil
	}
	claims := map[string]any{}
	if err := decodeSegment(parts[1], &claims); err != nil {
		st.check("format", StatusFail, "the ID token payload does not decode: "+err.Error(), "")
		return nil
	}
	st.check("format", StatusPass, "compact JWS, header and claims decode", "")

	algOK := checkAlg(st, header.Alg, in.allowedAlgs)
	checkSignature(ctx, st, in, header.Alg, header.Kid, algOK)
	checkIssuer(st, claims, in.issuer)
	checkAudience(st, claims, in.clientID)
	checkAZP(st, claims, in.clientID, in.appPath)
	checkTimes(st, claims, in)
	checkNonce(st, claims, in.nonce)
	if sub, _ := claims["sub"].(string); sub != "" {
		st.check("sub", StatusPass, "sub "+sub, "")
	} else {
		st.check("sub", StatusFail, "the ID token has no sub claim", "")
	}
	return claims
}

func decodeSegment(seg string, out any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("base64url: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(out)
}

func checkAlg(st *stepRecorder, alg string, allowed []string) bool {
	switch {
	case alg == "" || strings.EqualFold(alg, "none"):
		st.check("alg", StatusFail, fmt.Sprintf("alg is %q: the ID token is unsigned, which is never acceptable", alg), "")
		return false
	case !slices.Contains(asymmetricAlgs, alg):
		st.check("alg", StatusFail, fmt.Sprintf("alg %s is not an asymmetric algorithm the tester accepts (%s)", alg, strings.Join(asymmetricAlgs, ", ")), "")
		return false
	case !slices.Contains(allowed, alg):
		st.check("alg", StatusFail, fmt.Sprintf("alg %s is not among the provider's id_token_signing_alg_values_supported (%s)", alg, strings.Join(allowed, ", ")), "")
		return false
	}
	st.check("alg", StatusPass, "alg "+alg, "")
	return true
}

func checkSignature(ctx context.Context, st *stepRecorder, in idTokenCheck, alg, kid string, algOK bool) {
	if !algOK {
		st.check("signature", StatusFail, "not verified: the alg check failed", "")
		return
	}
	jws, err := jose.ParseSignedCompact(in.raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		st.check("signature", StatusFail, "the JWS does not parse: "+err.Error(), "")
		return
	}
	if kid == "" {
		// Without a kid every key of the set is a candidate.
		for _, k := range in.keys.snapshot() {
			if _, err := jws.Verify(k.Key); err == nil {
				st.check("signature", StatusPass, fmt.Sprintf("%s signature verified with key %q (the token names no kid)", alg, k.KeyID), "")
				return
			}
		}
		st.check("signature", StatusFail, "the token names no kid and no key of the JWKS verifies it", "")
		return
	}
	key, refetched, err := in.keys.lookup(ctx, kid)
	if err != nil {
		st.check("signature", StatusFail, fmt.Sprintf("kid %q is not in the JWKS and refetching it failed: %v", kid, err), "")
		return
	}
	if key == nil {
		how := "after one refetch"
		if !refetched {
			how = "and the one refetch per run was already used"
		}
		st.check("signature", StatusFail, fmt.Sprintf("kid %q is not in the JWKS %s (keys: %s): the token was signed with a key the provider does not publish",
			kid, how, listOrNone(in.keys.kids())), "")
		return
	}
	if _, err := jws.Verify(key.Key); err != nil {
		// go-jose reports only "error in cryptographic primitive" here.
		st.check("signature", StatusFail, fmt.Sprintf("%s signature does not verify with key %q: the token was altered or signed with another key", alg, kid), "")
		return
	}
	detail := fmt.Sprintf("%s signature verified with key %q", alg, kid)
	if refetched {
		detail += ", found after one JWKS refetch (the provider rotated its key)"
	}
	st.check("signature", StatusPass, detail, "")
}

func checkIssuer(st *stepRecorder, claims map[string]any, want string) {
	got, ok := claims["iss"].(string)
	switch {
	case !ok:
		st.check("iss", StatusFail, "the ID token has no iss claim; expected "+want, "")
	case got != want:
		st.check("iss", StatusFail, fmt.Sprintf("iss %q differs from the issuer %q", got, want), "")
	default:
		st.check("iss", StatusPass, "iss "+got, "")
	}
}

// audiences returns aud as a list; it may be a string or an array.
func audiences(claims map[string]any) []string {
	switch v := claims["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func checkAudience(st *stepRecorder, claims map[string]any, clientID string) {
	aud := audiences(claims)
	switch {
	case len(aud) == 0:
		st.check("aud", StatusFail, "the ID token has no aud claim; expected "+clientID, "")
	case !slices.Contains(aud, clientID):
		st.check("aud", StatusFail, fmt.Sprintf("aud %s does not contain the client_id %q", strings.Join(aud, ", "), clientID), "")
	default:
		st.check("aud", StatusPass, "aud contains client_id "+clientID, "")
	}
}

// checkAZP accepts the client_id (OIDC Core §2) or the application path that
// Beyond Identity puts there.
func checkAZP(st *stepRecorder, claims map[string]any, clientID, appPath string) {
	v, present := claims["azp"]
	if !present {
		st.check("azp", StatusSkip, "absent (optional)", "")
		return
	}
	got, _ := v.(string)
	if got == clientID || got == appPath {
		st.check("azp", StatusPass, "azp "+got, "")
		return
	}
	st.check("azp", StatusFail, fmt.Sprintf("azp %q is neither the client_id %q nor the application %q", got, clientID, appPath), "")
}

// numericDate reads a JSON number claim as a time.
func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	v, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, true, fmt.Errorf("%s is %T, not a number", name, v)
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, true, fmt.Errorf("%s %q is not a number", name, n)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

func checkTimes(st *stepRecorder, claims map[string]any, in idTokenCheck) {
	allowance := fmt.Sprintf("allowed skew %s", in.skew)

	exp, ok, err := numericDate(claims, "exp")
	switch {
	case err != nil:
		st.check("exp", StatusFail, err.Error(), "")
	case !ok:
		st.check("exp", StatusFail, "the ID token has no exp claim", "")
	case in.now.After(exp.Add(in.skew)):
		st.check("exp", StatusFail, fmt.Sprintf("expired %s ago at %s (%s)", in.now.Sub(exp).Round(time.Second), exp.UTC().Format(time.RFC3339), allowance), "")
	default:
		st.check("exp", StatusPass, fmt.Sprintf("expires in %s", exp.Sub(in.now).Round(time.Second)), "")
	}

	clock := ""
	if !in.serverDate.IsZero() {
		// The Date header has one-second resolution, so this is an estimate.
		clock = fmt.Sprintf("; the server clock (Date header) is %s from the local clock", signedDuration(in.serverDate.Sub(in.now).Round(time.Second)))
	}
	iat, ok, err := numericDate(claims, "iat")
	switch {
	case err != nil:
		st.check("iat", StatusFail, err.Error(), "")
	case !ok:
		st.check("iat", StatusFail, "the ID token has no iat claim", "")
	case iat.After(in.now.Add(in.skew)):
		st.check("iat", StatusFail, fmt.Sprintf("issued %s in the future (%s)%s", iat.Sub(in.now).Round(time.Millisecond), allowance, clock), "")
	default:
		st.check("iat", StatusPass, fmt.Sprintf("issued %s by the local clock (%s)%s", relativeTime(iat.Sub(in.now).Round(time.Millisecond)), allowance, clock), "")
	}

	nbf, ok, err := numericDate(claims, "nbf")
	switch {
	case err != nil:
		st.check("nbf", StatusFail, err.Error(), "")
	case !ok:
		st.check("nbf", StatusSkip, "absent (optional)", "")
	case nbf.After(in.now.Add(in.skew)):
		st.check("nbf", StatusFail, fmt.Sprintf("not valid before %s, %s from now (%s)", nbf.UTC().Format(time.RFC3339), nbf.Sub(in.now).Round(time.Second), allowance), "")
	default:
		st.check("nbf", StatusPass, fmt.Sprintf("valid since %s", nbf.UTC().Format(time.RFC3339)), "")
	}
}

// relativeTime describes an offset from now as a time ago or in the future.
func relativeTime(d time.Duration) string {
	switch {
	case d < 0:
		return (-d).String() + " ago"
	case d > 0:
		return d.String() + " in the future"
	}
	return "just now"
}

func signedDuration(d time.Duration) string {
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func checkNonce(st *stepRecorder, claims map[string]any, want string) {
	v, ok := claims["nonce"]
	got, _ := v.(string)
	switch {
	case !ok:
		st.check("nonce", StatusFail, "the ID token has no nonce claim, so it cannot be tied to this login (replay protection missing)", "")
	case got != want:
		st.check("nonce", StatusFail, fmt.Sprintf("nonce %q differs from the nonce sent %q: the token belongs to another login", truncate(got, 64), want), "")
	default:
		st.check("nonce", StatusPass, "nonce matches the one sent", "")
	}
}
