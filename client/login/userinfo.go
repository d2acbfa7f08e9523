package login

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
)

// fetchUserinfo calls the userinfo endpoint with the access token and checks
// that its sub is the ID token's.
func (r *run) fetchUserinfo(ctx context.Context, endpoint, idSub string) {
	st := r.begin(StepUserinfo)
	if endpoint == "" {
		st.finish(StatusSkip, "the discovery document has no userinfo_endpoint")
		return
	}
	if r.report.Tokens.Access.IsZero() {
		st.finish(StatusSkip, "no access token to call userinfo with")
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		st.finish(StatusFail, fmt.Sprintf("build request for %s: %v", endpoint, err))
		return
	}
	req.Header.Set("Authorization", "Bearer "+r.report.Tokens.Access.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		st.finish(StatusFail, fmt.Sprintf("GET %s failed: %v", endpoint, err))
		return
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		st.finish(StatusFail, fmt.Sprintf("read the response from %s: %v", endpoint, err))
		return
	}
	if resp.StatusCode != http.StatusOK {
		st.check("response", StatusFail, describeResponse("userinfo", resp, body, "").Error(), "")
		st.finish("", "")
		return
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/jwt" {
		st.check("response", StatusFail, "the userinfo response is a signed JWT, which the tester does not verify", "")
		st.finish("", "")
		return
	}
	if !isJSON(ct) {
		st.check("response", StatusFail, describeResponse("userinfo", resp, body, "the response is not JSON").Error(), "")
		st.finish("", "")
		return
	}
	claims := map[string]any{}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		st.check("response", StatusFail, describeResponse("userinfo", resp, body, "the JSON does not decode: "+err.Error()).Error(), "")
		st.finish("", "")
		return
	}
	r.report.UserinfoClaims = claims
	st.check("response", StatusPass, fmt.Sprintf("HTTP 200, %s, %d claims", ct, len(claims)), "")

	sub, _ := claims["sub"].(string)
	switch {
	case sub == "":
		st.check("sub", StatusFail, "the userinfo response has no sub", "")
	case idSub == "":
		st.check("sub", StatusSkip, "userinfo sub "+sub+"; the ID token had no sub to compare", "")
	case sub != idSub:
		st.check("sub", StatusFail, fmt.Sprintf("userinfo sub %q differs from the ID token's sub %q", sub, idSub), "")
	default:
		st.check("sub", StatusPass, "userinfo sub matches the ID token's", "")
	}
	st.finish("", "")
}
