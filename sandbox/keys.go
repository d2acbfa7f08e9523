package sandbox

// Signing keys and JWT helpers shared by the management API (bearer token
// checks) and the OIDC provider (access, ID and refresh tokens).
//
// Store accessors the OIDC code may use. Everything in s.st is guarded by
// s.mu, so take it for every read or write. Call s.changed() after a write
// so the state file is saved. The key set has a lock of its own, so signJWT and
// verifyJWT may be called with or without s.mu held.
//
//   - s.st.Tenant, s.st.realm(id), s.st.Realms (create order)
//   - s.st.application(realmID, appID), s.st.applicationByClientID(clientID)
//   - s.st.authenticatorConfig(realmID, configID)
//   - s.st.identity(realmID, identityID), s.st.identitiesOf(realmID),
//     s.st.identityByUsername(realmID, username) (case-insensitive)
//   - s.enrollmentStatus(identity) for the derived ENROLLED/PENDING/... value
//   - s.st.Tokens and s.st.token(jti): the token store behind ListTokens and
//     RevokeToken; add a record with s.st.addToken(rec) for every token minted
//     so revocation and listing see it; rec.Revoked marks a revoked token.
//   - s.issuer(realmID, appID) for the per-application issuer URL.
//   - s.oidc (type oidcState, declared in oidc.go) for OIDC-only state such
//     as authorization codes; guard it with s.mu or a mutex of its own.
//   - s.mintManagementToken(scopes, ttl, name) for client-credentials
//     tokens of the Admin realm's management application.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// rsaKeyBits is the modulus size of every signing key. 2048 is the smallest
// size RS256 verifiers (go-oidc included) accept without complaint.
const rsaKeyBits = 2048

// signingKey is one RSA key pair and the key id that names it in JWT headers
// and in the JWKS.
type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// keySet holds the sandbox's signing keys. The last key signs; every key
// still in the set verifies, so tokens issued before a rotation stay valid.
type keySet struct {
	mu   sync.RWMutex
	keys []signingKey
}

// newKeySet generates a key set with one fresh key.
func newKeySet() (*keySet, error) {
	k := &keySet{}
	if err := k.rotate(); err != nil {
		return nil, err
	}
	return k, nil
}

// current returns the key that signs new tokens.
func (k *keySet) current() signingKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[len(k.keys)-1]
}

// rotate generates a new signing key. Older keys keep verifying.
func (k *keySet) rotate() error {
	priv, err := rsa.GenerateKey(rand.Reader, rsaKeyBits)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	kid, err := thumbprintKID(&priv.PublicKey)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.keys = append(k.keys, signingKey{kid: kid, key: priv})
	k.mu.Unlock()
	return nil
}

// lookup returns the public key with the given kid.
func (k *keySet) lookup(kid string) (*rsa.PublicKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, sk := range k.keys {
		if sk.kid == kid {
			return &sk.key.PublicKey, true
		}
	}
	return nil, false
}

// publicJWKS returns the public halves of every key, as served at jwks_uri.
func (k *keySet) publicJWKS() jose.JSONWebKeySet {
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := jose.JSONWebKeySet{}
	for _, sk := range k.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:       &sk.key.PublicKey,
			KeyID:     sk.kid,
			Algorithm: string(jose.RS256),
			Use:       "sig",
		})
	}
	return set
}

// privateJWKs returns every key with its private part, for the state file.
func (k *keySet) privateJWKs() []jose.JSONWebKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]jose.JSONWebKey, 0, len(k.keys))
	for _, sk := range k.keys {
		out = append(out, jose.JSONWebKey{Key: sk.key, KeyID: sk.kid, Algorithm: string(jose.RS256), Use: "sig"})
	}
	return out
}

// keySetFromJWKs rebuilds a key set saved by privateJWKs.
func keySetFromJWKs(jwks []jose.JSONWebKey) (*keySet, error) {
	k := &keySet{}
	for _, j := range jwks {
		priv, ok := j.Key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing key %q in the state file is not an RSA private key", j.KeyID)
		}
		k.keys = append(k.keys, signingKey{kid: j.KeyID, key: priv})
	}
	if len(k.keys) == 0 {
		return nil, errors.New("state file has no signing keys")
	}
	return k, nil
}

func thumbprintKID(pub *rsa.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint signing key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)[:16], nil
}

// signConfig collects the signOption choices of one signJWT call.
type signConfig struct {
	key      *rsa.PrivateKey
	kid      string
	headers  map[jose.HeaderKey]any
	unsigned bool
}

// signOption changes how signJWT builds a token; the OIDC faults use them to
// mint deliberately broken tokens.
type signOption func(*signConfig)

// withHeader adds a protected header such as "jku" or "typ".
func withHeader(name string, value any) signOption {
	return func(c *signConfig) {
		if c.headers == nil {
			c.headers = map[jose.HeaderKey]any{}
		}
		c.headers[jose.HeaderKey(name)] = value
	}
}

// withForeignKey signs with a key that is not in the key set, so verifiers
// must reject the signature. The kid still names the current key.
func withForeignKey(key *rsa.PrivateKey) signOption {
	return func(c *signConfig) { c.key = key }
}

// withoutSignature produces an "alg":"none" token with an empty signature.
func withoutSignature() signOption {
	return func(c *signConfig) { c.unsigned = true }
}

// signJWT serialises claims as a compact RS256 JWS signed by the current key.
func (s *Sandbox) signJWT(claims map[string]any, opts ...signOption) (string, error) {
	cur := s.keys.current()
	cfg := signConfig{key: cur.key, kid: cur.kid}
	for _, o := range opts {
		o(&cfg)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	if cfg.unsigned {
		header := map[string]any{"alg": "none", "typ": "JWT"}
		for k, v := range cfg.headers {
			header[string(k)] = v
		}
		h, err := json.Marshal(header)
		if err != nil {
			return "", fmt.Errorf("encode header: %w", err)
		}
		enc := base64.RawURLEncoding
		return enc.EncodeToString(h) + "." + enc.EncodeToString(payload) + ".", nil
	}
	so := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", cfg.kid)
	for k, v := range cfg.headers {
		so = so.WithHeader(k, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: cfg.key}, so)
	if err != nil {
		return "", fmt.Errorf("create signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return jws.CompactSerialize()
}

// Errors of verifyJWT. Callers map errTokenExpired separately because the
// management API may reject it with 403 instead of 401.
var (
	errTokenMalformed = errors.New("token is not a well-formed JWS")
	errTokenSignature = errors.New("token signature is invalid")
	errTokenExpired   = errors.New("token is expired or not yet valid")
)

// clockSkew is how far exp and nbf may be off before a token is rejected.
const clockSkew = 30 * time.Second

// verifyJWT checks the RS256 signature against the key set and the exp and
// nbf claims, and returns the claims. Numbers decode as float64.
func (s *Sandbox) verifyJWT(token string) (map[string]any, error) {
	if strings.Count(token, ".") != 2 {
		return nil, errTokenMalformed
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errTokenMalformed
	}
	pub, ok := s.keys.lookup(jws.Signatures[0].Header.KeyID)
	if !ok {
		return nil, errTokenSignature
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, errTokenSignature
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errTokenMalformed
	}
	now := s.now()
	if exp, ok := claims["exp"].(float64); !ok || now.After(time.Unix(int64(exp), 0).Add(clockSkew)) {
		return nil, errTokenExpired
	}
	if nbf, ok := claims["nbf"].(float64); ok && now.Add(clockSkew).Before(time.Unix(int64(nbf), 0)) {
		return nil, errTokenExpired
	}
	return claims, nil
}
