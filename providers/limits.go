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
	// Kept for one release: use ratelimit.Priority.
	Priority = ratelimit.Priority
	// Kept for one release: use ratelimit.Pacer.
	Pacer = ratelimit.Pacer
	// Kept for one release: use ratelimit.WindowLimiter.
	WindowLimiter = ratelimit.WindowLimiter
	// Kept for one release: use ratelimit.RateLimiter.
	RateLimiter = ratelimit.RateLimiter
	// Kept for one release: use ratelimit.CoolDown.
	CoolDown = ratelimit.CoolDown
	// Kept for one release: use ratelimit.LocalCoolDown.
	LocalCoolDown = ratelimit.LocalCoolDown
)

const (
	// Kept for one release: use ratelimit.PriorityAPI.
	PriorityAPI = ratelimit.PriorityAPI
	// Kept for one release: use ratelimit.PriorityToken.
	PriorityToken = ratelimit.PriorityToken
)

// NewWindowLimiter returns a limiter for b.
//
// Kept for one release: use ratelimit.NewWindowLimiter.
func NewWindowLimiter(b Budget, clk clock.Clock) *WindowLimiter {
	return ratelimit.NewWindowLimiter(b, clk)
}

// NewLimiter returns a RateLimiter.
//
// Kept for one release: use ratelimit.NewRateLimiter.
func NewLimiter(r rate.Limit, burst int, clk clock.Clock) *RateLimiter {
	return ratelimit.NewRateLimiter(r, burst, clk)
}

// DeadlineError is what a Limiter returns when the wait it asks for would
// outlast the caller's deadline.
//
// Kept for one release: return a *ratelimit.WaitError.
func DeadlineError(budget string, wait time.Duration) *ratelimit.WaitError {
	return &ratelimit.WaitError{Budget: budget, RetryAfter: wait}
}
