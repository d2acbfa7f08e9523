package client

import (
	"context"
	"errors"
	"iter"
)

// All iterates over every item of a paged list. fetch gets the page for a
// page token ("" for the first). Iteration stops at the first error, which
// is yielded with a zero item, or when ctx is done.
func All[T any](ctx context.Context, fetch func(ctx context.Context, pageToken string) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[string]bool{}
		token := ""
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			page, err := fetch(ctx, token)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if page.NextPageToken == "" {
				return
			}
			// A service that hands out a token twice would loop forever.
			if seen[page.NextPageToken] {
				yield(zero, errors.New("list paging did not advance: the service returned a page token twice"))
				return
			}
			seen[page.NextPageToken] = true
			token = page.NextPageToken
		}
	}
}
