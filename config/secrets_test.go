package config

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func staticProfile() *Profile {
	return &Profile{Name: "prod", TenantID: "0001f1f460b1ace6", RealmID: "8f5bec58229e6f29", Region: "us"}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func requireShell(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the command tests use POSIX sh syntax")
	}
}

func TestSecretFromEnv(t *testing.T) {
	p := staticProfile()
	p.APITokenEnv = "BIADMIN_TEST_TOKEN"

	t.Run("injected", func(t *testing.T) {
		s := Secrets{LookupEnv: func(name string) (string, bool) {
			if name != "BIADMIN_TEST_TOKEN" {
				t.Errorf("looked up %q", name)
			}
			return " tok-env \n", true
		}}
		got, err := p.ResolveSecret(testContext(t), s)
		if err != nil || got != "tok-env" {
			t.Errorf("ResolveSecret = %q, %v; want tok-env", got, err)
		}
	})
	t.Run("process environment", func(t *testing.T) {
		t.Setenv("BIADMIN_TEST_TOKEN", "tok-real-env")
		got, err := p.ResolveSecret(testContext(t), Secrets{})
		if err != nil || got != "tok-real-env" {
			t.Errorf("ResolveSecret = %q, %v", got, err)
		}
	})
	t.Run("unset", func(t *testing.T) {
		s := Secrets{LookupEnv: func(string) (string, bool) { return "", false }}
		_, err := p.ResolveSecret(testContext(t), s)
		if err == nil || err.Error() != "profile prod: api_token_env: environment variable BIADMIN_TEST_TOKEN is not set" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		s := Secrets{LookupEnv: func(string) (string, bool) { return "  ", true }}
		_, err := p.ResolveSecret(testContext(t), s)
		if err == nil || !strings.Contains(err.Error(), "BIADMIN_TEST_TOKEN is empty") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestSecretFromCommand(t *testing.T) {
	requireShell(t)
	tests := []struct {
		name    string
		command string
		want    string
		wantErr []string
		secret  string // must not appear in the error
	}{
		{name: "printf", command: "printf tok", want: "tok"},
		{name: "trailing newline trimmed", command: "echo '  tok-line  '", want: "tok-line"},
		{name: "pipeline", command: "printf 'abc\\n' | tr a-c x-z", want: "xyz"},
		{
			name:    "failure shows stderr without the secret",
			command: "printf leaked-secret; echo 'vault is sealed' >&2; exit 3",
			wantErr: []string{"profile prod: api_token_command: command failed: exit status 3; stderr: vault is sealed"},
			secret:  "leaked-secret",
		},
		{
			name:    "secret echoed on stderr is removed",
			command: "printf s3cr3t-value; printf 'got s3cr3t-value' >&2; exit 1",
			wantErr: []string{"stderr: got [secret removed]"},
			secret:  "s3cr3t-value",
		},
		{name: "no output", command: "true", wantErr: []string{"command printed nothing on stdout"}},
		{
			name:    "several lines",
			command: "printf 'one-secret\\ntwo-secret\\n'",
			wantErr: []string{"command printed several lines; it must print only the secret"},
			secret:  "one-secret",
		},
		{name: "missing program", command: "biadmin-no-such-program-xyz", wantErr: []string{"command failed: exit status 127", "not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := staticProfile()
			p.APITokenCommand = tt.command
			got, err := p.ResolveSecret(testContext(t), Secrets{})
			if len(tt.wantErr) == 0 {
				if err != nil || got != tt.want {
					t.Errorf("ResolveSecret = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ResolveSecret = %q, want an error", got)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error contains the secret: %q", err)
			}
		})
	}
}

func TestSecretCommandTimeout(t *testing.T) {
	requireShell(t)
	p := staticProfile()
	p.ClientID, p.ClientSecretCommand = "cid", "sleep 30 | cat"
	p.TokenURLOverride = "https://auth.example.com/token"
	start := time.Now()
	_, err := p.ResolveSecret(testContext(t), Secrets{Timeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "profile prod: client_secret_command: command timed out after 200ms") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %s; the pipeline outlived the kill", d)
	}
}

func TestSecretCommandInjected(t *testing.T) {
	p := staticProfile()
	p.APITokenCommand = "op read op://vault/item"
	var gotCommand string
	s := Secrets{RunCommand: func(ctx context.Context, command string) ([]byte, []byte, error) {
		gotCommand = command
		if _, ok := ctx.Deadline(); !ok {
			t.Error("command context has no deadline")
		}
		return []byte("tok-injected\n"), nil, nil
	}}
	got, err := p.ResolveSecret(testContext(t), s)
	if err != nil || got != "tok-injected" {
		t.Errorf("ResolveSecret = %q, %v", got, err)
	}
	if gotCommand != "op read op://vault/item" {
		t.Errorf("ran %q", gotCommand)
	}
}

func TestSecretFromKeyring(t *testing.T) {
	keyring.MockInit()
	if err := keyring.Set("biadmin", "prod", "tok-keyring"); err != nil {
		t.Fatal(err)
	}
	if err := keyring.Set("corp-vault", "bi/admin", "tok-pair"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		item    string
		want    string
		wantErr string
	}{
		{item: "prod", want: "tok-keyring"},
		{item: "biadmin/prod", want: "tok-keyring"},
		{item: "corp-vault/bi/admin", want: "tok-pair"},
		{item: "staging", wantErr: `no keyring item for service "biadmin" user "staging"`},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			p := staticProfile()
			p.APITokenKeyring = tt.item
			got, err := p.ResolveSecret(testContext(t), Secrets{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ResolveSecret = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSecretKeyringUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("dbus: couldn't determine address of session bus"))
	t.Cleanup(keyring.MockInit)
	p := staticProfile()
	p.APITokenKeyring = "biadmin/prod"
	_, err := p.ResolveSecret(testContext(t), Secrets{})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		"api_token_keyring: keyring lookup of service \"biadmin\" user \"prod\" failed: dbus: couldn't determine address of session bus",
		"no keyring service may be running",
		"use an _env or _command key instead",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestSecretKeyringTimeout(t *testing.T) {
	p := staticProfile()
	p.APITokenKeyring = "prod"
	release := make(chan struct{})
	defer close(release)
	s := Secrets{
		Timeout: 100 * time.Millisecond,
		Keyring: func(service, user string) (string, error) {
			<-release
			return "late", nil
		},
	}
	_, err := p.ResolveSecret(testContext(t), s)
	if err == nil || !strings.Contains(err.Error(), "timed out after 100ms; is the keyring locked?") {
		t.Errorf("err = %v", err)
	}
}

func TestSecretPlain(t *testing.T) {
	cfg := mustLoad(t, strings.Replace(validProfile, `api_token_env = "BI_TOKEN"`, `api_token = "tok-plain"`, 1))
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "plain text") {
		t.Errorf("warnings = %q, want one about plain text", cfg.Warnings)
	}
	p, _ := cfg.Profile("prod")
	got, err := p.ResolveSecret(testContext(t), Secrets{})
	if err != nil || got != "tok-plain" {
		t.Errorf("ResolveSecret = %q, %v", got, err)
	}
}

func TestTokenSourceStatic(t *testing.T) {
	p := staticProfile()
	p.APITokenEnv = "T"
	ts, err := p.TokenSourceWith(testContext(t), nil, Secrets{LookupEnv: func(string) (string, bool) { return "tok-static", true }})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ts.Token(testContext(t))
	if err != nil || got != "tok-static" {
		t.Errorf("Token = %q, %v", got, err)
	}
}

func TestTokenSourceInvalidProfile(t *testing.T) {
	p := staticProfile()
	_, err := p.TokenSourceWith(testContext(t), nil, Secrets{})
	if err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("err = %v", err)
	}
}

func TestTokenSourceClientCredentials(t *testing.T) {
	const path = "/v1/tenants/0001f1f460b1ace6/realms/0c3d5a1e2f4b6c7d/applications/mgmt-app/token"
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != path {
			t.Errorf("token request to %s, want %s", r.URL.Path, path)
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id != "cid" || secret != "tok-client-secret" {
			t.Errorf("client authenticated as %q with secret %q", id, secret)
		}
		if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
			t.Errorf("grant_type = %q", g)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-access", "token_type": "Bearer", "expires_in": 3600})
	}))
	defer srv.Close()

	p := &Profile{
		Name: "local", TenantID: "0001f1f460b1ace6", RealmID: "8f5bec58229e6f29",
		APIBaseURL: srv.URL, AuthBaseURL: srv.URL,
		ClientID: "cid", ClientSecretEnv: "BIADMIN_TEST_SECRET",
		TokenRealmID: "0c3d5a1e2f4b6c7d", TokenApplicationID: "mgmt-app",
	}
	s := Secrets{LookupEnv: func(string) (string, bool) { return "tok-client-secret", true }}
	hc := &http.Client{Timeout: 5 * time.Second}
	ts, err := p.TokenSourceWith(testContext(t), hc, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ts.Token(testContext(t))
	if err != nil || got != "tok-access" {
		t.Fatalf("Token = %q, %v", got, err)
	}
	if calls.Load() != 1 {
		t.Errorf("token endpoint called %d times", calls.Load())
	}
}

func TestCredentialSummary(t *testing.T) {
	p := staticProfile()
	p.APITokenEnv = "BI_TOKEN"
	if got := p.CredentialSummary(); got != "API token from environment variable BI_TOKEN" {
		t.Errorf("summary = %q", got)
	}
	p = staticProfile()
	p.ClientID, p.ClientSecretKeyring = "cid", "prod"
	if got := p.CredentialSummary(); got != `client credentials for client_id cid, secret from keyring service "biadmin" user "prod"` {
		t.Errorf("summary = %q", got)
	}
	p = staticProfile()
	p.APIToken = "tok-plain-summary"
	if got := p.CredentialSummary(); strings.Contains(got, "tok-plain-summary") {
		t.Errorf("summary contains the secret: %q", got)
	}
}
