package soak_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
)

var (
	requests = flag.Int("soak.requests", 0, "requests per provider (default 300; 150 with -short)")
	seed     = flag.Uint64("soak.seed", 7, "seed of the random faults")
	rate     = flag.Float64("soak.faults", 0.05, "share of the requests answered with a fault")
)

const (
	workers = 64
	// flow is how much faster than real time the fake clock runs besides
	// the ticks: a client that fails fast during a backoff sends nothing,
	// and its backoff must still end.
	flow = 50
	// errorPause is what a caller waits after an error before its next
	// request.
	errorPause = time.Millisecond
	// deadline is each request's; one that takes it all has hung.
	deadline = 10 * time.Second
)

// rig is one provider under soak: its fake, how to build a client of it
// and what its login budget is.
type rig struct {
	base    string // the fake's base URL
	stop    func()
	token   func(path string) bool // token-call paths (login, refresh)
	secrets []string
	connect func(base string, opts ...providers.Option) (io.Closer, func(context.Context) error, error)
	// tick is the fake time each request adds, so that tokens age with
	// the traffic (default one second: 20,000 requests are five and a
	// half hours).
	tick time.Duration
	// budget checks what the fake counted against the documented login
	// budget, after elapsed fake time.
	budget func(t *testing.T, elapsed time.Duration, chaos *faulttest.Chaos)
}

// TestSoak sends requests from 64 goroutines through every provider's
// client against its fake, with 5 % random faults (5xx, resets, 429s,
// 401s): every request ends, in success or a typed error; none hangs,
// none is lost, none panics; logins stay within the provider's budget;
// no secret is logged; heap and goroutines are flat at the end.
//
//	go test ./internal/soak -soak.requests=20000
func TestSoak(t *testing.T) {
	n := *requests
	if n == 0 {
		n = 300
		if testing.Short() {
			n = 150
		}
	}
	for _, p := range []struct {
		name string
		rig  func(t *testing.T, clk *clock.Fake) *rig
	}{
		{"genericjwt", genericJWT}, {"icomply", iComply}, {"idenfy", iDenfy}, {"compliancely", complianceLy}, {"kyconnect", kyConnect},
	} {
		t.Run(p.name, func(t *testing.T) { soak(t, p.rig, n) })
	}
}

func soak(t *testing.T, newRig func(*testing.T, *clock.Fake) *rig, n int) {
	goroutines := runtime.NumGoroutine()
	clk := clock.NewFake(faulttest.Start)
	r := newRig(t, clk)
	front := faulttest.NewFront(r.base)
	if r.tick == 0 {
		r.tick = time.Second
	}
	chaos := faulttest.NewChaos(*seed, *rate, clk, r.tick, r.token)
	front.Use(chaos.Pick)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = workers
	logs := &secretWatch{secrets: r.secrets}
	client, call, err := r.connect(front.Rebase(r.base), providers.WithClock(clk), providers.WithTransport(tr),
		providers.WithLogger(logs.logger()), faulttest.FastRetries)
	require.NoError(t, err)
	stopPump := make(chan struct{})
	pumped := faulttest.Pump(clk, flow, stopPump)

	warm := run(call, max(n/10, workers))
	heapWarm := heap()
	res := run(call, n)
	heapEnd := heap()
	elapsed := clk.Now().Sub(faulttest.Start)

	close(stopPump)
	<-pumped
	require.NoError(t, client.Close())
	front.Close()
	r.stop()
	tr.CloseIdleConnections()

	t.Logf("%d requests in %s (%s of fake time); results: %s; faults: %s", n, res.took.Round(time.Millisecond),
		elapsed, res.kinds(), chaos)
	for kind, err := range res.examples {
		t.Logf("a %s error: %v", kind, err)
	}
	assert.Equal(t, n, res.done, "every request ended: none lost")
	assert.Zero(t, res.panics, "no request panicked")
	assert.Zero(t, res.hung, "no request took its whole deadline")
	assert.Zero(t, warm.untyped+res.untyped, "every error is typed: %v", res.example)
	assert.GreaterOrEqual(t, res.byKind[faulttest.KindOK], n*3/4, "most requests succeed despite the faults")
	assert.Greater(t, chaos.Count(faulttest.Fault5xx)+chaos.Count(faulttest.FaultReset), 0, "faults were injected")
	assert.Zero(t, logs.leaks.Load(), "a log line held a secret")
	r.budget(t, elapsed, chaos)

	const heapSlack = 16 << 20
	assert.Less(t, int64(heapEnd)-int64(heapWarm), int64(heapSlack),
		"heap grew from %d KiB after warm-up to %d KiB", heapWarm>>10, heapEnd>>10)
	assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines+2 }, 5*time.Second, 10*time.Millisecond,
		"goroutines back to %d", goroutines)
}

// result counts what the requests of one run ended with.
type result struct {
	done, panics, hung, untyped int
	byKind                      map[string]int
	example                     error            // an untyped error
	examples                    map[string]error // one error of each kind
	took                        time.Duration
}

func (r *result) kinds() string {
	var b strings.Builder
	for _, k := range []string{faulttest.KindOK, faulttest.KindProvider, faulttest.KindRateLimited, faulttest.KindTransport,
		faulttest.KindUnauthorized, faulttest.KindDeadline, faulttest.KindDecode} {
		if v := r.byKind[k]; v > 0 {
			fmt.Fprintf(&b, "%s=%d ", k, v)
		}
	}
	return strings.TrimSpace(b.String())
}

// run makes n calls from 64 goroutines, each with its own deadline.
func run(call func(context.Context) error, n int) *result {
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
		res  = &result{byKind: map[string]int{}, examples: map[string]error{}}
	)
	begin := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				kind, hung, panicked, err := one(call)
				if err != nil {
					// A real caller does not retry in a hot loop; without
					// this pause the requests that fail at once while the
					// token cache backs off would be most of the run.
					time.Sleep(errorPause)
				}
				mu.Lock()
				res.done++
				res.byKind[kind]++
				if err != nil && res.examples[kind] == nil {
					res.examples[kind] = err
				}

				if hung {
					res.hung++
				}
				if panicked {
					res.panics++
				}
				if kind == "" {
					res.untyped++
					res.example = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.took = time.Since(begin)
	return res
}

func one(call func(context.Context) error) (kind string, hung, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked, kind, err = true, "panic", fmt.Errorf("panic: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err = call(ctx)
	return faulttest.Kind(err), time.Since(start) >= deadline, false, err
}

// heap returns the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
