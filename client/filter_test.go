package client

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestUsernameEquals(t *testing.T) {
	cases := map[string]string{
		"alice":          `traits.username eq "alice"`,
		`say "hi"`:       `traits.username eq "say \"hi\""`,
		`back\slash`:     `traits.username eq "back\\slash"`,
		`\"`:             `traits.username eq "\\\""`,
		"":               `traits.username eq ""`,
		`x" or id eq "y`: `traits.username eq "x\" or id eq \"y"`,
	}
	for in, want := range cases {
		if got := UsernameEquals(in).String(); got != want {
			t.Errorf("UsernameEquals(%q) = %s, want %s", in, got, want)
		}
	}
	if UsernameEquals("a").IsZero() || !(Filter{}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestUsernameEqualsQueryEncoding(t *testing.T) {
	q := url.Values{"filter": {UsernameEquals(`a&b=c "d"`).String()}}
	want := "filter=traits.username+eq+%22a%26b%3Dc+%5C%22d%5C%22%22"
	if got := q.Encode(); got != want {
		t.Errorf("encoded = %s, want %s", got, want)
	}
}

// parseUsernameFilter is a minimal parser for the one filter form the client
// builds: ATTR SP "eq" SP QUOTED, where QUOTED allows \" and \\ escapes only.
// It returns the decoded value and the number of comparisons found.
func parseUsernameFilter(expr string) (string, int, error) {
	const prefix = `traits.username eq "`
	if !strings.HasPrefix(expr, prefix) {
		return "", 0, errors.New("missing attribute, operator or opening quote")
	}
	rest := expr[len(prefix):]
	var value strings.Builder
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			if i+1 >= len(rest) || (rest[i+1] != '\\' && rest[i+1] != '"') {
				return "", 0, errors.New("bad escape")
			}
			value.WriteByte(rest[i+1])
			i++
		case '"':
			if tail := rest[i+1:]; tail != "" {
				// Anything after the closing quote would be a second
				// clause, such as ` or id eq "x"`.
				return "", 2, errors.New("text after the closing quote: " + tail)
			}
			return value.String(), 1, nil
		default:
			value.WriteByte(rest[i])
		}
	}
	return "", 0, errors.New("missing closing quote")
}

func FuzzUsernameEquals(f *testing.F) {
	for _, seed := range []string{"alice", `"`, `\`, `\"`, `x" or traits.username eq "y`, "ünïcødé", "\x00\xff", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, username string) {
		expr := UsernameEquals(username).String()
		got, comparisons, err := parseUsernameFilter(expr)
		if err != nil {
			t.Fatalf("UsernameEquals(%q) = %s does not parse: %v", username, expr, err)
		}
		if comparisons != 1 {
			t.Fatalf("UsernameEquals(%q) = %s has %d comparisons", username, expr, comparisons)
		}
		if got != username {
			t.Fatalf("UsernameEquals(%q) = %s decodes to %q", username, expr, got)
		}
		// The query string must carry the expression unchanged.
		q, err := url.ParseQuery(url.Values{"filter": {expr}}.Encode())
		if err != nil || q.Get("filter") != expr {
			t.Fatalf("query round trip of %s = %q, %v", expr, q.Get("filter"), err)
		}
	})
}
