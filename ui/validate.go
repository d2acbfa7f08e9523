package ui

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits from the API's schema for display names and usernames (tenant,
// realm, identity and group display_name, and traits.username): 1 to 64
// characters, none of them in forbiddenNameChars. The schema's pattern is
// ^[^{}[\]<>;:?\\/|*^%$#=~`!]*$.
const (
	maxNameLength      = 64
	forbiddenNameChars = "{}[]<>;:?\\/|*^%$#=~`!"
)

// validateName checks a display name or username against the schema and
// returns the problem as a sentence, or "" when the value is valid. Length
// is counted in Unicode code points, as JSON Schema does.
func validateName(value string) string {
	n := utf8.RuneCountInString(value)
	switch {
	case n == 0:
		return "required"
	case n > maxNameLength:
		return fmt.Sprintf("at most %d characters (has %d)", maxNameLength, n)
	}
	if i := strings.IndexAny(value, forbiddenNameChars); i >= 0 {
		r, _ := utf8.DecodeRuneInString(value[i:])
		// The form's hint lists every forbidden character; the problem
		// names the one found, so it fits next to the field.
		return fmt.Sprintf("must not contain %q", r)
	}
	return ""
}

// validateEmail checks that an optional email address is a bare
// addr-spec (no display name or angle brackets) with a dotted domain.
// The API's schema puts no format on the field; this catches typos before
// the enrollment email goes nowhere.
func validateEmail(value string) string {
	if value == "" {
		return ""
	}
	addr, err := mail.ParseAddress(value)
	if err != nil || addr.Address != value || addr.Name != "" {
		return "not an email address; expected name@example.com"
	}
	at := strings.LastIndexByte(value, '@')
	if domain := value[at+1:]; !strings.Contains(strings.Trim(domain, "."), ".") {
		return "the domain needs a dot, like example.com"
	}
	return ""
}

// validateRedirectURI checks an optional post-binding redirect URI: the
// user's browser is sent there, so it must be an absolute http(s) URL.
func validateRedirectURI(value string) string {
	if value == "" {
		return ""
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "must be an absolute http:// or https:// URL"
	}
	return ""
}
