package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/biadmin/biadmin/client"
)

// DefaultKeyringService is the keyring service used when a *_keyring key
// names only an item (the user part).
const DefaultKeyringService = "biadmin"

// DefaultCommandTimeout bounds a *_command key and a keyring lookup.
const DefaultCommandTimeout = 10 * time.Second

// Secrets are the places a profile's secret may come from. Nil fields use
// the real environment, shell and OS keyring, so tests replace only what
// they need.
type Secrets struct {
	LookupEnv func(name string) (string, bool)
	// RunCommand runs command through the shell and returns its stdout and
	// stderr. It must stop when ctx is done.
	RunCommand func(ctx context.Context, command string) (stdout, stderr []byte, err error)
	// Keyring returns the secret stored for service and user, or an error
	// matching keyring.ErrNotFound.
	Keyring func(service, user string) (string, error)
	// Timeout bounds each command and keyring lookup; 0 means
	// DefaultCommandTimeout.
	Timeout time.Duration
}

func (s Secrets) withDefaults() Secrets {
	if s.LookupEnv == nil {
		s.LookupEnv = os.LookupEnv
	}
	if s.RunCommand == nil {
		s.RunCommand = runShell
	}
	if s.Keyring == nil {
		s.Keyring = keyring.Get
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultCommandTimeout
	}
	return s
}

// TokenSource builds the management API token source of the profile:
// client.StaticToken for an API token, client.ClientCredentials for client
// credentials. It resolves the secret from the environment, a command or the
// OS keyring now; httpClient is used for token requests.
func (p *Profile) TokenSource(ctx context.Context, httpClient *http.Client) (client.TokenSource, error) {
	return p.TokenSourceWith(ctx, httpClient, Secrets{})
}

// TokenSourceWith is TokenSource with the secret looked up through s.
func (p *Profile) TokenSourceWith(ctx context.Context, httpClient *http.Client, s Secrets) (client.TokenSource, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	secret, err := p.ResolveSecret(ctx, s)
	if err != nil {
		return nil, err
	}
	if !p.UsesClientCredentials() {
		return client.StaticToken(secret), nil
	}
	tokenURL, err := p.TokenURL()
	if err != nil {
		return nil, err
	}
	return client.ClientCredentials(client.ClientCredentialsOptions{
		TokenURL:     tokenURL,
		ClientID:     p.ClientID,
		ClientSecret: secret,
		HTTPClient:   httpClient,
	}), nil
}

// ResolveSecret returns the profile's API token, or its client secret when
// it uses client credentials. Errors name the key and source but never
// contain the secret.
func (p *Profile) ResolveSecret(ctx context.Context, s Secrets) (string, error) {
	s = s.withDefaults()
	prefix, env, command, item, plain := "api_token", p.APITokenEnv, p.APITokenCommand, p.APITokenKeyring, p.APIToken
	if p.UsesClientCredentials() {
		prefix, env, command, item, plain = "client_secret", p.ClientSecretEnv, p.ClientSecretCommand, p.ClientSecretKeyring, p.ClientSecret
	}

	var secret string
	var err error
	switch {
	case env != "":
		secret, err = secretFromEnv(s, env)
		err = wrapSecretErr(err, p.Name, prefix+"_env")
	case command != "":
		secret, err = secretFromCommand(ctx, s, command)
		err = wrapSecretErr(err, p.Name, prefix+"_command")
	case item != "":
		secret, err = secretFromKeyring(ctx, s, item)
		err = wrapSecretErr(err, p.Name, prefix+"_keyring")
	case plain != "":
		secret = plain
	default:
		return "", fmt.Errorf("profile %s has no credentials; set api_token_env or client_id with client_secret_env", p.Name)
	}
	if err != nil {
		return "", err
	}
	if strings.ContainsFunc(secret, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", fmt.Errorf("profile %s: the secret from %s contains control characters; it must be a single line", p.Name, p.secretKey())
	}
	return secret, nil
}

// secretKey returns the name of the key the profile's secret comes from.
func (p *Profile) secretKey() string {
	keys := p.apiTokenKeys()
	if p.UsesClientCredentials() {
		keys = p.clientSecretKeys()
	}
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// CredentialSummary describes where the profile's credentials come from,
// for display; it never contains a secret.
func (p *Profile) CredentialSummary() string {
	var from string
	switch key := p.secretKey(); {
	case strings.HasSuffix(key, "_env"):
		from = "environment variable " + p.APITokenEnv + p.ClientSecretEnv
	case strings.HasSuffix(key, "_command"):
		from = "a command"
	case strings.HasSuffix(key, "_keyring"):
		service, user, _ := parseKeyringItem(p.APITokenKeyring + p.ClientSecretKeyring)
		from = fmt.Sprintf("keyring service %q user %q", service, user)
	case key != "":
		from = "the config file (plain text)"
	default:
		return "no credentials"
	}
	if p.UsesClientCredentials() {
		return fmt.Sprintf("client credentials for client_id %s, secret from %s", p.ClientID, from)
	}
	return "API token from " + from
}

func wrapSecretErr(err error, profile, key string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("profile %s: %s: %w", profile, key, err)
}

func secretFromEnv(s Secrets, name string) (string, error) {
	v, ok := s.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is empty", name)
	}
	return v, nil
}

// maxCommandOutput bounds what is read from a secret command: a token is a
// few kilobytes, and a runaway command must not fill memory.
const maxCommandOutput = 64 << 10

func secretFromCommand(ctx context.Context, s Secrets, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	stdout, stderr, err := s.RunCommand(ctx, command)
	secret := strings.TrimSpace(string(stdout))
	detail := stderrDetail(stderr, secret)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "", fmt.Errorf("command timed out after %s%s", s.Timeout, detail)
	case err != nil:
		return "", fmt.Errorf("command failed: %v%s", err, detail)
	case secret == "":
		return "", fmt.Errorf("command printed nothing on stdout; it must print the secret%s", detail)
	case strings.ContainsAny(secret, "\r\n"):
		return "", errors.New("command printed several lines; it must print only the secret")
	}
	return secret, nil
}

// stderrDetail formats a command's stderr for an error message: one line,
// control characters removed, at most 300 bytes, and with any copy of the
// secret the command printed on stdout cut out.
func stderrDetail(stderr []byte, secret string) string {
	text := string(stderr)
	if secret != "" {
		text = strings.ReplaceAll(text, secret, "[secret removed]")
	}
	text = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, text)), " ")
	if text == "" {
		return ""
	}
	if len(text) > 300 {
		text = strings.ToValidUTF8(text[:300], "") + "…"
	}
	return "; stderr: " + text
}

// runShell runs command with sh -c (cmd /C on Windows), so a config can use
// pipes and quoting as written in a terminal. The command comes from the
// user's own config file, which is trusted like their shell profile.
func runShell(ctx context.Context, command string) ([]byte, []byte, error) {
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", command)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", command)
	}
	killProcessGroup(cmd)
	// A child that keeps the pipes open after the shell is killed must not
	// hold Wait forever.
	cmd.WaitDelay = time.Second
	stdout := &limitedBuffer{max: maxCommandOutput}
	stderr := &limitedBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if err == nil && stdout.overflow {
		err = fmt.Errorf("output is longer than %d bytes", maxCommandOutput)
	}
	return stdout.Bytes(), stderr.Bytes(), err
}

// limitedBuffer keeps the first max bytes written and drops the rest, so a
// chatty command cannot exhaust memory.
type limitedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.overflow = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// parseKeyringItem splits "service/user" at the first slash; a value without
// a slash is a user under DefaultKeyringService.
func parseKeyringItem(item string) (service, user string, err error) {
	service, user, found := strings.Cut(item, "/")
	if !found {
		service, user = DefaultKeyringService, item
	}
	if strings.TrimSpace(service) == "" || strings.TrimSpace(user) == "" {
		return "", "", fmt.Errorf("is invalid (%q): write \"service/user\", or a bare name for the user under service %q", item, DefaultKeyringService)
	}
	return service, user, nil
}

func secretFromKeyring(ctx context.Context, s Secrets, item string) (string, error) {
	service, user, err := parseKeyringItem(item)
	if err != nil {
		return "", err
	}

	type result struct {
		secret string
		err    error
	}
	// The keyring call takes no context and may block on an unlock prompt,
	// so it runs in a goroutine that is abandoned on timeout.
	// NOTE: an abandoned lookup keeps its goroutine until the keyring
	// returns, because go-keyring offers no way to cancel a call.
	done := make(chan result, 1)
	go func() {
		v, err := s.Keyring(service, user)
		done <- result{v, err}
	}()
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return "", fmt.Errorf("keyring lookup of service %q user %q timed out after %s; is the keyring locked?", service, user, s.Timeout)
	}

	switch {
	case errors.Is(r.err, keyring.ErrNotFound):
		return "", fmt.Errorf("no keyring item for service %q user %q; %s", service, user, keyringStoreHint(service, user))
	case r.err != nil:
		return "", fmt.Errorf("keyring lookup of service %q user %q failed: %v; no keyring service may be running "+
			"(on Linux it needs the Secret Service over D-Bus, such as gnome-keyring or KeePassXC, which headless machines rarely run); "+
			"use an _env or _command key instead", service, user, r.err)
	}
	secret := strings.TrimSpace(r.secret)
	if secret == "" {
		return "", fmt.Errorf("keyring item for service %q user %q is empty", service, user)
	}
	return secret, nil
}

func keyringStoreHint(service, user string) string {
	switch runtime.GOOS {
	case "darwin":
		return fmt.Sprintf("store it with: security add-generic-password -s %s -a %s -w", shellQuote(service), shellQuote(user))
	case "windows":
		return "store it in Windows Credential Manager as a generic credential named " + service + ":" + user
	default:
		return fmt.Sprintf("store it with: secret-tool store --label=biadmin service %s username %s", shellQuote(service), shellQuote(user))
	}
}

// shellQuote quotes s for a POSIX shell when it has characters the shell
// would interpret.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
