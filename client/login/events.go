package login

import "time"

// EventKind is the type of an Event.
type EventKind int

// Kinds of Event, in the order a run may send them.
const (
	// EventStepStarted: Step names the stage that began.
	EventStepStarted EventKind = iota + 1
	// EventCheck: Check holds one finished check of Step.
	EventCheck
	// EventStepFinished: Result holds the finished step with its checks and
	// duration.
	EventStepFinished
	// EventAuthorizeURL: URL is the whole authorization URL, sent before the
	// browser is opened so a UI can show or copy it.
	EventAuthorizeURL
	// EventOpenManually: the browser could not be opened. URL is the
	// authorization URL, QRCode the same URL as a text QR code, Message the
	// reason. The user opens the URL elsewhere and may paste the address the
	// browser ends on into Runner.SubmitRedirect.
	EventOpenManually
	// EventWaiting: the run waits for the redirect. Message names where
	// and for how long.
	EventWaiting
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case EventStepStarted:
		return "step_started"
	case EventCheck:
		return "check"
	case EventStepFinished:
		return "step_finished"
	case EventAuthorizeURL:
		return "authorize_url"
	case EventOpenManually:
		return "open_manually"
	case EventWaiting:
		return "waiting"
	}
	return "unknown"
}

// Event is one progress report of a run. Only the fields its Kind names are
// set. Events never carry secrets.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Step    string
	Check   *Check
	Result  *Step
	URL     string
	QRCode  string
	Message string
}
