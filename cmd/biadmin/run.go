package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `biadmin: a terminal console for Beyond Identity realms

Usage:
  biadmin [flags]                 open the console on a profile from config.toml
  biadmin --sandbox [flags]       open the console on a local sandbox (no account needed)
  biadmin sandbox [flags]         run the sandbox alone; prints its details as one JSON line
  biadmin login-test [flags]      run an application's OIDC sign-in and print the verdict
  biadmin profile add [flags]     add a profile for the tenant and realm a token belongs to
  biadmin version                 print the version

Run "biadmin COMMAND --help" for the flags of a command.

Console flags:
`

// run dispatches to a subcommand and returns the process exit status, so
// tests can drive the whole command without exiting.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "sandbox":
			return runSandbox(args[1:], stdout, stderr)
		case "login-test":
			return runLoginTest(args[1:], stdout, stderr)
		case "profile":
			return runProfile(args[1:], stdout, stderr)
		case "version":
			fmt.Fprintln(stdout, "biadmin", version)
			return 0
		case "help":
			args = []string{"--help"}
		}
	}
	return runConsole(args, stdout, stderr)
}

// parseFlags parses args and maps -h/--help to exit status 0 and any other
// parse error to 2, as the flag package prints its own message.
func parseFlags(fs *flag.FlagSet, args []string) (exit int, ok bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0, false
	}
	if err != nil {
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return 2, false
	}
	return 0, true
}

// interrupted returns a channel closed on SIGINT or SIGTERM.
func interrupted() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}
