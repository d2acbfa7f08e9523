package bulk

import (
	"encoding/csv"
	"io"
)

// csvHeader names the columns of Plan.WriteCSV.
var csvHeader = []string{"identity_id", "username", "email", "status", "enrollment_status", "planned", "skip_reason"}

// WriteCSV writes the plan's target set as CSV with a header row: every
// target (planned "yes") and then every skipped identity (planned "no",
// with the reason). A cell that starts with =, +, -, @, tab or carriage
// return gets a leading apostrophe, so that a spreadsheet shows it as text
// instead of running it as a formula.
func (p *Plan) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	row := func(t Target, planned, reason string) error {
		return cw.Write([]string{
			csvCell(t.IdentityID), csvCell(t.Username), csvCell(t.Email), csvCell(t.Status),
			csvCell(t.EnrollmentStatus), planned, csvCell(reason),
		})
	}
	for _, t := range p.Targets {
		if err := row(t, "yes", ""); err != nil {
			return err
		}
	}
	for _, s := range p.Skipped {
		if err := row(s.Target, "no", s.Reason); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCell defuses CSV formula injection (OWASP): a spreadsheet runs a cell
// that starts with =, +, -, @, tab or carriage return as a formula, so such
// a value gets a leading apostrophe, which spreadsheets show as text.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
