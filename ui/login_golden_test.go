package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/biadmin/biadmin/sandbox"
)

// The login tester's golden files contain its view at the end of a test
// against a fresh sandbox. The console's clock is fixed at the sandbox's
// start, so every step takes "0ms". Values that differ per run are masked
// with placeholders of the same width, besides those maskView masks. They
// are the test application's id and client_id (also where cut short or
// quoted in part), signing key ids, NumericDate claims, the jti and nonce
// claims, the spinner's frame and the redirect deadline's time of day.

var (
	maskSpinner   = regexp.MustCompile(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]`)
	maskUnixTime  = regexp.MustCompile(`\b\d{10}\b`)
	maskClock     = regexp.MustCompile(`\b\d{2}:\d{2}:\d{2}\b`)
	maskKeyID     = regexp.MustCompile(`(\d+ keys? \(|with key ")([A-Za-z0-9_-]+)`)
	maskClaimLine = regexp.MustCompile(`(?m)^(  (?:jti|nonce)\s+)(\S+)`)
)

// xs returns a placeholder as wide as s.
func xs(s string) string { return strings.Repeat("x", len(s)) }

// maskLoginView masks view for a golden file; random are the values the
// sandbox generated for this run.
func maskLoginView(view string, random ...string) string {
	view = maskView(view)
	for _, v := range random {
		// Longest prefix first, so a value cut short with "…", or quoted
		// by its first characters, is masked in full. Prefixes shorter
		// than 4 characters are left alone, because a fixed word cut to
		// "r…" would match a random value that happens to start with r.
		for k := len(v); k >= 4; k-- {
			cut := regexp.MustCompile(`([/ ("])` + regexp.QuoteMeta(v[:k]) + `…`)
			view = cut.ReplaceAllString(view, "${1}"+xs(v[:k])+"…")
		}
		for k := len(v); k >= 6; k-- {
			view = strings.ReplaceAll(view, v[:k], xs(v[:k]))
		}
	}
	view = maskSpinner.ReplaceAllString(view, "⠋")
	view = maskUnixTime.ReplaceAllString(view, "NNNNNNNNNN")
	view = maskClock.ReplaceAllString(view, "hh:mm:ss")
	view = maskKeyID.ReplaceAllStringFunc(view, func(s string) string {
		m := maskKeyID.FindStringSubmatch(s)
		return m[1] + xs(m[2])
	})
	return maskClaimLine.ReplaceAllStringFunc(view, func(s string) string {
		m := maskClaimLine.FindStringSubmatch(s)
		return m[1] + xs(m[2])
	})
}

// waitForPattern waits until the output since the last wait matches re.
func waitForPattern(t *testing.T, tm *teatest.TestModel, re *regexp.Regexp) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), re.Match,
		teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func TestLoginGolden(t *testing.T) {
	browserRunning := regexp.MustCompile(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] browser`)
	cases := []struct {
		name string
		// prepare sets up the browser and the sandbox before the start.
		prepare func(b *testBrowser, sb *sandbox.Sandbox)
		// run drives the tester from its settings screen.
		run func(t *testing.T, tm *teatest.TestModel)
	}{
		{
			name: "setup",
			run:  func(*testing.T, *teatest.TestModel) {},
		},
		{
			name: "running",
			// The browser step stays in progress: the browser waits for
			// a release that comes only when the test ends.
			prepare: func(b *testBrowser, _ *sandbox.Sandbox) { b.release = make(chan struct{}) },
			run: func(t *testing.T, tm *teatest.TestModel) {
				tm.Send(keyMsg("enter"))
				waitForPattern(t, tm, browserRunning)
			},
		},
		{
			name: "passed",
			run: func(t *testing.T, tm *teatest.TestModel) {
				tm.Send(keyMsg("enter"))
				waitForText(t, tm, "PASSED")
			},
		},
		{
			name: "failed",
			prepare: func(_ *testBrowser, sb *sandbox.Sandbox) {
				sb.OIDCFaults().Set(sandbox.OIDCFaultSettings{WrongAudience: true})
			},
			run: func(t *testing.T, tm *teatest.TestModel) {
				tm.Send(keyMsg("enter"))
				waitForText(t, tm, "FAILED")
			},
		},
	}
	for _, tc := range cases {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				browser := newTestBrowser()
				start := time.Now()
				lc := newLoginConsole(t, browser, func() time.Time { return start })
				if tc.prepare != nil {
					tc.prepare(browser, lc.sb)
				}
				tm := teatest.NewTestModel(t, lc.r, teatest.WithInitialTermSize(size[0], size[1]))
				waitForText(t, tm, "Demo Realm", "Sandbox Tenant")
				tm.Send(keyMsg(lc.tabKey))
				waitForText(t, tm, "Test App (default)")
				tc.run(t, tm)

				tm.Send(tea.Quit())
				final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*root)
				random := []string{lc.app.ID, lc.app.ProtocolConfig.ClientID}
				view := maskLoginView(final.View(), random...)
				if strings.Contains(view, "eyJ") {
					t.Fatalf("a token is on screen unmasked:\n%s", view)
				}
				golden.RequireEqual(t, []byte(view))
			})
		}
	}
}
