// Command fakebrowser plays the browser for end-to-end tests of the login
// tester: run as $BROWSER with the authorization URL, it loads the sandbox's
// sign-in page, submits the form for the identity the page checked (else
// the first listed), and follows the redirect to the loopback listener. It
// exits 0 once the listener responded 200, so SystemOpener, which waits for
// the command, reports a browser that opened the page.
//
// It talks only to loopback addresses and refuses any other URL.
package main

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"time"
)

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	requestID  = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
	identityID = regexp.MustCompile(`name="identity_id" value="([^"]+)"[^>]*?( checked)?>`)
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fakebrowser URL")
		os.Exit(2)
	}
	if err := signIn(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "fakebrowser:", err)
		os.Exit(1)
	}
}

func signIn(authURL string) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	hc := &http.Client{
		Timeout: 10 * time.Second,
		Jar:     jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			return requireLoopback(req.URL)
		},
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return err
	}
	if err := requireLoopback(u); err != nil {
		return err
	}
	page, err := fetch(hc, http.MethodGet, authURL, nil)
	if err != nil {
		return fmt.Errorf("sign-in page: %w", err)
	}
	action := formAction.FindStringSubmatch(page)
	rid := requestID.FindStringSubmatch(page)
	if action == nil || rid == nil {
		return errors.New("the sign-in page has no form")
	}
	pick := ""
	for _, m := range identityID.FindAllStringSubmatch(page, -1) {
		if pick == "" || m[2] != "" {
			pick = m[1]
		}
	}
	if pick == "" {
		return errors.New("the sign-in page lists no identity")
	}
	target, err := u.Parse(html.UnescapeString(action[1]))
	if err != nil {
		return err
	}
	form := url.Values{"request_id": {html.UnescapeString(rid[1])}, "identity_id": {pick}, "action": {"sign_in"}}
	if _, err := fetch(hc, http.MethodPost, target.String(), form); err != nil {
		return fmt.Errorf("signing in: %w", err)
	}
	return nil
}

// fetch sends the request, follows redirects and returns the body of a
// 200 response.
func fetch(hc *http.Client, method, target string, form url.Values) (string, error) {
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = hc.PostForm(target, form)
	} else {
		resp, err = hc.Get(target)
	}
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		// The query is left out: the redirect's carries the authorization
		// code, and this error reaches the console's screen.
		u := resp.Request.URL
		return "", fmt.Errorf("%s://%s%s responded HTTP %d", u.Scheme, u.Host, u.Path, resp.StatusCode)
	}
	return string(body), nil
}

func requireLoopback(u *url.URL) error {
	ip := net.ParseIP(u.Hostname())
	if u.Scheme != "http" || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing %s://%s: only http to a loopback address", u.Scheme, u.Host)
	}
	return nil
}
