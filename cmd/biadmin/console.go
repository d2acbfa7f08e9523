package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/config"
	"github.com/biadmin/biadmin/ui"
)

// consoleFlags are the flags of the interactive console.
type consoleFlags struct {
	sandbox    bool
	identities int
	configPath string
	profile    string
	readOnly   bool
	debug      bool
}

func runConsole(args []string, stdout, stderr io.Writer) int {
	var f consoleFlags
	fs := flag.NewFlagSet("biadmin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.BoolVar(&f.sandbox, "sandbox", false, "start a local sandbox of Beyond Identity in-process and open the console on it")
	fs.IntVar(&f.identities, "identities", 0, "with --sandbox: number of demo identities to seed (default about 40)")
	fs.StringVar(&f.configPath, "config", "", "config `file` (default $BIADMIN_CONFIG, else config.toml in the user config directory)")
	fs.StringVar(&f.profile, "profile", "", "profile `name` (default $BIADMIN_PROFILE, else default_profile)")
	fs.BoolVar(&f.readOnly, "read-only", false, "hide every action that changes data; the client rejects them too")
	fs.BoolVar(&f.debug, "debug", false, "write debug detail to the log file")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}

	logger, logPath, closeLog, err := openLog(f.debug)
	if err != nil {
		fmt.Fprintln(stderr, "biadmin:", err)
		return 1
	}
	defer closeLog()

	opts, cleanup, err := consoleOptions(f, logger)
	if err != nil {
		fmt.Fprintln(stderr, "biadmin:", err)
		return 1
	}
	defer cleanup()
	desk, err := openDeskFiles(logger)
	if err != nil {
		fmt.Fprintln(stderr, "biadmin:", err)
		return 1
	}
	defer desk.close()
	desk.apply(&opts)

	logger.Info("console started", "profile", opts.Profile.Name, "tenant", opts.Profile.TenantID, "realm", opts.Profile.RealmID, "sandbox", opts.Profile.Sandbox)
	p := tea.NewProgram(ui.New(opts), tea.WithAltScreen())
	if _, err := p.Run(); err != nil {
		logger.Error("console stopped", "err", err)
		fmt.Fprintf(stderr, "biadmin: %v (log: %s)\n", err, logPath)
		return 1
	}
	return 0
}

// target is the connection a command needs to reach one realm: a
// management API client bound to it, the auth host, and the profile's
// defaults.
type target struct {
	api        *client.Client
	authBase   string
	profile    ui.ProfileInfo
	sandboxURL string
	defaultApp string
	// warnings are the config file's warnings, for the console to show.
	warnings []string
}

// consoleOptions builds what the UI needs: the resolved target, the
// callbacks of the profile picker and realm switcher, and the first-run
// screen when there is no config file yet.
func consoleOptions(f consoleFlags, logger *slog.Logger) (ui.Options, func(), error) {
	path := f.configPath
	if path == "" {
		var err error
		path, err = config.DefaultPath()
		if err != nil && !f.sandbox {
			return ui.Options{}, nil, err
		}
	}
	session := newProfileSession(path, f, logger)
	opts := ui.Options{
		Logger:   logger.With("component", "ui"),
		Profiles: session.profiles,
		Connect:  session.connect,
	}
	if !f.sandbox {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			logger.Info("no config file; opening the first-run screen", "path", path)
			opts.FirstRun = &ui.FirstRun{ConfigPath: path, Open: session.open, StartSandbox: session.startSandbox}
			return opts, session.close, nil
		}
	}

	f.configPath = path
	t, cleanup, err := resolveTarget(f, logger)
	if err != nil {
		return ui.Options{}, nil, err
	}
	opts.API, opts.Profile, opts.SandboxURL, opts.Warnings = t.api, t.profile, t.sandboxURL, t.warnings
	if t.profile.Sandbox {
		session.setSandbox(t.api, t.profile, t.sandboxURL)
	} else {
		session.remember(t.api, t.profile)
	}
	return opts, func() { session.close(); cleanup() }, nil
}

// loginTarget resolves the realm for login-test, which logs nowhere: its
// output is the report.
func loginTarget(f consoleFlags) (target, func(), error) {
	return resolveTarget(f, slog.New(slog.DiscardHandler))
}

// resolveTarget starts an in-process sandbox on --sandbox, or else loads the
// chosen profile of the config file.
func resolveTarget(f consoleFlags, logger *slog.Logger) (target, func(), error) {
	if f.sandbox {
		return sandboxTarget(f, logger)
	}
	return profileTarget(f, logger)
}

func sandboxTarget(f consoleFlags, logger *slog.Logger) (target, func(), error) {
	sb, api, profile, err := startSandbox(f.identities, f.readOnly, logger)
	if err != nil {
		return target{}, nil, err
	}
	t := target{
		api:        api,
		authBase:   profile.AuthBaseURL,
		profile:    profile,
		sandboxURL: sb.URL(),
		defaultApp: profile.LoginApplicationID,
	}
	return t, func() { sb.Close() }, nil
}

func profileTarget(f consoleFlags, logger *slog.Logger) (target, func(), error) {
	path := f.configPath
	if path == "" {
		var err error
		if path, err = config.DefaultPath(); err != nil {
			return target{}, nil, err
		}
	}
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return target{}, nil, fmt.Errorf("no config file at %s.\n"+
			"  To try the console without an account, run: biadmin --sandbox\n"+
			"  To use a real tenant, run biadmin without arguments to set up a profile, copy config.toml.example there, or run: biadmin profile add --token TOKEN", path)
	}
	if err != nil {
		return target{}, nil, err
	}
	for _, w := range cfg.Warnings {
		logger.Warn("config", "warning", w)
	}

	p, err := cfg.Profile(f.profile)
	if err != nil {
		return target{}, nil, err
	}
	readOnly := f.readOnly || p.ReadOnly
	api, authBase, err := buildProfileClient(context.Background(), p, readOnly, logger)
	if err != nil {
		return target{}, nil, err
	}
	t := target{
		api:        api,
		authBase:   authBase,
		profile:    profileInfo(p, authBase, readOnly),
		defaultApp: p.LoginApplicationID,
		warnings:   cfg.Warnings,
	}
	return t, func() {}, nil
}

// openLog opens the log file under the user's state directory. The console
// owns the terminal, so nothing is ever logged to stdout or stderr.
func openLog(debug bool) (*slog.Logger, string, func(), error) {
	dir, err := config.StateDir()
	if err != nil {
		return nil, "", nil, fmt.Errorf("finding the state directory for the log file: %w", err)
	}
	path := filepath.Join(dir, "biadmin.log")
	file, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, "", nil, fmt.Errorf("opening the log file: %w", err)
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(file, &slog.HandlerOptions{Level: level}))
	return logger, path, func() { file.Close() }, nil
}
