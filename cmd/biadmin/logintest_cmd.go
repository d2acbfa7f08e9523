package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/biadmin/biadmin/client/login"
)

// runLoginTest runs an application's OIDC sign-in without the console and
// prints the verdict. The exit status is 0 only when every check passed, so
// admins can run it in their own CI.
func runLoginTest(args []string, stdout, stderr io.Writer) int {
	var (
		f         consoleFlags
		appID     string
		asJSON    bool
		scopes    string
		hint      string
		subject   string
		redirect  string
		method    string
		timeout   time.Duration
		skew      time.Duration
		noBrowser bool
	)
	fs := flag.NewFlagSet("biadmin login-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&appID, "app", "", "application `ID` to test (default: the profile's login_application_id, else the realm's only OIDC application with a loopback redirect URI)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON on stdout (tokens masked)")
	fs.StringVar(&scopes, "scopes", "", "comma-separated scopes to request besides openid")
	fs.StringVar(&hint, "login-hint", "", "username sent as login_hint")
	fs.StringVar(&subject, "expect-sub", "", "identity `ID` the sign-in must return as sub")
	fs.StringVar(&redirect, "redirect-uri", "", "loopback redirect `URI` to listen on (default: the application's first loopback redirect URI)")
	fs.StringVar(&method, "auth-method", "", "token endpoint client authentication: client_secret_basic, client_secret_post or none (default: from the application)")
	fs.DurationVar(&timeout, "timeout", login.DefaultTimeout, "how long to wait for the browser to come back")
	fs.DurationVar(&skew, "clock-skew", 0, "allowed clock skew for exp, iat and nbf (default 60s)")
	fs.BoolVar(&noBrowser, "no-browser", false, "do not open a browser; print the URL and a QR code instead")
	fs.BoolVar(&f.sandbox, "sandbox", false, "run against an in-process sandbox")
	fs.StringVar(&f.configPath, "config", "", "config `file` (default $BIADMIN_CONFIG, else config.toml in the user config directory)")
	fs.StringVar(&f.profile, "profile", "", "profile `name` (default $BIADMIN_PROFILE, else default_profile)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}

	target, cleanup, err := loginTarget(f)
	if err != nil {
		fmt.Fprintln(stderr, "biadmin login-test:", err)
		return 2
	}
	defer cleanup()
	for _, w := range target.warnings {
		fmt.Fprintln(stderr, "config warning:", w)
	}
	if !f.sandbox {
		fmt.Fprintf(stderr, "profile %s: tenant %s, realm %s\n", target.profile.Name, target.profile.TenantID, target.profile.RealmID)
	}
	if appID == "" {
		appID = target.defaultApp
	}
	cfg := login.Config{
		AuthBaseURL:     target.authBase,
		API:             target.api,
		ApplicationID:   appID,
		RedirectURI:     redirect,
		AuthMethod:      login.AuthMethod(method),
		Scopes:          splitList(scopes),
		LoginHint:       hint,
		ExpectedSubject: subject,
		Timeout:         timeout,
		ClockSkew:       skew,
		NoBrowser:       noBrowser,
	}
	runner, err := login.NewRunner(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "biadmin login-test:", err)
		return 2
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig, stop := interrupted()
	defer stop()
	go func() {
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()

	events := make(chan login.Event, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		printEvents(events, runner, stderr)
	}()
	// Run closes events when it returns, which ends printEvents.
	report, runErr := runner.Run(ctx, events)
	<-done

	if report != nil {
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(report); err != nil {
				fmt.Fprintln(stderr, "biadmin login-test:", err)
				return 1
			}
		} else if err := login.RenderText(stdout, report); err != nil {
			fmt.Fprintln(stderr, "biadmin login-test:", err)
			return 1
		}
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "biadmin login-test:", runErr)
		return 1
	}
	if report == nil || !report.Passed() {
		return 1
	}
	return 0
}

// printEvents shows progress on stderr, keeping stdout for the verdict. When
// no browser could be opened it also reads a pasted redirect URL from stdin,
// for sign-ins finished on another machine.
func printEvents(events <-chan login.Event, runner *login.Runner, stderr io.Writer) {
	pasteStarted := false
	for ev := range events {
		switch ev.Kind {
		case login.EventStepStarted:
			fmt.Fprintf(stderr, "… %s\n", ev.Step)
		case login.EventOpenManually:
			fmt.Fprintf(stderr, "Open this address in a browser to sign in:\n%s\n", ev.URL)
			if ev.QRCode != "" {
				fmt.Fprintln(stderr, ev.QRCode)
			}
			if ev.Message != "" {
				fmt.Fprintln(stderr, ev.Message)
			}
			if !pasteStarted && stdinIsTerminal() {
				pasteStarted = true
				fmt.Fprintln(stderr, "Or paste the address the browser ended on and press enter:")
				go readPastedRedirect(runner, stderr)
			}
		case login.EventWaiting:
			if ev.Message != "" {
				fmt.Fprintln(stderr, ev.Message)
			}
		}
	}
}

func readPastedRedirect(runner *login.Runner, stderr io.Writer) {
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		if err := runner.SubmitRedirect(line); err != nil {
			fmt.Fprintln(stderr, "That address was not accepted:", err)
			continue
		}
		return
	}
}

func stdinIsTerminal() bool {
	return term.IsTerminal(int(os.Stdin.Fd()))
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
