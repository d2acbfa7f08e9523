package sandbox

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Field rules shared by tenant, realm, identity and group names and by
// usernames: 1 to 64 characters, none of the characters excluded by the
// spec's pattern ^[^{}[\]<>;:?\\/|*^%$#=~`!]*$.
//
// Control characters (NUL, ESC, CR, backspace) are accepted in every one of
// these fields, because the negated class of that pattern matches them and
// the spec states no other rule. A client therefore has to expect them in
// names the API returns and sanitize them before display.
// NOTE: whether the real service rejects control characters is unverified;
// if it does, reject unicode.IsControl runes here for all fields at once.
const (
	maxNameLength   = 64
	forbiddenInName = "{}[]<>;:?\\/|*^%$#=~`!"
	maxIDsPerCall   = 1000
)

// checkName returns the violation of a display name or username at field,
// or false when value is valid.
func checkName(field, value string) (fieldViolation, bool) {
	switch n := utf8.RuneCountInString(value); {
	case n == 0:
		return fieldViolation{Field: field, Description: "empty string"}, true
	case n > maxNameLength:
		return fieldViolation{Field: field, Description: "exceeds 64 characters"}, true
	}
	// Naming the character found matters for values like "\x1b[31m", where
	// the escape byte is allowed but the bracket is not.
	if i := strings.IndexAny(value, forbiddenInName); i >= 0 {
		r, _ := utf8.DecodeRuneInString(value[i:])
		return fieldViolation{Field: field, Description: fmt.Sprintf("contains %q, which is not allowed; none of %s may appear", r, forbiddenInName)}, true
	}
	return fieldViolation{}, false
}

// violationList collects field violations of one request.
type violationList []fieldViolation

func (v *violationList) add(field, description string) {
	*v = append(*v, fieldViolation{Field: field, Description: description})
}

func (v *violationList) name(field string, value *string) {
	if value == nil {
		return
	}
	if fv, bad := checkName(field, *value); bad {
		*v = append(*v, fv)
	}
}

// idList validates a list of 1 to 1000 non-empty ids at field; with
// unique set, a repeated id is a violation too.
func (v *violationList) idList(field string, ids []string, unique bool) {
	switch {
	case len(ids) == 0:
		v.add(field, "missing")
		return
	case len(ids) > maxIDsPerCall:
		v.add(field, "array exceeds 1000 elements")
		return
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			v.add(field, "contains an empty string")
			return
		}
		if unique && seen[id] {
			v.add(field, "contains duplicate id "+id)
			return
		}
		seen[id] = true
	}
}

// redirectURI validates an optional post-binding redirect URI: absolute,
// http or https.
func (v *violationList) redirectURI(field, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(field, "invalid URI; expected an absolute http or https URI")
	}
}
