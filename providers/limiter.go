package providers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/clock"
)

// Limiter paces the requests sent for one provider account. Every attempt
// (retries, logins and refreshes included) waits on it once.
//
// Wait returns when one request may be sent. When the wait would outlast
// ctx's deadline it returns at once with an error wrapping
// context.DeadlineExceeded, and on cancellation it returns ctx.Err().
type Limiter interface {
	Wait(ctx context.Context) error
}

// errThrottleDeadline marks a throttle wait refused for the deadline.
var errThrottleDeadline = errors.New("unikyc: throttle wait would outlast the context deadline")

// RateLimiter is the default Limiter: a token bucket from
// golang.org/x/time/rate whose waits run on an injectable clock.
type RateLimiter struct {
	lim *rate.Limiter
	clk clock.Clock
}

// NewLimiter returns a RateLimiter allowing r requests a second with the
// given burst (1 spaces requests evenly). clk may be nil for the system
// clock. Use rate.Every(6*time.Second) for "10 a minute".
func NewLimiter(r rate.Limit, burst int, clk clock.Clock) *RateLimiter {
	return &RateLimiter{lim: rate.NewLimiter(r, burst), clk: clock.Or(clk)}
}

// Wait blocks until a request may be sent; see Limiter.
func (l *RateLimiter) Wait(ctx context.Context) error {
	now := l.clk.Now()
	if l.lim.AllowN(now, 1) {
		return nil
	}
	r := l.lim.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("unikyc: limiter allows no requests (burst %d)", l.lim.Burst())
	}
	d := r.DelayFrom(now)
	if dl, ok := ctx.Deadline(); ok && d > time.Until(dl) {
		r.CancelAt(now)
		return fmt.Errorf("%w (%s): %w", errThrottleDeadline, d, context.DeadlineExceeded)
	}
	if err := clock.Sleep(ctx, l.clk, d); err != nil {
		r.CancelAt(l.clk.Now())
		return err
	}
	return nil
}

// CoolDown is the pause after a 429, shared by every goroutine of a client
// (and, in fleet mode, by every replica). Until returns when the pause
// ends (the zero time: no pause); Extend moves the end to t if t is later.
type CoolDown interface {
	Until(ctx context.Context) time.Time
	Extend(ctx context.Context, t time.Time)
}

// LocalCoolDown is a CoolDown in process memory.
type LocalCoolDown struct {
	until atomic.Pointer[time.Time]
}

// Until returns when the pause ends.
func (c *LocalCoolDown) Until(context.Context) time.Time {
	if t := c.until.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

// Extend moves the end of the pause to t if t is later.
func (c *LocalCoolDown) Extend(_ context.Context, t time.Time) {
	for {
		cur := c.until.Load()
		if cur != nil && !t.After(*cur) {
			return
		}
		if c.until.CompareAndSwap(cur, &t) {
			return
		}
	}
}
