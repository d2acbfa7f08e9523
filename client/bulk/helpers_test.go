package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
	"github.com/biadmin/biadmin/sandbox"
)

type testEnv struct {
	sb     *sandbox.Sandbox
	info   sandbox.Info
	client *client.Client
	api    *countingAPI
	engine *Engine
	dir    string // journal directory
}

// startEnv starts a sandbox seeded with identities (0: the default of about
// 40) and an engine over a counting wrapper of a real client.
func startEnv(t testing.TB, identities int) *testEnv {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Addr: "127.0.0.1:0", Identities: identities})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	info := sb.Info()
	c, err := client.New(client.Options{
		BaseURL: info.APIBaseURL, TenantID: info.TenantID, RealmID: info.RealmID,
		Token: client.StaticToken(info.APIToken), HTTPClient: &http.Client{Timeout: 30 * time.Second},
	})
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	api := &countingAPI{API: c, calls: map[string]int{}}
	env := &testEnv{sb: sb, info: info, client: c, api: api, dir: t.TempDir()}
	env.engine = env.newEngine(api)
	return env
}

// newEngine returns an engine over api that polls quickly, as tests need.
func (env *testEnv) newEngine(api client.API) *Engine {
	e := New(api, Options{
		Profile: "test", AuthenticatorConfigID: env.info.AuthenticatorConfigID,
		PollInterval: 100 * time.Millisecond, QueueWait: time.Minute, RequestTimeout: 20 * time.Second,
	})
	e.pollStart = 20 * time.Millisecond
	return e
}

func testContext(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// countingAPI counts calls by method and records what the batch calls
// sent. Hooks let a test cut a run short at a chosen point.
type countingAPI struct {
	client.API

	mu          sync.Mutex
	calls       map[string]int
	batchIDs    [][]string // identity ids of each created batch job, in order
	deleteIDs   [][]string // ids of each BatchDeleteIdentities call
	rejected429 int
	inFlight    int
	maxInFlight int

	// createBatch, when set, replaces the call to the service; next
	// makes the real call.
	createBatch func(ctx context.Context, in client.BatchCredentialBindingJobCreate, next func() (*client.BatchCredentialBindingJob, error)) (*client.BatchCredentialBindingJob, error)
	// afterCreateBatch runs after each successful batch creation with
	// the number created so far.
	afterCreateBatch func(n int)
}

func (c *countingAPI) count(method string) func() {
	c.mu.Lock()
	c.calls[method]++
	c.inFlight++
	c.maxInFlight = max(c.maxInFlight, c.inFlight)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}
}

func (c *countingAPI) n(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

func (c *countingAPI) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = map[string]int{}
	c.batchIDs, c.deleteIDs = nil, nil
	c.rejected429, c.maxInFlight = 0, 0
}

func (c *countingAPI) ListIdentities(ctx context.Context, opts client.ListIdentitiesOptions) (*client.Page[client.Identity], error) {
	defer c.count("ListIdentities")()
	return c.API.ListIdentities(ctx, opts)
}

func (c *countingAPI) GetIdentity(ctx context.Context, id string) (*client.Identity, error) {
	defer c.count("GetIdentity")()
	return c.API.GetIdentity(ctx, id)
}

func (c *countingAPI) UpdateIdentity(ctx context.Context, id string, p client.IdentityPatch) (*client.Identity, error) {
	defer c.count("UpdateIdentity")()
	return c.API.UpdateIdentity(ctx, id, p)
}

func (c *countingAPI) ListCredentials(ctx context.Context, id string, opts client.ListOptions) (*client.Page[client.Credential], error) {
	defer c.count("ListCredentials")()
	return c.API.ListCredentials(ctx, id, opts)
}

func (c *countingAPI) ListCredentialBindingJobs(ctx context.Context, id string, opts client.ListOptions) (*client.Page[client.CredentialBindingJob], error) {
	defer c.count("ListCredentialBindingJobs")()
	return c.API.ListCredentialBindingJobs(ctx, id, opts)
}

func (c *countingAPI) ListGroupMembers(ctx context.Context, id string, opts client.ListOptions) (*client.Page[client.Identity], error) {
	defer c.count("ListGroupMembers")()
	return c.API.ListGroupMembers(ctx, id, opts)
}

func (c *countingAPI) GetBatchCredentialBindingJob(ctx context.Context, id string) (*client.BatchCredentialBindingJob, error) {
	defer c.count("GetBatchCredentialBindingJob")()
	return c.API.GetBatchCredentialBindingJob(ctx, id)
}

func (c *countingAPI) ListBatchCredentialBindingJobResults(ctx context.Context, id string, opts client.ListOptions) (*client.BatchResults, error) {
	defer c.count("ListBatchCredentialBindingJobResults")()
	return c.API.ListBatchCredentialBindingJobResults(ctx, id, opts)
}

func (c *countingAPI) BatchDeleteIdentities(ctx context.Context, ids []string) error {
	defer c.count("BatchDeleteIdentities")()
	c.mu.Lock()
	c.deleteIDs = append(c.deleteIDs, append([]string(nil), ids...))
	c.mu.Unlock()
	return c.API.BatchDeleteIdentities(ctx, ids)
}

func (c *countingAPI) CreateBatchCredentialBindingJob(ctx context.Context, in client.BatchCredentialBindingJobCreate) (*client.BatchCredentialBindingJob, error) {
	defer c.count("CreateBatchCredentialBindingJob")()
	next := func() (*client.BatchCredentialBindingJob, error) {
		return c.API.CreateBatchCredentialBindingJob(ctx, in)
	}
	var (
		b   *client.BatchCredentialBindingJob
		err error
	)
	if c.createBatch != nil {
		b, err = c.createBatch(ctx, in, next)
	} else {
		b, err = next()
	}
	c.mu.Lock()
	if apiErr, ok := err.(*client.APIError); ok && apiErr.Status == http.StatusTooManyRequests {
		c.rejected429++
	}
	if err == nil {
		c.batchIDs = append(c.batchIDs, append([]string(nil), in.IdentityIDs...))
	}
	n := len(c.batchIDs)
	hook := c.afterCreateBatch
	c.mu.Unlock()
	if err == nil && hook != nil {
		hook(n)
	}
	return b, err
}

// outboxMessage is one email in the sandbox outbox.
type outboxMessage struct {
	ID         string `json:"id"`
	IdentityID string `json:"identity_id"`
	JobID      string `json:"job_id"`
}

// outboxCounts returns how many messages the sandbox outbox holds per
// identity.
func (env *testEnv) outboxCounts(t testing.TB) map[string]int {
	t.Helper()
	resp, err := http.Get(env.sb.URL() + "/_sandbox/outbox")
	if err != nil {
		t.Fatalf("get outbox: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Messages []outboxMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode outbox: %v", err)
	}
	counts := map[string]int{}
	for _, m := range body.Messages {
		counts[m.IdentityID]++
	}
	return counts
}

// sentSince returns the outbox messages per identity added since before.
func (env *testEnv) sentSince(t testing.TB, before map[string]int) map[string]int {
	t.Helper()
	diff := map[string]int{}
	for id, n := range env.outboxCounts(t) {
		if d := n - before[id]; d != 0 {
			diff[id] = d
		}
	}
	return diff
}

// clearEmail removes an identity's email address with a raw PATCH; the
// client leaves empty traits out, as a console should.
func (env *testEnv) clearEmail(t testing.TB, identityID string) {
	t.Helper()
	body := []byte(`{"identity":{"traits":{"type":"traits_v0","primary_email_address":""}}}`)
	url := fmt.Sprintf("%s/v1/tenants/%s/realms/%s/identities/%s", env.info.APIBaseURL, env.info.TenantID, env.info.RealmID, identityID)
	req, err := http.NewRequest(http.MethodPatch, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env.info.APIToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("clear email of %s: %v", identityID, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("clear email of %s: HTTP %d", identityID, resp.StatusCode)
	}
}

// identityByUsername looks up a seeded identity.
func (env *testEnv) identityByUsername(t testing.TB, ctx context.Context, username string) client.Identity {
	t.Helper()
	page, err := env.client.ListIdentities(ctx, client.ListIdentitiesOptions{Filter: client.UsernameEquals(username)})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("find %s: %v (%d found)", username, err, len(page.Items))
	}
	return page.Items[0]
}

// allIdentities lists the realm with the raw client.
func (env *testEnv) allIdentities(t testing.TB, ctx context.Context) []client.Identity {
	t.Helper()
	var out []client.Identity
	for id, err := range env.client.AllIdentities(ctx, client.Filter{}) {
		if err != nil {
			t.Fatalf("list identities: %v", err)
		}
		out = append(out, id)
	}
	return out
}

func targetIDs(p *Plan) []string {
	out := make([]string, 0, len(p.Targets))
	for _, t := range p.Targets {
		out = append(out, t.IdentityID)
	}
	return out
}

// runPlan creates the plan's journal and executes it.
func (env *testEnv) runPlan(t testing.TB, ctx context.Context, e *Engine, p *Plan) (*Result, error) {
	t.Helper()
	j, err := CreateJournal(env.dir, p)
	if err != nil {
		t.Fatalf("CreateJournal: %v", err)
	}
	defer j.Close()
	return e.Execute(ctx, p, j, nil)
}

// sendable reports whether a send plan would target id.
func sendable(id client.Identity) bool { return skipReason(ActionSend, id) == "" }
