package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// The end-to-end tests drive the built binary in tmux and the sandbox's
// pages in headless Chromium. They skip when a tool is missing, unless
// BIADMIN_E2E=1 (set by CI after installing the tools) makes that a failure.

const (
	// e2eBudget bounds the interactive part of one test; building the binary
	// has its own limit, buildTimeout.
	e2eBudget    = 2 * time.Minute
	buildTimeout = 4 * time.Minute
	// screenTimeout is how long one screen change may take. It is generous
	// because other builds may share a small machine with the test.
	screenTimeout = 30 * time.Second
	// promptExit is how long the console may take to exit after q. It
	// needs well under a second; the rest is slack for a busy machine.
	promptExit = 2 * time.Second
	// exitTimeout bounds the wait for the exit, so a slow exit is measured
	// and reported instead of failing as a timeout.
	exitTimeout = 15 * time.Second
)

// raceBuild is set by e2e_race_test.go when the tests run with -race, so
// the binary under test is built with the race detector too.
var raceBuild bool

// requireTool returns the path of the first candidate found on PATH. When
// none is installed it skips the test, or fails it under BIADMIN_E2E=1.
func requireTool(t *testing.T, tool string, candidates ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode: it builds the binary and drives it in tmux or Chromium")
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed; install the end-to-end tools with: apt-get install tmux chromium", tool)
	if os.Getenv("BIADMIN_E2E") == "1" {
		t.Fatal(msg + " (BIADMIN_E2E=1 requires these tests to run)")
	}
	t.Skip(msg)
	return ""
}

// buildBinary compiles the biadmin command into a temporary directory, with
// the race detector when the test itself runs with it.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "biadmin")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	args = append(args, ".")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("go build did not finish within %v:\n%s", buildTimeout, out)
	}
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// console is the biadmin binary running in a pane of a private tmux server.
type console struct {
	t          *testing.T
	ctx        context.Context
	tmux       string
	socket     string
	socketPath string
	session    string
	env        []string
	stateDir   string
	raceLog    string
	// exitFile receives the program's exit status from the shell that runs
	// it. tmux 3.3a does not always reap a dead pane's process, which
	// leaves #{pane_dead_status} empty, so the test does not rely on it.
	exitFile string
}

// startConsole starts `biadmin args...` in a detached tmux session of
// width x height cells, on a tmux server of its own that t.Cleanup kills.
// HOME and the XDG directories point into temporary directories, so the
// log file and any config stay out of the user's.
func startConsole(ctx context.Context, t *testing.T, tmuxPath, bin string, width, height int, args ...string) *console {
	t.Helper()
	home, state, cfg := t.TempDir(), t.TempDir(), t.TempDir()
	c := &console{
		t:        t,
		ctx:      ctx,
		tmux:     tmuxPath,
		socket:   fmt.Sprintf("biadmin-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()),
		session:  "biadmin",
		stateDir: state,
		raceLog:  filepath.Join(t.TempDir(), "race"),
		exitFile: filepath.Join(t.TempDir(), "exit-status"),
	}
	paneEnv := []string{
		"HOME=" + home,
		"XDG_STATE_HOME=" + state,
		"XDG_CONFIG_HOME=" + cfg,
		"LANG=C.UTF-8",
		// Race reports go to a file: in the pane they would be drawn over
		// by the console and lost. The race runtime's default pause of 1 s
		// at exit, which lets late reports in, is shortened so that it
		// does not count against promptExit.
		"GORACE=atexit_sleep_ms=100 log_path=" + c.raceLog,
	}
	// The tmux client needs a TERM of its own; the pane gets tmux's.
	c.env = append([]string{"TERM=xterm-256color"}, paneEnv...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "TERM", "LANG", "LC_ALL", "GORACE",
			"TMUX", "TMUX_PANE", "BIADMIN_CONFIG", "BIADMIN_PROFILE", "BIADMIN_TOKEN", "NO_COLOR":
			continue
		}
		c.env = append(c.env, kv)
	}

	command := shellQuote(bin)
	for _, a := range args {
		command += " " + shellQuote(a)
	}
	// The rename makes the status appear whole.
	command += fmt.Sprintf("; echo $? >%s.tmp && mv %s.tmp %s", shellQuote(c.exitFile), shellQuote(c.exitFile), shellQuote(c.exitFile))
	// remain-on-exit keeps the pane after the program exits, so the test
	// can read what was left on the screen. It is set before the session
	// exists, so even an immediate exit leaves the pane.
	newSession := []string{"-f", "/dev/null", "start-server", ";",
		"set-option", "-g", "remain-on-exit", "on", ";",
		"new-session", "-d", "-s", c.session, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height)}
	for _, kv := range paneEnv {
		newSession = append(newSession, "-e", kv)
	}
	newSession = append(newSession, command)
	if _, err := c.tmuxCommand(newSession...); err != nil {
		t.Fatalf("start tmux session: %v", err)
	}
	t.Cleanup(func() {
		// The test's context has ended by now, and the server outlives the
		// console because of remain-on-exit, so it is killed on a context
		// of its own. kill-server also hangs up on a console still running.
		c.ctx = context.Background()
		if _, err := c.tmuxCommand("kill-server"); err != nil {
			t.Errorf("tmux kill-server: %v", err)
		}
		// tmux 3.3 leaves the socket file behind after kill-server.
		if c.socketPath != "" {
			os.Remove(c.socketPath)
		}
	})
	out, err := c.tmuxCommand("display-message", "-p", "#{socket_path}")
	if err != nil {
		t.Fatalf("reading the tmux socket path: %v", err)
	}
	c.socketPath = strings.TrimSpace(out)
	return c
}

// shellQuote quotes s for the sh -c that tmux runs the pane's command with.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tmuxCommand runs one tmux client command against the private server.
func (c *console) tmuxCommand(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.tmux, append([]string{"-u", "-L", c.socket}, args...)...)
	cmd.Env = c.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func (c *console) mustTmux(args ...string) string {
	c.t.Helper()
	out, err := c.tmuxCommand(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// screen returns the visible pane as plain text, one line per row.
func (c *console) screen() (string, error) {
	return c.tmuxCommand("capture-pane", "-p", "-t", c.session)
}

// press sends key names as tmux spells them: "Enter", "Escape", "C-s", "q".
func (c *console) press(keys ...string) {
	c.t.Helper()
	c.mustTmux(append([]string{"send-keys", "-t", c.session}, keys...)...)
}

// typeText sends s literally, as if typed.
func (c *console) typeText(s string) {
	c.t.Helper()
	c.mustTmux("send-keys", "-t", c.session, "-l", s)
}

func (c *console) resize(width, height int) {
	c.t.Helper()
	c.mustTmux("resize-window", "-t", c.session, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height))
}

// waitForScreen waits until the screen contains substr and returns it.
func (c *console) waitForScreen(substr string, timeout time.Duration) string {
	c.t.Helper()
	return c.waitFor(fmt.Sprintf("%q on screen", substr), timeout, func(s string) error {
		if !strings.Contains(s, substr) {
			return errors.New("not there yet")
		}
		return nil
	})
}

// waitFor polls the screen until check accepts it. On timeout it fails the
// test with check's last complaint and the last screen.
func (c *console) waitFor(description string, timeout time.Duration, check func(screen string) error) string {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	if d, ok := c.ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var last string
	var lastErr error
	for {
		s, err := c.screen()
		if err == nil {
			last = s
			if lastErr = check(s); lastErr == nil {
				return s
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("waiting for %s: timed out after %v (%v); last screen:\n%s", description, timeout, lastErr, frame(last))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// quit presses q and waits until the program has exited. It fails the test
// unless the exit was prompt and with status 0.
func (c *console) quit() {
	c.t.Helper()
	c.press("q")
	start := time.Now()
	var status []byte
	for {
		var err error
		status, err = os.ReadFile(c.exitFile)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			c.t.Fatalf("reading the exit status: %v", err)
		}
		if time.Since(start) > exitTimeout {
			s, _ := c.screen()
			c.t.Fatalf("the console was still running %v after q; last screen:\n%s", exitTimeout, frame(s))
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	c.t.Logf("the console exited %v after q", took.Round(time.Millisecond))
	if got := strings.TrimSpace(string(status)); got != "0" {
		s, _ := c.screen()
		c.t.Errorf("the console exited with status %s, expected 0; screen:\n%s", got, frame(s))
	}
	if took > promptExit {
		c.t.Errorf("the console took %v to exit after q, expected at most %v", took.Round(time.Millisecond), promptExit)
	}
	c.waitFor("the pane to close", screenTimeout, func(string) error {
		dead, err := c.tmuxCommand("display-message", "-p", "-t", c.session, "#{pane_dead}")
		if err != nil {
			return err
		}
		if strings.TrimSpace(dead) != "1" {
			return errors.New("the pane is still open")
		}
		return nil
	})
	c.checkRaceReports()
}

// checkRaceReports fails the test when the race detector wrote a report.
func (c *console) checkRaceReports() {
	c.t.Helper()
	files, _ := filepath.Glob(c.raceLog + ".*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			c.t.Errorf("reading race report %s: %v", f, err)
			continue
		}
		c.t.Errorf("the race detector reported in the console process:\n%s", data)
	}
}

// logFile returns the console's log file, which must be under the state
// directory the test gave it.
func (c *console) logFile() string {
	c.t.Helper()
	path := filepath.Join(c.stateDir, "biadmin", "biadmin.log")
	data, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatalf("reading the console's log file: %v", err)
	}
	return string(data)
}

// frame draws a screen with a border so blank lines and trailing text show
// in a failure message.
func frame(screen string) string {
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimRight(screen, "\n"), "\n") {
		fmt.Fprintf(&b, "%2d|%s|\n", i+1, line)
	}
	return b.String()
}

var (
	outboxOnScreen = regexp.MustCompile(`Outbox:\s+(http://127\.0\.0\.1:[0-9]+)/_sandbox/outbox\.html`)
	introCount     = regexp.MustCompile(`Sandbox realm with (\d+) identities`)
	positionLine   = regexp.MustCompile(`^(\d+)-(\d+) of (\d+)`)
	identityRow    = regexp.MustCompile(`^[> ] \S+ .*\s(active|suspended)\s+(ENROLLED|PENDING|UNENROLLED|INVITE_FAILED|-)$`)
)

// sandboxURL reads the sandbox origin from the identity list's intro.
func sandboxURL(t *testing.T, screen string) string {
	t.Helper()
	m := outboxOnScreen.FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no outbox address on the first screen:\n%s", frame(screen))
	}
	return m[1]
}

func identityCount(t *testing.T, screen string) int {
	t.Helper()
	m := introCount.FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no identity count in the intro:\n%s", frame(screen))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checkListLayout reports the first thing wrong with the identity list as
// drawn in a width x height window. It rejects a line wider than the
// window, control characters, missing chrome and any row that is not a
// whole identity row, which is how remnants of a wider frame would show.
func checkListLayout(screen string, width, height int) error {
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) > height {
		return fmt.Errorf("%d lines in a window %d high", len(lines), height)
	}

	for i, line := range lines {
		if w := ansi.StringWidth(line); w > width {
			return fmt.Errorf("line %d is %d cells wide in a window %d wide", i+1, w, width)
		}
		if strings.ContainsAny(line, "\x1b\ufffd") || strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 }) {
			return fmt.Errorf("line %d has control characters or U+FFFD: %q", i+1, line)
		}
	}

	if !strings.HasPrefix(lines[0], "biadmin  profile sandbox") || !strings.HasSuffix(lines[0], "[SANDBOX]") {
		return fmt.Errorf("header line is %q", lines[0])
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "1 Identities") {
		return errors.New("tab bar missing on line 2")
	}

	head := -1
	for i, line := range lines {
		if strings.HasPrefix(line, "  USERNAME") && strings.HasSuffix(line, "ENROLLMENT") {
			head = i
			break
		}
	}
	if head < 0 {
		return errors.New("no column header")
	}

	rows, cursors := 0, 0
	i := head + 1
	for ; i < len(lines) && !positionLine.MatchString(lines[i]); i++ {
		if !identityRow.MatchString(lines[i]) {
			return fmt.Errorf("line %d is not an identity row: %q", i+1, lines[i])
		}
		if strings.HasPrefix(lines[i], ">") {
			cursors++
		}
		rows++
	}
	if i == len(lines) {
		return errors.New("no position line (first-last of total) below the rows")
	}

	m := positionLine.FindStringSubmatch(lines[i])
	first, _ := strconv.Atoi(m[1])
	last, _ := strconv.Atoi(m[2])
	if rows != last-first+1 {
		return fmt.Errorf("%d rows drawn but the position line says %q", rows, lines[i])
	}
	if rows < 5 {
		return fmt.Errorf("only %d rows drawn", rows)
	}
	if cursors != 1 {
		return fmt.Errorf("%d rows carry the cursor, expected 1", cursors)
	}

	if help := lines[len(lines)-1]; !strings.Contains(help, "q quit") {
		return fmt.Errorf("last line is %q, expected the key help", help)
	}
	return nil
}

// outboxMessage is one message of GET /_sandbox/outbox.
type outboxMessage struct {
	ID         string    `json:"id"`
	To         string    `json:"to"`
	Subject    string    `json:"subject"`
	Text       string    `json:"text"`
	Link       string    `json:"link"`
	IdentityID string    `json:"identity_id"`
	JobID      string    `json:"job_id"`
	SentTime   time.Time `json:"sent_time"`
}

// fetchOutbox returns every message in the sandbox outbox.
func fetchOutbox(ctx context.Context, t *testing.T, hc *http.Client, base string) []outboxMessage {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_sandbox/outbox", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET outbox: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET outbox: status %d", resp.StatusCode)
	}
	var body struct {
		Messages []outboxMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET outbox: decoding: %v", err)
	}
	return body.Messages
}

// htmlForm is the first form of a page: where and how it submits, and the
// named inputs it sends.
type htmlForm struct {
	method, action string
	fields         url.Values
	buttons        []string
}

var (
	formTag   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputTag  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	buttonTag = regexp.MustCompile(`(?is)<button\b[^>]*>(.*?)</button>`)
	attribute = regexp.MustCompile(`(?s)([a-zA-Z-]+)\s*=\s*"([^"]*)"`)
)

func attributes(tag string) map[string]string {
	attrs := map[string]string{}
	for _, m := range attribute.FindAllStringSubmatch(tag, -1) {
		attrs[strings.ToLower(m[1])] = html.UnescapeString(m[2])
	}
	return attrs
}

// parseForm finds the first form in page. It reads the markup with regular
// expressions, which is enough for the sandbox's own small templates.
func parseForm(page string) (htmlForm, bool) {
	m := formTag.FindStringSubmatch(page)
	if m == nil {
		return htmlForm{}, false
	}
	attrs := attributes(m[1])
	f := htmlForm{method: strings.ToUpper(attrs["method"]), action: attrs["action"], fields: url.Values{}}
	if f.method == "" {
		f.method = http.MethodGet
	}
	for _, in := range inputTag.FindAllStringSubmatch(m[2], -1) {
		a := attributes(in[1])
		if a["name"] != "" {
			f.fields.Add(a["name"], a["value"])
		}
	}
	for _, b := range buttonTag.FindAllStringSubmatch(m[2], -1) {
		f.buttons = append(f.buttons, strings.TrimSpace(html.UnescapeString(b[1])))
	}
	return f, true
}

// completeEnrollmentOverHTTP opens a binding link and submits its page's
// form as a browser would, without following the redirect. It returns the
// form's response.
func completeEnrollmentOverHTTP(ctx context.Context, t *testing.T, hc *http.Client, link, username string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET binding link: %v", err)
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET binding link: reading the page: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET binding link: status %d, page:\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(string(page), username) {
		t.Errorf("the binding page does not name %s:\n%s", username, page)
	}
	form, ok := parseForm(string(page))
	if !ok {
		t.Fatalf("the binding page has no form:\n%s", page)
	}
	if len(form.buttons) != 1 || form.buttons[0] != "Complete enrollment" {
		t.Errorf("form buttons %q, expected one \"Complete enrollment\"", form.buttons)
	}

	base, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	action, err := base.Parse(form.action)
	if err != nil {
		t.Fatalf("form action %q: %v", form.action, err)
	}
	var submit *http.Request
	if form.method == http.MethodPost {
		submit, err = http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.fields.Encode()))
		if err == nil {
			submit.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		action.RawQuery = form.fields.Encode()
		submit, err = http.NewRequestWithContext(ctx, form.method, action.String(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = noRedirect.Do(submit)
	if err != nil {
		t.Fatalf("%s %s: %v", form.method, form.action, err)
	}
	return resp
}

// TestE2EEnrollNewUser creates a user in the console, sends the enrollment
// email, completes the emailed link over HTTP and finds the user ENROLLED.
func TestE2EEnrollNewUser(t *testing.T) {
	tmux := requireTool(t, "tmux", "tmux")
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eBudget)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}

	c := startConsole(ctx, t, tmux, bin, 120, 40, "--sandbox")
	first := c.waitForScreen("Sandbox realm with", screenTimeout)
	sb := sandboxURL(t, first)
	seeded := identityCount(t, first)
	if !strings.Contains(first, "> ") {
		t.Errorf("no row carries the cursor on the first screen:\n%s", frame(first))
	}

	// Create the user.
	username := fmt.Sprintf("e2e.user%d", time.Now().UnixNano()%1_000_000)
	email := username + "@example.com"
	c.press("n")
	c.waitForScreen("Create a user in this realm", screenTimeout)
	c.typeText(username)
	c.press("Tab")
	c.typeText(email)
	c.press("C-s")
	c.waitForScreen("Send the enrollment email to "+email+" now?", screenTimeout)

	// Accept the offer and send EMAIL with the preselected config.
	c.press("y")
	form := c.waitFor("the enrollment form with its authenticator config", screenTimeout, func(s string) error {
		switch {
		case !strings.Contains(s, "Enrollment: "+username):
			return errors.New("not on the enrollment screen")
		case !strings.Contains(s, "[EMAIL]"):
			return errors.New("EMAIL is not the selected delivery")
		case strings.Contains(s, "loading…"):
			return errors.New("still loading")
		}
		return nil
	})
	if !strings.Contains(form, "Hosted Web (hosted_web)") {
		t.Errorf("the sandbox's authenticator config is not preselected:\n%s", frame(form))
	}
	c.press("Enter")
	sent := c.waitForScreen("LINK_SENT", screenTimeout)
	if !strings.Contains(sent, "Sent EMAIL") {
		t.Errorf("no confirmation of the EMAIL send:\n%s", frame(sent))
	}

	// The email is in the outbox.
	var msg *outboxMessage
	msgs := fetchOutbox(ctx, t, hc, sb)
	for i := range msgs {
		if msgs[i].To == email {
			if msg != nil {
				t.Fatalf("more than one outbox message to %s", email)
			}
			msg = &msgs[i]
		}
	}
	if msg == nil {
		t.Fatalf("no outbox message to %s among %d messages", email, len(msgs))
	}
	if msg.Link == "" || !strings.Contains(msg.Text, msg.Link) {
		t.Fatalf("the message to %s carries no binding link: %+v", email, msg)
	}
	token := ""
	if u, err := url.Parse(msg.Link); err == nil {
		token = u.Query().Get("token")
	}
	if token == "" {
		t.Fatalf("the binding link has no token: %s", msg.Link)
	}

	// Complete the enrollment as the user would.
	resp := completeEnrollmentOverHTTP(ctx, t, hc, msg.Link, username)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submitting the binding form: status %d, expected 303", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != sb+"/" {
		t.Errorf("redirect after binding to %q, expected the profile's post-binding URI %q", loc, sb+"/")
	}
	again, err := hc.Get(msg.Link)
	if err != nil {
		t.Fatalf("reopening the used link: %v", err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusGone {
		t.Errorf("reopening the used link: status %d, expected 410", again.StatusCode)
	}

	// Back to the list, refresh, find the user.
	c.press("Escape")
	c.waitFor(fmt.Sprintf("the list with %d identities", seeded+1), screenTimeout, func(s string) error {
		if m := introCount.FindStringSubmatch(s); m == nil || m[1] != strconv.Itoa(seeded+1) {
			return errors.New("the list does not count the new user")
		}
		return nil
	})
	c.press("r")
	// Keys that reach the console in one read arrive as one "r/" key
	// message, which binds to nothing, so "/" is pressed again until the
	// prompt opens.
	for attempt := 1; ; attempt++ {
		c.press("/")
		deadline := time.Now().Add(3 * time.Second)
		opened := false
		for time.Now().Before(deadline) && !opened {
			screen, err := c.screen()
			opened = err == nil && strings.Contains(screen, "Find username:")
			if !opened {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if opened {
			break
		}
		if attempt == 5 {
			c.waitForScreen("Find username:", screenTimeout)
			break
		}
	}
	c.typeText(username)
	c.press("Enter")
	enrolledRow := regexp.MustCompile(`(?m)^> ` + regexp.QuoteMeta(username) + ` .*\sactive\s+ENROLLED\s*$`)
	found := c.waitFor(username+" listed as ENROLLED", screenTimeout, func(s string) error {
		if !enrolledRow.MatchString(s) {
			return errors.New("no selected row of the user with enrollment ENROLLED")
		}
		return nil
	})
	if !strings.Contains(found, fmt.Sprintf("filter: username = %q", username)) {
		t.Errorf("the position line does not show the filter:\n%s", frame(found))
	}
	if !strings.Contains(found, "1-1 of 1") {
		t.Errorf("the filtered list is not one row:\n%s", frame(found))
	}

	// Narrow windows.
	c.press("Escape")
	c.waitForScreen("Sandbox realm with", screenTimeout)
	c.resize(80, 24)
	c.waitFor("the list laid out in 80x24", screenTimeout, func(s string) error { return checkListLayout(s, 80, 24) })
	c.resize(60, 20)
	small := c.waitForScreen("The window is too small (60x20)", screenTimeout)
	if strings.Contains(small, "USERNAME") {
		t.Errorf("the list is drawn in a 60x20 window:\n%s", frame(small))
	}
	c.resize(80, 24)
	c.waitFor("the list laid out in 80x24 again", screenTimeout, func(s string) error { return checkListLayout(s, 80, 24) })

	c.quit()

	log := c.logFile()
	if !strings.Contains(log, "console quit") {
		t.Errorf("the log file does not record the quit:\n%s", log)
	}
	if strings.Contains(log, token) {
		t.Errorf("the log file contains the binding link's token")
	}
	if after, _ := c.screen(); strings.Contains(after, "biadmin:") || strings.Contains(after, "panic") {
		t.Errorf("the console wrote to the terminal on exit:\n%s", frame(after))
	}
}

// TestE2EQuitDuringRequest quits while a slow API request is in flight. The
// console must exit without waiting for the response.
func TestE2EQuitDuringRequest(t *testing.T) {
	tmux := requireTool(t, "tmux", "tmux")
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eBudget)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}

	c := startConsole(ctx, t, tmux, bin, 120, 40, "--sandbox")
	sb := sandboxURL(t, c.waitForScreen("Sandbox realm with", screenTimeout))
	c.waitFor("the tenant and realm names in the header", screenTimeout, func(s string) error {
		if !strings.Contains(s, "realm Demo Realm") || strings.Contains(s, "loading") {
			return errors.New("header still loading")
		}
		return nil
	})

	const latency = 10 * time.Second
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sb+"/_sandbox/faults",
		strings.NewReader(fmt.Sprintf(`{"latency_ms": %d}`, latency.Milliseconds())))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("setting the latency fault: %v", err)
	}
	var faults struct {
		LatencyMS int64 `json:"latency_ms"`
	}
	err = json.NewDecoder(resp.Body).Decode(&faults)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || faults.LatencyMS != latency.Milliseconds() {
		t.Fatalf("setting the latency fault: status %d, latency_ms %d, err %v", resp.StatusCode, faults.LatencyMS, err)
	}

	c.press("r")
	c.waitForScreen("working, esc cancels", screenTimeout)
	c.quit()

	// The in-process sandbox went with the console.
	if resp, err := hc.Get(sb + "/_sandbox/faults"); err == nil {
		resp.Body.Close()
		t.Errorf("the sandbox at %s still answers after the console exited", sb)
	}
}

// TestE2EQuitWithIdleConnection quits while a connection to the sandbox is
// open but has not sent a request yet. Browsers open such connections ahead
// of use, and the console's own HTTP client leaves them behind after
// concurrent requests. They must not hold up the exit.
func TestE2EQuitWithIdleConnection(t *testing.T) {
	tmux := requireTool(t, "tmux", "tmux")
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eBudget)
	defer cancel()

	c := startConsole(ctx, t, tmux, bin, 120, 40, "--sandbox")
	sb := sandboxURL(t, c.waitForScreen("Sandbox realm with", screenTimeout))
	u, err := url.Parse(sb)
	if err != nil {
		t.Fatal(err)
	}
	dialer := net.Dialer{Timeout: 5 * time.Second}
	conn, err := dialer.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		t.Fatalf("connecting to the sandbox: %v", err)
	}
	defer conn.Close()
	// Give the server time to accept the connection, so it is tracked
	// when the console shuts the sandbox down.
	time.Sleep(200 * time.Millisecond)

	c.quit()
}
