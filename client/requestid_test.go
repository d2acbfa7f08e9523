package client

import (
	"errors"
	"testing"
)

func TestRequestIDRecorder(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)

	var okID string
	if _, err := env.client.GetRealm(WithRequestIDRecorder(ctx, &okID)); err != nil {
		t.Fatalf("GetRealm: %v", err)
	}
	if len(okID) != 32 {
		t.Errorf("request id after success = %q, want the sandbox's 32-character X-Request-Id", okID)
	}

	var failID string
	_, err := env.client.GetIdentity(WithRequestIDRecorder(ctx, &failID), "0000000000000000")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("GetIdentity of an unknown id: err = %v, want an *APIError", err)
	}
	if failID == "" || failID != apiErr.RequestID {
		t.Errorf("request id after failure = %q, APIError.RequestID = %q; want them equal and set", failID, apiErr.RequestID)
	}
	if failID == okID {
		t.Errorf("both calls recorded request id %q; each response has its own", okID)
	}

	// A context without the recorder must not panic or record anywhere.
	if _, err := env.client.GetRealm(ctx); err != nil {
		t.Fatalf("GetRealm without recorder: %v", err)
	}
}
