package bulk

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
)

// The send benchmarks resend enrollment emails to 1,000 unenrolled
// identities of a sandbox that adds 50 ms to every management API request
// and rejects 2% of them with 429 and Retry-After: 1. They compare the
// batch path of Execute with one CreateCredentialBindingJob per identity,
// sequentially and four at a time. Run them with
//
//	go test ./client/bulk -run '^$' -bench . -benchtime 1x
//
// NOTE: the sandbox's rate limit rejects a random 2% of requests. The real
// service's limits are not documented, so for a realm under a stricter
// limit the per-identity figures are a lower bound.
const (
	benchLatency   = 50 * time.Millisecond
	benchRateLimit = 0.02
	benchTargets   = 1000
)

// benchSetup plans a send to benchTargets unenrolled identities and then
// switches the latency and rate limit on.
func benchSetup(b *testing.B) (*testEnv, *Plan) {
	b.Helper()
	env := startEnv(b, 3500)
	ctx := testContext(b, time.Minute)
	p, err := env.engine.Plan(ctx, ActionSend, Unenrolled())
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Targets) < benchTargets {
		b.Fatalf("the seed has %d unenrolled identities to send to, want %d", len(p.Targets), benchTargets)
	}
	p.Targets = p.Targets[:benchTargets]
	env.sb.Faults().SetLatency(benchLatency)
	env.sb.Faults().RateLimitFraction(benchRateLimit, time.Second)
	env.api.reset()
	return env, p
}

func BenchmarkSendBatch(b *testing.B) {
	env, p := benchSetup(b)
	// The product's defaults: the first poll follows the create at once,
	// later ones 200 ms apart and doubling.
	e := New(env.api, Options{AuthenticatorConfigID: env.info.AuthenticatorConfigID})
	ctx := testContext(b, 10*time.Minute)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		run := *p
		run.ID = fmt.Sprintf("%s-%d", p.ID, i)
		j, err := CreateJournal(b.TempDir(), &run)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := e.Execute(ctx, &run, j, nil)
		b.StopTimer()
		j.Close()
		if err != nil || res.Succeeded != benchTargets {
			b.Fatalf("Execute: %v, %d succeeded", err, res.Succeeded)
		}
		b.StartTimer()
	}
	b.StopTimer()

	creates := env.api.n("CreateBatchCredentialBindingJob") / b.N
	polls := env.api.n("GetBatchCredentialBindingJob") / b.N
	perOp := b.Elapsed() / time.Duration(b.N)
	// The batch API needs at least one create and one poll that finds the
	// batch finished, each taking the injected latency.
	bound := 2 * benchLatency
	b.ReportMetric(perOp.Seconds(), "s/send")
	b.ReportMetric(float64(creates+polls), "requests/send")
	b.ReportMetric(bound.Seconds(), "bound-s/send")
	b.Logf("batch: %s for %d emails; %d create + %d polls (429s rejected %d creates); bound (1 create + 1 poll) × %s = %s",
		perOp.Round(time.Millisecond), benchTargets, creates, polls, env.api.rejected429, benchLatency, bound)
}

func BenchmarkSendPerIdentitySequential(b *testing.B) { benchPerIdentity(b, 1) }

func BenchmarkSendPerIdentityConcurrent4(b *testing.B) { benchPerIdentity(b, 4) }

// benchPerIdentity sends one EMAIL binding job per identity with workers
// requests at a time. The client does not retry a creating call, so a 429
// is waited out here; it created nothing, so sending again is safe.
func benchPerIdentity(b *testing.B, workers int) {
	env, p := benchSetup(b)
	ctx := testContext(b, 10*time.Minute)
	job := client.CredentialBindingJobCreate{DeliveryMethod: client.DeliveryEmail, AuthenticatorConfigID: env.info.AuthenticatorConfigID}
	var requests, rejected atomic.Int64

	send := func(id string) error {
		for {
			requests.Add(1)
			_, err := env.client.CreateCredentialBindingJob(ctx, id, job)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests {
				return err
			}
			rejected.Add(1)
			if err := sleep(ctx, max(apiErr.RetryAfter, time.Second)); err != nil {
				return err
			}
		}
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var (
			next  atomic.Int64
			wg    sync.WaitGroup
			first atomic.Pointer[error]
		)
		for range workers {
			wg.Go(func() {
				for {
					k := int(next.Add(1)) - 1
					if k >= len(p.Targets) || first.Load() != nil {
						return
					}
					if err := send(p.Targets[k].IdentityID); err != nil {
						first.CompareAndSwap(nil, &err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := first.Load(); err != nil {
			b.Fatalf("send: %v", *err)
		}
	}
	b.StopTimer()

	perOp := b.Elapsed() / time.Duration(b.N)
	bound := time.Duration(benchTargets/workers) * benchLatency
	b.ReportMetric(perOp.Seconds(), "s/send")
	b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/send")
	b.ReportMetric(bound.Seconds(), "bound-s/send")
	b.Logf("per identity, %d at a time: %s for %d emails; %d requests, %d rejected with 429; bound %d × %s / %d = %s",
		workers, perOp.Round(time.Millisecond), benchTargets, requests.Load()/int64(b.N), rejected.Load()/int64(b.N),
		benchTargets, benchLatency, workers, bound)
}

// BenchmarkPlanUnenrolled plans the send to every unenrolled identity of a
// realm of 3,500 with the same latency and rate limit: the step before the
// send that the benchmarks above leave out. The counted requests are the
// identity pages; the one GetRealm call is not counted.
func BenchmarkPlanUnenrolled(b *testing.B) {
	env, _ := benchSetup(b)
	ctx := testContext(b, 10*time.Minute)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := env.engine.Plan(ctx, ActionSend, Unenrolled()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	requests := 0
	env.api.mu.Lock()
	for _, n := range env.api.calls {
		requests += n
	}
	env.api.mu.Unlock()
	b.ReportMetric((b.Elapsed() / time.Duration(b.N)).Seconds(), "s/plan")
	b.ReportMetric(float64(requests)/float64(b.N), "counted-requests/plan")
}
