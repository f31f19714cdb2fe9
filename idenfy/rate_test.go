package idenfy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/unikyc/unikyc/idenfy"
)

// The default limiter paces requests at iDenfy's documented 10,000 an
// hour: after the burst, one every 360 ms of (fake) time.
func TestDefaultRateIsDocumentedLimit(t *testing.T) {
	srv, c, clk := setup(t, nil)
	const n = 200
	cx := ctx(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			_, _ = c.Status(cx, "unknown") // the fake answers 404; only pacing matters
		}
	}()
	start := clk.Now()
	// Move the clock to each timer the limiter parks on, until all are sent.
	for clk.WaitForTimers(1, done) {
		if next, ok := clk.NextTimer(); ok {
			clk.Set(next)
		}
	}
	elapsed := clk.Now().Sub(start)
	assert.Equal(t, n, srv.Calls("/api/v2/status"))
	assert.Equal(t, time.Duration(n-idenfy.DefaultBurst)*360*time.Millisecond, elapsed)
	t.Logf("%d requests took %s of simulated time: %.0f an hour", n, elapsed, float64(n-idenfy.DefaultBurst)/elapsed.Hours())
}
