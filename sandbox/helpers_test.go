package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testClient never follows redirects, so tests can check Location headers.
var testClient = &http.Client{
	Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func startSandbox(t testing.TB, opts Options) *Sandbox {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// response is a fully read HTTP response.
type response struct {
	status int
	header http.Header
	raw    []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.raw, v); err != nil {
		t.Fatalf("decode %s: %v", r.raw, err)
	}
}

func (r response) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// apiError decodes an Error body.
func (r response) apiError(t testing.TB) apiErrorBody {
	t.Helper()
	var e apiErrorBody
	r.decode(t, &e)
	return e
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type            string           `json:"type"`
		FieldViolations []fieldViolation `json:"field_violations"`
		ResourceType    string           `json:"resource_type"`
		ID              string           `json:"id"`
		Description     string           `json:"description"`
		Errors          []struct {
			Description  string
			IDs          []string
			ResourceType string
		} `json:"errors"`
	} `json:"details"`
}

// violation returns the description of the first violation at field.
func (e apiErrorBody) violation(field string) (string, bool) {
	for _, d := range e.Details {
		for _, v := range d.FieldViolations {
			if v.Field == field {
				return v.Description, true
			}
		}
	}
	return "", false
}

// do sends a request with an optional bearer token and JSON body.
func do(t testing.TB, method, rawURL, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, rawURL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

// api is a small management API client bound to the sandbox's demo realm.
type api struct {
	t     testing.TB
	s     *Sandbox
	info  Info
	token string
}

func newAPI(t testing.TB, s *Sandbox) *api {
	info := s.Info()
	return &api{t: t, s: s, info: info, token: info.APIToken}
}

func (a *api) realmURL(path string) string {
	return a.s.URL() + "/v1/tenants/" + a.info.TenantID + "/realms/" + a.info.RealmID + path
}

func (a *api) get(path string) response {
	a.t.Helper()
	return do(a.t, http.MethodGet, a.realmURL(path), a.token, nil)
}

func (a *api) send(method, path string, body any) response {
	a.t.Helper()
	return do(a.t, method, a.realmURL(path), a.token, body)
}

// mustStatus fails the test unless r has the wanted status.
func mustStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.raw)
	}
}

// identityPage is a decoded ListIdentities response.
type identityPage struct {
	Identities    []Identity `json:"identities"`
	TotalSize     int        `json:"total_size"`
	NextPageToken string     `json:"next_page_token"`
}

func (a *api) listIdentities(query url.Values) (identityPage, response) {
	a.t.Helper()
	r := a.get("/identities?" + query.Encode())
	var p identityPage
	if r.status == http.StatusOK {
		r.decode(a.t, &p)
	}
	return p, r
}

func (a *api) createIdentity(username, email string) Identity {
	a.t.Helper()
	traits := map[string]any{"type": "traits_v0", "username": username}
	if email != "" {
		traits["primary_email_address"] = email
	}
	r := a.send(http.MethodPost, "/identities", map[string]any{"identity": map[string]any{"display_name": username, "traits": traits}})
	mustStatus(a.t, r, http.StatusOK)
	var id Identity
	r.decode(a.t, &id)
	return id
}

// createJob creates a binding job and returns the decoded response.
func (a *api) createJob(identityID, delivery, redirect string) (CredentialBindingJob, string, response) {
	a.t.Helper()
	job := map[string]any{"delivery_method": delivery, "authenticator_config_id": a.info.AuthenticatorConfigID}
	if redirect != "" {
		job["post_binding_redirect_uri"] = redirect
	}
	r := a.send(http.MethodPost, "/identities/"+identityID+"/credential-binding-jobs", map[string]any{"job": job})
	var out struct {
		Job  CredentialBindingJob `json:"credential_binding_job"`
		Link string               `json:"credential_binding_link"`
	}
	if r.status == http.StatusOK {
		r.decode(a.t, &out)
	}
	return out.Job, out.Link, r
}

// seededIdentity returns the first seeded identity matching pred.
func seededIdentity(t testing.TB, s *Sandbox, pred func(id *Identity, status string) bool) Identity {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, id := range s.st.identitiesOf(s.st.RealmID) {
		if pred(id, s.st.enrollmentStatus(id.ID, now)) {
			return *id
		}
	}
	t.Fatal("no seeded identity matches")
	return Identity{}
}
