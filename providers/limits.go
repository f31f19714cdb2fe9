package providers

import (
	"time"

	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/ratelimit"
)

// Budget is a provider's documented limit; see [ratelimit.Budget].
// Clients report theirs with Budgets, and WithLimiters makes a limiter per
// Budget.
type Budget = ratelimit.Budget

// Limiter admits the requests sent under one budget; see
// [ratelimit.Limiter].
type Limiter = ratelimit.Limiter

// The names below moved to package ratelimit; these aliases keep code
// written against v2 compiling for one release.
type (
	// Deprecated: use ratelimit.Priority (kept for one release).
	Priority = ratelimit.Priority
	// Deprecated: use ratelimit.Pacer (kept for one release).
	Pacer = ratelimit.Pacer
	// Deprecated: use ratelimit.WindowLimiter (kept for one release).
	WindowLimiter = ratelimit.WindowLimiter
	// Deprecated: use ratelimit.RateLimiter (kept for one release).
	RateLimiter = ratelimit.RateLimiter
	// Deprecated: use ratelimit.CoolDown (kept for one release).
	CoolDown = ratelimit.CoolDown
	// Deprecated: use ratelimit.LocalCoolDown (kept for one release).
	LocalCoolDown = ratelimit.LocalCoolDown
)

const (
	// Deprecated: use ratelimit.PriorityAPI (kept for one release).
	PriorityAPI = ratelimit.PriorityAPI
	// Deprecated: use ratelimit.PriorityToken (kept for one release).
	PriorityToken = ratelimit.PriorityToken
)

// NewWindowLimiter returns a limiter for b.
//
// Deprecated: use ratelimit.NewWindowLimiter (kept for one release).
func NewWindowLimiter(b Budget, clk clock.Clock) *WindowLimiter {
	return ratelimit.NewWindowLimiter(b, clk)
}

// NewLimiter returns a RateLimiter.
//
// Deprecated: use ratelimit.NewRateLimiter (kept for one release).
func NewLimiter(r rate.Limit, burst int, clk clock.Clock) *RateLimiter {
	return ratelimit.NewRateLimiter(r, burst, clk)
}

// DeadlineError is what a Limiter returns when the wait it asks for would
// outlast the caller's deadline.
//
// Deprecated: return a *ratelimit.WaitError (kept for one release).
func DeadlineError(budget string, wait time.Duration) *ratelimit.WaitError {
	return &ratelimit.WaitError{Budget: budget, RetryAfter: wait}
}
