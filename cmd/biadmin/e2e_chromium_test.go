package main_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/sandbox"
)

// browserStepTimeout bounds one browser step: a navigation, a click and the
// page it loads, or a query.
const browserStepTimeout = 30 * time.Second

// startChromium starts headless Chromium with a fresh profile and returns a
// context for its first tab. The browser stops when ctx ends.
func startChromium(ctx context.Context, t *testing.T, path string) context.Context {
	t.Helper()
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
		chromedp.WindowSize(1024, 768),
	)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// The first run starts the browser. It runs on the tab's own context,
	// because the end of a step's shorter context would stop the browser.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return browserCtx
}

// browserStep runs one action on the tab with its own time limit.
func browserStep[T any](t *testing.T, tab context.Context, description string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", description, err)
	}
	return v
}

// pageLoad is the HTTP status and final URL of a page the browser loaded.
type pageLoad struct {
	status int64
	url    string
}

// browserNavigation runs steps that load a page, waits for it and returns
// the status and URL of the page's response.
func browserNavigation(t *testing.T, tab context.Context, description string, steps ...chromedp.Action[chromedp.Void]) pageLoad {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", description, err)
	}
	return pageLoad{status: resp.Status, url: resp.URL}
}

// browserOpen loads url in the tab as if typed in the address bar.
func browserOpen(t *testing.T, tab context.Context, description, url string) pageLoad {
	t.Helper()
	resp := browserStep(t, tab, description, chromedp.NavigateResponse(url))
	return pageLoad{status: resp.Status, url: resp.URL}
}

// screenshotDir is where page screenshots go: $BIADMIN_E2E_ARTIFACTS when
// set, so CI can keep them, else a directory removed after the test.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("BIADMIN_E2E_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("creating BIADMIN_E2E_ARTIFACTS: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// TestE2EBindingPageInChromium follows an enrollment email's link from the
// sandbox outbox in a real browser, completes enrollment on the hosted page
// and checks the redirect, the API state and the link's single use.
func TestE2EBindingPageInChromium(t *testing.T) {
	chromium := requireTool(t, "chromium", "/usr/bin/chromium", "chromium", "chromium-browser")
	ctx, cancel := context.WithTimeout(context.Background(), e2eBudget)
	defer cancel()

	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	info := sb.Info()
	api, err := client.New(client.Options{
		BaseURL:  info.APIBaseURL,
		TenantID: info.TenantID,
		RealmID:  info.RealmID,
		Token:    client.StaticToken(info.APIToken),
	})
	if err != nil {
		t.Fatal(err)
	}

	// The post-binding redirect URI: a page of the test that records the
	// browser's arrival.
	arrivals := make(chan string, 4)
	landing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrivals <- r.Method + " " + r.URL.RequestURI():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Welcome</title><h1 id="landed">Enrolled, welcome back</h1>`)
	}))
	t.Cleanup(landing.Close)
	redirectURI := landing.URL + "/after-binding?from=sandbox"

	username := "chromium.e2e"
	email := username + "@example.com"
	ident, err := api.CreateIdentity(ctx, client.IdentityCreate{
		DisplayName: "Chromium Test",
		Traits:      client.Traits{Type: client.TraitsTypeV0, Username: username, PrimaryEmailAddress: email},
	})
	if err != nil {
		t.Fatalf("creating the identity: %v", err)
	}
	created, err := api.CreateCredentialBindingJob(ctx, ident.ID, client.CredentialBindingJobCreate{
		DeliveryMethod:         client.DeliveryEmail,
		AuthenticatorConfigID:  info.AuthenticatorConfigID,
		PostBindingRedirectURI: redirectURI,
	})
	if err != nil {
		t.Fatalf("creating the EMAIL binding job: %v", err)
	}
	job := created.Job
	if job.State != client.JobLinkSent || created.Link != "" {
		t.Fatalf("EMAIL job: state %s, link returned %t; expected LINK_SENT and no link", job.State, created.Link != "")
	}

	hc := &http.Client{Timeout: 10 * time.Second}
	var link string
	for _, m := range fetchOutbox(ctx, t, hc, sb.URL()) {
		if m.JobID == job.ID {
			link = m.Link
		}
	}
	if link == "" {
		t.Fatalf("no outbox message for job %s", job.ID)
	}

	tab := startChromium(ctx, t, chromium)

	// The outbox view lists the message with its link.
	load := browserOpen(t, tab, "opening the outbox", sb.URL()+"/_sandbox/outbox.html")
	if load.status != http.StatusOK {
		t.Fatalf("outbox page: status %d", load.status)
	}
	if title := browserStep(t, tab, "reading the outbox title", chromedp.Title()); title != "Sandbox outbox" {
		t.Errorf("outbox page title %q", title)
	}
	row := chromedp.Search(fmt.Sprintf(`//tr[td[2][normalize-space()=%q]]//a`, email))
	href := browserStep(t, tab, "finding the message to "+email, chromedp.AttributeValue(row, "href"))
	if href.Value != link {
		t.Errorf("the outbox row links to %q, expected the message's link", href.Value)
	}

	// Following the link shows the binding page.
	load = browserNavigation(t, tab, "following the binding link", chromedp.Click(row))
	if load.status != http.StatusOK || load.url != link {
		t.Fatalf("binding page: status %d at %s, expected 200 at the link", load.status, load.url)
	}
	if title := browserStep(t, tab, "reading the page title", chromedp.Title()); title != "Set up your passkey" {
		t.Errorf("binding page title %q", title)
	}
	text := browserStep(t, tab, "reading the binding page", chromedp.Text(chromedp.CSS("body")))
	for _, want := range []string{"Hello Chromium Test.", username, "Demo Realm", "The link works once"} {
		if !strings.Contains(text, want) {
			t.Errorf("the binding page does not say %q; it reads:\n%s", want, text)
		}
	}
	shot := browserStep(t, tab, "taking a screenshot", chromedp.FullScreenshot(100))
	shotPath := filepath.Join(screenshotDir(t), "binding-page.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("binding page screenshot: %s", shotPath)
	if got, err := api.GetCredentialBindingJob(ctx, ident.ID, job.ID); err != nil {
		t.Fatalf("reading the job: %v", err)
	} else if got.State != client.JobLinkOpened {
		t.Errorf("job state %s after the page opened, expected %s", got.State, client.JobLinkOpened)
	}

	// The button completes enrollment and lands on the redirect URI.
	load = browserNavigation(t, tab, "clicking Complete enrollment",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Complete enrollment"]`)))
	if load.status != http.StatusOK || load.url != redirectURI {
		t.Errorf("after the button: status %d at %s, expected 200 at %s", load.status, load.url, redirectURI)
	}
	select {
	case got := <-arrivals:
		if want := "GET /after-binding?from=sandbox"; got != want {
			t.Errorf("the redirect URI received %q, expected %q", got, want)
		}
	case <-time.After(browserStepTimeout):
		t.Fatal("the browser never reached the post-binding redirect URI")
	}
	if loc := browserStep(t, tab, "reading the location", chromedp.Location()); loc != redirectURI {
		t.Errorf("the browser is at %s, expected %s", loc, redirectURI)
	}
	browserStep(t, tab, "waiting for the landing page", chromedp.WaitVisible(chromedp.ID("landed")))

	// The API agrees.
	got, err := api.GetIdentity(ctx, ident.ID)
	if err != nil {
		t.Fatalf("reading the identity: %v", err)
	}
	if got.EnrollmentStatus != client.EnrollmentEnrolled {
		t.Errorf("enrollment status %q after binding, expected %s", got.EnrollmentStatus, client.EnrollmentEnrolled)
	}
	done, err := api.GetCredentialBindingJob(ctx, ident.ID, job.ID)
	if err != nil {
		t.Fatalf("reading the job: %v", err)
	}
	if done.State != client.JobComplete || done.CredentialID == "" {
		t.Fatalf("job state %s with credential %q, expected COMPLETE with a credential", done.State, done.CredentialID)
	}
	cred, err := api.GetCredential(ctx, ident.ID, done.CredentialID)
	if err != nil {
		t.Fatalf("reading the credential: %v", err)
	}
	if cred.State != client.CredentialActive {
		t.Errorf("credential state %s, expected %s", cred.State, client.CredentialActive)
	}

	// The link works once.
	load = browserOpen(t, tab, "opening the used link", link)
	if load.status != http.StatusGone {
		t.Errorf("used link: status %d, expected 410", load.status)
	}
	heading := browserStep(t, tab, "reading the used-link page", chromedp.Text(chromedp.CSS("h1")))
	if heading != "Enrollment link not usable" {
		t.Errorf("used link page heading %q", heading)
	}
	text = browserStep(t, tab, "reading the used-link page", chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(text, "already used") {
		t.Errorf("the used link page does not say the link was used:\n%s", text)
	}
	if n := browserStep(t, tab, "looking for the button", chromedp.Evaluate[int](`document.querySelectorAll("button").length`)); n != 0 {
		t.Errorf("the used link page still offers %d button(s)", n)
	}
}
