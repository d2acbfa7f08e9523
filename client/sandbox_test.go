package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biadmin/biadmin/sandbox"
)

// These tests run the client against the sandbox over HTTP on loopback,
// with every exchange checked against the API subset (see contract_test.go).

type sandboxEnv struct {
	sb       *sandbox.Sandbox
	info     sandbox.Info
	client   *Client
	contract *contract
	sleeps   *sleepRecorder
}

// startSandbox starts a sandbox seeded with identities (0: the default)
// behind the contract middleware, and a client with every scope.
func startSandbox(t testing.TB, identities int) *sandboxEnv {
	t.Helper()
	ct := newContract(t)
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Identities: identities, Middleware: ct.middleware})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	info := sb.Info()
	env := &sandboxEnv{sb: sb, info: info, contract: ct}
	env.client, env.sleeps = env.newClient(t, StaticToken(info.APIToken))
	return env
}

func (e *sandboxEnv) newClient(t testing.TB, token TokenSource) (*Client, *sleepRecorder) {
	t.Helper()
	c, err := New(Options{BaseURL: e.info.APIBaseURL, TenantID: e.info.TenantID, RealmID: e.info.RealmID, Token: token})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rec := &sleepRecorder{}
	c.sleep = rec.sleep
	return c, rec
}

// createIdentity creates a test identity with a unique username.
func (e *sandboxEnv) createIdentity(t *testing.T, ctx context.Context, username, email string) *Identity {
	t.Helper()
	id, err := e.client.CreateIdentity(ctx, IdentityCreate{
		DisplayName: "Test " + username,
		Traits:      Traits{Username: username, PrimaryEmailAddress: email},
	})
	if err != nil {
		t.Fatalf("CreateIdentity(%s): %v", username, err)
	}
	return id
}

func TestSandboxTenantAndRealm(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client

	tenant, err := c.GetTenant(ctx)
	if err != nil {
		t.Fatalf("GetTenant: %v", err)
	}
	if tenant.ID != env.info.TenantID || tenant.DisplayName == "" || tenant.CreateTime.IsZero() {
		t.Errorf("tenant = %+v", tenant)
	}

	realm, err := c.GetRealm(ctx)
	if err != nil {
		t.Fatalf("GetRealm: %v", err)
	}
	if realm.ID != env.info.RealmID || realm.TenantID != env.info.TenantID {
		t.Errorf("realm = %+v", realm)
	}

	name := "Renamed Demo Realm"
	updated, err := c.UpdateRealm(ctx, RealmPatch{DisplayName: &name})
	if err != nil {
		t.Fatalf("UpdateRealm: %v", err)
	}
	if updated.DisplayName != name || !updated.UpdateTime.After(realm.UpdateTime) {
		t.Errorf("updated realm = %+v, before %+v", updated, realm)
	}
	again, err := c.GetRealm(ctx)
	if err != nil || again.DisplayName != name {
		t.Errorf("GetRealm after update = %+v, %v", again, err)
	}

	realms, err := c.ListRealms(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("ListRealms: %v", err)
	}
	ids := []string{}
	for _, r := range realms.Items {
		ids = append(ids, r.ID)
	}
	if !slices.Contains(ids, env.info.RealmID) || !slices.Contains(ids, env.info.AdminRealmID) || realms.TotalSize != len(realms.Items) {
		t.Errorf("realms = %v (total %d), want the demo and Admin realms", ids, realms.TotalSize)
	}
}

func TestSandboxListIdentitiesPaging(t *testing.T) {
	env := startSandbox(t, 45)
	ctx := testContext(t)
	c := env.client

	first, err := c.ListIdentities(ctx, ListIdentitiesOptions{})
	if err != nil {
		t.Fatalf("ListIdentities: %v", err)
	}
	if len(first.Items) != 20 || first.TotalSize != 45 || first.NextPageToken == "" {
		t.Fatalf("default page: %d items, total %d, token %q; want 20, 45, a token", len(first.Items), first.TotalSize, first.NextPageToken)
	}

	seen := map[string]bool{}
	token := ""
	pages := 0
	for {
		page, err := c.ListIdentities(ctx, ListIdentitiesOptions{ListOptions: ListOptions{PageSize: 7, PageToken: token}})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		if page.TotalSize != 45 {
			t.Errorf("page %d: total %d", pages, page.TotalSize)
		}
		for _, id := range page.Items {
			if seen[id.ID] {
				t.Errorf("identity %s seen twice", id.ID)
			}
			seen[id.ID] = true
		}
		if page.NextPageToken == "" {
			break
		}
		token = page.NextPageToken
	}
	if len(seen) != 45 || pages != 7 {
		t.Errorf("paged %d identities in %d pages, want 45 in 7", len(seen), pages)
	}

	skipped, err := c.ListIdentities(ctx, ListIdentitiesOptions{ListOptions: ListOptions{PageSize: 10, Skip: 40}})
	if err != nil {
		t.Fatalf("skip 40: %v", err)
	}
	if len(skipped.Items) != 5 || skipped.NextPageToken != "" {
		t.Errorf("skip 40: %d items, token %q; want 5 and none", len(skipped.Items), skipped.NextPageToken)
	}

	all := 0
	for id, err := range c.AllIdentities(ctx, Filter{}) {
		if err != nil {
			t.Fatalf("AllIdentities: %v", err)
		}
		if !seen[id.ID] {
			t.Errorf("AllIdentities returned unknown %s", id.ID)
		}
		all++
	}
	if all != 45 {
		t.Errorf("AllIdentities returned %d, want 45", all)
	}

	// A malformed page token is a 400 naming the parameter.
	_, err = c.ListIdentities(ctx, ListIdentitiesOptions{ListOptions: ListOptions{PageToken: "not-a-token"}})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, ErrBadRequest) {
		t.Fatalf("bad page token: err = %v, want a 400", err)
	}
	if _, ok := apiErr.Violation("page_token"); !ok {
		t.Errorf("bad page token: violations = %+v, want page_token", apiErr.FieldViolations)
	}
}

func TestSandboxFilterByUsername(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client
	quoted := env.createIdentity(t, ctx, `o"neil`, "oneil@example.com")
	env.createIdentity(t, ctx, "oneil", "")

	// Case-insensitive match on a username with a double quote.
	page, err := c.ListIdentities(ctx, ListIdentitiesOptions{Filter: UsernameEquals(`O"Neil`)})
	if err != nil {
		t.Fatalf("ListIdentities with filter: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != quoted.ID || page.TotalSize != 1 {
		t.Errorf("filter matched %+v (total %d), want only %s", page.Items, page.TotalSize, quoted.ID)
	}

	none, err := c.ListIdentities(ctx, ListIdentitiesOptions{Filter: UsernameEquals(`o" or "1`)})
	if err != nil {
		t.Fatalf("ListIdentities with injection attempt: %v", err)
	}
	if len(none.Items) != 0 || none.TotalSize != 0 {
		t.Errorf("injection attempt matched %d identities", len(none.Items))
	}

	// A page token carries its filter; sending another filter is a 400.
	var usernames []string
	for i := range 3 {
		u := fmt.Sprintf("pager%d", i)
		env.createIdentity(t, ctx, u, "")
		usernames = append(usernames, u)
	}
	unfiltered, err := c.ListIdentities(ctx, ListIdentitiesOptions{ListOptions: ListOptions{PageSize: 1}})
	if err != nil || unfiltered.NextPageToken == "" {
		t.Fatalf("first page = %+v, %v", unfiltered, err)
	}
	_, err = c.ListIdentities(ctx, ListIdentitiesOptions{
		ListOptions: ListOptions{PageSize: 1, PageToken: unfiltered.NextPageToken},
		Filter:      UsernameEquals(usernames[0]),
	})
	if !errors.Is(err, ErrBadRequest) {
		t.Errorf("filter that differs from the token's: err = %v, want 400", err)
	}
}

func TestSandboxIdentityLifecycle(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client

	created := env.createIdentity(t, ctx, "lifecycle", "")
	if created.ID == "" || created.RealmID != env.info.RealmID || created.Traits.Username != "lifecycle" ||
		created.Traits.Type != TraitsTypeV0 || created.Status != StatusActive || created.CreateTime.IsZero() {
		t.Errorf("created = %+v", created)
	}

	got, err := c.GetIdentity(ctx, created.ID)
	if err != nil || got.ID != created.ID || got.DisplayName != "Test lifecycle" {
		t.Fatalf("GetIdentity = %+v, %v", got, err)
	}

	name, suspended := "Renamed", StatusSuspended
	updated, err := c.UpdateIdentity(ctx, created.ID, IdentityPatch{
		DisplayName: &name,
		Status:      &suspended,
		Traits:      &Traits{PrimaryEmailAddress: "life@example.com"},
	})
	if err != nil {
		t.Fatalf("UpdateIdentity: %v", err)
	}
	if updated.DisplayName != name || updated.Status != StatusSuspended ||
		updated.Traits.PrimaryEmailAddress != "life@example.com" || updated.Traits.Username != "lifecycle" {
		t.Errorf("updated = %+v, want the traits merged and the username kept", updated)
	}

	if err := c.DeleteIdentity(ctx, created.ID); err != nil {
		t.Fatalf("DeleteIdentity: %v", err)
	}
	_, err = c.GetIdentity(ctx, created.ID)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetIdentity after delete: err = %v, want 404", err)
	}
	if apiErr.Resource == nil || apiErr.Resource.ResourceType != "Identity" || apiErr.Resource.ID != created.ID {
		t.Errorf("404 resource = %+v", apiErr.Resource)
	}
	if apiErr.RequestID == "" || apiErr.Operation != "GetIdentity" {
		t.Errorf("request id %q, operation %q", apiErr.RequestID, apiErr.Operation)
	}
	if err := c.DeleteIdentity(ctx, created.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteIdentity: err = %v, want 404", err)
	}
}

func TestSandboxBatchDeleteIdentities(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	a := env.createIdentity(t, ctx, "batch-a", "")
	b := env.createIdentity(t, ctx, "batch-b", "")

	// All or nothing: an unknown ID fails the whole batch.
	err := env.client.BatchDeleteIdentities(ctx, []string{a.ID, "0000000000000000"})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("batch with an unknown ID: err = %v, want 404", err)
	}
	if _, err := env.client.GetIdentity(ctx, a.ID); err != nil {
		t.Errorf("identity deleted by a failed batch: %v", err)
	}

	if err := env.client.BatchDeleteIdentities(ctx, []string{a.ID, b.ID}); err != nil {
		t.Fatalf("BatchDeleteIdentities: %v", err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if _, err := env.client.GetIdentity(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetIdentity(%s) after batch delete: %v", id, err)
		}
	}
}

func TestSandboxErrors(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client
	env.createIdentity(t, ctx, "taken", "taken@example.com")

	t.Run("400 violations", func(t *testing.T) {
		_, err := c.CreateIdentity(ctx, IdentityCreate{DisplayName: "No Username", Traits: Traits{PrimaryEmailAddress: "x@example.com"}})
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !errors.Is(err, ErrBadRequest) {
			t.Fatalf("err = %v, want 400", err)
		}
		if d, ok := apiErr.Violation("identity.traits.username"); !ok || d == "" {
			t.Errorf("violations = %+v, want identity.traits.username", apiErr.FieldViolations)
		}
		if apiErr.Code != "bad_request" || apiErr.Message != "invalid parameters" {
			t.Errorf("code, message = %q, %q", apiErr.Code, apiErr.Message)
		}
	})

	t.Run("401 bad token", func(t *testing.T) {
		bad, _ := env.newClient(t, StaticToken("not-a-jwt"))
		_, err := bad.GetTenant(ctx)
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("err = %v, want 401", err)
		}
		if strings.Contains(err.Error(), "not-a-jwt") {
			t.Errorf("error contains the token: %v", err)
		}
	})

	t.Run("401 expired token", func(t *testing.T) {
		expired, _ := env.newClient(t, StaticToken(env.sb.MintToken(AllScopes(), -time.Minute)))
		if _, err := expired.GetTenant(ctx); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("err = %v, want 401", err)
		}
	})

	t.Run("403 missing scope", func(t *testing.T) {
		token := env.sb.MintToken([]string{"identities:read"}, time.Hour)
		narrow, _ := env.newClient(t, StaticToken(token))
		if _, err := narrow.ListIdentities(ctx, ListIdentitiesOptions{}); err != nil {
			t.Fatalf("ListIdentities with identities:read: %v", err)
		}
		_, err := narrow.CreateIdentity(ctx, IdentityCreate{DisplayName: "X", Traits: Traits{Username: "scoped"}})
		if !errors.Is(err, ErrForbidden) {
			t.Fatalf("err = %v, want 403", err)
		}
		if !strings.HasPrefix(err.Error(), "forbidden: CreateIdentity needs scope identities:create") {
			t.Errorf("Error() = %q", err)
		}
		if strings.Contains(err.Error(), token) {
			t.Error("error contains the token")
		}
	})

	t.Run("404 unknown identity", func(t *testing.T) {
		_, err := c.GetIdentity(ctx, "0000000000000000")
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want 404", err)
		}
		if apiErr.Code != "not_found" || apiErr.Resource == nil || apiErr.Resource.ID != "0000000000000000" {
			t.Errorf("code %q, resource %+v", apiErr.Code, apiErr.Resource)
		}
	})

	t.Run("409 duplicate username", func(t *testing.T) {
		_, err := c.CreateIdentity(ctx, IdentityCreate{DisplayName: "Dup", Traits: Traits{Username: "TAKEN"}})
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !errors.Is(err, ErrConflict) {
			t.Fatalf("err = %v, want 409", err)
		}
		if apiErr.Message != "username already exists" {
			t.Errorf("message = %q", apiErr.Message)
		}
	})

	t.Run("422 email job without email", func(t *testing.T) {
		noEmail := env.createIdentity(t, ctx, "no-email", "")
		_, err := c.CreateCredentialBindingJob(ctx, noEmail.ID, CredentialBindingJobCreate{
			DeliveryMethod: DeliveryEmail, AuthenticatorConfigID: env.info.AuthenticatorConfigID,
		})
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !errors.Is(err, ErrUnprocessable) {
			t.Fatalf("err = %v, want 422", err)
		}
		if apiErr.Resource == nil || apiErr.Resource.ID != noEmail.ID {
			t.Errorf("resource = %+v", apiErr.Resource)
		}
	})
}

func TestSandboxFaultsRetried(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client

	t.Run("429 with Retry-After", func(t *testing.T) {
		env.sleeps.waits = nil
		env.sb.Faults().RateLimit(2, 2*time.Second)
		if _, err := c.GetTenant(ctx); err != nil {
			t.Fatalf("GetTenant: %v", err)
		}
		if got := env.sleeps.all(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 2*time.Second {
			t.Errorf("waits = %v, want [2s 2s]", got)
		}
	})

	t.Run("429 on a create is returned", func(t *testing.T) {
		env.sb.Faults().RateLimit(1, time.Second)
		_, err := c.CreateIdentity(ctx, IdentityCreate{DisplayName: "R", Traits: Traits{Username: "ratelimited"}})
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !errors.Is(err, ErrRateLimited) || apiErr.RetryAfter != time.Second {
			t.Fatalf("err = %v, want 429 with Retry-After 1s", err)
		}
		// The identity was not created, so a second try works.
		if _, err := c.CreateIdentity(ctx, IdentityCreate{DisplayName: "R", Traits: Traits{Username: "ratelimited"}}); err != nil {
			t.Errorf("second CreateIdentity: %v", err)
		}
	})

	t.Run("503 retried", func(t *testing.T) {
		env.sb.Faults().ServerErrors(2, http.StatusServiceUnavailable)
		if _, err := c.ListIdentities(ctx, ListIdentitiesOptions{}); err != nil {
			t.Errorf("ListIdentities after two 503s: %v", err)
		}
	})

	t.Run("500 not retried", func(t *testing.T) {
		env.sb.Faults().ServerErrors(1, http.StatusInternalServerError)
		_, err := c.GetRealm(ctx)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusInternalServerError {
			t.Errorf("err = %v, want 500", err)
		}
		if _, err := c.GetRealm(ctx); err != nil {
			t.Errorf("GetRealm after the fault: %v", err)
		}
	})

	t.Run("dropped connection retried", func(t *testing.T) {
		env.sb.Faults().DropConnections(1)
		if _, err := c.GetTenant(ctx); err != nil {
			t.Errorf("GetTenant after a dropped connection: %v", err)
		}
	})

	t.Run("malformed body", func(t *testing.T) {
		env.contract.setLenient(true)
		defer env.contract.setLenient(false)
		env.sb.Faults().MalformedBodies(1)
		_, err := c.GetTenant(ctx)
		var decodeErr *DecodeError
		if !errors.As(err, &decodeErr) {
			t.Errorf("err = %v, want a DecodeError", err)
		}
	})
}

func TestSandboxBindingJobsAndCredentials(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client
	ident := env.createIdentity(t, ctx, "enrollee", "enrollee@example.com")
	acID := env.info.AuthenticatorConfigID

	emailed, err := c.CreateCredentialBindingJob(ctx, ident.ID, CredentialBindingJobCreate{DeliveryMethod: DeliveryEmail, AuthenticatorConfigID: acID})
	if err != nil {
		t.Fatalf("CreateCredentialBindingJob EMAIL: %v", err)
	}
	if emailed.Link != "" || emailed.Job.State != JobLinkSent || emailed.Job.DeliveryMethod != DeliveryEmail ||
		emailed.Job.IdentityID != ident.ID || emailed.Job.ExpireTime.Sub(emailed.Job.CreateTime) != 7*24*time.Hour {
		t.Errorf("EMAIL job = %+v, link %q", emailed.Job, emailed.Link)
	}
	if link := outboxLink(t, env, ident.ID); link == "" {
		t.Error("no outbox message for the EMAIL job")
	}

	redirect := "http://127.0.0.1:8765/enrolled"
	returned, err := c.CreateCredentialBindingJob(ctx, ident.ID, CredentialBindingJobCreate{
		DeliveryMethod: DeliveryReturn, AuthenticatorConfigID: acID, PostBindingRedirectURI: redirect,
	})
	if err != nil {
		t.Fatalf("CreateCredentialBindingJob RETURN: %v", err)
	}
	if !strings.Contains(returned.Link, ":invokeAuthenticator?token=") || returned.Job.PostBindingRedirectURI != redirect {
		t.Errorf("RETURN job = %+v, link %q", returned.Job, returned.Link)
	}

	pending, err := c.GetIdentity(ctx, ident.ID)
	if err != nil || pending.EnrollmentStatus != EnrollmentPending {
		t.Errorf("enrollment status with live jobs = %q, %v", pending.EnrollmentStatus, err)
	}

	jobs, err := c.ListCredentialBindingJobs(ctx, ident.ID, ListOptions{})
	if err != nil || len(jobs.Items) != 2 || jobs.TotalSize != 2 {
		t.Fatalf("ListCredentialBindingJobs = %+v, %v", jobs, err)
	}
	everyone, err := c.ListCredentialBindingJobs(ctx, "-", ListOptions{PageSize: 200})
	if err != nil || everyone.TotalSize < 2 {
		t.Fatalf("ListCredentialBindingJobs(-) = %+v, %v", everyone, err)
	}
	got, err := c.GetCredentialBindingJob(ctx, ident.ID, emailed.Job.ID)
	if err != nil || got.ID != emailed.Job.ID {
		t.Fatalf("GetCredentialBindingJob = %+v, %v", got, err)
	}

	revoked, err := c.RevokeCredentialBindingJob(ctx, ident.ID, emailed.Job.ID)
	if err != nil || revoked.State != JobRevoked {
		t.Fatalf("RevokeCredentialBindingJob = %+v, %v", revoked, err)
	}

	// Complete the RETURN job the way the hosted page does.
	completeBinding(t, returned.Link)
	done, err := c.GetCredentialBindingJob(ctx, ident.ID, returned.Job.ID)
	if err != nil || done.State != JobComplete || done.CredentialID == "" {
		t.Fatalf("job after binding = %+v, %v", done, err)
	}
	if _, err := c.RevokeCredentialBindingJob(ctx, ident.ID, returned.Job.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("revoking a COMPLETE job: err = %v, want 409", err)
	}

	enrolled, err := c.GetIdentity(ctx, ident.ID)
	if err != nil || enrolled.EnrollmentStatus != EnrollmentEnrolled {
		t.Errorf("enrollment status after binding = %q, %v", enrolled.EnrollmentStatus, err)
	}
	creds, err := c.ListCredentials(ctx, ident.ID, ListOptions{})
	if err != nil || len(creds.Items) != 1 || creds.Items[0].ID != done.CredentialID || creds.Items[0].State != CredentialActive {
		t.Fatalf("ListCredentials = %+v, %v", creds, err)
	}
	allCreds, err := c.ListCredentials(ctx, "-", ListOptions{PageSize: 200})
	if err != nil || allCreds.TotalSize < 1 {
		t.Errorf("ListCredentials(-) = %+v, %v", allCreds, err)
	}
	cred, err := c.GetCredential(ctx, ident.ID, done.CredentialID)
	if err != nil || cred.JWKThumbprint == "" || cred.JWKJSON == "" {
		t.Errorf("GetCredential = %+v, %v", cred, err)
	}
	revokedCred, err := c.RevokeCredential(ctx, ident.ID, done.CredentialID)
	if err != nil || revokedCred.State != CredentialRevoked {
		t.Fatalf("RevokeCredential = %+v, %v", revokedCred, err)
	}
	after, err := c.GetIdentity(ctx, ident.ID)
	if err != nil || after.EnrollmentStatus == EnrollmentEnrolled {
		t.Errorf("enrollment status after revoking = %q, %v", after.EnrollmentStatus, err)
	}
	if _, err := c.GetCredential(ctx, ident.ID, "0000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown credential: err = %v, want 404", err)
	}
}

// outboxLink returns the link of the newest outbox message to an identity.
func outboxLink(t *testing.T, env *sandboxEnv, identityID string) string {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(env.sb.URL() + "/_sandbox/outbox?identity_id=" + url.QueryEscape(identityID))
	if err != nil {
		t.Fatalf("get outbox: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []struct {
			Link       string `json:"link"`
			IdentityID string `json:"identity_id"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode outbox: %v", err)
	}
	link := ""
	for _, m := range out.Messages {
		if m.IdentityID == identityID {
			link = m.Link
		}
	}
	return link
}

// completeBinding posts the hosted enrollment form of a binding link.
func completeBinding(t *testing.T, link string) {
	t.Helper()
	hc := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatalf("complete binding: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete binding: status %d, want 303", resp.StatusCode)
	}
}

func TestSandboxAppsAndAuthenticatorConfigs(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client

	configs, err := c.ListAuthenticatorConfigs(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("ListAuthenticatorConfigs: %v", err)
	}
	found := false
	for _, ac := range configs.Items {
		if ac.ID == env.info.AuthenticatorConfigID {
			found = ac.Config.Type == "hosted_web"
		}
	}
	if !found {
		t.Errorf("configs = %+v, want the hosted_web config %s", configs.Items, env.info.AuthenticatorConfigID)
	}
	ac, err := c.GetAuthenticatorConfig(ctx, env.info.AuthenticatorConfigID)
	if err != nil || ac.Config.Type != "hosted_web" || len(ac.Config.TrustedOrigins) == 0 {
		t.Errorf("GetAuthenticatorConfig = %+v, %v", ac, err)
	}

	apps, err := c.ListApplications(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("ListApplications: %v", err)
	}
	var app *Application
	for i := range apps.Items {
		if apps.Items[i].ID == env.info.ApplicationID {
			app = &apps.Items[i]
		}
	}
	if app == nil || app.ProtocolConfig == nil || app.ProtocolConfig.ClientID != env.info.ClientID {
		t.Fatalf("applications = %+v, want the demo app", apps.Items)
	}
	got, err := c.GetApplication(ctx, env.info.ApplicationID)
	if err != nil || got.ProtocolConfig == nil || got.ProtocolConfig.ClientID != env.info.ClientID {
		t.Errorf("GetApplication = %+v, %v", got, err)
	}
	if _, err := c.GetApplication(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown application: err = %v, want 404", err)
	}
}

func TestSandboxGroups(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client
	ident := env.createIdentity(t, ctx, "grouped", "")

	groups, err := c.ListGroups(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	if len(groups.Items) == 0 {
		t.Fatal("no seeded groups")
	}
	g := groups.Items[0]
	got, err := c.GetGroup(ctx, g.ID)
	if err != nil || got.ID != g.ID || got.DisplayName != g.DisplayName {
		t.Fatalf("GetGroup = %+v, %v", got, err)
	}

	added, err := c.AddGroupMembers(ctx, g.ID, []string{ident.ID})
	if err != nil || added.ID != g.ID {
		t.Fatalf("AddGroupMembers = %+v, %v", added, err)
	}
	// Adding again is idempotent.
	if _, err := c.AddGroupMembers(ctx, g.ID, []string{ident.ID}); err != nil {
		t.Errorf("second AddGroupMembers: %v", err)
	}
	members, err := c.ListGroupMembers(ctx, g.ID, ListOptions{PageSize: 200})
	if err != nil || !slices.ContainsFunc(members.Items, func(i Identity) bool { return i.ID == ident.ID }) {
		t.Errorf("ListGroupMembers = %+v, %v; want %s", members, err, ident.ID)
	}
	mine, err := c.ListIdentityGroups(ctx, ident.ID, ListOptions{})
	if err != nil || len(mine.Items) != 1 || mine.Items[0].ID != g.ID {
		t.Errorf("ListIdentityGroups = %+v, %v", mine, err)
	}

	if _, err := c.DeleteGroupMembers(ctx, g.ID, []string{ident.ID}); err != nil {
		t.Fatalf("DeleteGroupMembers: %v", err)
	}
	mine, err = c.ListIdentityGroups(ctx, ident.ID, ListOptions{})
	if err != nil || len(mine.Items) != 0 {
		t.Errorf("ListIdentityGroups after removal = %+v, %v", mine, err)
	}
	if _, err := c.GetGroup(ctx, "0000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown group: err = %v, want 404", err)
	}
}

func TestSandboxBatchBindingJob(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	c := env.client
	a := env.createIdentity(t, ctx, "batch1", "batch1@example.com")
	b := env.createIdentity(t, ctx, "batch2", "")

	batch, err := c.CreateBatchCredentialBindingJob(ctx, BatchCredentialBindingJobCreate{
		IdentityIDs: []string{a.ID, b.ID},
		JobTemplate: BatchJobTemplate{AuthenticatorConfigID: env.info.AuthenticatorConfigID},
	})
	if err != nil {
		t.Fatalf("CreateBatchCredentialBindingJob: %v", err)
	}
	if batch.ID == "" || len(batch.IdentityIDs) != 2 {
		t.Errorf("batch = %+v", batch)
	}

	var final *BatchCredentialBindingJob
	for range 100 {
		final, err = c.GetBatchCredentialBindingJob(ctx, batch.ID)
		if err != nil {
			t.Fatalf("GetBatchCredentialBindingJob: %v", err)
		}
		if final.State != BatchRunning {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// b has no email address, so one of the two fails.
	if final.State != BatchPartialSuccess {
		t.Errorf("batch state = %q, want PARTIAL_SUCCESS", final.State)
	}
	if final.StateCommentary == nil || final.StateCommentary.Errors[b.ID].LastError == "" {
		t.Errorf("state commentary = %+v, want an error for %s", final.StateCommentary, b.ID)
	}

	results, err := c.ListBatchCredentialBindingJobResults(ctx, batch.ID, ListOptions{})
	if err != nil {
		t.Fatalf("ListBatchCredentialBindingJobResults: %v", err)
	}
	// Counts follow job states: the one job sent is LINK_SENT, so pending.
	// The identity without an email address got no job at all.
	if results.TotalSize != 1 || results.TotalPendingCount != 1 || results.TotalSuccessCount != 0 || results.TotalFailureCount != 0 {
		t.Errorf("results = %+v, want one pending job", results)
	}
	if len(results.Jobs) != 1 || results.Jobs[0].IdentityID != a.ID || results.Jobs[0].State != JobLinkSent {
		t.Errorf("result jobs = %+v, want the LINK_SENT job of %s", results.Jobs, a.ID)
	}
	for _, j := range results.Jobs {
		if j.BatchID != batch.ID {
			t.Errorf("job %s has batch_id %q", j.ID, j.BatchID)
		}
	}
}

func TestSandboxClientCredentialsToken(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	tokenURL := fmt.Sprintf("%s/v1/tenants/%s/realms/%s/applications/%s/token",
		env.info.AuthBaseURL, env.info.TenantID, env.info.AdminRealmID, env.info.ManagementApplicationID)
	src := ClientCredentials(ClientCredentialsOptions{
		TokenURL:     tokenURL,
		ClientID:     env.info.ManagementClientID,
		ClientSecret: env.info.ManagementClientSecret,
	})
	c, _ := env.newClient(t, src)
	if _, err := c.GetTenant(ctx); err != nil {
		t.Fatalf("GetTenant with a client-credentials token: %v", err)
	}

	wrong := ClientCredentials(ClientCredentialsOptions{TokenURL: tokenURL, ClientID: env.info.ManagementClientID, ClientSecret: "wrong-secret"})
	c2, _ := env.newClient(t, wrong)
	_, err := c2.GetTenant(ctx)
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("wrong secret: err = %v, want unauthorized without the secret", err)
	}
}

// TestSandboxContractCoverage checks that the tests above exercised
// operations through the contract middleware at all; a middleware that
// silently matched nothing would pass every test.
func TestSandboxContractCoverage(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	if _, err := env.client.GetTenant(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.ListIdentities(ctx, ListIdentitiesOptions{Filter: UsernameEquals("x")}); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"GetTenant", "ListIdentities"} {
		if env.contract.count(op) != 1 {
			t.Errorf("%s validated %d times, want 1", op, env.contract.count(op))
		}
	}
}

// staleFirst hands out a stale token until Invalidate, then defers to next:
// a cached token that the service has stopped accepting.
type staleFirst struct {
	mu    sync.Mutex
	stale string
	next  TokenSource
}

func (s *staleFirst) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	stale := s.stale
	s.mu.Unlock()
	if stale != "" {
		return stale, nil
	}
	return s.next.Token(ctx)
}

func (s *staleFirst) Invalidate() {
	s.mu.Lock()
	s.stale = ""
	s.mu.Unlock()
	s.next.Invalidate()
}

func (s *staleFirst) CanRefresh() bool { return true }

// TestSandboxExpiredTokenRefreshed checks both ways the service may reject
// an expired token (401, or 403 as the real one appears to) end in one
// retry with a fresh client-credentials token.
func TestSandboxExpiredTokenRefreshed(t *testing.T) {
	env := startSandbox(t, 0)
	ctx := testContext(t)
	tokenURL := fmt.Sprintf("%s/v1/tenants/%s/realms/%s/applications/%s/token",
		env.info.AuthBaseURL, env.info.TenantID, env.info.AdminRealmID, env.info.ManagementApplicationID)
	for _, as403 := range []bool{false, true} {
		t.Run(fmt.Sprintf("as 403 %v", as403), func(t *testing.T) {
			env.sb.Faults().SetExpiredTokens403(as403)
			defer env.sb.Faults().SetExpiredTokens403(false)
			src := &staleFirst{
				stale: env.sb.MintToken(AllScopes(), -time.Minute),
				next: ClientCredentials(ClientCredentialsOptions{
					TokenURL: tokenURL, ClientID: env.info.ManagementClientID, ClientSecret: env.info.ManagementClientSecret,
				}),
			}
			c, _ := env.newClient(t, src)
			before := env.contract.count("GetRealm")
			if _, err := c.GetRealm(ctx); err != nil {
				t.Fatalf("GetRealm with an expired cached token: %v", err)
			}
			if got := env.contract.count("GetRealm") - before; got != 2 {
				t.Errorf("GetRealm sent %d requests, want 2", got)
			}
		})
	}
}
