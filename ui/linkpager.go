package ui

import (
	"bufio"
	"fmt"
	"io"

	tea "github.com/charmbracelet/bubbletea"
)

// linkPager prints a binding link alone on the plain terminal, outside the
// alternate screen, and waits for Enter. Inside the console a line wider
// than the window is cut, while here the terminal soft-wraps it, and
// terminals copy a soft-wrapped line as one line.
type linkPager struct {
	// heading is the line above the link that names it, without a colon.
	heading string
	link    string
	in      io.Reader
	out     io.Writer
}

func (p *linkPager) SetStdin(r io.Reader)  { p.in = r }
func (p *linkPager) SetStdout(w io.Writer) { p.out = w }
func (p *linkPager) SetStderr(io.Writer)   {}

// Run writes the link and blocks until a line is read from the terminal.
func (p *linkPager) Run() error {
	if p.out == nil || p.in == nil {
		return fmt.Errorf("no terminal to show the link on")
	}
	_, err := fmt.Fprintf(p.out, "\r\n%s (select the whole line to copy it):\r\n\r\n%s\r\n\r\nPress Enter to return to biadmin. ",
		p.heading, p.link)
	if err != nil {
		return err
	}
	_, err = bufio.NewReader(p.in).ReadString('\n')
	if err == io.EOF {
		return nil
	}
	return err
}

// linkShownMsg reports that the console is back after linkPager ran.
type linkShownMsg struct{ err error }

// showLinkAlone hands the terminal to a linkPager for link. The link is
// sanitized first: it came from the API.
func showLinkAlone(link, username string) tea.Cmd {
	return showAlone("Single-use enrollment link for "+sanitize(username), link)
}

// showAlone hands the terminal to a linkPager for link under heading, which
// the caller has made safe. The link is sanitized here.
func showAlone(heading, link string) tea.Cmd {
	p := &linkPager{heading: heading, link: sanitize(link)}
	return tea.Exec(p, func(err error) tea.Msg { return linkShownMsg{err: err} })
}
