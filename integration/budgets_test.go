//go:build integration

package integration

import (
	"time"

	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// The servers run with their limits scaled down; the clients get the same
// budgets, scaled the same way, through the options every provider takes.
// This file is the only one that knows how a budget is built.

// budget is "at most limit requests in any window", as a server counts.
func budget(name string, limit int, window time.Duration) ratelimit.Limiter {
	// As the providers' own defaults are built: a sliding window with the
	// default margin (the larger of 1 s and 1 % of the window).
	return ratelimit.NewWindowLimiter(budgetOf(name, limit, window), nil)
}

// budgetOf is the budget budget counts by: its Span and Slot are the
// client's.
func budgetOf(name string, limit int, window time.Duration) ratelimit.Budget {
	return ratelimit.Budget{Name: name, Limit: limit, Window: window}
}

// withBudget replaces the client's request budget.
func withBudget(limit int, window time.Duration) providers.Option {
	return providers.WithLimiter(budget("requests", limit, window))
}

// withLoginBudget replaces the client's login budget (KYConnect).
func withLoginBudget(limit int, window time.Duration) providers.Option {
	return providers.WithLoginLimiter(budget("login", limit, window))
}

// scaled gives the client what the scaled-down servers document: tokens
// that live seconds (no 30 s floor) and the servers' short penalty.
func scaled(penalty time.Duration) []providers.Option {
	return []providers.Option{
		providers.WithMinTokenLifetime(500 * time.Millisecond),
		providers.WithRetryPolicy(providers.RetryPolicy{Penalty: penalty}),
	}
}

// noBudget sends as fast as the caller asks, to draw the server's 429.
func noBudget() providers.Option { return providers.WithLimiter(nil) }
