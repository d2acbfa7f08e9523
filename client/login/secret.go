package login

import (
	"fmt"
	"log/slog"
	"strconv"
)

// Secret is a credential (client secret, authorization code, access, ID or
// refresh token) that must not reach a log or a screen by accident. Every
// formatting path (String, %v and friends, JSON, slog) prints a mask; only
// Reveal returns the value.
type Secret struct {
	value string
}

// NewSecret wraps value so that it prints masked.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the secret value. Call it only where the value must leave the
// process (an HTTP request) or where the user explicitly asked to see it.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// Len returns the length of the secret in bytes, which is safe to show.
func (s Secret) Len() int { return len(s.value) }

// String returns a mask that shows only whether a value is set and its length.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "[redacted, " + strconv.Itoa(len(s.value)) + " chars]"
}

// Format prints the mask for every verb, %#v and %x included, so fmt cannot
// be used to dump the value.
func (s Secret) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(s.String()))
}

// MarshalJSON encodes the mask, never the value.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(s.String())), nil
}

// LogValue makes slog print the mask.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Tokens are the tokens the token endpoint returned. The fields print masked;
// use Reveal on each to get the value.
type Tokens struct {
	Access    Secret `json:"access_token"`
	ID        Secret `json:"id_token"`
	Refresh   Secret `json:"refresh_token"`
	TokenType string `json:"token_type,omitempty"`
	ExpiresIn int64  `json:"expires_in,omitempty"`
	Scope     string `json:"scope,omitempty"`
}
