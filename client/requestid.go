package client

import "context"

type requestIDKey struct{}

// WithRequestIDRecorder returns a context under which every call stores the
// X-Request-Id of the last response it received into *dst, on success and
// on failure alike. On failure the same id is also in APIError.RequestID;
// this hook exists for successful calls, whose id the typed results do not
// carry. The call writes *dst from the calling goroutine before it returns,
// so the caller may read it after the call without locking. Give each
// concurrent call its own context and string.
func WithRequestIDRecorder(ctx context.Context, dst *string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, dst)
}

// recordRequestID stores id for a caller that asked for it; an empty id
// (no response, or no header) leaves the previous value alone.
func recordRequestID(ctx context.Context, id string) {
	if id == "" {
		return
	}
	if dst, ok := ctx.Value(requestIDKey{}).(*string); ok && dst != nil {
		*dst = id
	}
}
