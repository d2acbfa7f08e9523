package login_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/biadmin/biadmin/client/login"
	"github.com/biadmin/biadmin/sandbox"
)

// chromiumPath returns the Chromium binary, or "" when none is installed.
func chromiumPath() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// A real browser completes the sandbox sign-in page while the engine waits
// on its loopback listener.
func TestChromiumCompletesSignIn(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		if os.Getenv("BIADMIN_E2E") == "1" {
			t.Fatal("chromium not installed: apt-get install chromium (BIADMIN_E2E=1 requires this test)")
		}
		t.Skip("chromium not installed: apt-get install chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	h := newHarness(t)
	id := h.enrolledIdentity(t)
	app, redirect := h.addApp(t, sandbox.OIDCApplicationSpec{DisplayName: "Chromium <Test> & App"})

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	var heading, appTitle string
	done := make(chan error, 1)
	opener := login.OpenerFunc(func(_ context.Context, authURL string) error {
		go func() { done <- signInWithChromium(browserCtx, authURL, id.ID, &appTitle, &heading) }()
		return nil
	})
	cfg := h.config(app, redirect, opener)
	cfg.LoginHint = id.Traits.Username
	cfg.ExpectedSubject = id.ID
	r, err := login.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}

	var res runResult
	select {
	case res = <-start(ctx, r, nil):
	case <-ctx.Done():
		t.Fatal("login test with chromium did not finish within 60 s")
	}
	assertPassed(t, res)
	assertCheck(t, res.report, login.StepVerdict, "subject", login.StatusPass, id.ID)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("chromium did not finish the page within 60 s")
	}
	if !strings.Contains(heading, "redirect received") {
		t.Errorf("chromium ended on heading %q, want the listener's result page", heading)
	}
	if appTitle != "Sign in to Chromium <Test> & App" {
		t.Errorf("sign-in page title %q: the application name was not shown verbatim (escaped markup)", appTitle)
	}
}

// signInWithChromium loads the sign-in page, picks the identity, submits,
// and waits for the listener's result page. It writes the sign-in page's
// title and the result page's heading.
func signInWithChromium(ctx context.Context, authURL, identityID string, title, heading *string) error {
	if err := chromedp.Do(ctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID("sign-in")),
	); err != nil {
		return err
	}
	t, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		return err
	}
	*title = t
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("identity-"+identityID)),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(`//h1[contains(., "Login test")]`),
	); err != nil {
		return err
	}
	h, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	*heading = h
	return err
}
