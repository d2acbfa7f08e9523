package ui

import (
	"fmt"
	"testing"
)

// BenchmarkListKeypress measures one cursor-down key press plus the redraw
// of the whole console at 80x24, with 40, 10,000 and 100,000 identities
// loaded. The figures should not grow with the rows loaded.
func BenchmarkListKeypress(b *testing.B) {
	for _, n := range []int{40, 10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			api := newFakeAPI(0)
			r := newTestRoot(b, api, ProfileInfo{Name: "bench"})
			l := r.current().(*identityList)
			rows := make([]identityRow, n)
			for i := range rows {
				rows[i] = newIdentityRow(api.identity(i))
			}
			l.rows, l.total, l.nextToken = rows, n, ""
			l.view.cursor = n / 2
			down := keyMsg("down")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if l.view.cursor >= n-1 {
					l.view.cursor = 0
				}
				// With every row loaded and no next page the key press
				// returns no command, so nothing runs outside the loop.
				r.Update(down)
				_ = r.View()
			}
		})
	}
}
