package sandbox

import (
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// The seed is deterministic: IDs, client credentials, names and states come
// from a PCG generator with fixed seeds, so two fresh sandboxes agree on
// every id and golden tests stay stable. Timestamps are relative to the
// start time, and the signing keys and page-token secret are random.
const (
	seedHi uint64 = 0xb1ad_0001
	seedLo uint64 = 0x5eed_2026

	defaultIdentities = 40
	demoRedirectURI   = "http://127.0.0.1:8765/callback"
	demoTokenLifetime = 86400
	seedHistory       = 90 * 24 * time.Hour
	linkLifetime      = 7 * 24 * time.Hour
)

// allScopes are the management API scopes of the beyondidentity resource
// server, as listed in the v1.7.0 spec's security requirements, plus
// tokens:introspect for the introspection endpoint.
var allScopes = []string{
	"applications:create", "applications:delete", "applications:read", "applications:update",
	"authenticator-configs:create", "authenticator-configs:delete", "authenticator-configs:read", "authenticator-configs:update",
	"credential-binding-jobs:create", "credential-binding-jobs:read", "credential-binding-jobs:revoke",
	"credentials:read", "credentials:revoke",
	"groups:create", "groups:delete", "groups:read", "groups:update",
	"identities:create", "identities:delete", "identities:read", "identities:update",
	"realms:create", "realms:delete", "realms:read", "realms:update",
	"resource-servers:create", "resource-servers:delete", "resource-servers:read", "resource-servers:update",
	"roles:create", "roles:delete", "roles:read", "roles:update",
	"scim:groups", "scim:users",
	"sso-configs:create", "sso-configs:delete", "sso-configs:read", "sso-configs:update",
	"tenants:read", "tenants:update",
	"themes:create", "themes:read", "themes:update",
	"tokens:delete", "tokens:introspect", "tokens:read",
}

var (
	givenNames = []string{
		"alice", "bob", "carol", "dmitri", "erin", "farah", "gustavo", "hana", "ivan", "jia",
		"kwame", "lucia", "mateo", "nadia", "oskar", "priya", "quentin", "rosa", "samir", "tomoko",
		"uma", "viktor", "wen", "ximena", "yusuf", "zoe", "amara", "bruno", "chloe", "deepak",
		"elena", "felix", "grace", "hugo", "ines", "jonas", "keiko", "liam", "maya", "noah",
	}
	familyNames = []string{
		"nguyen", "smith", "okafor", "garcia", "ivanova", "kim", "haddad", "rossi", "tanaka", "muller",
		"silva", "patel", "dubois", "kowalski", "andersen", "moreau", "chen", "obi", "larsen", "novak",
		"costa", "fischer", "mensah", "yamamoto", "ortiz", "berg", "shah", "lopez", "walker", "ali",
		"petrov", "romano", "jensen", "kaur", "fernandez", "wong", "eriksson", "adeyemi", "martin", "cohen",
	}
	departments = []string{"Engineering", "Support", "Sales", "Finance", "Operations", "Marketing"}
)

// seeder draws every value of the seed from one generator in a fixed order.
type seeder struct {
	rng  *rand.Rand
	now  time.Time
	base time.Time
	url  string
	st   *state
	// keys are the credentials whose public key is still to be derived
	// from the scalar drawn for them; see deriveKeys.
	keys []pendingKey
}

type pendingKey struct {
	cred   *Credential
	scalar []byte
}

// hexID returns n pseudo-random hex digits, 16 per 64-bit draw.
func (sd *seeder) hexID(n int) string {
	const hexDigits = "0123456789abcdef"
	b := make([]byte, n)
	var v uint64
	for i := range b {
		if i%16 == 0 {
			v = sd.rng.Uint64()
		}
		b[i] = hexDigits[v&0xf]
		v >>= 4
	}
	return string(b)
}

func (sd *seeder) uuid() string {
	h := sd.hexID(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + "89ab"[sd.rng.IntN(4):][:1] + h[17:20] + "-" + h[20:]
}

func (sd *seeder) alnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[sd.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (sd *seeder) bytes(n int) []byte {
	b := make([]byte, n)
	var v uint64
	for i := range b {
		if i%8 == 0 {
			v = sd.rng.Uint64()
		}
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

// seedState builds a fresh tenant with an Admin realm, a demo realm and
// identityCount demo identities (0 means defaultIdentities).
func seedState(url string, identityCount int, now time.Time) *state {
	if identityCount <= 0 {
		identityCount = defaultIdentities
	}
	sd := &seeder{rng: rand.New(rand.NewPCG(seedHi, seedLo)), now: now, base: now.Add(-seedHistory), url: url}
	st := &state{Version: stateVersion}
	st.reindex()
	sd.st = st

	st.Tenant = Tenant{ID: "0001" + sd.hexID(12), DisplayName: "Sandbox Tenant", CreateTime: sd.base, UpdateTime: sd.base}
	admin := &Realm{ID: sd.hexID(16), TenantID: st.Tenant.ID, DisplayName: "Admin Realm", Classification: "SECURE_WORKFORCE", CreateTime: sd.base, UpdateTime: sd.base}
	demo := &Realm{ID: sd.hexID(16), TenantID: st.Tenant.ID, DisplayName: "Demo Realm", Classification: "SECURE_CUSTOMER", CreateTime: sd.base, UpdateTime: sd.base}
	st.Realms = []*Realm{admin, demo}
	st.AdminRealmID, st.RealmID = admin.ID, demo.ID

	rs := &ResourceServer{
		ID: sd.uuid(), RealmID: admin.ID, TenantID: st.Tenant.ID,
		DisplayName: "Beyond Identity Management API", IsManaged: true,
		Identifier: "beyondidentity", Scopes: allScopes,
	}
	st.ResourceServers = []*ResourceServer{rs}
	st.ResourceServerID = rs.ID

	mgmt := &Application{
		ID: sd.uuid(), RealmID: admin.ID, TenantID: st.Tenant.ID,
		ResourceServerID: rs.ID, DisplayName: "Beyond Identity Management API",
		IsManaged: true, Classification: "management_api",
		ProtocolConfig: &ProtocolConfig{
			Type: "oauth2", AllowedScopes: allScopes,
			ClientID: sd.alnum(24), ClientSecret: sd.alnum(48),
			Confidentiality: "confidential", TokenEndpointAuthMethod: "client_secret_basic",
			GrantType:          []string{"client_credentials"},
			TokenConfiguration: &TokenConfiguration{ExpiresAfter: demoTokenLifetime, TokenSigningAlgorithm: "RS256", SubjectField: "id"},
			PKCE:               "disabled", TokenFormat: "self_contained",
		},
	}
	st.ManagementAppID = mgmt.ID

	cfg := &AuthenticatorConfig{
		ID: sd.uuid(), RealmID: demo.ID, TenantID: st.Tenant.ID, DisplayName: "Hosted Web",
		Config: AuthenticatorConfigBody{
			Type:           "hosted_web",
			TrustedOrigins: []string{url},
			AuthenticationMethods: []AuthenticationMethod{
				{Type: "webauthn_passkey"}, {Type: "software_passkey"}, {Type: "email_one_time_password"},
			},
		},
	}
	st.AuthenticatorConfigs = []*AuthenticatorConfig{cfg}
	st.AuthenticatorConfigID = cfg.ID

	app := &Application{
		ID: sd.uuid(), RealmID: demo.ID, TenantID: st.Tenant.ID,
		AuthenticatorConfigID: cfg.ID, DisplayName: "Demo App",
		ProtocolConfig: &ProtocolConfig{
			Type: "oidc", AllowedScopes: []string{"email", "profile"},
			ClientID: sd.alnum(24), ClientSecret: sd.alnum(48),
			Confidentiality: "confidential", TokenEndpointAuthMethod: "client_secret_basic",
			GrantType:          []string{"authorization_code"},
			RedirectURIs:       []string{demoRedirectURI},
			TokenConfiguration: &TokenConfiguration{ExpiresAfter: demoTokenLifetime, TokenSigningAlgorithm: "RS256", SubjectField: "id"},
			PKCE:               "s256", TokenFormat: "self_contained",
		},
	}
	st.Applications = []*Application{mgmt, app}
	st.ApplicationID = app.ID
	st.reindex()

	groups := []*Group{
		{DisplayName: "Engineering", Description: "Product and platform engineers"},
		{DisplayName: "Support", Description: "Customer support desk"},
		{DisplayName: "Contractors", Description: "External contractors with limited access"},
		{DisplayName: "Administrators", Description: "Realm administrators"},
	}
	for _, g := range groups {
		g.ID, g.RealmID, g.TenantID = sd.hexID(16), demo.ID, st.Tenant.ID
		g.CreateTime, g.UpdateTime = sd.base, sd.base
		st.addGroup(g)
	}

	step := (seedHistory - 24*time.Hour) / time.Duration(identityCount)
	for i := range identityCount {
		sd.identity(i, sd.base.Add(time.Duration(i)*step), groups)
	}
	sd.deriveKeys()
	return st
}

// deriveKeys computes the credentials' public keys on every CPU. The P-256
// scalar multiplications are most of the cost of a large seed, and the
// scalars were drawn in order, so the result stays deterministic.
func (sd *seeder) deriveKeys() {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(sd.keys); i += workers {
				pk := sd.keys[i]
				pk.cred.JWKJSON, pk.cred.JWKThumbprint = ecPublicJWK(scalarKey(pk.scalar).PublicKey())
			}
		})
	}
	wg.Wait()
	sd.keys = nil
}

// scalarKey turns 32 random bytes into a P-256 private key. A value that is
// not a valid scalar (probability about 2^-32) is rehashed until it is.
func scalarKey(b []byte) *ecdh.PrivateKey {
	for {
		k, err := ecdh.P256().NewPrivateKey(b)
		if err == nil {
			return k
		}
		sum := sha256.Sum256(b)
		b = sum[:]
	}
}

// Roles of particular seed positions, so that every enrollment state
// appears even in a small seed.
const (
	seedInviteFailed = 3
	seedExpiredJob   = 5
	seedNoEmail      = 7
)

func (sd *seeder) identity(i int, created time.Time, groups []*Group) {
	st := sd.st
	given := givenNames[i%len(givenNames)]
	family := familyNames[(i/len(givenNames)+i)%len(familyNames)]
	username := given + "." + family
	if n := i / (len(givenNames) * len(familyNames)); n > 0 {
		username += strconv.Itoa(n)
	}
	id := &Identity{
		ID: sd.hexID(16), RealmID: st.RealmID, TenantID: st.Tenant.ID,
		DisplayName: username, Status: statusActive,
		Traits: Traits{
			Type: traitsV0, Username: username,
			PrimaryEmailAddress: username + "@example.com",
			GivenName:           titleCase(given), FamilyName: titleCase(family),
			FormattedName: titleCase(given) + " " + titleCase(family),
			ExternalID:    fmt.Sprintf("EMP%06d", i+1),
			Department:    departments[i%len(departments)],
		},
		CreateTime: created, UpdateTime: created,
	}
	if i == seedNoEmail {
		id.Traits.PrimaryEmailAddress = ""
	}
	st.addIdentity(id)

	// Group memberships: overlapping sets so listGroups shows several.
	if i%3 == 0 {
		st.addMember(groups[0].ID, id.ID)
	}
	if i%5 == 1 {
		st.addMember(groups[1].ID, id.ID)
	}
	if i%7 == 2 {
		st.addMember(groups[2].ID, id.ID)
	}
	if i < 2 {
		st.addMember(groups[3].ID, id.ID)
	}

	switch {
	case i == seedNoEmail:
		return
	case i == seedInviteFailed:
		sd.job(id, jobFailedToSend, created.Add(time.Hour))
		return
	case i == seedExpiredJob:
		sd.job(id, jobLinkSent, sd.now.Add(-10*24*time.Hour))
		return
	}
	switch roll := sd.rng.IntN(100); {
	case roll < 40:
		sd.enrolled(id, created.Add(2*time.Hour))
	case roll < 60:
		sent := sd.now.Add(-time.Duration(sd.rng.IntN(5*24)) * time.Hour)
		state := jobLinkSent
		if roll < 45 {
			state = jobLinkOpened
		}
		sd.job(id, state, sent)
	case roll < 70:
		id.Status = statusSuspended
		if roll < 65 {
			sd.enrolled(id, created.Add(2*time.Hour))
		}
	}
}

// job adds an EMAIL binding job created at sent. Live jobs also get an
// outbox message whose link works.
func (sd *seeder) job(id *Identity, state string, sent time.Time) *jobRecord {
	st := sd.st
	j := &jobRecord{CredentialBindingJob: CredentialBindingJob{
		ID: sd.hexID(16), IdentityID: id.ID, RealmID: id.RealmID, TenantID: id.TenantID,
		DeliveryMethod: deliveryEmail, State: state,
		AuthenticatorConfigID: st.AuthenticatorConfigID,
		ExpireTime:            sent.Add(linkLifetime), CreateTime: sent, UpdateTime: sent,
	}}
	st.addJob(j)
	if !jobLive(state) {
		return j
	}
	token := base64.RawURLEncoding.EncodeToString(sd.bytes(32))
	j.LinkHash = hashSecret(token)
	link := bindingLink(sd.url, j, token)
	st.Outbox = append(st.Outbox, outboxMessage(sd.hexID(16), id, j, link, sent))
	return j
}

// enrolled gives the identity a completed job and an ACTIVE credential
// whose key deriveKeys fills in later.
func (sd *seeder) enrolled(id *Identity, at time.Time) {
	j := sd.job(id, jobComplete, at)
	at = at.Add(3 * time.Minute)
	c := &Credential{
		ID: sd.hexID(16), IdentityID: id.ID, RealmID: id.RealmID, TenantID: id.TenantID,
		State: credentialActive, CSRType: "WEBAUTHN", CreateTime: at, UpdateTime: at,
	}
	sd.keys = append(sd.keys, pendingKey{cred: c, scalar: sd.bytes(32)})
	sd.st.addCredential(c)
	j.CredentialID = c.ID
	j.UpdateTime = c.CreateTime
}

// newCredential builds an ACTIVE WEBAUTHN credential whose jwk_json is the
// public half of key and whose jwk_thumbprint follows RFC 7638.
func newCredential(credID string, id *Identity, key *ecdh.PrivateKey, at time.Time) *Credential {
	jwk, thumb := ecPublicJWK(key.PublicKey())
	return &Credential{
		ID: credID, IdentityID: id.ID, RealmID: id.RealmID, TenantID: id.TenantID,
		State: credentialActive, CSRType: "WEBAUTHN",
		JWKJSON: jwk, JWKThumbprint: thumb,
		CreateTime: at, UpdateTime: at,
	}
}

// ecPublicJWK encodes a P-256 public key as a JWK JSON string and computes
// its RFC 7638 thumbprint: SHA-256 over the required members (crv, kty, x,
// y) in lexical order with no whitespace, base64url without padding.
func ecPublicJWK(pub *ecdh.PublicKey) (jwkJSON, thumbprint string) {
	raw := pub.Bytes() // 0x04 || X || Y, 32 bytes each for P-256
	enc := base64.RawURLEncoding
	x, y := enc.EncodeToString(raw[1:33]), enc.EncodeToString(raw[33:65])
	canonical, _ := json.Marshal(struct {
		Crv string `json:"crv"`
		Kty string `json:"kty"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}{"P-256", "EC", x, y})
	sum := sha256.Sum256(canonical)
	return string(canonical), enc.EncodeToString(sum[:])
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
