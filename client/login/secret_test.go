package login

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverFormatsValue(t *testing.T) {
	const value = "eyJhbGciOiJSUzI1NiJ9.super-secret-token"
	s := NewSecret(value)
	tokens := Tokens{Access: s, ID: s, Refresh: s}
	outputs := map[string]string{
		"String":  s.String(),
		"%v":      fmt.Sprintf("%v", s),
		"%+v":     fmt.Sprintf("%+v", s),
		"%#v":     fmt.Sprintf("%#v", s),
		"%s":      fmt.Sprintf("%s", s),
		"%q":      fmt.Sprintf("%q", s),
		"%x":      fmt.Sprintf("%x", s),
		"struct":  fmt.Sprintf("%+v", tokens),
		"#struct": fmt.Sprintf("%#v", tokens),
		"pointer": fmt.Sprintf("%v", &tokens),
	}
	js, err := json.Marshal(tokens)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("tokens", "access", s, "all", tokens)
	outputs["slog"] = logBuf.String()

	for name, out := range outputs {
		if strings.Contains(out, "super-secret") || strings.Contains(out, "eyJ") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	if !strings.Contains(outputs["String"], "redacted") {
		t.Errorf("String() = %q, want a mask saying redacted", outputs["String"])
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q, want the value", s.Reveal())
	}
}

func TestSecretZeroPrintsEmpty(t *testing.T) {
	var s Secret
	if !s.IsZero() || s.String() != "" {
		t.Fatalf("zero Secret: IsZero=%v String=%q", s.IsZero(), s.String())
	}
}
