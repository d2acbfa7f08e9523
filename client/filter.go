package client

import "strings"

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

// UsernameEquals returns the filter traits.username eq "USERNAME", the only
// identity filter the API documents. Inside the quotes a backslash becomes
// \\ and a double quote \"; every other byte is sent as is (the query string
// encoding takes care of the rest). The service matches usernames without
// regard to case.
func UsernameEquals(username string) Filter {
	var b strings.Builder
	b.Grow(len(username) + 24)
	b.WriteString(`traits.username eq "`)
	for i := 0; i < len(username); i++ {
		switch ch := username[i]; ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return Filter{expr: b.String()}
}
