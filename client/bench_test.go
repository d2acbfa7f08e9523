package client

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/biadmin/biadmin/sandbox"
)

// The benchmarks run without the contract middleware: validating every
// 200-identity page against the schema would cost more than the call being
// measured.

func benchSandbox(b *testing.B, identities int) *Client {
	b.Helper()
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Identities: identities})
	if err != nil {
		b.Fatalf("start sandbox: %v", err)
	}
	b.Cleanup(func() { sb.Close() })
	info := sb.Info()
	c, err := New(Options{BaseURL: info.APIBaseURL, TenantID: info.TenantID, RealmID: info.RealmID, Token: StaticToken(info.APIToken)})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkListIdentitiesPage fetches one page of 200 from a realm of
// 100,000 identities.
func BenchmarkListIdentitiesPage(b *testing.B) {
	c := benchSandbox(b, 100_000)
	ctx := benchContext(b)
	for b.Loop() {
		page, err := c.ListIdentities(ctx, ListIdentitiesOptions{ListOptions: ListOptions{PageSize: 200}})
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Items) != 200 {
			b.Fatalf("page has %d identities", len(page.Items))
		}
	}
}

// BenchmarkAllIdentities pages through a realm of 10,000 identities.
func BenchmarkAllIdentities(b *testing.B) {
	c := benchSandbox(b, 10_000)
	ctx := benchContext(b)
	for b.Loop() {
		n := 0
		for _, err := range c.AllIdentities(ctx, Filter{}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10_000 {
			b.Fatalf("iterated %d identities, want 10000", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/50, "µs/page")
}

func benchContext(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	b.Cleanup(cancel)
	return ctx
}

// BenchmarkDecodeIdentitiesPage measures the client's own share of a list
// call: decoding one envelope of 200 identities.
func BenchmarkDecodeIdentitiesPage(b *testing.B) {
	var page bytes.Buffer
	page.WriteString(`{"identities":[`)
	for i := range 200 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"id":"%016x","realm_id":"19a95130480dfa79","tenant_id":"0001f1f460b1ace6","display_name":"User %d","status":"active",`+
			`"traits":{"type":"traits_v0","username":"user%d","primary_email_address":"user%d@example.com"},"enrollment_status":"ENROLLED",`+
			`"create_time":"2022-05-18T18:00:01.167Z","update_time":"2022-05-19T14:23:01.327Z"}`, i, i, i, i)
	}
	page.WriteString(`],"total_size":100000,"next_page_token":"abc"}`)
	data := page.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		body := &listBody[Identity]{key: "identities"}
		if err := body.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
		if len(body.page.Items) != 200 {
			b.Fatalf("decoded %d identities", len(body.page.Items))
		}
	}
}
