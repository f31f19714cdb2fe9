package compliancely_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

var start = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// env is a client and a fake on one fake clock.
type env struct {
	clk *clock.Fake
	srv *compliancelytest.Server
	c   *compliancely.Client
	rt  *countingTransport
	lim *gatedLimiter // nil unless setup was given one
}

// setup starts a fake and a client on a fake clock. The client keeps the
// documented 10-a-minute limiter unless opts replace it.
func setup(t *testing.T, srvOpts []compliancelytest.Option, opts ...providers.Option) *env {
	t.Helper()
	return setupWith(t, srvOpts, false, opts...)
}

// setupPaced is setup with the documented limiter behind a gate, for pump.
func setupPaced(t *testing.T) *env {
	t.Helper()
	return setupWith(t, nil, true)
}

func setupWith(t *testing.T, srvOpts []compliancelytest.Option, gated bool, opts ...providers.Option) *env {
	clk := clock.NewFake(start)
	srv := compliancelytest.NewServer(append([]compliancelytest.Option{compliancelytest.WithClock(clk)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	rt := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone(), signal: make(chan struct{}, 1)}
	t.Cleanup(rt.base.CloseIdleConnections)
	opts = append([]providers.Option{
		providers.WithClock(clk),
		providers.WithTransport(rt),
		providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}),
	}, opts...)
	e := &env{clk: clk, srv: srv, rt: rt}
	if gated {
		e.lim = newGatedLimiter(clk)
		rt.done = func() { e.lim.busy.Add(-1) }
		opts = append(opts, providers.WithLimiter(e.lim))
	}
	c, err := compliancely.New(srv.Config(), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	e.c = c
	return e
}

// countingTransport counts answered round trips and signals each one.
type countingTransport struct {
	base   *http.Transport
	n      atomic.Int64
	signal chan struct{}
	done   func() // called after each round trip
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	c.n.Add(1)
	if c.done != nil {
		c.done()
	}
	select {
	case c.signal <- struct{}{}:
	default:
	}
	return resp, err
}

// waitCount blocks until n round trips were answered.
func (c *countingTransport) waitCount(t *testing.T, n int64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for c.n.Load() < n {
		select {
		case <-c.signal:
		case <-deadline:
			t.Fatalf("waited for round trip %d; %d answered", n, c.n.Load())
		}
	}
}

// run calls f in a goroutine and moves the fake clock to the next timer
// whenever one waits (the limiter's 6 s slots, 429 pauses), until f returns.
func (e *env) run(f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	for e.clk.WaitForTimers(1, done) {
		if next, ok := e.clk.NextTimer(); ok {
			e.clk.Set(next)
		}
	}
}

// call runs f under run and returns its error.
func (e *env) call(f func(ctx context.Context) error) error {
	var err error
	e.run(func() { err = f(context.Background()) })
	return err
}

// pump moves the clock to its next timer until stop says so, but only
// while no admitted request is on its way (from its budget slot to its
// answer): real time would not jump past a request in flight. Only for
// an env made by setupPaced.
func (e *env) pump(t *testing.T, stop func() bool) {
	t.Helper()
	idle, quiet := 0, 0
	for !stop() {
		parked := false
		for range 1000 { // up to 10 s
			waited := make(chan struct{})
			timer := time.AfterFunc(10*time.Millisecond, func() { close(waited) })
			parked = e.clk.WaitForTimers(1, waited)
			timer.Stop()
			if parked || stop() {
				break
			}
		}
		if !parked && stop() {
			return
		}
		require.True(t, parked, "no goroutine parked on the clock (at %s, %d sent, %d busy, %d queued)",
			e.clk.Now(), e.rt.n.Load(), e.lim.busy.Load(), e.lim.lim.Queued())
		// Every admitted request answered, and still so a moment later (a
		// waiter woken by the last move may be on its way to a slot).
		// Compliancely's soft window (10 to 15 minutes) is far wider than a
		// budget span, so no admitted request waits for a refresh.
		// A refresh the soft window's timer started is on its way to the
		// budget: wait until it queues there.
		refreshing := e.c.TokenSource().(*tokencache.Cache).Refreshing() && e.lim.lim.QueuedTokenCalls() == 0 && e.lim.lim.Admitted() == e.rt.n.Load()
		if refreshing || e.lim.lim.Admitted() != e.rt.n.Load() || quiet < 20 {
			if e.lim.lim.Admitted() == e.rt.n.Load() {
				quiet++
			} else {
				quiet = 0
			}
			idle++
			require.Less(t, idle, 200000, "a request admitted at %s never got its answer", e.clk.Now())
			time.Sleep(50 * time.Microsecond)
			continue
		}
		idle, quiet = 0, 0
		if next, ok := e.clk.NextTimer(); ok {
			e.clk.Set(next)
		}
	}
}

func newSub() *compliancely.TaxExemptRequest {
	return &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme & Sons - Holdings"}
}

// createSub is the API call most tests make.
func createSub(c *compliancely.Client) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.CreateTaxExempt(ctx, newSub())
		return err
	}
}

// count returns how many hits satisfy f.
func count(hits []compliancelytest.Hit, f func(compliancelytest.Hit) bool) int {
	n := 0
	for _, h := range hits {
		if f(h) {
			n++
		}
	}
	return n
}

const (
	loginPath   = compliancely.DefaultLoginPath
	refreshPath = compliancely.DefaultRefreshPath
	apiPath     = compliancely.TaxExemptPath
)

// calls is what the fake saw, for one-line assertions.
type calls struct{ Logins, Refreshes, API int }

func (e *env) calls() calls {
	return calls{e.srv.Calls(loginPath), e.srv.Calls(refreshPath), e.srv.Calls(apiPath)}
}

// gatedLimiter is the client's documented limiter (a WindowLimiter on
// compliancely.DefaultBudget) that counts the requests it admitted and
// that are not answered yet.
type gatedLimiter struct {
	lim  *ratelimit.WindowLimiter
	busy atomic.Int64
}

func newGatedLimiter(clk *clock.Fake) *gatedLimiter {
	return &gatedLimiter{lim: ratelimit.NewWindowLimiter(compliancely.DefaultBudget, clk)}
}

func (g *gatedLimiter) Wait(ctx context.Context, p ratelimit.Priority) error {
	err := g.lim.Wait(ctx, p)
	if err == nil {
		g.busy.Add(1)
	}
	return err
}
