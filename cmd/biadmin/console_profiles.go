package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
	"github.com/biadmin/biadmin/sandbox"
	"github.com/biadmin/biadmin/ui"
)

// sandboxProfileName is the profile name the console shows for the
// in-process sandbox.
const sandboxProfileName = "sandbox"

// profileSession builds API clients for the console's profile picker, realm
// switcher and first-run screen. The console calls its methods off the UI
// goroutine, possibly at the same time, so every field after mu is guarded
// by it.
type profileSession struct {
	configPath string
	// readOnly is --read-only, which applies to every profile.
	readOnly   bool
	identities int
	logger     *slog.Logger

	mu sync.Mutex
	// clients is the last client built for each profile name. A realm
	// switch reuses it, so the token source and its cached token are
	// shared instead of resolving the secret again.
	clients map[string]profileClient
	sandbox *sandboxRun
}

type profileClient struct {
	api  *client.Client
	info ui.ProfileInfo
}

// sandboxRun is the in-process sandbox the console runs on, started by
// --sandbox or from the first-run screen.
type sandboxRun struct {
	api     *client.Client
	profile ui.ProfileInfo
	url     string
	// stop is set when the session started the sandbox and must stop it.
	stop func() error
}

func newProfileSession(configPath string, f consoleFlags, logger *slog.Logger) *profileSession {
	return &profileSession{configPath: configPath, readOnly: f.readOnly, identities: f.identities, logger: logger,
		clients: map[string]profileClient{}}
}

// setSandbox records the sandbox --sandbox started, so the picker lists it
// and the realm switcher can use it. Its caller stops it.
func (s *profileSession) setSandbox(api *client.Client, profile ui.ProfileInfo, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sandbox = &sandboxRun{api: api, profile: profile, url: url}
}

// remember records the client the console starts on, so a realm switch of
// that profile reuses it.
func (s *profileSession) remember(api *client.Client, info ui.ProfileInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[info.Name] = profileClient{api: api, info: info}
}

// close stops the sandbox the session started, if any.
func (s *profileSession) close() {
	s.mu.Lock()
	run := s.sandbox
	s.mu.Unlock()
	if run != nil && run.stop != nil {
		if err := run.stop(); err != nil {
			s.logger.Warn("closing the sandbox", "err", err)
		}
	}
}

// profiles lists the sandbox, when one runs, then the config file's
// profiles in file order. A missing config file lists none.
//
// NOTE: a config profile named "sandbox" is left out while the in-process
// sandbox runs, because Connect picks profiles by name. Renaming it in the
// config file makes it reachable again.
func (s *profileSession) profiles() ([]ui.ProfileInfo, error) {
	s.mu.Lock()
	run := s.sandbox
	s.mu.Unlock()

	var out []ui.ProfileInfo
	if run != nil {
		out = append(out, run.profile)
	}
	cfg, err := config.Load(s.configPath)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.Profiles {
		if run != nil && p.Name == sandboxProfileName {
			continue
		}
		_, authBase, _ := p.Endpoints()
		out = append(out, profileInfo(p, authBase, s.readOnly || p.ReadOnly))
	}
	return out, nil
}

// connect returns the API for profile name, bound to realmID when it is
// set. A config profile is read from the file again, so edits made while
// the console runs apply, except for a realm switch of a profile already
// built, which reuses that client.
func (s *profileSession) connect(ctx context.Context, name, realmID string) (client.API, ui.ProfileInfo, error) {
	s.mu.Lock()
	run := s.sandbox
	cached, isCached := s.clients[name]
	s.mu.Unlock()

	var (
		api  *client.Client
		info ui.ProfileInfo
	)
	switch {
	case run != nil && name == run.profile.Name:
		api, info = run.api, run.profile
	case realmID != "" && isCached:
		api, info = cached.api, cached.info
	default:
		cfg, err := config.Load(s.configPath)
		if err != nil {
			return nil, ui.ProfileInfo{}, err
		}
		p, err := cfg.Profile(name)
		if err != nil {
			return nil, ui.ProfileInfo{}, err
		}
		if api, info, err = s.build(ctx, p); err != nil {
			return nil, ui.ProfileInfo{}, err
		}
	}
	if realmID != "" && realmID != info.RealmID {
		api = api.WithRealm(realmID)
		info = forRealm(info, realmID)
	}
	return api, info, nil
}

// open builds the API for a profile that is not saved yet, for the
// first-run screen.
func (s *profileSession) open(ctx context.Context, p *config.Profile) (client.API, ui.ProfileInfo, error) {
	api, info, err := s.build(ctx, p)
	if err != nil {
		return nil, ui.ProfileInfo{}, err
	}
	return api, info, nil
}

// build makes the client for p and remembers it for realm switches.
func (s *profileSession) build(ctx context.Context, p *config.Profile) (*client.Client, ui.ProfileInfo, error) {
	api, authBase, err := buildProfileClient(ctx, p, s.readOnly || p.ReadOnly, s.logger)
	if err != nil {
		return nil, ui.ProfileInfo{}, err
	}
	info := profileInfo(p, authBase, s.readOnly || p.ReadOnly)
	s.mu.Lock()
	s.clients[p.Name] = profileClient{api: api, info: info}
	s.mu.Unlock()
	return api, info, nil
}

// startSandbox starts the in-process sandbox for the first-run screen, or
// returns the one already running.
func (s *profileSession) startSandbox(context.Context) (client.API, ui.ProfileInfo, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sandbox != nil {
		return s.sandbox.api, s.sandbox.profile, s.sandbox.url, nil
	}
	sb, api, profile, err := startSandbox(s.identities, s.readOnly, s.logger)
	if err != nil {
		return nil, ui.ProfileInfo{}, "", err
	}
	s.sandbox = &sandboxRun{api: api, profile: profile, url: sb.URL(), stop: sb.Close}
	s.logger.Info("sandbox started from the first-run screen", "url", sb.URL())
	return api, profile, sb.URL(), nil
}

// startSandbox starts a sandbox on a free loopback port and a client with
// every scope for its demo realm.
func startSandbox(identities int, readOnly bool, logger *slog.Logger) (*sandbox.Sandbox, *client.Client, ui.ProfileInfo, error) {
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Identities: identities, Logger: logger.With("component", "sandbox")})
	if err != nil {
		return nil, nil, ui.ProfileInfo{}, fmt.Errorf("starting the sandbox: %w", err)
	}
	info := sb.Info()
	api, err := client.New(client.Options{
		BaseURL:  info.APIBaseURL,
		TenantID: info.TenantID,
		RealmID:  info.RealmID,
		Token:    client.StaticToken(info.APIToken),
		Logger:   logger.With("component", "client"),
		ReadOnly: readOnly,
	})
	if err != nil {
		sb.Close()
		return nil, nil, ui.ProfileInfo{}, err
	}
	profile := ui.ProfileInfo{
		Name:                   sandboxProfileName,
		TenantID:               info.TenantID,
		RealmID:                info.RealmID,
		AuthenticatorConfigID:  info.AuthenticatorConfigID,
		PostBindingRedirectURI: sb.URL() + "/",
		ReadOnly:               readOnly,
		Sandbox:                true,
		AuthBaseURL:            info.AuthBaseURL,
		LoginApplicationID:     info.ApplicationID,
		Credentials:            "the sandbox's own API token",
	}
	return sb, api, profile, nil
}

// buildProfileClient resolves p's credentials and returns a client for its
// tenant and realm, with the auth base URL. It makes no API call.
func buildProfileClient(ctx context.Context, p *config.Profile, readOnly bool, logger *slog.Logger) (*client.Client, string, error) {
	apiBase, authBase, err := p.Endpoints()
	if err != nil {
		return nil, "", err
	}
	tokens, err := p.TokenSource(ctx, nil)
	if err != nil {
		return nil, "", fmt.Errorf("profile %q: %w", p.Name, err)
	}
	api, err := client.New(client.Options{
		BaseURL:  apiBase,
		TenantID: p.TenantID,
		RealmID:  p.RealmID,
		Token:    tokens,
		Logger:   logger.With("component", "client", "profile", p.Name),
		ReadOnly: readOnly,
	})
	if err != nil {
		return nil, "", fmt.Errorf("profile %q: %w", p.Name, err)
	}
	return api, authBase, nil
}

// profileInfo returns what the console shows and uses of p.
func profileInfo(p *config.Profile, authBase string, readOnly bool) ui.ProfileInfo {
	return ui.ProfileInfo{
		Name:                   p.Name,
		TenantID:               p.TenantID,
		RealmID:                p.RealmID,
		AuthenticatorConfigID:  p.AuthenticatorConfigID,
		PostBindingRedirectURI: p.PostBindingRedirectURI,
		Production:             p.Production,
		ReadOnly:               readOnly,
		Region:                 p.Region,
		Credentials:            p.CredentialSummary(),
		AuthBaseURL:            authBase,
		LoginApplicationID:     p.LoginApplicationID,
	}
}

// forRealm adapts a profile to another realm of its tenant. The
// authenticator config and the login application belong to the profile's
// own realm, so they are dropped and the screens ask instead.
func forRealm(info ui.ProfileInfo, realmID string) ui.ProfileInfo {
	info.RealmID = realmID
	info.AuthenticatorConfigID = ""
	info.LoginApplicationID = ""
	return info
}
