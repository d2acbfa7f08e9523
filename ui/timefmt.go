package ui

import (
	"fmt"
	"time"
)

// relativeTime describes t from now in the largest whole unit, rounded to
// the nearest one, like "3d ago" or "in 7d". Rounding to nearest keeps the
// text steady while a few seconds pass, so an expiry set to "now + 7 days"
// reads "in 7d" and not "in 6d".
func relativeTime(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var amount string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		amount = fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	case d < 36*time.Hour:
		amount = fmt.Sprintf("%dh", int(d.Round(time.Hour)/time.Hour))
	default:
		amount = fmt.Sprintf("%dd", int(d.Round(24*time.Hour)/(24*time.Hour)))
	}
	if future {
		return "in " + amount
	}
	return amount + " ago"
}

// timestampLayout is the format of absolute times. They are always in UTC,
// so two admins in different zones read the same value.
const timestampLayout = "2006-01-02 15:04 UTC"

// absoluteTime draws t in UTC with its relative form after it.
func absoluteTime(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timestampLayout) + " (" + relativeTime(t, now) + ")"
}
