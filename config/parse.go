package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Problem is one thing wrong in a config file.
type Problem struct {
	// Line is 1-based; 0 when the problem has no place in the file.
	Line int
	// Key is the dotted key path, such as "profiles.prod.realm_id"; empty
	// for syntax errors.
	Key     string
	Message string
}

// ValidationError lists every problem found in a config file.
type ValidationError struct {
	Path     string
	Problems []Problem
}

// Error formats one problem a line, each as "PATH:LINE: message" so editors
// and terminals can jump to it.
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Path)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
		}
		b.WriteString(": " + p.Message)
	}
	return b.String()
}

// tomlErrorLine returns the 1-based line of a TOML syntax error. The
// library's Position.Line already counts a newline the lexer consumed, so
// "[profiles.p1" followed by a newline on line 1 reports line 2. The byte
// offset Position.Start is exact, and it counts from after a byte order
// mark, which the library skips.
func tomlErrorLine(src string, pos toml.Position) int {
	for _, bom := range []string{"\xff\xfe", "\xfe\xff", "\xef\xbb\xbf"} {
		if strings.HasPrefix(src, bom) {
			src = src[len(bom):]
			break
		}
	}
	if pos.Start < 0 || pos.Start > len(src) {
		return max(pos.Line, 1)
	}
	return strings.Count(src[:pos.Start], "\n") + 1
}

// parse decodes and validates data read from path. Problems are collected
// rather than returned at the first one, so a user fixes the file in one pass.
func parse(path string, data []byte) (*Config, error) {
	src := string(data)
	var doc map[string]any
	md, err := toml.Decode(src, &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line := tomlErrorLine(src, pe.Position)
			return nil, &ValidationError{Path: path, Problems: []Problem{{Line: line, Message: "invalid TOML: " + pe.Message}}}
		}
		return nil, &ValidationError{Path: path, Problems: []Problem{{Line: 1, Message: "invalid TOML: " + err.Error()}}}
	}

	v := &validator{ix: indexSource(src), cfg: &Config{Path: path}}
	v.document(doc, md.Keys())
	if len(v.problems) > 0 {
		// In file order, so a user can fix the file from top to bottom.
		slices.SortStableFunc(v.problems, func(a, b Problem) int { return a.Line - b.Line })
		return nil, &ValidationError{Path: path, Problems: v.problems}
	}
	return v.cfg, nil
}

type validator struct {
	ix       *sourceIndex
	cfg      *Config
	problems []Problem
	// names are all profile names in the file, valid or not.
	names []string
}

func (v *validator) add(key []string, format string, args ...any) {
	v.problems = append(v.problems, Problem{
		Line:    v.ix.line(key...),
		Key:     toml.Key(key).String(),
		Message: fmt.Sprintf(format, args...),
	})
}

func (v *validator) warn(key []string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line := v.ix.line(key...); line > 0 {
		msg = fmt.Sprintf("%s:%d: %s", v.cfg.Path, line, msg)
	} else {
		msg = v.cfg.Path + ": " + msg
	}
	v.cfg.Warnings = append(v.cfg.Warnings, msg)
}

func (v *validator) document(doc map[string]any, keys []toml.Key) {
	for _, k := range firstLevel(keys, nil) {
		switch k {
		case "default_profile":
			s, ok := doc[k].(string)
			if !ok {
				v.add([]string{k}, "default_profile must be a string (a profile name), not %s", typeName(doc[k]))
				continue
			}
			v.cfg.DefaultProfile = s
		case "profiles":
			tables, ok := doc[k].(map[string]any)
			if !ok {
				v.add([]string{k}, "profiles must be a table of [profiles.NAME] tables, not %s", typeName(doc[k]))
				continue
			}
			for _, name := range firstLevel(keys, []string{"profiles"}) {
				v.names = append(v.names, name)
				v.profile(name, tables[name], keys)
			}
		default:
			v.add([]string{k}, "unknown key %q at the top level%s", k, suggestion(k, topLevelKeys))
		}
	}

	if d := v.cfg.DefaultProfile; d != "" && !slices.Contains(v.names, d) {
		names := v.names
		if len(names) == 0 {
			v.add([]string{"default_profile"}, "default_profile %q names a profile that does not exist: the file has no [profiles.NAME] tables", d)
		} else {
			v.add([]string{"default_profile"}, "default_profile %q names a profile that does not exist; profiles: %s", d, strings.Join(names, ", "))
		}
	}
}

// firstLevel returns, in file order and without repeats, the names directly
// under parent among keys.
func firstLevel(keys []toml.Key, parent []string) []string {
	var names []string
	for _, k := range keys {
		if len(k) <= len(parent) || !slices.Equal(k[:len(parent)], parent) {
			continue
		}
		if n := k[len(parent)]; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func (v *validator) profile(name string, raw any, keys []toml.Key) {
	at := func(k ...string) []string { return append([]string{"profiles", name}, k...) }
	// tomlKey quotes a name that is not a bare key, which also escapes any
	// control characters before the name reaches a terminal.
	ref := "[profiles." + tomlKey(name) + "]"
	table, isTable := raw.(map[string]any)
	if !isTable {
		v.add(at(), "profiles.%s must be a table, written %s, not %s", tomlKey(name), ref, typeName(raw))
		return
	}
	before := len(v.problems)
	if err := checkProfileName(name); err != nil {
		v.add(at(), "%v", err)
	}
	p, suspect := v.decodeProfile(name, ref, table, keys)

	// A value check that follows from a key already reported, such as
	// "realm_id is missing" after `relam_id` was reported as unknown, would
	// only repeat that problem.
	credentialSuspect := slices.ContainsFunc(slices.Collect(maps.Keys(suspect)), isCredentialKey)
	for _, fp := range p.fieldProblems() {
		if suspect[fp.about] || fp.about == "credentials" && credentialSuspect {
			continue
		}
		if fp.key == "" {
			v.add(at(), "%s: %s", ref, fp.msg)
		} else {
			v.add(at(fp.key), "%s in %s %s", fp.key, ref, fp.msg)
		}
	}
	if len(v.problems) == before {
		v.cfg.Profiles = append(v.cfg.Profiles, p)
	}
}

// decodeProfile copies the keys of table into a Profile, reporting unknown
// and mistyped keys. It returns the profile and the suspect keys: those
// reported as mistyped, and the keys that unknown keys were probably meant
// to be.
func (v *validator) decodeProfile(name, ref string, table map[string]any, keys []toml.Key) (*Profile, map[string]bool) {
	at := func(k ...string) []string { return append([]string{"profiles", name}, k...) }
	suspect := map[string]bool{}
	p := &Profile{Name: name}
	for _, k := range firstLevel(keys, at()) {
		spec, known := lookupKey(k)
		if !known {
			suspect[nearestKey(k, profileKeyNames())] = true
			v.add(at(k), "unknown key %q in %s%s", k, ref, suggestion(k, profileKeyNames()))
			continue
		}

		val := table[k]
		switch {
		case spec.text != nil:
			s, ok := val.(string)
			if !ok {
				suspect[k] = true
				v.add(at(k), "%s in %s must be a string, not %s", k, ref, typeName(val))
				continue
			}
			*spec.text(p) = s
		case spec.flag != nil:
			b, ok := val.(bool)
			if !ok {
				suspect[k] = true
				v.add(at(k), "%s in %s must be a boolean (true or false), not %s", k, ref, typeName(val))
				continue
			}
			*spec.flag(p) = b
		}
		if spec.secret && val != "" {
			v.warn(at(k), "%s in %s stores a secret in plain text; prefer %s_env (an environment variable), %s_command or %s_keyring",
				k, ref, k, k, k)
		}
	}
	return p, suspect
}

// typeName describes a decoded TOML value for messages.
func typeName(val any) string {
	switch t := val.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer (" + strconv.FormatInt(t, 10) + ")"
	case float64:
		return "a number"
	case time.Time:
		return "a date or time"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a %T", val)
}

// suggestion returns `; did you mean "x"?` naming nearestKey, or "" when no
// known key is close.
func suggestion(key string, known []string) string {
	best := nearestKey(key, known)
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// nearestKey returns the known key closest to key when it is at most 2
// edits away or differs only in letter case, else "".
func nearestKey(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		d := levenshtein(key, k)
		if strings.EqualFold(key, k) {
			d = 0
		}
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// levenshtein returns the edit distance between a and b in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
