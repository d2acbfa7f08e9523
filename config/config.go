// Package config loads, validates and writes biadmin's config.toml: named
// profiles that each point at one Beyond Identity tenant and realm, with the
// region or base URLs to reach it and the source of the management API
// credentials. Secrets stay outside the file where possible: a profile names
// an environment variable, a command or a keyring item, and the secret is
// resolved only when a token source is built.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Environment variables that override where the config lives and which
// profile is used.
const (
	EnvConfig  = "BIADMIN_CONFIG"
	EnvProfile = "BIADMIN_PROFILE"
)

// Config is a loaded config.toml.
type Config struct {
	// Path is the file the config was loaded from and is saved to.
	Path string
	// DefaultProfile is the default_profile key, or "" when the file has none.
	DefaultProfile string
	// Profiles are in the order the file defines them.
	Profiles []*Profile
	// Warnings are problems that do not stop loading: a secret stored in
	// plain text, a file other users can read. Load returns them for the
	// caller to show; the package never prints.
	Warnings []string
}

// Profile is one [profiles.NAME] table. A profile stores where a secret comes
// from (an environment variable name, a command, a keyring item) and never the
// secret those resolve to. Only api_token and client_secret contain a secret
// itself, and loading either produces a warning.
type Profile struct {
	Name string

	TenantID string
	RealmID  string
	// Region is "us", "eu" or "us-gov". It may be empty when both
	// APIBaseURL and AuthBaseURL are set.
	Region string
	// APIBaseURL and AuthBaseURL override the region's base URLs.
	APIBaseURL  string
	AuthBaseURL string

	AuthenticatorConfigID  string
	PostBindingRedirectURI string
	LoginApplicationID     string

	// ReadOnly makes the client reject mutating calls before any I/O.
	ReadOnly bool
	// Production marks a tenant where mistakes are costly, so the UI can
	// show it and confirm destructive actions more strictly.
	Production bool

	// Static API token: exactly one of these, or client credentials below.
	APITokenEnv     string
	APITokenCommand string
	// APITokenKeyring is "service/user", or a bare user name under the
	// service "biadmin".
	APITokenKeyring string
	APIToken        string

	// Client credentials of an application that may call the Management API.
	ClientID            string
	ClientSecretEnv     string
	ClientSecretCommand string
	ClientSecretKeyring string
	ClientSecret        string
	// TokenRealmID is the realm that holds the application, usually the
	// Admin realm; TokenApplicationID is that application's ID.
	TokenRealmID       string
	TokenApplicationID string
	// TokenURLOverride is the token_url key: a full token endpoint that
	// replaces the one built from AuthBaseURL, TokenRealmID and
	// TokenApplicationID.
	TokenURLOverride string
}

// Clone returns a copy of p that shares nothing with it.
func (p *Profile) Clone() *Profile {
	c := *p
	return &c
}

// New returns an empty config that Save or SaveProfile will write to path,
// for a first `profile add` when no file exists yet.
func New(path string) *Config {
	return &Config{Path: path}
}

// DefaultPath returns $BIADMIN_CONFIG when it is set, else
// biadmin/config.toml under os.UserConfigDir (~/.config on Linux).
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot locate the config directory (%v); set %s to the path of config.toml", err, EnvConfig)
	}
	return filepath.Join(dir, "biadmin", "config.toml"), nil
}

// Load reads and validates the config at path. Every problem in the file is
// reported at once in a *ValidationError, one line each with its line
// number. A missing file gives an error that matches fs.ErrNotExist.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config file %s not found; create it from config.toml.example or with `biadmin profile add`: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	if w := permissionWarning(path); w != "" {
		cfg.Warnings = append([]string{w}, cfg.Warnings...)
	}
	return cfg, nil
}

// permissionWarning returns a warning when users other than the owner may
// read or write the file at path. Windows has no such mode bits, so it is
// skipped there.
func permissionWarning(path string) string {
	if runtime.GOOS == "windows" {
		return ""
	}
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	mode := info.Mode().Perm()
	var what string
	switch {
	case mode&0o044 != 0 && mode&0o022 != 0:
		what = "readable and writable"
	case mode&0o044 != 0:
		what = "readable"
	case mode&0o022 != 0:
		what = "writable"
	default:
		return ""
	}
	return fmt.Sprintf("%s is %s by other users; run: chmod 600 %s", filepath.Base(path), what, path)
}

// Names returns the profile names in file order.
func (c *Config) Names() []string {
	names := make([]string, len(c.Profiles))
	for i, p := range c.Profiles {
		names[i] = p.Name
	}
	return names
}

// Profile returns a copy of the profile to use. The name comes from the
// argument, else $BIADMIN_PROFILE, else default_profile, else the only
// profile in the file.
func (c *Config) Profile(name string) (*Profile, error) {
	source := "requested"
	if name == "" {
		name, source = os.Getenv(EnvProfile), "set by "+EnvProfile
	}
	if name == "" {
		name, source = c.DefaultProfile, "named by default_profile"
	}
	if name == "" {
		switch len(c.Profiles) {
		case 0:
			return nil, fmt.Errorf("no profiles in %s; add one with `biadmin profile add` or copy one from config.toml.example", c.Path)
		case 1:
			return c.Profiles[0].Clone(), nil
		default:
			return nil, fmt.Errorf("%s has several profiles (%s) and no default_profile; choose one with --profile NAME or %s, or set default_profile",
				c.Path, strings.Join(c.Names(), ", "), EnvProfile)
		}
	}
	if p := c.find(name); p != nil {
		return p.Clone(), nil
	}
	if len(c.Profiles) == 0 {
		return nil, fmt.Errorf("profile %q (%s) not found: %s has no profiles", name, source, c.Path)
	}
	return nil, fmt.Errorf("profile %q (%s) not found in %s; profiles: %s", name, source, c.Path, strings.Join(c.Names(), ", "))
}

func (c *Config) find(name string) *Profile {
	i := slices.IndexFunc(c.Profiles, func(p *Profile) bool { return p.Name == name })
	if i < 0 {
		return nil
	}
	return c.Profiles[i]
}

// StateDir creates (mode 0700) and returns the directory for biadmin's logs
// and audit log. It is $XDG_STATE_HOME/biadmin when that variable is an
// absolute path, else ~/.local/state/biadmin, and on Windows
// %LocalAppData%\biadmin\state.
func StateDir() (string, error) {
	base, err := stateBase()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "biadmin")
	if runtime.GOOS == "windows" {
		dir = filepath.Join(dir, "state")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating state directory: %w", err)
	}
	return dir, nil
}

func stateBase() (string, error) {
	// The XDG base directory spec says relative paths in these variables
	// are invalid and must be ignored.
	if x := os.Getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return x, nil
	}
	if runtime.GOOS == "windows" {
		if d := os.Getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", errors.New("cannot locate the state directory: %LocalAppData% is not set")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot locate the state directory: %w; set XDG_STATE_HOME", err)
	}
	return filepath.Join(home, ".local", "state"), nil
}
