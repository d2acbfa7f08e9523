package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
)

func runProfile(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: biadmin profile add --token TOKEN [--name NAME] [--realm ID] [--token-env VAR] [--config FILE]")
		return 2
	}
	return runProfileAdd(args[1:], stdout, stderr)
}

// defaultTokenEnv is the variable a new profile reads its token from when
// --token-env is not given; --token falls back to it too.
const defaultTokenEnv = "BIADMIN_TOKEN"

// runProfileAdd writes a profile for the tenant and realm a management token
// belongs to. The claims are read without verifying the signature, so one API
// call with the token proves them before anything is saved.
func runProfileAdd(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("biadmin profile add", flag.ContinueOnError)
	flags.SetOutput(stderr)
	token := flags.String("token", "", "management API `token` (or set BIADMIN_TOKEN)")
	name := flags.String("name", "", "profile `name` (default: the tenant ID)")
	realm := flags.String("realm", "", "realm `ID` for the profile; needed when the token is valid for every realm")
	tokenEnv := flags.String("token-env", defaultTokenEnv, "environment `variable` the profile reads the token from; the token itself is never saved")
	configPath := flags.String("config", "", "config `file` (default $BIADMIN_CONFIG, else config.toml in the user config directory)")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	if *token == "" {
		*token = os.Getenv(defaultTokenEnv)
	}
	if *token == "" {
		fmt.Fprintln(stderr, "biadmin profile add: missing --token (or "+defaultTokenEnv+")")
		return 2
	}
	claims, err := config.ParseTokenClaims(*token)
	if err != nil {
		fmt.Fprintln(stderr, "biadmin profile add:", err)
		return 2
	}
	fmt.Fprintf(stdout, "Token claims (unverified): tenant %s, realm %s, issuer %s\n", claims.TenantID, claims.RealmID, claims.Issuer)

	p := &config.Profile{
		Name:        *name,
		TenantID:    claims.TenantID,
		RealmID:     *realm,
		Region:      claims.Region,
		APIBaseURL:  claims.APIBaseURL,
		AuthBaseURL: claims.AuthBaseURL,
		APITokenEnv: *tokenEnv,
	}
	if p.Name == "" {
		p.Name = claims.TenantID
	}
	if p.RealmID == "" && claims.RealmID != "*" {
		p.RealmID = claims.RealmID
	}
	if p.RealmID == "" {
		fmt.Fprintln(stderr, "biadmin profile add: this token is valid for every realm of the tenant; choose one with --realm ID")
		return 2
	}

	// Everything that could stop the save is checked before the token is
	// sent anywhere.
	if err := p.Validate(); err != nil {
		fmt.Fprintln(stderr, "biadmin profile add:", err)
		return 2
	}
	path := *configPath
	if path == "" {
		if path, err = config.DefaultPath(); err != nil {
			fmt.Fprintln(stderr, "biadmin profile add:", err)
			return 1
		}
	}
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		cfg, err = config.New(path), nil
	}
	if err != nil {
		fmt.Fprintln(stderr, "biadmin profile add:", err)
		return 1
	}
	if slices.Contains(cfg.Names(), p.Name) {
		fmt.Fprintf(stderr, "biadmin profile add: %s already has a profile named %q; choose another with --name, or edit the file\n", path, p.Name)
		return 1
	}

	if err := checkToken(p, *token); err != nil {
		fmt.Fprintln(stderr, "biadmin profile add:", checkTokenFailure(err))
		return 1
	}
	if err := cfg.SaveProfile(p); err != nil {
		fmt.Fprintln(stderr, "biadmin profile add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Saved profile %q to %s.\n", p.Name, path)
	fmt.Fprintf(stdout, "The token itself was not saved: set %s to it before running biadmin, or change the profile's credential source (see config.toml.example).\n", p.APITokenEnv)
	return 0
}

// checkToken reads the realm with the token, which proves the tenant, the
// realm and the base URL in one call.
// checkTokenFailure words why checkToken failed. Only a 401 or 403 means
// the service rejected the token. Any other failure leaves the token
// unchecked.
func checkTokenFailure(err error) string {
	var urlErr *url.Error
	switch {
	case errors.Is(err, client.ErrUnauthorized), errors.Is(err, client.ErrForbidden):
		return "the token was not accepted: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "the API did not answer in time, so the token was not checked and nothing was saved; check the network and that the service is up"
	case errors.As(err, &urlErr):
		// Only the host is named: the rest of a URL may carry a token.
		host := "the API"
		if u, perr := url.Parse(urlErr.URL); perr == nil && u.Host != "" {
			host = u.Host
		}
		var (
			opErr  *net.OpError
			sysErr *os.SyscallError
			reason = urlErr.Err.Error()
		)
		if errors.As(err, &sysErr) {
			reason = sysErr.Err.Error()
		} else if errors.As(err, &opErr) {
			reason = opErr.Err.Error()
		}
		return "could not reach " + host + " (" + reason + "), so the token was not checked and nothing was saved; " +
			"check that the service is up and that the token is for the region you expect"
	}
	return "could not check the token, so nothing was saved: " + err.Error()
}

func checkToken(p *config.Profile, token string) error {
	apiBase, _, err := p.Endpoints()
	if err != nil {
		return err
	}
	api, err := client.New(client.Options{BaseURL: apiBase, TenantID: p.TenantID, RealmID: p.RealmID, Token: client.StaticToken(token)})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = api.GetRealm(ctx)
	return err
}
