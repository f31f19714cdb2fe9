package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// A request queued on the limiter when a 429 arrives must not be sent when
// its slot comes: it joins the cool-down instead. The limiter here is one
// that knows nothing of pauses (not a Pacer, as a user's may be), so that
// only the gate, checked again after the budget wait, holds it back.
func TestQueuedRequestJoinsCoolDownThatStartedWhileItWaited(t *testing.T) {
	clk := newClock()
	lim := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "requests", Limit: 1, Window: 6 * time.Second, Margin: -1}, clk)
	e := setup(t, providers.WithClock(clk), providers.WithLimiter(limiterFunc(lim.Wait)))
	e.fake.then(status(429, "Retry-After", "60"))
	first := e.getAsync(context.Background(), t) // logs in at t0, then queues its call for t0+6
	waitForTimers(t, clk, 1)
	second := e.getAsync(context.Background(), t) // queues behind it
	require.Eventually(t, func() bool { return lim.Queued() == 2 }, 5*time.Second, time.Millisecond)

	clk.Advance(6 * time.Second) // the first call is sent and meets the 429
	waitForTimers(t, clk, 2)     // one waits out the pause, the other for its slot
	clk.Advance(6 * time.Second) // the old slot of the second: the pause holds it
	waitForTimers(t, clk, 2)
	assert.EqualValues(t, 1, e.fake.calls.Load(), "nothing sent into the cool-down")

	// The cool-down ends at t0+66. Keep moving the clock to its next timer
	// until both calls return: a goroutine that read the clock just before
	// an Advance may have parked a little later than planned.
	for finished := 0; finished < 2; {
		select {
		case r := <-first:
			require.NoError(t, r.err)
			first, finished = nil, finished+1
		case r := <-second:
			require.NoError(t, r.err)
			second, finished = nil, finished+1
		case <-time.After(5 * time.Millisecond):
			if next, ok := clk.NextTimer(); ok {
				clk.Set(next)
			}
		}
	}
	assert.EqualValues(t, 3, e.fake.calls.Load())
	assert.EqualValues(t, 1, e.conn.Stats().RateLimited)
}
