package redisfleet_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

// wire watches what a fleet under test has on the wire — provider
// requests between their start and their answer, and scripts on their way
// to Redis — so that pump moves the fake clock only while nothing is in
// flight: a fake provider then stamps each request with the fake time its
// budget admitted it at.
type wire struct {
	clk              *clock.Fake
	requests, script atomic.Int64
}

var _ redis.Hook = (*wire)(nil)

func newWire(clk *clock.Fake) *wire { return &wire{clk: clk} }

// options are the providers' options that let w see their requests.
func (w *wire) options() []providers.Option {
	return []providers.Option{
		providers.WithClock(w.clk),
		providers.WithTrace(&providers.Trace{
			AttemptStart: func(ctx context.Context, _ providers.Attempt) context.Context { w.requests.Add(1); return ctx },
			AttemptDone:  func(context.Context, providers.AttemptResult) { w.requests.Add(-1) },
		}),
	}
}

func (w *wire) DialHook(next redis.DialHook) redis.DialHook { return next }

func (w *wire) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "eval" || n == "evalsha" {
			w.script.Add(1)
			defer w.script.Add(-1)
		}
		return next(ctx, cmd)
	}
}

func (w *wire) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (w *wire) quiet() bool { return w.requests.Load() == 0 && w.script.Load() == 0 }

// pump moves the clock until end: to the next timer, half a second at
// most, each time nothing has been in flight for a millisecond of real
// time. The short steps bound how late a request that slipped past the
// check can be stamped.
func (w *wire) pump(t *testing.T, end time.Time) {
	t.Helper()
	const step = 500 * time.Millisecond
	for w.clk.Now().Before(end) {
		for quiet, spins := 0, 0; quiet < 20; spins++ {
			if spins > 200000 { // 10 s
				t.Fatalf("still in flight at %s: %d requests, %d scripts", w.clk.Now(), w.requests.Load(), w.script.Load())
			}
			if w.quiet() {
				quiet++
			} else {
				quiet = 0
			}
			time.Sleep(50 * time.Microsecond)
		}
		now := w.clk.Now()
		to := now.Add(step)
		if next, ok := w.clk.NextTimer(); ok && next.After(now) && next.Before(to) {
			to = next
		}
		parked := w.clk.Timers()
		w.clk.Set(to)
		// Whoever the move woke starts its work or parks again.
		for i := 0; i < 2000 && w.quiet() && w.clk.Timers() < parked; i++ {
			time.Sleep(50 * time.Microsecond)
		}
	}
}
