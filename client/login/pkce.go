package login

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// PKCE verifier lengths allowed by RFC 7636 §4.1.
const (
	MinVerifierLength = 43
	MaxVerifierLength = 128
)

// unreserved holds the characters RFC 7636 §4.1 allows in a code verifier
// (RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~").
const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

// NewVerifier returns a random PKCE code verifier of length characters drawn
// uniformly from the unreserved set. A length outside 43–128 is an error.
func NewVerifier(length int) (string, error) {
	if length < MinVerifierLength || length > MaxVerifierLength {
		return "", fmt.Errorf("PKCE verifier length %d is outside %d–%d", length, MinVerifierLength, MaxVerifierLength)
	}
	// 66 characters do not divide 256, so bytes at or above 198 (3×66) are
	// drawn again to keep every character equally likely.
	const limit = 256 - 256%len(unreserved)
	out := make([]byte, 0, length)
	buf := make([]byte, length)
	for len(out) < length {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < length {
				out = append(out, unreserved[int(b)%len(unreserved)])
			}
		}
	}
	return string(out), nil
}

// S256Challenge returns the S256 code challenge of verifier:
// BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidVerifier reports whether v has a legal length and only unreserved
// characters.
func ValidVerifier(v string) bool {
	if len(v) < MinVerifierLength || len(v) > MaxVerifierLength {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isUnreserved(v[i]) {
			return false
		}
	}
	return true
}

func isUnreserved(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	case c == '-' || c == '.' || c == '_' || c == '~':
		return true
	}
	return false
}

// randomToken returns 32 random bytes (256 bits) encoded as base64url, used
// for state and nonce.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
