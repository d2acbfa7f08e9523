package sandbox

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestSeedIsDeterministic(t *testing.T) {
	now := time.Now()
	a := seedState("http://127.0.0.1:1", 0, now)
	b := seedState("http://127.0.0.1:2", 0, now)
	if a.Tenant.ID != b.Tenant.ID || a.RealmID != b.RealmID || a.ApplicationID != b.ApplicationID {
		t.Fatalf("seed ids differ: %s/%s vs %s/%s", a.Tenant.ID, a.RealmID, b.Tenant.ID, b.RealmID)
	}
	for i := range a.Identities {
		if a.Identities[i].ID != b.Identities[i].ID || a.Identities[i].Traits.Username != b.Identities[i].Traits.Username {
			t.Fatalf("identity %d differs", i)
		}
	}
	for i := range a.Credentials {
		if a.Credentials[i].JWKThumbprint != b.Credentials[i].JWKThumbprint {
			t.Fatalf("credential %d differs", i)
		}
	}
}

func TestSeedScalesUsernames(t *testing.T) {
	st := seedState("http://127.0.0.1:1", 5000, time.Now())
	if got := len(st.usernames[st.RealmID]); got != 5000 {
		t.Errorf("%d distinct usernames among 5000 identities", got)
	}
	for _, c := range st.Credentials[:3] {
		checkJWK(t, *c)
	}
}

// BenchmarkSeed measures building the state of a 100,000-identity realm,
// the size the list benchmarks use.
func BenchmarkSeed(b *testing.B) {
	now := time.Now()
	for b.Loop() {
		seedState("http://127.0.0.1:1", 100_000, now)
	}
}

// BenchmarkListIdentities measures one ListIdentities page over HTTP in a
// 100,000-identity realm, deep into the list.
func BenchmarkListIdentities(b *testing.B) {
	s := startSandbox(b, Options{Identities: 100_000})
	a := newAPI(b, s)
	token := s.encodePageToken(pageToken{List: "identities:" + a.info.RealmID, Offset: 90_000, Size: 200})
	q := url.Values{"page_token": {token}}.Encode()
	for b.Loop() {
		r := a.get("/identities?" + q)
		if r.status != http.StatusOK {
			b.Fatalf("status %d", r.status)
		}
	}
}
