package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/biadmin/biadmin/client"
)

// styles is every lipgloss style the console draws with. Screens take their
// styles from here so a theme change or NO_COLOR touches one file.
type styles struct {
	App        lipgloss.Style
	Profile    lipgloss.Style
	HeaderDim  lipgloss.Style
	Sandbox    lipgloss.Style
	ReadOnly   lipgloss.Style
	Production lipgloss.Style

	TabActive   lipgloss.Style
	TabInactive lipgloss.Style

	Title      lipgloss.Style
	Label      lipgloss.Style
	Dim        lipgloss.Style
	ColumnHead lipgloss.Style
	Selected   lipgloss.Style
	Hint       lipgloss.Style
	FieldError lipgloss.Style
	Focused    lipgloss.Style
	Secret     lipgloss.Style

	FlashInfo    lipgloss.Style
	FlashSuccess lipgloss.Style
	FlashError   lipgloss.Style
	FlashWarn    lipgloss.Style

	Good    lipgloss.Style
	Warn    lipgloss.Style
	Bad     lipgloss.Style
	Neutral lipgloss.Style

	Spinner lipgloss.Style
	Help    help.Styles

	noColor bool
}

// Adaptive colours pick the light or dark variant from the terminal's
// background, so text stays readable on both.
var (
	colorAccent  = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#B9A6FF"}
	colorDim     = lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	colorGood    = lipgloss.AdaptiveColor{Light: "#1E7B34", Dark: "#5FD37A"}
	colorWarn    = lipgloss.AdaptiveColor{Light: "#8A5A00", Dark: "#F2C14E"}
	colorBad     = lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"}
	colorOnBad   = lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#FFFFFF"}
	colorBadBg   = lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#B3261E"}
	colorSandbox = lipgloss.AdaptiveColor{Light: "#00606B", Dark: "#4FD1E0"}
	colorSelBg   = lipgloss.AdaptiveColor{Light: "#E4DDFB", Dark: "#3B3363"}
)

// newStyles builds the console's styles. With noColor set (NO_COLOR in the
// environment) every style keeps only bold, underline and reverse, so badges
// and the selected row stay visible without any colour.
func newStyles(noColor bool) *styles {
	base := lipgloss.NewStyle()
	fg := func(c lipgloss.AdaptiveColor) lipgloss.Style {
		if noColor {
			return base
		}
		return base.Foreground(c)
	}

	s := &styles{
		App:        fg(colorAccent).Bold(true),
		Profile:    base.Bold(true),
		HeaderDim:  fg(colorDim),
		Sandbox:    fg(colorSandbox).Bold(true),
		ReadOnly:   fg(colorWarn).Bold(true),
		Production: base.Bold(true).Reverse(noColor),

		TabActive:   fg(colorAccent).Bold(true).Underline(true),
		TabInactive: fg(colorDim),

		Title:      fg(colorAccent).Bold(true),
		Label:      fg(colorDim),
		Dim:        fg(colorDim),
		ColumnHead: base.Bold(true).Underline(true),
		Selected:   base.Reverse(noColor),
		Hint:       fg(colorDim),
		FieldError: fg(colorBad),
		Focused:    fg(colorAccent).Bold(true),
		Secret:     fg(colorWarn),

		FlashInfo:    fg(colorDim),
		FlashSuccess: fg(colorGood),
		FlashError:   fg(colorBad).Bold(true),
		FlashWarn:    fg(colorWarn).Bold(true),

		Good:    fg(colorGood),
		Warn:    fg(colorWarn),
		Bad:     fg(colorBad),
		Neutral: fg(colorDim),

		Spinner: fg(colorAccent),

		noColor: noColor,
	}
	if !noColor {
		s.Production = s.Production.Foreground(colorOnBad).Background(colorBadBg)
		s.Selected = s.Selected.Background(colorSelBg)
	}

	h := help.New().Styles
	if noColor {
		h = help.Styles{
			Ellipsis: base, ShortKey: base.Bold(true), ShortDesc: base, ShortSeparator: base,
			FullKey: base.Bold(true), FullDesc: base, FullSeparator: base,
		}
	}
	s.Help = h
	return s
}

// colorProgress fills progress bars. progress.Model takes one colour, not
// an adaptive pair, so this one is readable on light and dark backgrounds.
const colorProgress = "#7B61D9"

// newProgressBar returns a progress bar without percentage in the console's
// colour, or in plain characters under NO_COLOR.
func (s *styles) newProgressBar() progress.Model {
	if s.noColor {
		return progress.New(progress.WithoutPercentage(), progress.WithColorProfile(termenv.Ascii),
			progress.WithFillCharacters('#', '.'))
	}
	return progress.New(progress.WithoutPercentage(), progress.WithSolidFill(colorProgress))
}

// enrollmentStyle colours an identity's enrollment status.
func (s *styles) enrollmentStyle(status string) lipgloss.Style {
	switch status {
	case client.EnrollmentEnrolled:
		return s.Good
	case client.EnrollmentPending:
		return s.Warn
	case client.EnrollmentInviteFailed:
		return s.Bad
	default:
		return s.Neutral
	}
}

// identityStatusStyle colours an identity's status.
func (s *styles) identityStatusStyle(status string) lipgloss.Style {
	if status == client.StatusSuspended {
		return s.Bad
	}
	return lipgloss.NewStyle()
}

// jobStateStyle colours a credential binding job state.
func (s *styles) jobStateStyle(state string) lipgloss.Style {
	switch {
	case state == client.JobComplete:
		return s.Good
	case client.JobLive(state):
		return s.Warn
	case state == client.JobFailedToSend:
		return s.Bad
	default:
		return s.Neutral
	}
}
