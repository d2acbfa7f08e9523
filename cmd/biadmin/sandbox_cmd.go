package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/biadmin/biadmin/sandbox"
)

// runSandbox serves the sandbox until interrupted. Its first and only line
// on stdout is the JSON a script needs to point a profile or a test at it.
func runSandbox(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("biadmin sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8787", "listen `address`; port 0 picks a free port; loopback only")
	data := fs.String("data", "", "save the sandbox state to this JSON `file` and reload it on the next start")
	identities := fs.Int("identities", 0, "number of demo identities to seed (default about 40)")
	verbose := fs.Bool("v", false, "log each request to stderr")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := requireLoopback(*addr); err != nil {
		fmt.Fprintln(stderr, "biadmin sandbox:", err)
		return 2
	}

	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	sb, err := sandbox.Start(sandbox.Options{Addr: *addr, DataFile: *data, Identities: *identities, Logger: logger})
	if err != nil {
		// Start's errors already begin with "sandbox:".
		fmt.Fprintln(stderr, "biadmin", err)
		return 1
	}
	defer sb.Close()

	line, err := json.Marshal(sb.Info())
	if err != nil {
		fmt.Fprintln(stderr, "biadmin sandbox:", err)
		return 1
	}
	fmt.Fprintln(stdout, string(line))
	fmt.Fprintf(stderr, "sandbox serving at %s (outbox: %s/_sandbox/outbox.html); press ctrl+c to stop\n", sb.URL(), sb.URL())

	sig, stop := interrupted()
	defer stop()
	<-sig
	if err := sb.Close(); err != nil {
		fmt.Fprintln(stderr, "biadmin sandbox:", err)
		return 1
	}
	return 0
}
