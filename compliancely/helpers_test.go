package compliancely_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
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
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	c.n.Add(1)
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

// pump moves the clock one limiter slot at a time until stop says so:
// each slot releases one goroutine, which sends one request, and the clock
// moves on only once that request was answered, so the fake sees every
// request at its slot's time. Only for goroutines parked on the limiter of
// an env made by setupPaced.
func (e *env) pump(t *testing.T, stop func() bool) {
	t.Helper()
	for !stop() {
		waited := make(chan struct{})
		timer := time.AfterFunc(10*time.Second, func() { close(waited) })
		ok := e.clk.WaitForTimers(1, waited)
		timer.Stop()
		require.True(t, ok, "no goroutine parked on the clock")
		next, ok := e.clk.NextTimer()
		if !ok {
			continue
		}
		want := e.rt.n.Load() + 1
		e.lim.gate.Lock() // no goroutine between reading the time and parking
		e.clk.Set(next)
		e.lim.gate.Unlock()
		e.rt.waitCount(t, want)
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

// gatedLimiter is the client's documented limiter (providers.NewLimiter at
// compliancely.DefaultRate, burst 1) with a gate the pump takes to move the
// clock. RateLimiter.Wait reads the time, then reserves a slot and parks on
// a timer; a clock moved in between makes x/time/rate see time go
// backwards and hand out an extra slot (with the system clock the gap is
// nanoseconds; with a fake clock it is a whole slot). The gate is held from
// the start of Wait until the waiter parks (NewTimer) or returns.
type gatedLimiter struct {
	clk   *clock.Fake
	lim   *providers.RateLimiter
	gate  sync.Mutex
	owner atomic.Pointer[int]
}

func newGatedLimiter(clk *clock.Fake) *gatedLimiter {
	g := &gatedLimiter{clk: clk}
	g.lim = providers.NewLimiter(compliancely.DefaultRate, 1, g)
	return g
}

func (g *gatedLimiter) Wait(ctx context.Context) error {
	g.gate.Lock()
	me := new(int)
	g.owner.Store(me)
	err := g.lim.Wait(ctx)
	if g.owner.CompareAndSwap(me, nil) {
		g.gate.Unlock() // returned without parking
	}
	return err
}

func (g *gatedLimiter) Now() time.Time { return g.clk.Now() }

// NewTimer is called only by the gate's holder, as it parks.
func (g *gatedLimiter) NewTimer(d time.Duration) clock.Timer {
	t := g.clk.NewTimer(d)
	if g.owner.Swap(nil) != nil {
		g.gate.Unlock()
	}
	return t
}

func (g *gatedLimiter) AfterFunc(d time.Duration, f func()) clock.Timer { return g.clk.AfterFunc(d, f) }
