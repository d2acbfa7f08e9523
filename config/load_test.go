package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// validProfile is a minimal valid profile; tests append or edit lines.
const validProfile = `[profiles.prod]
tenant_id = "0001f1f460b1ace6"
realm_id = "8f5bec58229e6f29"
region = "us"
api_token_env = "BI_TOKEN"
`

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadText(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return Load(writeConfig(t, text))
}

func mustLoad(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := loadText(t, text)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error is %T (%v), want *ValidationError", err, err)
	}
	return ve.Problems
}

func TestLoadValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		line int
		want []string // substrings of the one problem
	}{
		{
			name: "unknown key with suggestion",
			text: validProfile + "relam_id = \"8f5bec58229e6f29\"\n",
			line: 6,
			want: []string{`unknown key "relam_id" in [profiles.prod]; did you mean "realm_id"?`},
		},
		{
			name: "misspelled key hides its missing twin",
			text: strings.Replace(validProfile, "realm_id =", "relam_id =", 1),
			line: 3,
			want: []string{`unknown key "relam_id" in [profiles.prod]; did you mean "realm_id"?`},
		},
		{
			name: "mistyped credential hides no credentials",
			text: strings.Replace(validProfile, `api_token_env = "BI_TOKEN"`, "api_token_env = 3", 1),
			line: 5,
			want: []string{"api_token_env in [profiles.prod] must be a string, not an integer (3)"},
		},
		{
			name: "unknown key differing in case",
			text: validProfile + "Read_Only = true\n",
			line: 6,
			want: []string{`unknown key "Read_Only"`, `did you mean "read_only"?`},
		},
		{
			name: "unknown key without suggestion",
			text: validProfile + "colour = \"blue\"\n",
			line: 6,
			want: []string{`unknown key "colour" in [profiles.prod]`},
		},
		{
			name: "unknown top-level key",
			text: "default_profle = \"prod\"\n" + validProfile,
			line: 1,
			want: []string{`unknown key "default_profle" at the top level; did you mean "default_profile"?`},
		},
		{
			name: "bool given a string",
			text: validProfile + "read_only = \"yes\"\n",
			line: 6,
			want: []string{"read_only in [profiles.prod] must be a boolean (true or false), not a string"},
		},
		{
			name: "string given an integer",
			text: strings.Replace(validProfile, `tenant_id = "0001f1f460b1ace6"`, "tenant_id = 17", 1),
			line: 2,
			want: []string{"tenant_id in [profiles.prod] must be a string, not an integer (17)"},
		},
		{
			name: "bool given a table",
			text: validProfile + "[profiles.prod.production]\nvalue = true\n",
			line: 6,
			want: []string{"production in [profiles.prod] must be a boolean (true or false), not a table"},
		},
		{
			name: "bad region lists valid ones",
			text: strings.Replace(validProfile, `region = "us"`, `region = "usa"`, 1),
			line: 4,
			want: []string{`region in [profiles.prod] is invalid ("usa"); valid regions: "us", "eu", "us-gov"`},
		},
		{
			name: "tenant id not starting 0001",
			text: strings.Replace(validProfile, "0001f1f460b1ace6", "1234f1f460b1ace6", 1),
			line: 2,
			want: []string{`tenant_id in [profiles.prod] is invalid ("1234f1f460b1ace6")`, "16 lowercase hexadecimal characters starting with 0001"},
		},
		{
			name: "tenant id uppercase",
			text: strings.Replace(validProfile, "0001f1f460b1ace6", "0001F1F460B1ACE6", 1),
			line: 2,
			want: []string{"tenant_id in [profiles.prod] is invalid"},
		},
		{
			name: "realm id too short",
			text: strings.Replace(validProfile, "8f5bec58229e6f29", "8f5bec", 1),
			line: 3,
			want: []string{`realm_id in [profiles.prod] is invalid ("8f5bec"): a realm ID is 16 lowercase hexadecimal characters`},
		},
		{
			name: "missing tenant id",
			text: strings.Replace(validProfile, "tenant_id = \"0001f1f460b1ace6\"\n", "", 1),
			line: 1,
			want: []string{"[profiles.prod]: tenant_id is missing"},
		},
		{
			name: "missing region without overrides",
			text: strings.Replace(validProfile, "region = \"us\"\n", "api_base_url = \"https://api.example.com\"\n", 1),
			line: 1,
			want: []string{`region is missing; set region to "us", "eu", "us-gov", or set both api_base_url and auth_base_url`},
		},
		{
			name: "http base url on a public host",
			text: validProfile + "api_base_url = \"http://api.example.com\"\n",
			line: 6,
			want: []string{"api_base_url in [profiles.prod] must use https: plain http is accepted only for loopback hosts", `"api.example.com" is not one`},
		},
		{
			name: "http auth url on a private address",
			text: validProfile + "auth_base_url = \"http://10.0.0.5:8080\"\n",
			line: 6,
			want: []string{"auth_base_url in [profiles.prod] must use https", `"10.0.0.5" is not one`},
		},
		{
			name: "base url with another scheme",
			text: validProfile + "api_base_url = \"ftp://api.example.com\"\n",
			line: 6,
			want: []string{"api_base_url in [profiles.prod] must start with https://"},
		},
		{
			name: "base url with credentials is not echoed",
			text: validProfile + "api_base_url = \"https://admin:hunter2@api.example.com\"\n",
			line: 6,
			want: []string{"api_base_url in [profiles.prod] must not contain a user name or password"},
		},
		{
			name: "relative post binding redirect",
			text: validProfile + "post_binding_redirect_uri = \"/done\"\n",
			line: 6,
			want: []string{"post_binding_redirect_uri in [profiles.prod] is not an absolute URL"},
		},
		{
			name: "id with a slash",
			text: validProfile + "login_application_id = \"../admin\"\n",
			line: 6,
			want: []string{"login_application_id in [profiles.prod] is invalid"},
		},
		{
			name: "several api token sources",
			text: validProfile + "api_token_command = \"pass show bi\"\n",
			line: 1,
			want: []string{"[profiles.prod]: several credential sources are set (api_token_env, api_token_command); keep exactly one"},
		},
		{
			name: "api token and client credentials",
			text: validProfile + "client_id = \"abc\"\nclient_secret_env = \"BI_SECRET\"\ntoken_realm_id = \"0c3d5a1e2f4b6c7d\"\ntoken_application_id = \"app\"\n",
			line: 1,
			want: []string{"several credential sources are set (api_token_env, client_id + client_secret_env)"},
		},
		{
			name: "no credentials",
			text: strings.Replace(validProfile, "api_token_env = \"BI_TOKEN\"\n", "", 1),
			line: 1,
			want: []string{"[profiles.prod]: no credentials; set api_token_env to the name of an environment variable"},
		},
		{
			name: "client id without secret",
			text: strings.Replace(validProfile, "api_token_env = \"BI_TOKEN\"\n", "client_id = \"abc\"\ntoken_url = \"https://auth.example.com/token\"\n", 1),
			line: 5,
			want: []string{"client_id in [profiles.prod] is set but no client secret is; set client_secret_env"},
		},
		{
			name: "client secret without client id",
			text: strings.Replace(validProfile, "api_token_env = \"BI_TOKEN\"\n", "client_secret_env = \"S\"\ntoken_url = \"https://auth.example.com/token\"\n", 1),
			line: 1,
			want: []string{"client_secret_env is set but client_id is missing"},
		},
		{
			name: "several client secret sources",
			text: strings.Replace(validProfile, "api_token_env = \"BI_TOKEN\"\n",
				"client_id = \"abc\"\nclient_secret_env = \"S\"\nclient_secret_keyring = \"biadmin/prod\"\ntoken_url = \"https://auth.example.com/token\"\n", 1),
			line: 1,
			want: []string{"[profiles.prod]: several client secret sources are set (client_secret_env, client_secret_keyring); keep exactly one"},
		},
		{
			name: "client credentials without token realm",
			text: strings.Replace(validProfile, "api_token_env = \"BI_TOKEN\"\n", "client_id = \"abc\"\nclient_secret_env = \"S\"\ntoken_application_id = \"app\"\n", 1),
			line: 1,
			want: []string{"token_realm_id is missing; client credentials need the realm"},
		},
		{
			name: "token realm with a static token",
			text: validProfile + "token_realm_id = \"0c3d5a1e2f4b6c7d\"\n",
			line: 6,
			want: []string{"token_realm_id in [profiles.prod] is used only with client credentials"},
		},
		{
			name: "token url over plain http",
			text: strings.Replace(validProfile, "api_token_env = \"BI_TOKEN\"\n", "client_id = \"abc\"\nclient_secret_env = \"S\"\ntoken_url = \"http://auth.example.com/token\"\n", 1),
			line: 7,
			want: []string{"token_url in [profiles.prod] must use https"},
		},
		{
			name: "env name that looks like a secret",
			text: strings.Replace(validProfile, `api_token_env = "BI_TOKEN"`, `api_token_env = "eyJhbGciOi.x.y"`, 1),
			line: 5,
			want: []string{"api_token_env in [profiles.prod] is invalid", "it names an environment variable"},
		},
		{
			name: "keyring item with empty service",
			text: strings.Replace(validProfile, `api_token_env = "BI_TOKEN"`, `api_token_keyring = "/prod"`, 1),
			line: 5,
			want: []string{`api_token_keyring in [profiles.prod] is invalid ("/prod")`},
		},
		{
			name: "missing default profile",
			text: "default_profile = \"staging\"\n\n" + validProfile,
			line: 1,
			want: []string{`default_profile "staging" names a profile that does not exist; profiles: prod`},
		},
		{
			name: "default profile of wrong type",
			text: "default_profile = true\n" + validProfile,
			line: 1,
			want: []string{"default_profile must be a string (a profile name), not a boolean"},
		},
		{
			name: "profiles not a table",
			text: "profiles = 3\n",
			line: 1,
			want: []string{"profiles must be a table of [profiles.NAME] tables, not an integer (3)"},
		},
		{
			name: "profile not a table",
			text: "[profiles]\nprod = \"x\"\n",
			line: 2,
			want: []string{"profiles.prod must be a table, written [profiles.prod], not a string"},
		},
		{
			name: "profile name with a space",
			text: strings.Replace(validProfile, "[profiles.prod]", `[profiles."my prod"]`, 1),
			line: 1,
			want: []string{`profile name "my prod" is invalid`},
		},
		{
			name: "unknown key in an inline table",
			text: "[profiles]\nprod = { tenant_id = \"0001f1f460b1ace6\", realm_id = \"8f5bec58229e6f29\", region = \"us\", api_token_env = \"T\", relam_id = \"x\" }\n",
			line: 2,
			want: []string{`unknown key "relam_id" in [profiles.prod]; did you mean "realm_id"?`},
		},
		{
			name: "unknown key as a dotted key",
			text: "[profiles]\nprod.tenant_id = \"0001f1f460b1ace6\"\nprod.realm_id = \"8f5bec58229e6f29\"\nprod.region = \"us\"\nprod.api_token_env = \"T\"\nprod.regoin = \"us\"\n",
			line: 6,
			want: []string{`unknown key "regoin" in [profiles.prod]; did you mean "region"?`},
		},
		{
			name: "syntax error",
			text: validProfile + "read_only = yes\n",
			line: 6,
			want: []string{"invalid TOML:"},
		},
		{
			name: "unterminated string",
			text: "default_profile = \"prod\n" + validProfile,
			line: 1,
			want: []string{"invalid TOML:"},
		},
		{
			name: "unclosed table header on line 1",
			text: "[profiles.p1\ntenant_id = \"0001f1f460b1ace6\"\n",
			line: 1,
			want: []string{"invalid TOML:"},
		},
		{
			name: "unclosed table header after a byte order mark",
			text: "\xef\xbb\xbf# comment\n[profiles.p1\n",
			line: 2,
			want: []string{"invalid TOML:"},
		},
		{
			name: "unclosed table header at the end of the file",
			text: validProfile + "[profiles.p2",
			line: 6,
			want: []string{"invalid TOML:"},
		},
		{
			name: "duplicate key",
			text: validProfile + "region = \"eu\"\n",
			line: 6,
			want: []string{"invalid TOML:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			problems := problemsOf(t, err)
			if len(problems) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(problems), err)
			}
			if problems[0].Line != tt.line {
				t.Errorf("line = %d, want %d (%s)", problems[0].Line, tt.line, problems[0].Message)
			}
			for _, w := range tt.want {
				if !strings.Contains(problems[0].Message, w) {
					t.Errorf("message %q does not contain %q", problems[0].Message, w)
				}
			}
			prefix := path + ":"
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error contains the password from the URL: %v", err)
			}
		})
	}
}

func TestLoadCollectsAllProblems(t *testing.T) {
	text := `default_profile = "missing"

[profiles.a]
tenant_id = "bad"
realm_id = "8f5bec58229e6f29"
region = "us"
api_token_env = "T"

[profiles.b]
tenant_id = "0001f1f460b1ace6"
realm_id = "8f5bec58229e6f29"
region = "mars"
api_token_env = "T"
relam_id = "x"
`
	path := writeConfig(t, text)
	_, err := Load(path)
	problems := problemsOf(t, err)
	var lines []int
	for _, p := range problems {
		lines = append(lines, p.Line)
	}
	// The misspelled relam_id hides only the "realm_id is missing" problem
	// it causes, not the bad region of the same profile.
	if want := []int{1, 4, 12, 14}; !slices.Equal(lines, want) {
		t.Errorf("problem lines = %v, want %v\n%v", lines, want, err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(problems) {
		t.Errorf("error has %d lines for %d problems", n, len(problems))
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, path+":") {
			t.Errorf("line %q lacks the path:line prefix", line)
		}
	}
}

func TestLoadEscapesControlCharacters(t *testing.T) {
	text := strings.Replace(validProfile, "[profiles.prod]", `[profiles."a\u001b[31m"]`, 1) + "relam_id = 1\n"
	_, err := loadText(t, text)
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.ContainsRune(err.Error(), 0x1b) {
		t.Errorf("error contains a raw escape character: %q", err)
	}
	if !strings.Contains(err.Error(), `in [profiles."a\u001B[31m"]`) {
		t.Errorf("error does not show the quoted profile name: %q", err)
	}
}

func TestLoadValidFile(t *testing.T) {
	text := `default_profile = "eu"

[profiles.us]
tenant_id = "0001f1f460b1ace6"
realm_id = "8f5bec58229e6f29"
region = "us"
production = true
client_id = "cid"
client_secret_command = "pass show bi"
token_realm_id = "0c3d5a1e2f4b6c7d"
token_application_id = "38833c36-6f47-4992-9329-ea0a00915137"

[profiles.eu]
tenant_id = "0001a2b3c4d5e6f7"
realm_id = "1a2b3c4d5e6f7a8b"
region = "eu"
read_only = true
api_token_env = "EU_TOKEN"
authenticator_config_id = "67bb0acf12e5c899"
post_binding_redirect_uri = "https://portal.example.com/enrolled"
login_application_id = "c15e004f-a7bc-459b-b035-cec40e07f537"

[profiles.local]
tenant_id = "0001000000000001"
realm_id = "0000000000000002"
api_base_url = "http://127.0.0.1:8787/"
auth_base_url = "http://localhost:8787"
api_token_env = "LOCAL_TOKEN"
`
	cfg := mustLoad(t, text)
	if got, want := cfg.Names(), []string{"us", "eu", "local"}; !slices.Equal(got, want) {
		t.Errorf("profile order = %v, want %v", got, want)
	}
	if cfg.DefaultProfile != "eu" {
		t.Errorf("DefaultProfile = %q", cfg.DefaultProfile)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("unexpected warnings: %v", cfg.Warnings)
	}
	us, err := cfg.Profile("us")
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{
		Name: "us", TenantID: "0001f1f460b1ace6", RealmID: "8f5bec58229e6f29", Region: "us", Production: true,
		ClientID: "cid", ClientSecretCommand: "pass show bi", TokenRealmID: "0c3d5a1e2f4b6c7d",
		TokenApplicationID: "38833c36-6f47-4992-9329-ea0a00915137",
	}
	if *us != want {
		t.Errorf("profile us = %+v\nwant %+v", *us, want)
	}
	eu, _ := cfg.Profile("eu")
	if !eu.ReadOnly || eu.APITokenEnv != "EU_TOKEN" || eu.LoginApplicationID != "c15e004f-a7bc-459b-b035-cec40e07f537" {
		t.Errorf("profile eu = %+v", *eu)
	}
	local, _ := cfg.Profile("local")
	api, auth, err := local.Endpoints()
	if err != nil || api != "http://127.0.0.1:8787" || auth != "http://localhost:8787" {
		t.Errorf("local endpoints = %q, %q, %v", api, auth, err)
	}
}

func TestLoadAcceptsLoopbackHTTP(t *testing.T) {
	for _, host := range []string{"127.0.0.1:8787", "127.5.6.7", "[::1]:9000", "localhost:1", "LOCALHOST"} {
		t.Run(host, func(t *testing.T) {
			text := strings.Replace(validProfile, `region = "us"`,
				`api_base_url = "http://`+host+`"`+"\n"+`auth_base_url = "http://`+host+`"`, 1)
			if _, err := loadText(t, text); err != nil {
				t.Errorf("Load: %v", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "biadmin profile add") {
		t.Errorf("error does not say how to create the file: %v", err)
	}
}

func TestLoadEmptyFile(t *testing.T) {
	cfg := mustLoad(t, "# nothing yet\n")
	if len(cfg.Profiles) != 0 {
		t.Errorf("profiles = %v", cfg.Names())
	}
	_, err := cfg.Profile("")
	if err == nil || !strings.Contains(err.Error(), "no profiles") {
		t.Errorf("Profile on empty config: %v", err)
	}
}

func TestRegionEndpoints(t *testing.T) {
	tests := []struct {
		region, apiOverride, authOverride string
		api, auth                         string
	}{
		{region: "us", api: "https://api-us.beyondidentity.com", auth: "https://auth-us.beyondidentity.com"},
		{region: "eu", api: "https://api-eu.beyondidentity.com", auth: "https://auth-eu.beyondidentity.com"},
		{region: "us-gov", api: "https://api.us1.beyondidentity-gov.com", auth: "https://auth.us1.beyondidentity-gov.com"},
		{region: "us", apiOverride: "https://api.internal.example.com/", api: "https://api.internal.example.com", auth: "https://auth-us.beyondidentity.com"},
		{region: "eu", authOverride: "https://auth.example.com/prefix/", api: "https://api-eu.beyondidentity.com", auth: "https://auth.example.com/prefix"},
		{apiOverride: "http://127.0.0.1:8787", authOverride: "http://127.0.0.1:8787", api: "http://127.0.0.1:8787", auth: "http://127.0.0.1:8787"},
	}
	for _, tt := range tests {
		t.Run(tt.region+tt.apiOverride+tt.authOverride, func(t *testing.T) {
			p := &Profile{Name: "x", Region: tt.region, APIBaseURL: tt.apiOverride, AuthBaseURL: tt.authOverride}
			api, auth, err := p.Endpoints()
			if err != nil {
				t.Fatal(err)
			}
			if api != tt.api {
				t.Errorf("api = %q, want %q", api, tt.api)
			}
			if auth != tt.auth {
				t.Errorf("auth = %q, want %q", auth, tt.auth)
			}
		})
	}
}

func TestEndpointsErrors(t *testing.T) {
	tests := []struct {
		p    Profile
		want string
	}{
		{Profile{Name: "x"}, "region is missing"},
		{Profile{Name: "x", Region: "ap"}, `region "ap" is invalid; valid regions: "us", "eu", "us-gov"`},
		{Profile{Name: "x", Region: "us", APIBaseURL: "http://api.example.com"}, "api_base_url must use https"},
		{Profile{Name: "x", APIBaseURL: "https://a.example.com"}, "region is missing"},
	}
	for _, tt := range tests {
		_, _, err := tt.p.Endpoints()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Endpoints(%+v) error = %v, want it to contain %q", tt.p, err, tt.want)
		}
	}
}

func TestTokenURL(t *testing.T) {
	p := &Profile{Name: "x", TenantID: "0001f1f460b1ace6", Region: "eu", TokenRealmID: "0c3d5a1e2f4b6c7d", TokenApplicationID: "38833c36-6f47"}
	got, err := p.TokenURL()
	if err != nil {
		t.Fatal(err)
	}
	want := "https://auth-eu.beyondidentity.com/v1/tenants/0001f1f460b1ace6/realms/0c3d5a1e2f4b6c7d/applications/38833c36-6f47/token"
	if got != want {
		t.Errorf("TokenURL = %q, want %q", got, want)
	}

	p.TokenURLOverride = "https://auth.example.com/custom/token/"
	if got, err := p.TokenURL(); err != nil || got != "https://auth.example.com/custom/token" {
		t.Errorf("TokenURL with override = %q, %v", got, err)
	}

	p.TokenURLOverride, p.TokenRealmID = "", ""
	if _, err := p.TokenURL(); err == nil || !strings.Contains(err.Error(), "token_realm_id") {
		t.Errorf("TokenURL without realm: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Run("BIADMIN_CONFIG wins", func(t *testing.T) {
		t.Setenv(EnvConfig, "/srv/biadmin.toml")
		got, err := DefaultPath()
		if err != nil || got != "/srv/biadmin.toml" {
			t.Errorf("DefaultPath = %q, %v", got, err)
		}
	})
	t.Run("user config dir", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("XDG_CONFIG_HOME steers os.UserConfigDir only on Linux and other Unix systems besides macOS")
		}
		dir := t.TempDir()
		t.Setenv(EnvConfig, "")
		t.Setenv("XDG_CONFIG_HOME", dir)
		got, err := DefaultPath()
		if want := filepath.Join(dir, "biadmin", "config.toml"); err != nil || got != want {
			t.Errorf("DefaultPath = %q, %v; want %q", got, err, want)
		}
	})
}

func TestProfileSelection(t *testing.T) {
	two := validProfile + "\n" + strings.Replace(validProfile, "[profiles.prod]", "[profiles.dev]", 1)
	tests := []struct {
		name    string
		text    string
		arg     string
		env     string
		want    string
		wantErr []string
	}{
		{name: "argument wins over env", text: "default_profile = \"prod\"\n" + two, arg: "dev", env: "prod", want: "dev"},
		{name: "env wins over default", text: "default_profile = \"prod\"\n" + two, env: "dev", want: "dev"},
		{name: "default profile", text: "default_profile = \"dev\"\n" + two, want: "dev"},
		{name: "only profile", text: validProfile, want: "prod"},
		{name: "several and no default", text: two, wantErr: []string{"several profiles (prod, dev) and no default_profile", "--profile NAME"}},
		{name: "unknown argument", text: two, arg: "stage", wantErr: []string{`profile "stage" (requested) not found`, "profiles: prod, dev"}},
		{name: "unknown env", text: two, env: "stage", wantErr: []string{`profile "stage" (set by BIADMIN_PROFILE) not found`, "profiles: prod, dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvProfile, tt.env)
			cfg := mustLoad(t, tt.text)
			p, err := cfg.Profile(tt.arg)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Profile(%q) = %s, want an error", tt.arg, p.Name)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tt.want {
				t.Errorf("Profile(%q) = %s, want %s", tt.arg, p.Name, tt.want)
			}
		})
	}
}

func TestProfileReturnsCopy(t *testing.T) {
	t.Setenv(EnvProfile, "")
	cfg := mustLoad(t, validProfile)
	p, _ := cfg.Profile("prod")
	p.RealmID = "changed"
	again, _ := cfg.Profile("prod")
	if again.RealmID != "8f5bec58229e6f29" {
		t.Errorf("changing a returned profile changed the config: %q", again.RealmID)
	}
}

func TestPermissionWarning(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows files have no Unix permission bits")
	}
	tests := []struct {
		mode os.FileMode
		want string
	}{
		{0o600, ""},
		{0o400, ""},
		{0o644, "config.toml is readable by other users; run: chmod 600 "},
		{0o620, "config.toml is writable by other users; run: chmod 600 "},
		{0o666, "config.toml is readable and writable by other users; run: chmod 600 "},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			path := writeConfig(t, validProfile)
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(cfg.Warnings) != 0 {
					t.Errorf("warnings = %q, want none", cfg.Warnings)
				}
				return
			}
			if len(cfg.Warnings) != 1 || cfg.Warnings[0] != tt.want+path {
				t.Errorf("warnings = %q, want [%q]", cfg.Warnings, tt.want+path)
			}
		})
	}
}

func TestPlainSecretWarning(t *testing.T) {
	text := strings.Replace(validProfile, `api_token_env = "BI_TOKEN"`, `api_token = "eyJplain.token.value"`, 1)
	cfg := mustLoad(t, text)
	if len(cfg.Warnings) != 1 {
		t.Fatalf("warnings = %q, want one", cfg.Warnings)
	}
	w := cfg.Warnings[0]
	for _, want := range []string{":5: ", "api_token in [profiles.prod] stores a secret in plain text", "api_token_env"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q does not contain %q", w, want)
		}
	}
	if strings.Contains(w, "eyJplain") {
		t.Errorf("warning contains the secret: %q", w)
	}
}

func TestExampleConfigParses(t *testing.T) {
	data, err := os.ReadFile("../config.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parse("config.toml.example", data)
	if err != nil {
		t.Fatalf("example does not load:\n%v", err)
	}
	if got, want := cfg.Names(), []string{"us-prod", "eu-support"}; !slices.Equal(got, want) {
		t.Errorf("profiles = %v, want %v", got, want)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("example produces warnings: %q", cfg.Warnings)
	}
	us, _ := cfg.Profile("us-prod")
	if !us.Production || !us.UsesClientCredentials() || us.ClientSecretKeyring == "" {
		t.Errorf("us-prod = %+v, want production with client credentials from the keyring", *us)
	}
	if _, err := us.TokenURL(); err != nil {
		t.Errorf("us-prod TokenURL: %v", err)
	}
	eu, _ := cfg.Profile("eu-support")
	if eu.Region != "eu" || eu.APITokenEnv == "" {
		t.Errorf("eu-support = %+v, want region eu with api_token_env", *eu)
	}

	// The commented sandbox profile must also be valid once uncommented.
	text := string(data)
	start := strings.Index(text, "# [profiles.sandbox]")
	if start < 0 {
		t.Fatal("example has no commented sandbox profile")
	}
	var b strings.Builder
	b.WriteString(text[:start])
	for _, line := range strings.SplitAfter(text[start:], "\n") {
		b.WriteString(strings.TrimPrefix(line, "# "))
	}
	cfg, err = parse("config.toml.example", []byte(b.String()))
	if err != nil {
		t.Fatalf("example with the sandbox profile uncommented does not load:\n%v", err)
	}
	sb, err := cfg.Profile("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if api, auth, err := sb.Endpoints(); err != nil || api != "http://127.0.0.1:8787" || auth != api {
		t.Errorf("sandbox endpoints = %q, %q, %v", api, auth, err)
	}
}

func TestSourceIndexLines(t *testing.T) {
	src := `# comment with a fake key = 1
top = "x" # trailing
[ "profiles" . 'prod' ]
note = """
fake_key = "not a key"
"""
literal = '''
also = "not a key"
'''
list = [
  "a = b",
  { inner = 1 },
]
inline = { a = 1, b.c = "}" }
"quoted\u0020key" = 2

[[arr]]
x = 1
`
	ix := indexSource(src)
	tests := []struct {
		path []string
		line int
	}{
		{[]string{"top"}, 2},
		{[]string{"profiles", "prod"}, 3},
		{[]string{"profiles", "prod", "note"}, 4},
		{[]string{"profiles", "prod", "literal"}, 7},
		{[]string{"profiles", "prod", "list"}, 10},
		{[]string{"profiles", "prod", "inline", "a"}, 14},
		{[]string{"profiles", "prod", "inline", "b", "c"}, 14},
		{[]string{"profiles", "prod", "quoted key"}, 15},
		{[]string{"arr", "x"}, 18},
		{[]string{"profiles", "prod", "fake_key"}, 3}, // falls back to the table
		{[]string{"nowhere"}, 0},
	}
	for _, tt := range tests {
		if got := ix.line(tt.path...); got != tt.line {
			t.Errorf("line(%q) = %d, want %d", tt.path, got, tt.line)
		}
	}
	if _, ok := ix.keys[pathKey([]string{"profiles", "prod", "also"})]; ok {
		t.Error("a line inside a multi-line literal string was taken for a key")
	}
	if _, ok := ix.keys[pathKey([]string{"profiles", "prod", "inner"})]; ok {
		t.Error("a key of an inline table inside an array was recorded")
	}
}

func TestSuggestion(t *testing.T) {
	tests := []struct{ key, want string }{
		{"relam_id", "realm_id"},
		{"tenantid", "tenant_id"},
		{"REGION", "region"},
		{"api_tokn_env", "api_token_env"},
		{"completely_different", ""},
	}
	for _, tt := range tests {
		got := suggestion(tt.key, profileKeyNames())
		want := ""
		if tt.want != "" {
			want = `; did you mean "` + tt.want + `"?`
		}
		if got != want {
			t.Errorf("suggestion(%q) = %q, want %q", tt.key, got, want)
		}
	}
}
