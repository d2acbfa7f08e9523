package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestNoColorStylesHaveNoColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })

	colored := newStyles(false).FlashError.Render("failed")
	if !strings.Contains(colored, "38;2;") {
		t.Fatalf("colour styles render %q, want a true-colour foreground", colored)
	}
	plain := newStyles(true)
	for name, s := range map[string]lipgloss.Style{
		"FlashError": plain.FlashError, "Production": plain.Production, "Selected": plain.Selected,
		"Sandbox": plain.Sandbox, "Good": plain.Good,
	} {
		out := s.Render("text")
		if strings.Contains(out, "38;") || strings.Contains(out, "48;") {
			t.Errorf("NO_COLOR style %s renders %q with a colour", name, out)
		}
	}
	if out := plain.Production.Render("PRODUCTION"); !strings.Contains(out, "\x1b[") {
		t.Errorf("NO_COLOR production banner %q has no emphasis at all", out)
	}
}

func TestLinkPagerPrintsLinkOnOneLine(t *testing.T) {
	link := "http://127.0.0.1:1/v1/tenants/t/realms/r/identities/i/credential-binding-jobs/j:invokeAuthenticator?token=abc"
	var out bytes.Buffer
	p := &linkPager{heading: "Single-use enrollment link for alice", link: link}
	p.SetStdin(strings.NewReader("\n"))
	p.SetStdout(&out)
	if err := p.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	lines := strings.Split(out.String(), "\r\n")
	found := false
	for _, line := range lines {
		if line == link {
			found = true
		}
	}
	if !found {
		t.Errorf("output has no line that is exactly the link:\n%q", out.String())
	}
}
