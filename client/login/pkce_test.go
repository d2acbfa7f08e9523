package login

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"testing/quick"
)

func TestS256ChallengeRFC7636Vector(t *testing.T) {
	// RFC 7636 Appendix B.
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const want = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := S256Challenge(verifier); got != want {
		t.Fatalf("S256Challenge(%q) = %q, want %q", verifier, got, want)
	}
}

func TestVerifierProperties(t *testing.T) {
	property := func(n uint8) bool {
		length := MinVerifierLength + int(n)%(MaxVerifierLength-MinVerifierLength+1)
		v, err := NewVerifier(length)
		if err != nil {
			t.Logf("NewVerifier(%d): %v", length, err)
			return false
		}
		if len(v) != length {
			t.Logf("NewVerifier(%d) has length %d", length, len(v))
			return false
		}
		for _, c := range []byte(v) {
			if !strings.ContainsRune(unreserved, rune(c)) {
				t.Logf("verifier %q has reserved character %q", v, c)
				return false
			}
		}
		if !ValidVerifier(v) {
			t.Logf("ValidVerifier(%q) = false", v)
			return false
		}
		ch := S256Challenge(v)
		sum := sha256.Sum256([]byte(v))
		if ch != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return false
		}
		return len(ch) == 43 && !strings.ContainsAny(ch, "=+/")
	}
	if err := quick.Check(property, &quick.Config{MaxCount: 2000}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifierLengthBounds(t *testing.T) {
	for _, n := range []int{0, 42, 129, -1} {
		if _, err := NewVerifier(n); err == nil {
			t.Errorf("NewVerifier(%d) succeeded, want an error", n)
		}
	}
	for _, n := range []int{43, 128} {
		if _, err := NewVerifier(n); err != nil {
			t.Errorf("NewVerifier(%d): %v", n, err)
		}
	}
}

func TestVerifierUsesWholeAlphabet(t *testing.T) {
	seen := map[byte]bool{}
	for range 200 {
		v, err := NewVerifier(MaxVerifierLength)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []byte(v) {
			seen[c] = true
		}
	}
	// 25,600 draws from 66 characters: missing one has odds below 1e-160.
	if len(seen) != len(unreserved) {
		t.Fatalf("saw %d distinct characters, want all %d", len(seen), len(unreserved))
	}
}

func TestValidVerifierRejects(t *testing.T) {
	ok := strings.Repeat("a", 43)
	cases := map[string]string{
		"too short": strings.Repeat("a", 42),
		"too long":  strings.Repeat("a", 129),
		"space":     ok[:42] + " ",
		"plus":      ok[:42] + "+",
		"slash":     ok[:42] + "/",
		"non-ASCII": ok[:41] + "é",
	}
	for name, v := range cases {
		if ValidVerifier(v) {
			t.Errorf("%s: ValidVerifier(%q) = true", name, v)
		}
	}
	if !ValidVerifier(ok) {
		t.Errorf("ValidVerifier(%q) = false", ok)
	}
}

func TestRandomTokenEntropy(t *testing.T) {
	a, err := randomToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := randomToken()
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)*8 < 128 {
		t.Fatalf("state/nonce has %d bits, want at least 128", len(raw)*8)
	}
	if a == b {
		t.Fatal("two random tokens are equal")
	}
}
