package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
)

// pageLimits are one list endpoint's page sizes and parameters.
type pageLimits struct {
	defaultSize, maxSize int
	// skip is false where the spec declares no skip parameter; a skip sent
	// there is ignored like any unknown query parameter.
	skip bool
}

var (
	// standardPages: realms, identities, groups, members, credentials and
	// credential binding jobs.
	standardPages = pageLimits{defaultSize: 20, maxSize: 200, skip: true}
	// applicationPages: ListApplications declares page_size and page_token
	// only.
	applicationPages = pageLimits{defaultSize: 100, maxSize: 100}
	// configPages: authenticator configs and tokens.
	configPages = pageLimits{defaultSize: 100, maxSize: 100}
)

// pageToken is the decoded content of a next_page_token. List binds a token
// to the list it came from (for example "identities:<realm id>").
type pageToken struct {
	List   string `json:"l"`
	Offset int    `json:"o"`
	Size   int    `json:"s"`
	Filter string `json:"f,omitempty"`
}

// pageRequest is the resolved paging of one list request.
type pageRequest struct {
	start  int // index of the first item: skip plus the token's offset
	offset int // the token's offset, without skip
	size   int
	filter string
	list   string
}

// encodePageToken returns base64url(JSON) "." base64url(HMAC-SHA256), so a
// client can neither forge nor edit a token.
func (s *Sandbox) encodePageToken(t pageToken) string {
	body, _ := json.Marshal(t)
	mac := hmac.New(sha256.New, s.st.PageSecret)
	mac.Write(body)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(body) + "." + enc.EncodeToString(mac.Sum(nil)[:16])
}

func (s *Sandbox) decodePageToken(raw string) (pageToken, bool) {
	var t pageToken
	enc := base64.RawURLEncoding
	bodyPart, macPart, ok := strings.Cut(raw, ".")
	if !ok {
		return t, false
	}
	body, err1 := enc.DecodeString(bodyPart)
	sum, err2 := enc.DecodeString(macPart)
	if err1 != nil || err2 != nil {
		return t, false
	}
	mac := hmac.New(sha256.New, s.st.PageSecret)
	mac.Write(body)
	if !hmac.Equal(sum, mac.Sum(nil)[:16]) {
		return t, false
	}
	if json.Unmarshal(body, &t) != nil || t.Offset < 0 || t.Size < 0 {
		return t, false
	}
	return t, true
}

// paging reads page_size, page_token, skip and (when filterable) filter,
// and writes the 400 itself when one is invalid. list names the collection so
// a token from one list is rejected by another.
func (s *Sandbox) paging(rq *apiRequest, limits pageLimits, list string, filterable bool) (pageRequest, bool) {
	q := rq.r.URL.Query()
	p := pageRequest{size: limits.defaultSize, list: list}

	if raw := q.Get("page_size"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			rq.invalid(fieldViolation{Field: "page_size", Description: "invalid page size"})
			return p, false
		}
		if n > 0 {
			p.size = min(n, limits.maxSize)
		}
	}
	skip := 0
	if raw := q.Get("skip"); raw != "" && limits.skip {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			rq.invalid(fieldViolation{Field: "skip", Description: "invalid skip"})
			return p, false
		}
		skip = n
	}
	requestFilter := ""
	if filterable {
		requestFilter = q.Get("filter")
	}
	p.filter = requestFilter

	if raw := q.Get("page_token"); raw != "" {
		t, ok := s.decodePageToken(raw)
		if !ok || t.List != list {
			rq.invalid(fieldViolation{Field: "page_token", Description: "invalid page token"})
			return p, false
		}
		if requestFilter != "" && requestFilter != t.Filter {
			rq.invalid(fieldViolation{Field: "filter", Description: "filter does not match the page token"})
			return p, false
		}
		p.filter = t.Filter
		p.offset = t.Offset
		if q.Get("page_size") == "" && t.Size > 0 {
			p.size = min(t.Size, limits.maxSize)
		}
	}
	p.start = skip + p.offset
	return p, true
}

// page cuts one page out of items (every match, in list order) and returns
// it with the next page token, empty on the last page. With the shuffle
// fault the page comes back in random order.
func page[T any](s *Sandbox, p pageRequest, items []T) ([]T, string) {
	out := []T{}
	if p.start < len(items) {
		end := min(p.start+p.size, len(items))
		out = append(out, items[p.start:end]...)
	}
	next := ""
	if p.start+p.size < len(items) {
		next = s.encodePageToken(pageToken{List: p.list, Offset: p.offset + p.size, Size: p.size, Filter: p.filter})
	}
	if s.faults.shuffle() {
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out, next
}

// listResponse builds the list envelope: {<plural>: [...], total_size,
// next_page_token?}.
func listResponse(plural string, items any, total int, next string) map[string]any {
	m := map[string]any{plural: items, "total_size": total}
	if next != "" {
		m["next_page_token"] = next
	}
	return m
}

// parseUsernameFilter accepts exactly `traits.username eq "<value>"`, where
// the value may escape `"` and `\` with a backslash. The attribute name and
// operator are case-insensitive, as in SCIM (RFC 7644 section 3.4.2.2).
func parseUsernameFilter(f string) (string, bool) {
	f = strings.TrimSpace(f)
	attr, rest, ok := strings.Cut(f, " ")
	if !ok || !strings.EqualFold(attr, "traits.username") {
		return "", false
	}
	rest = strings.TrimLeft(rest, " ")
	op, rest, ok := strings.Cut(rest, " ")
	if !ok || !strings.EqualFold(op, "eq") {
		return "", false
	}
	rest = strings.TrimLeft(rest, " ")
	if len(rest) < 2 || rest[0] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(rest); i++ {
		c := rest[i]
		switch c {
		case '\\':
			if i+1 >= len(rest) || (rest[i+1] != '"' && rest[i+1] != '\\') {
				return "", false
			}
			b.WriteByte(rest[i+1])
			i++
		case '"':
			if strings.TrimSpace(rest[i+1:]) != "" {
				return "", false
			}
			return b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

// badFilter writes the 400 for an unsupported filter expression.
func badFilter(rq *apiRequest) {
	rq.invalid(fieldViolation{Field: "filter", Description: `unsupported filter; only traits.username eq "..." is supported`})
}
