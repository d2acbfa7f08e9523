package sandbox

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Persistence: the whole state is one JSON document (type state) written to
// Options.DataFile with mode 0600 through a temporary file and a rename, so
// a crash never leaves a half-written file. Saves are coalesced: a change
// marks the state dirty and the saver goroutine writes it shortly after, and
// Close writes once more. The file holds private signing keys and client
// secrets, hence 0600.

// saveDelay coalesces bursts of changes (a batch of 1000 jobs) into one
// write.
const saveDelay = 100 * time.Millisecond

// apiTokenTTL is the lifetime of the all-scopes token in Info. A token in a
// loaded state file with less than apiTokenRenewal left is replaced.
const (
	apiTokenTTL     = 90 * 24 * time.Hour
	apiTokenRenewal = 24 * time.Hour
)

// initState loads Options.DataFile when it exists, or seeds a fresh state.
func (s *Sandbox) initState() error {
	loaded := false
	if s.opts.DataFile != "" {
		st, err := loadState(s.opts.DataFile)
		switch {
		case err == nil:
			keys, err := keySetFromJWKs(st.Keys)
			if err != nil {
				return fmt.Errorf("load %s: %w", s.opts.DataFile, err)
			}
			s.st, s.keys, loaded = st, keys, true
		case errors.Is(err, fs.ErrNotExist):
		default:
			return err
		}
	}
	if !loaded {
		keys, err := newKeySet()
		if err != nil {
			return err
		}
		s.keys = keys
		s.st = seedState(s.url, s.opts.Identities, s.now())
		s.st.PageSecret = make([]byte, 32)
		rand.Read(s.st.PageSecret)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.realm(s.st.RealmID) != nil {
		s.refreshTrustedOrigins()
	}
	s.rebaseOutbox()
	sortOutbox(s.st.Outbox)
	s.st.Origin = s.url
	if s.apiTokenNeedsRenewal() {
		tok, err := s.mintManagementToken(allScopes, apiTokenTTL, "sandbox API token")
		if err != nil {
			return err
		}
		s.st.APIToken = tok
	}
	s.changed()
	return nil
}

// refreshTrustedOrigins puts the current origin into the seeded hosted_web
// config, in place of the origin the state was saved with, because a
// restarted sandbox may listen on another port. State files saved before
// the origin was recorded get the current origin appended.
func (s *Sandbox) refreshTrustedOrigins() {
	c := s.st.configByID[s.st.AuthenticatorConfigID]
	if c == nil {
		return
	}
	origins := c.Config.TrustedOrigins
	if old := s.st.Origin; old != "" && old != s.url {
		for i, o := range origins {
			if o == old {
				origins[i] = s.url
			}
		}
		origins = slices.Compact(origins)
	}
	if !slices.Contains(origins, s.url) {
		origins = append(origins, s.url)
	}
	c.Config.TrustedOrigins = origins
}

// rebaseOutbox moves the binding links of stored outbox messages to the
// current origin. Links are resolved by path and token hash, so only the
// origin goes stale across a restart on another port. The origin is taken
// from each link, which also covers state files without an Origin.
func (s *Sandbox) rebaseOutbox() {
	for i := range s.st.Outbox {
		m := &s.st.Outbox[i]
		at := strings.Index(m.Link, "/v1/")
		if at <= 0 || m.Link[:at] == s.url {
			continue
		}
		link := s.url + m.Link[at:]
		m.Text = strings.ReplaceAll(m.Text, m.Link, link)
		m.Link = link
	}
}

func (s *Sandbox) apiTokenNeedsRenewal() bool {
	if s.st.APIToken == "" {
		return true
	}
	claims, err := s.verifyJWT(s.st.APIToken)
	if err != nil {
		return true
	}
	// A token issued on another port names a dead origin in iss, and
	// clients that derive endpoints from it would dial that port.
	if iss, _ := claims["iss"].(string); iss != s.issuer(s.st.AdminRealmID, s.st.ManagementAppID) {
		return true
	}
	exp, _ := claims["exp"].(float64)
	jti, _ := claims["jti"].(string)
	if rec := s.st.token(jti); rec != nil && rec.Revoked {
		return true
	}
	return time.Unix(int64(exp), 0).Before(s.now().Add(apiTokenRenewal))
}

func loadState(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st := &state{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("load %s: state version %d, want %d; delete the file to start over", path, st.Version, stateVersion)
	}
	st.reindex()
	return st, nil
}

// changed marks the state as modified; the caller holds s.mu.
func (s *Sandbox) changed() {
	if s.opts.DataFile == "" {
		return
	}
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// saver writes the state file shortly after each change until Close.
// Encoding holds s.mu, which blocks requests, and took 4 s for 100,000
// identities on a busy 2-core machine. So the wait before a save grows to
// four times the last save's duration, and requests are blocked at most
// about a fifth of the time.
func (s *Sandbox) saver() {
	delay := saveDelay
	for {
		select {
		case <-s.stop:
			return
		case <-s.dirty:
		}
		select {
		case <-s.stop:
			return
		case <-time.After(delay):
		}
		start := time.Now()
		if err := s.save(); err != nil {
			s.log.Error("sandbox state not saved", "file", s.opts.DataFile, "err", err)
		}
		delay = max(saveDelay, 4*time.Since(start))
	}
}

// save writes the state file atomically: temporary file, fsync, rename.
func (s *Sandbox) save() error {
	if s.opts.DataFile == "" {
		return nil
	}
	s.mu.Lock()
	s.st.Version = stateVersion
	s.st.Keys = s.keys.privateJWKs()
	data, err := json.Marshal(s.st)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}

	dir := filepath.Dir(s.opts.DataFile)
	tmp, err := os.CreateTemp(dir, ".sandbox-state-*")
	if err != nil {
		return s.saveError(err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return s.saveError(err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return s.saveError(err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return s.saveError(err)
	}
	if err := tmp.Close(); err != nil {
		return s.saveError(err)
	}
	if err := os.Rename(tmp.Name(), s.opts.DataFile); err != nil {
		return s.saveError(err)
	}
	return nil
}

// saveError names the state file, because the underlying error names only
// the temporary file beside it.
func (s *Sandbox) saveError(err error) error {
	return fmt.Errorf("write state file %s: %w", s.opts.DataFile, err)
}
