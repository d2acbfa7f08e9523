package login

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// Opener opens a URL in a browser the user can see.
type Opener interface {
	Open(ctx context.Context, url string) error
}

// OpenerFunc adapts a function to Opener.
type OpenerFunc func(ctx context.Context, url string) error

// Open calls f.
func (f OpenerFunc) Open(ctx context.Context, url string) error { return f(ctx, url) }

// SystemOpener returns the default Opener. It tries each command of the
// colon-separated $BROWSER list until one succeeds, replacing "%s" in a
// command with the URL or else appending the URL. Without $BROWSER it runs
// xdg-open on Linux and the BSDs, or open on macOS. It fails, rather than
// guessing, when there is no display to show a browser on.
func SystemOpener() Opener {
	return OpenerFunc(func(ctx context.Context, url string) error {
		return openSystem(ctx, url, os.Getenv, runtime.GOOS)
	})
}

// openTimeout bounds one opener command. xdg-open and open return once the
// browser has the URL, so a command still running after this is stuck.
const openTimeout = 15 * time.Second

func openSystem(ctx context.Context, url string, getenv func(string) string, goos string) error {
	if env := strings.TrimSpace(getenv("BROWSER")); env != "" {
		var errs []error
		for _, cmd := range strings.Split(env, string(os.PathListSeparator)) {
			fields := strings.Fields(cmd)
			if len(fields) == 0 {
				continue
			}
			args, replaced := fields[1:], false
			for i, a := range args {
				if strings.Contains(a, "%s") {
					args[i] = strings.ReplaceAll(a, "%s", url)
					replaced = true
				}
			}
			if !replaced {
				args = append(args, url)
			}
			err := runOpener(ctx, fields[0], args...)
			if err == nil {
				return nil
			}
			errs = append(errs, err)
		}
		return fmt.Errorf("$BROWSER failed: %w", errors.Join(errs...))
	}
	switch goos {
	case "darwin":
		return runOpener(ctx, "open", url)
	case "windows":
		return runOpener(ctx, "rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
				return errors.New("this is an SSH session without a display, and $BROWSER is not set")
			}
			return errors.New("there is no display (DISPLAY and WAYLAND_DISPLAY are unset) and $BROWSER is not set")
		}
		return runOpener(ctx, "xdg-open", url)
	}
}

func runOpener(ctx context.Context, name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not installed or not on PATH", name)
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return fmt.Errorf("%s failed: %v: %s", name, err, truncate(sanitize(msg), 200))
		}
		return fmt.Errorf("%s failed: %v", name, err)
	}
	return nil
}

// QRCode renders text as a QR code made of half-block characters, two
// modules per character cell, quiet zone included. Spaces are the dark
// modules, so it scans on a dark terminal background; a light theme shows it
// inverted, which some scanners cannot read. It returns an error when the
// text is too long for a QR code.
func QRCode(text string) (string, error) {
	// qrterminal ignores encoding errors and would then panic, so the text
	// is checked with the same encoder first.
	if _, err := qr.Encode(text, qr.L); err != nil {
		return "", fmt.Errorf("encode QR code: %w", err)
	}
	var b strings.Builder
	qrterminal.GenerateWithConfig(text, qrterminal.Config{
		Level:          qr.L,
		Writer:         &b,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	return b.String(), nil
}
