package config

import (
	"errors"
	"os"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzLoad checks that any input either loads or fails with a
// *ValidationError whose problems all carry a line, and that a TOML syntax
// error is reported as exactly one problem on a line of the input.
func FuzzLoad(f *testing.F) {
	if example, err := os.ReadFile("../config.toml.example"); err == nil {
		f.Add(example)
	}
	f.Add([]byte(validProfile))
	f.Add([]byte(validProfile + "relam_id = 1\n[profiles.x]\nregion = \"mars\"\n"))
	f.Add([]byte("default_profile = \"x\"\n[profiles]\nx = { tenant_id = 3 }\n"))
	f.Add([]byte("[profiles.a]\nk = \"\"\"\nx = 1\n\"\"\"\n"))
	f.Add([]byte("a = [\n{ b = 1 },\n]\n[[profiles]]\n"))
	f.Add([]byte("\"\\u0070rofiles\".x.tenant_id = 1\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse("config.toml", data)
		var tomlErr error
		var doc map[string]any
		_, tomlErr = toml.Decode(string(data), &doc)
		if err == nil {
			if tomlErr != nil {
				t.Fatalf("invalid TOML loaded without error: %v", tomlErr)
			}
			for _, p := range cfg.Profiles {
				if verr := p.Validate(); verr != nil {
					t.Fatalf("loaded profile fails Validate: %v", verr)
				}
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("error is %T, want *ValidationError: %v", err, err)
		}
		if len(ve.Problems) == 0 {
			t.Fatal("ValidationError without problems")
		}
		if tomlErr != nil && len(ve.Problems) != 1 {
			t.Fatalf("syntax error reported as %d problems", len(ve.Problems))
		}
		lines := 1
		for _, b := range data {
			if b == '\n' {
				lines++
			}
		}
		for _, p := range ve.Problems {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem line %d outside 1..%d: %s", p.Line, lines, p.Message)
			}
		}
	})
}
