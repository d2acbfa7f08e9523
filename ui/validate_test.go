package ui

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	cases := []struct {
		name, value string
		wantProblem string // substring of the problem; "" means valid
	}{
		{"simple", "alice", ""},
		{"spaces and dots", "Alice O. Example", ""},
		{"unicode", "Zoë Ångström", ""},
		{"exactly 64", strings.Repeat("a", 64), ""},
		{"64 multibyte", strings.Repeat("é", 64), ""},
		{"empty", "", "required"},
		{"65 characters", strings.Repeat("a", 65), "at most 64"},
		{"65 multibyte", strings.Repeat("é", 65), "at most 64"},
	}
	for _, c := range forbiddenNameChars {
		cases = append(cases, struct{ name, value, wantProblem string }{"forbidden " + string(c), "a" + string(c) + "b", "must not contain"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := validateName(tc.value)
			if tc.wantProblem == "" && got != "" {
				t.Fatalf("validateName(%q) = %q, want valid", tc.value, got)
			}
			if tc.wantProblem != "" && !strings.Contains(got, tc.wantProblem) {
				t.Fatalf("validateName(%q) = %q, want a problem containing %q", tc.value, got, tc.wantProblem)
			}
		})
	}
}

func TestValidateEmail(t *testing.T) {
	valid := []string{"", "alice@example.com", "a.b+tag@sub.example.org"}
	invalid := []string{"alice", "alice@", "@example.com", "Alice <alice@example.com>", "alice@localhost", "a b@example.com"}
	for _, v := range valid {
		if got := validateEmail(v); got != "" {
			t.Errorf("validateEmail(%q) = %q, want valid", v, got)
		}
	}
	for _, v := range invalid {
		if got := validateEmail(v); got == "" {
			t.Errorf("validateEmail(%q) is valid, want a problem", v)
		}
	}
}

func TestValidateRedirectURI(t *testing.T) {
	valid := []string{"", "https://example.com/welcome", "http://127.0.0.1:8765/done"}
	invalid := []string{"example.com", "/relative", "javascript:alert(1)", "ftp://example.com/"}
	for _, v := range valid {
		if got := validateRedirectURI(v); got != "" {
			t.Errorf("validateRedirectURI(%q) = %q, want valid", v, got)
		}
	}
	for _, v := range invalid {
		if got := validateRedirectURI(v); got == "" {
			t.Errorf("validateRedirectURI(%q) is valid, want a problem", v)
		}
	}
}
