//go:build integration

package integration

import (
	"time"

	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/providers"
)

// The servers run with their limits scaled down; the clients get the same
// budgets, scaled the same way, through the options every provider takes.
// This file is the only one that knows how a budget is built.

// budget is "at most limit requests in any window", as a server counts.
func budget(limit int, window time.Duration) providers.Limiter {
	// Pipeline v1: an evenly spaced token bucket, as the providers' own
	// defaults are built (compliancely: rate.Every(6s) for 10 a minute).
	return providers.NewLimiter(rate.Every(window/time.Duration(limit)), 1, nil)
}

// withBudget replaces the client's request budget.
func withBudget(limit int, window time.Duration) providers.Option {
	return providers.WithLimiter(budget(limit, window))
}

// withLoginBudget replaces the client's login budget (KYConnect).
func withLoginBudget(limit int, window time.Duration) providers.Option {
	return providers.WithLoginLimiter(budget(limit, window))
}

// noBudget sends as fast as the caller asks, to draw the server's 429.
func noBudget() providers.Option { return providers.WithLimiter(nil) }
