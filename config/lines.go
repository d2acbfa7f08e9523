package config

import (
	"sort"
	"strconv"
	"strings"
)

// The TOML library reports a line for syntax errors only, so validation
// messages find the line of a key by scanning the source here. The scanner
// runs only on text the TOML library has already accepted. Where it cannot
// follow the syntax it skips to the next line, so a missed key costs a line
// number, never a wrong value.

// sourceIndex maps key paths to the 1-based line that defines them.
type sourceIndex struct {
	keys map[string]int
	// headers are the [table] and [[array]] headers in file order.
	headers []header
}

type header struct {
	path []string
	line int
}

func pathKey(path []string) string { return strings.Join(path, "\x00") }

// line returns the line of path, or of its nearest ancestor that the scanner
// found, or 0.
func (ix *sourceIndex) line(path ...string) int {
	for n := len(path); n > 0; n-- {
		if l, ok := ix.keys[pathKey(path[:n])]; ok {
			return l
		}
	}
	return 0
}

// defines reports whether the scanner found path itself.
func (ix *sourceIndex) defines(path ...string) bool {
	_, ok := ix.keys[pathKey(path)]
	return ok
}

// headerIndex returns the position in ix.headers of the [path] header, or -1.
func (ix *sourceIndex) headerIndex(path ...string) int {
	want := pathKey(path)
	for i, h := range ix.headers {
		if pathKey(h.path) == want {
			return i
		}
	}
	return -1
}

func indexSource(src string) *sourceIndex {
	s := &scanner{src: src, ix: &sourceIndex{keys: map[string]int{}}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	// Skip a byte order mark as the TOML library does, UTF-16 ones included.
	for _, bom := range []string{"\xff\xfe", "\xfe\xff", "\xef\xbb\xbf"} {
		if strings.HasPrefix(src, bom) {
			s.pos = len(bom)
			break
		}
	}
	s.run()
	return s.ix
}

type scanner struct {
	src        string
	pos        int
	lineStarts []int // offsets just after each '\n'
	table      []string
	ix         *sourceIndex
}

func (s *scanner) lineAt(offset int) int {
	return sort.SearchInts(s.lineStarts, offset+1) + 1
}

func (s *scanner) record(path []string, offset int) {
	if len(path) == 0 {
		return
	}
	k := pathKey(path)
	if _, ok := s.ix.keys[k]; !ok {
		s.ix.keys[k] = s.lineAt(offset)
	}
}

func (s *scanner) peek(prefix string) bool { return strings.HasPrefix(s.src[s.pos:], prefix) }

func (s *scanner) run() {
	for s.pos < len(s.src) {
		start := s.pos
		s.skipBlank(true)
		if s.pos >= len(s.src) {
			return
		}
		if s.src[s.pos] == '[' {
			s.header()
		} else {
			s.keyValue(s.table, true)
		}
		s.skipLine()
		if s.pos == start {
			s.pos++
		}
	}
}

// skipBlank skips spaces, tabs and comments, and newlines too when
// newlines is set.
func (s *scanner) skipBlank(newlines bool) {
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.pos++
		case c == '\n' && newlines:
			s.pos++
		case c == '#':
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		default:
			return
		}
	}
}

func (s *scanner) skipLine() {
	for s.pos < len(s.src) && s.src[s.pos] != '\n' {
		s.pos++
	}
}

func (s *scanner) header() {
	start := s.pos
	array := s.peek("[[")
	if array {
		s.pos += 2
	} else {
		s.pos++
	}
	path, ok := s.keyPath()
	if !ok {
		return
	}
	s.skipBlank(false)
	if !s.peek("]") {
		return
	}
	s.table = path
	// [a.b] also defines a when nothing did before.
	for n := 1; n <= len(path); n++ {
		s.record(path[:n], start)
	}
	s.ix.headers = append(s.ix.headers, header{path: path, line: s.lineAt(start)})
}

// keyValue scans `key = value` and records the key under table. When record
// is false (inside an array) the keys are scanned but not recorded, because
// array elements have no key path of their own.
func (s *scanner) keyValue(table []string, record bool) {
	start := s.pos
	path, ok := s.keyPath()
	if !ok {
		return
	}
	s.skipBlank(false)
	if !s.peek("=") {
		return
	}
	s.pos++
	full := append(append([]string{}, table...), path...)
	if record {
		for n := len(table) + 1; n <= len(full); n++ {
			s.record(full[:n], start)
		}
	}
	s.skipBlank(false)
	s.value(full, record)
}

// keyPath scans a dotted key of bare and quoted parts.
func (s *scanner) keyPath() ([]string, bool) {
	var path []string
	for {
		s.skipBlank(false)
		part, ok := s.keyPart()
		if !ok {
			return nil, false
		}
		path = append(path, part)
		s.skipBlank(false)
		if !s.peek(".") {
			return path, true
		}
		s.pos++
	}
}

func (s *scanner) keyPart() (string, bool) {
	if s.pos >= len(s.src) {
		return "", false
	}
	switch s.src[s.pos] {
	case '"':
		raw, ok := s.basicString()
		if !ok {
			return "", false
		}
		return unescape(raw[1 : len(raw)-1]), true
	case '\'':
		end := strings.IndexAny(s.src[s.pos+1:], "'\n")
		if end < 0 || s.src[s.pos+1+end] != '\'' {
			return "", false
		}
		v := s.src[s.pos+1 : s.pos+1+end]
		s.pos += end + 2
		return v, true
	}
	start := s.pos
	for s.pos < len(s.src) && isBareKeyChar(s.src[s.pos]) {
		s.pos++
	}
	return s.src[start:s.pos], s.pos > start
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

var (
	simpleEscapes   = map[byte]rune{'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', 'e': 0x1b, '"': '"', '\\': '\\'}
	hexEscapeWidths = map[byte]int{'x': 2, 'u': 4, 'U': 8}
)

// unescape decodes the escapes of a TOML basic string, including \e and
// \xHH from TOML 1.1. An invalid escape is kept as written, which cannot
// happen in text the TOML library accepted.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		if r, ok := simpleEscapes[s[i]]; ok {
			b.WriteRune(r)
			continue
		}
		width := hexEscapeWidths[s[i]]
		if width > 0 && i+width < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+1+width], 16, 32); err == nil {
				b.WriteRune(rune(n))
				i += width
				continue
			}
		}
		b.WriteByte('\\')
		b.WriteByte(s[i])
	}
	return b.String()
}

// basicString scans a one-line "..." string and returns it with its quotes.
func (s *scanner) basicString() (string, bool) {
	start := s.pos
	for i := s.pos + 1; i < len(s.src); i++ {
		switch s.src[i] {
		case '\\':
			i++
		case '\n':
			return "", false
		case '"':
			s.pos = i + 1
			return s.src[start:s.pos], true
		}
	}
	return "", false
}

// value skips one value, recording the keys of inline tables under path.
func (s *scanner) value(path []string, record bool) {
	if s.pos >= len(s.src) {
		return
	}
	switch {
	case s.peek(`"""`):
		s.multiline(`"""`, true)
	case s.peek(`'''`):
		s.multiline(`'''`, false)
	case s.peek(`"`):
		if _, ok := s.basicString(); !ok {
			s.skipLine()
		}
	case s.peek(`'`):
		end := strings.IndexAny(s.src[s.pos+1:], "'\n")
		if end < 0 {
			s.pos = len(s.src)
		} else {
			s.pos += end + 2
		}
	case s.peek("["):
		s.array()
	case s.peek("{"):
		s.inlineTable(path, record)
	default:
		for s.pos < len(s.src) && !strings.ContainsRune(" \t\r\n,]}#", rune(s.src[s.pos])) {
			s.pos++
		}
	}
}

func (s *scanner) multiline(delim string, escapes bool) {
	s.pos += len(delim)
	for s.pos < len(s.src) {
		if escapes && s.src[s.pos] == '\\' {
			s.pos += 2
			continue
		}
		if s.peek(delim) {
			s.pos += len(delim)
			// Up to two quotes right before the closing delimiter belong to
			// the string: """a""""" is the text a"".
			for n := 0; n < 2 && s.pos < len(s.src) && s.src[s.pos] == delim[0]; n++ {
				s.pos++
			}
			return
		}
		s.pos++
	}
}

func (s *scanner) array() {
	s.pos++
	for s.pos < len(s.src) {
		start := s.pos
		s.skipBlank(true)
		if s.pos >= len(s.src) {
			return
		}
		switch s.src[s.pos] {
		case ']':
			s.pos++
			return
		case ',':
			s.pos++
		default:
			s.value(nil, false)
		}
		if s.pos == start {
			s.pos++
		}
	}
}

func (s *scanner) inlineTable(path []string, record bool) {
	s.pos++
	for s.pos < len(s.src) {
		start := s.pos
		// TOML 1.1 allows newlines inside inline tables.
		s.skipBlank(true)
		if s.pos >= len(s.src) {
			return
		}
		switch s.src[s.pos] {
		case '}':
			s.pos++
			return
		case ',':
			s.pos++
		default:
			s.keyValue(path, record)
		}
		if s.pos == start {
			s.pos++
		}
	}
}
