package login

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
)

// Status is the outcome of a step or check.
type Status string

// Outcomes of a step or check. A skipped check did not apply (an optional
// claim that is absent, a pre-flight without management API access) and does
// not fail the report.
const (
	StatusPass Status = "pass"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Step names, in the order Run performs them.
const (
	StepPreflight = "preflight"
	StepDiscovery = "discovery"
	StepListener  = "listener"
	StepBrowser   = "browser"
	StepCallback  = "callback"
	StepToken     = "token"
	StepIDToken   = "id_token"
	StepUserinfo  = "userinfo"
	StepVerdict   = "verdict"
)

// Check is one pass/fail line inside a step.
type Check struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Detail   string        `json:"detail,omitempty"`
	Fix      string        `json:"fix,omitempty"`
	Duration time.Duration `json:"-"`
}

// Step is one stage of the flow with the checks it made.
type Step struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Detail   string        `json:"detail,omitempty"`
	Duration time.Duration `json:"-"`
	Checks   []Check       `json:"checks,omitempty"`
}

// Report is the outcome of a login test: every step and check in order, the
// decoded claims and the tokens (which print masked).
type Report struct {
	Issuer         string         `json:"issuer,omitempty"`
	ApplicationID  string         `json:"application_id,omitempty"`
	ClientID       string         `json:"client_id,omitempty"`
	RedirectURI    string         `json:"redirect_uri,omitempty"`
	AuthMethod     AuthMethod     `json:"auth_method,omitempty"`
	Scopes         []string       `json:"scopes,omitempty"`
	Started        time.Time      `json:"started"`
	Duration       time.Duration  `json:"-"`
	Steps          []Step         `json:"steps"`
	IDTokenClaims  map[string]any `json:"id_token_claims,omitempty"`
	UserinfoClaims map[string]any `json:"userinfo_claims,omitempty"`
	Tokens         Tokens         `json:"tokens"`
}

// Passed reports whether the flow reached its verdict with no failed step or
// check. Skipped checks do not count against it.
func (r *Report) Passed() bool {
	if r == nil || len(r.Steps) == 0 {
		return false
	}
	reachedVerdict := false
	for _, s := range r.Steps {
		if s.Status == StatusFail {
			return false
		}
		for _, c := range s.Checks {
			if c.Status == StatusFail {
				return false
			}
		}
		if s.Name == StepVerdict {
			reachedVerdict = true
		}
	}
	return reachedVerdict
}

// Failures returns every failed check (and every failed step that has no
// failed check of its own), prefixed with its step name.
func (r *Report) Failures() []string {
	var out []string
	for _, s := range r.Steps {
		failedChecks := 0
		for _, c := range s.Checks {
			if c.Status == StatusFail {
				failedChecks++
				out = append(out, s.Name+"/"+c.Name+": "+c.Detail)
			}
		}
		if s.Status == StatusFail && failedChecks == 0 {
			out = append(out, s.Name+": "+s.Detail)
		}
	}
	return out
}

// Step returns the step with this name, or nil.
func (r *Report) Step(name string) *Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

// Check returns the named check of the named step, or nil.
func (r *Report) Check(step, check string) *Check {
	s := r.Step(step)
	if s == nil {
		return nil
	}
	for i := range s.Checks {
		if s.Checks[i].Name == check {
			return &s.Checks[i]
		}
	}
	return nil
}

// MarshalJSON adds durations in milliseconds and the overall result.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		*plain
		Passed     bool    `json:"passed"`
		DurationMS float64 `json:"duration_ms"`
	}{(*plain)(r), r.Passed(), millis(r.Duration)})
}

// MarshalJSON adds the duration in milliseconds.
func (s Step) MarshalJSON() ([]byte, error) {
	type plain Step
	return json.Marshal(struct {
		plain
		DurationMS float64 `json:"duration_ms"`
	}{plain(s), millis(s.Duration)})
}

// MarshalJSON adds the duration in milliseconds.
func (c Check) MarshalJSON() ([]byte, error) {
	type plain Check
	return json.Marshal(struct {
		plain
		DurationMS float64 `json:"duration_ms"`
	}{plain(c), millis(c.Duration)})
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// RenderText writes the report as plain text for a terminal or a log file:
// one line per step and per check, then the decoded claims. Tokens are shown
// masked. Values that came from the server are stripped of control
// characters, so the output cannot move the cursor or change colours.
func RenderText(w io.Writer, r *Report) error {
	var b strings.Builder
	verdict := "FAILED"
	if r.Passed() {
		verdict = "PASSED"
	}
	fmt.Fprintf(&b, "Login test %s (%s)\n", verdict, r.Duration.Round(time.Millisecond))

	if r.Issuer != "" {
		fmt.Fprintf(&b, "  issuer:       %s\n", sanitize(r.Issuer))
	}
	if r.ClientID != "" {
		fmt.Fprintf(&b, "  client_id:    %s (%s)\n", sanitize(r.ClientID), r.AuthMethod)
	}
	if r.RedirectURI != "" {
		fmt.Fprintf(&b, "  redirect_uri: %s\n", sanitize(r.RedirectURI))
	}
	if len(r.Scopes) > 0 {
		fmt.Fprintf(&b, "  scopes:       %s\n", sanitize(strings.Join(r.Scopes, " ")))
	}
	b.WriteString("\n")

	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%s %-10s %8s  %s\n", statusMark(s.Status), s.Name, s.Duration.Round(time.Millisecond), sanitize(s.Detail))
		for _, c := range s.Checks {
			fmt.Fprintf(&b, "    %s %-16s %s\n", statusMark(c.Status), c.Name, sanitize(c.Detail))
			if c.Fix != "" && c.Status == StatusFail {
				fmt.Fprintf(&b, "         fix: %s\n", sanitize(c.Fix))
			}
		}
	}

	writeClaims(&b, "ID token claims", r.IDTokenClaims)
	writeClaims(&b, "Userinfo claims", r.UserinfoClaims)
	if !r.Tokens.Access.IsZero() || !r.Tokens.ID.IsZero() || !r.Tokens.Refresh.IsZero() {
		b.WriteString("\nTokens (masked)\n")
		fmt.Fprintf(&b, "  access_token:  %s\n", r.Tokens.Access)
		fmt.Fprintf(&b, "  id_token:      %s\n", r.Tokens.ID)
		if !r.Tokens.Refresh.IsZero() {
			fmt.Fprintf(&b, "  refresh_token: %s\n", r.Tokens.Refresh)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeClaims(b *strings.Builder, title string, claims map[string]any) {
	if len(claims) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", title)
	for _, k := range sortedKeys(claims) {
		v, err := json.Marshal(claims[k])
		if err != nil {
			v = []byte(fmt.Sprint(claims[k]))
		}
		fmt.Fprintf(b, "  %-20s %s\n", sanitize(k), sanitize(string(v)))
	}
}

func statusMark(s Status) string {
	switch s {
	case StatusPass:
		return "[PASS]"
	case StatusFail:
		return "[FAIL]"
	default:
		return "[SKIP]"
	}
}

// sanitize replaces control characters (escape sequences included) with a
// visible "?" so server-supplied text cannot drive the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return '?'
		}
		return r
	}, s)
}
