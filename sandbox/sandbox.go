// Package sandbox is a local emulator of the Beyond Identity cloud: the v1
// management API, the realm's OIDC provider, hosted pages for credential
// binding links, an email outbox and fault injection, all on one loopback
// origin. It shares no types with the client on purpose, so that contract
// drift between the two shows up in tests.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Options configures Start.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// DataFile is an optional JSON state file, loaded at start when it
	// exists and saved after changes and on Close.
	DataFile string
	// Identities is how many demo identities to seed; 0 means about 40.
	// It applies only when no DataFile state is loaded.
	Identities int
	// Middleware optionally wraps the whole handler (tests use it for
	// contract validation).
	Middleware func(http.Handler) http.Handler
	// Logger receives start, stop, request and error logs; nil discards.
	Logger *slog.Logger
}

// Info is the sandbox description `biadmin sandbox` prints: everything a
// profile needs to talk to this sandbox. It contains secrets (APIToken,
// client secrets).
type Info struct {
	APIBaseURL              string `json:"api_base_url"`
	AuthBaseURL             string `json:"auth_base_url"`
	TenantID                string `json:"tenant_id"`
	RealmID                 string `json:"realm_id"`
	APIToken                string `json:"api_token"`
	AuthenticatorConfigID   string `json:"authenticator_config_id"`
	ApplicationID           string `json:"application_id"`
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret"`
	ManagementApplicationID string `json:"management_application_id"`
	ManagementClientID      string `json:"management_client_id"`
	ManagementClientSecret  string `json:"management_client_secret"`
	AdminRealmID            string `json:"admin_realm_id"`
}

// Sandbox is a running emulator. All methods are safe for concurrent use.
type Sandbox struct {
	opts   Options
	log    *slog.Logger
	ln     net.Listener
	srv    *http.Server
	url    string
	faults *Faults
	keys   *keySet

	// mu guards st and oidc.
	mu   sync.Mutex
	st   *state
	oidc oidcState

	apiRoutes []route
	oidcMux   *http.ServeMux

	// dirty wakes the saver, batchWake the batch worker; stop ends both
	// and background waits for them.
	dirty      chan struct{}
	batchWake  chan struct{}
	stop       chan struct{}
	background sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

// Start listens on opts.Addr and serves in a goroutine until Close.
func Start(opts Options) (*Sandbox, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen on %s: %w", opts.Addr, err)
	}
	s := &Sandbox{
		opts:      opts,
		log:       log,
		ln:        ln,
		url:       "http://" + ln.Addr().String(),
		faults:    newFaults(),
		dirty:     make(chan struct{}, 1),
		batchWake: make(chan struct{}, 1),
		stop:      make(chan struct{}),
	}
	if err := s.initState(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	// Saving once now reports an unwritable DataFile before any change is
	// accepted, instead of at Close when the changes would be lost.
	if err := s.save(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	select {
	case <-s.dirty:
	default:
	}

	s.apiRoutes = s.routes()
	s.oidcMux = http.NewServeMux()
	s.registerOIDC(s.oidcMux)
	var h http.Handler = http.HandlerFunc(s.serveHTTP)
	if opts.Middleware != nil {
		h = opts.Middleware(h)
	}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	s.background.Go(s.saver)
	s.background.Go(s.batchWorker)
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox server stopped", "err", err)
		}
	}()
	s.log.Info("sandbox started", "url", s.url, "tenant_id", s.st.Tenant.ID, "realm_id", s.st.RealmID, "data_file", opts.DataFile)
	return s, nil
}

// Close stops the server, waits briefly for requests in flight, and saves
// the state file. Calling it again returns the first result.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		// Shutdown treats a connection that has not sent a request yet as
		// busy for up to 5 s, and HTTP clients leave such connections behind,
		// so a long grace period would stall quitting the console. Requests
		// still running after a short grace are cut, which an emulator can
		// afford.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		close(s.stop)
		s.background.Wait()
		if saveErr := s.save(); saveErr != nil {
			err = errors.Join(err, saveErr)
		}
		s.closeErr = err
		s.log.Info("sandbox stopped", "url", s.url)
	})
	return s.closeErr
}

// URL returns the origin, "http://127.0.0.1:PORT". It is both the API base
// and the auth base.
func (s *Sandbox) URL() string { return s.url }

// Faults returns the fault knobs of this sandbox.
func (s *Sandbox) Faults() *Faults { return s.faults }

// Info describes the seeded tenant, realm and applications.
func (s *Sandbox) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	info := Info{
		APIBaseURL:              s.url,
		AuthBaseURL:             s.url,
		TenantID:                st.Tenant.ID,
		RealmID:                 st.RealmID,
		APIToken:                st.APIToken,
		AuthenticatorConfigID:   st.AuthenticatorConfigID,
		ApplicationID:           st.ApplicationID,
		ManagementApplicationID: st.ManagementAppID,
		AdminRealmID:            st.AdminRealmID,
	}
	if a := st.appByID[st.ApplicationID]; a != nil && a.ProtocolConfig != nil {
		info.ClientID = a.ProtocolConfig.ClientID
		info.ClientSecret = a.ProtocolConfig.ClientSecret
	}
	if a := st.appByID[st.ManagementAppID]; a != nil && a.ProtocolConfig != nil {
		info.ManagementClientID = a.ProtocolConfig.ClientID
		info.ManagementClientSecret = a.ProtocolConfig.ClientSecret
	}
	return info
}

// MintToken returns a management API token carrying only these scopes,
// valid for ttl. A negative ttl yields a token that has already expired,
// for tests of expired-token handling. It panics only if RSA signing fails.
func (s *Sandbox) MintToken(scopes []string, ttl time.Duration) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, err := s.mintManagementToken(scopes, ttl, "test token")
	if err != nil {
		panic(fmt.Sprintf("sandbox: mint token: %v", err))
	}
	s.changed()
	return tok
}

// now returns the current time as the API reports it: UTC with microsecond
// precision, like the service's timestamps.
func (s *Sandbox) now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// issuer returns the OIDC issuer of an application, which is also the iss
// of every token it mints.
func (s *Sandbox) issuer(realmID, appID string) string {
	return s.url + "/v1/tenants/" + s.st.Tenant.ID + "/realms/" + realmID + "/applications/" + appID
}
