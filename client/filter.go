package client

// Filter is a SCIM filter expression for list calls. The zero value means no
// filter. Build one with the constructors in this package so user input is
// always quoted and escaped.
type Filter struct {
	expr string
}

// String returns the filter expression as sent in the filter query parameter.
func (f Filter) String() string { return f.expr }

// IsZero reports whether no filter is set.
func (f Filter) IsZero() bool { return f.expr == "" }
