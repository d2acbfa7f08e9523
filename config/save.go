package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SaveProfile adds p to the config, or replaces the profile of the same
// name, and writes the file. When the file on disk defines that profile as
// a [profiles.NAME] table, only that table is rewritten: other profiles,
// comments and blank lines stay as they are, including edits made since
// Load. The file is written only if the result is a valid config.
//
// NOTE: comments inside the rewritten table itself are lost; keeping them
// would need per-key line edits.
func (c *Config) SaveProfile(p *Profile) error {
	if c.Path == "" {
		return errors.New("config has no path to save to")
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("profile not saved: %w", err)
	}
	p = p.Clone()

	current, err := os.ReadFile(c.Path)
	var text string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		text = render(c.DefaultProfile, replaceProfile(c.Profiles, p))
	case err != nil:
		return fmt.Errorf("reading config: %w", err)
	default:
		text, err = spliceProfile(c.Path, string(current), p)
		if err != nil {
			return err
		}
	}

	saved, err := c.write(text)
	if err != nil {
		return err
	}
	if saved.find(p.Name) == nil {
		return fmt.Errorf("internal error: profile %s missing after save", p.Name)
	}
	c.DefaultProfile, c.Profiles = saved.DefaultProfile, saved.Profiles
	return nil
}

// Save writes the whole config from memory: default_profile, then every
// profile in order. Prefer SaveProfile for changing one profile, because
// Save does not keep the comments of the existing file.
func (c *Config) Save() error {
	if c.Path == "" {
		return errors.New("config has no path to save to")
	}
	for _, p := range c.Profiles {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("config not saved: %w", err)
		}
	}
	_, err := c.write(render(c.DefaultProfile, c.Profiles))
	return err
}

// SetDefaultProfile sets default_profile to name and writes the file,
// changing only that line when the file has one.
func (c *Config) SetDefaultProfile(name string) error {
	if c.find(name) == nil {
		return fmt.Errorf("profile %q not found; profiles: %s", name, strings.Join(c.Names(), ", "))
	}
	current, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		c.DefaultProfile = name
		return c.Save()
	}
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}

	saved, err := c.write(setDefaultLine(string(current), name))
	if err != nil {
		return err
	}
	c.DefaultProfile, c.Profiles = saved.DefaultProfile, saved.Profiles
	return nil
}

// setDefaultLine returns src with its default_profile line replaced, or with
// one inserted where a top-level key may go.
func setDefaultLine(src, name string) string {
	lines := strings.SplitAfter(src, "\n")
	entry := "default_profile = " + quote(name) + "\n"
	ix := indexSource(src)
	if at := ix.line("default_profile"); at > 0 {
		lines[at-1] = entry
		return strings.Join(lines, "")
	}

	if len(ix.headers) == 0 {
		if src != "" && !strings.HasSuffix(src, "\n") {
			src += "\n"
		}
		return src + entry
	}
	// Top-level keys must come before the first table, and above the
	// comment lines directly over it, which describe that table.
	at := ix.headers[0].line - 1
	for at > 0 && strings.HasPrefix(strings.TrimSpace(lines[at-1]), "#") {
		at--
	}
	return strings.Join(slices.Insert(lines, at, entry+"\n"), "")
}

// write validates text as a config, then writes it atomically: a temporary
// file in the same directory, made 0600, synced, then renamed over the old
// file. The directory is created 0700 when missing. A symlinked config is
// written through to its target.
func (c *Config) write(text string) (*Config, error) {
	saved, err := parse(c.Path, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("config not saved because the result would be invalid: %w", err)
	}

	target := c.Path
	if resolved, err := filepath.EvalSymlinks(target); err == nil {
		target = resolved
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating config directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".config.toml.*.tmp")
	if err != nil {
		return nil, fmt.Errorf("writing config: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing config: %w", err)
	}
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing config: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing config: %w", err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return nil, fmt.Errorf("writing config: %w", err)
	}
	return saved, nil
}

// spliceProfile returns src with the [profiles.NAME] table of p replaced by
// a freshly rendered one, or appended when the file has no such profile. A
// profile defined some other way (an inline table, dotted keys) makes the
// whole file be rendered again from its parsed contents.
func spliceProfile(path, src string, p *Profile) (string, error) {
	ix := indexSource(src)
	section := renderProfile(p)
	h := ix.headerIndex("profiles", p.Name)
	if h < 0 {
		if !ix.defines("profiles", p.Name) {
			return appendSection(src, section), nil
		}
		onDisk, err := parse(path, []byte(src))
		if err != nil {
			return "", fmt.Errorf("profile not saved: the config on disk is invalid: %w", err)
		}
		return render(onDisk.DefaultProfile, replaceProfile(onDisk.Profiles, p)), nil
	}

	lines := strings.SplitAfter(src, "\n")
	start := ix.headers[h].line - 1
	end := len(lines)
	if h+1 < len(ix.headers) {
		end = ix.headers[h+1].line - 1
	}
	// Comments and blank lines right above the next table belong to it.
	for end > start+1 && isCommentOrBlank(lines[end-1]) {
		end--
	}
	if end < len(lines) && strings.TrimSpace(lines[end]) != "" {
		section += "\n"
	}
	return strings.Join(lines[:start], "") + section + strings.Join(lines[end:], ""), nil
}

func appendSection(src, section string) string {
	switch {
	case strings.TrimSpace(src) == "":
		return section
	case strings.HasSuffix(src, "\n\n"):
		return src + section
	case strings.HasSuffix(src, "\n"):
		return src + "\n" + section
	default:
		return src + "\n\n" + section
	}
}

func isCommentOrBlank(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

func replaceProfile(profiles []*Profile, p *Profile) []*Profile {
	out := slices.Clone(profiles)
	if i := slices.IndexFunc(out, func(q *Profile) bool { return q.Name == p.Name }); i >= 0 {
		out[i] = p
		return out
	}
	return append(out, p)
}

// render writes a whole config file.
func render(defaultProfile string, profiles []*Profile) string {
	var b strings.Builder
	b.WriteString("# biadmin configuration; see config.toml.example for every key.\n\n")
	if defaultProfile != "" {
		b.WriteString("default_profile = " + quote(defaultProfile) + "\n\n")
	}
	for i, p := range profiles {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(renderProfile(p))
	}
	return b.String()
}

// renderProfile writes one [profiles.NAME] table with its set keys only. It
// writes what the profile stores, which for _env, _command and _keyring keys
// is the reference and never the secret it resolves to.
func renderProfile(p *Profile) string {
	var b strings.Builder
	b.WriteString("[profiles." + tomlKey(p.Name) + "]\n")
	for _, k := range profileKeys {
		switch {
		case k.text != nil && *k.text(p) != "":
			b.WriteString(k.name + " = " + quote(*k.text(p)) + "\n")
		case k.flag != nil && *k.flag(p):
			b.WriteString(k.name + " = true\n")
		}
	}
	return b.String()
}

func tomlKey(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r > 0x7f || !isBareKeyChar(byte(r)) }) {
		return s
	}
	return quote(s)
}

// quote returns s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			b.WriteString(`\u` + fmt.Sprintf("%04X", r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
