package ratelimit

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/deadline"
)

// RateLimiter is a Limiter that spaces requests evenly: a token bucket
// from golang.org/x/time/rate whose waits run on an injectable clock. It
// suits a budget of many requests where an even pace matters more than a
// burst; it ignores priorities. The providers' default is the
// WindowLimiter.
type RateLimiter struct {
	lim *rate.Limiter
	clk clock.Clock
	// mu makes reading the clock and reserving one step: x/time/rate
	// treats a time older than its last as a step back and can hand out
	// an extra slot when two waiters read the clock out of order.
	mu sync.Mutex
}

// NewRateLimiter returns a RateLimiter allowing r requests a second with
// the given burst (1 spaces requests evenly). clk may be nil for the
// system clock. Use rate.Every(6*time.Second) for "10 a minute".
func NewRateLimiter(r rate.Limit, burst int, clk clock.Clock) *RateLimiter {
	return &RateLimiter{lim: rate.NewLimiter(r, burst), clk: clock.Or(clk)}
}

// Wait blocks until a request may be sent; see Limiter.
func (l *RateLimiter) Wait(ctx context.Context, _ Priority) error {
	l.mu.Lock()
	now := l.clk.Now()
	if l.lim.AllowN(now, 1) {
		l.mu.Unlock()
		return nil
	}
	r := l.lim.ReserveN(now, 1)
	l.mu.Unlock()
	if !r.OK() {
		return fmt.Errorf("unikyc: limiter allows no requests (burst %d)", l.lim.Burst())
	}
	d := r.DelayFrom(now)
	if deadline.Past(ctx, d) {
		l.cancel(r)
		return &WaitError{RetryAfter: d}
	}
	if err := clock.Sleep(ctx, l.clk, d); err != nil {
		l.cancel(r)
		return err
	}
	return nil
}

// cancel gives an unused reservation back.
func (l *RateLimiter) cancel(r *rate.Reservation) {
	l.mu.Lock()
	r.CancelAt(l.clk.Now())
	l.mu.Unlock()
}
