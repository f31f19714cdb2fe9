package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/errs"
	"github.com/unikyc/unikyc/ratelimit"
)

// onboarding is KYConnect's documented per-email budget: 5 submissions per
// 2 hours per email (the developer page's rate-limit table).
var onboarding = ratelimit.Budget{Name: "onboarding-individual", Limit: 5, Window: 2 * time.Hour, PerField: "email"}

// Rule: a keyed budget counts each value on its own: the sixth request for
// one key within the span is held back, with the wait until its first
// leaves the span, while other keys go through.
func TestKeyedLimiterCountsEachKeyOnItsOwn(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	k := ratelimit.NewKeyedLimiter(onboarding, clk, 15*time.Minute)
	defer k.Close()
	ctx := context.Background()
	for i := range 5 {
		require.NoError(t, k.Wait(ctx, "ada@example.com", ratelimit.PriorityAPI), "submission %d", i+1)
		clk.Advance(time.Minute)
	}
	err := k.Wait(ctx, " Ada@Example.com", ratelimit.PriorityAPI) // one address, however spelled
	var we *ratelimit.WaitError
	require.ErrorAs(t, err, &we, "the sixth waits longer than 15 minutes: said at once")
	assert.Equal(t, "onboarding-individual", we.Budget)
	assert.Equal(t, onboarding.Span()-5*time.Minute, we.RetryAfter)
	require.NoError(t, k.Wait(ctx, "grace@example.com", ratelimit.PriorityAPI), "another key goes through")

	clk.Advance(we.RetryAfter)
	require.NoError(t, k.Wait(ctx, "ada@example.com", ratelimit.PriorityAPI), "once the first left the span")
}

// Rule: a wait within maxWait and the deadline is waited for, on the clock.
func TestKeyedLimiterWaitsWithinMaxWait(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	b := ratelimit.Budget{Name: "per-user", Limit: 2, Window: time.Minute, Margin: -1, PerField: "user"}
	k := ratelimit.NewKeyedLimiter(b, clk, time.Hour)
	defer k.Close()
	ctx := context.Background()
	require.NoError(t, k.Wait(ctx, "u1", ratelimit.PriorityAPI))
	require.NoError(t, k.Wait(ctx, "u1", ratelimit.PriorityAPI))
	var err error
	clk.Drive(func() { err = k.Wait(ctx, "u1", ratelimit.PriorityAPI) })
	require.NoError(t, err)
	assert.Equal(t, time.Minute, clk.Now().Sub(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)))
}

// Rule: never more than Limit for one key in any span, under many
// goroutines.
func TestKeyedLimiterNeverExceedsTheBudgetPerKey(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	b := ratelimit.Budget{Name: "per-user", Limit: 3, Window: time.Minute, PerField: "user"}
	k := ratelimit.NewKeyedLimiter(b, clk, 0)
	defer k.Close()
	var mu sync.Mutex
	at := map[string][]time.Time{}
	const goroutines = 32
	var finished atomic.Int64
	// The clock moves only when every goroutine still at work waits on a
	// timer: each admission is recorded at the time it was made.
	idle := func() bool { return int64(clk.Timers()) == goroutines-finished.Load() }
	clk.DriveIdle(idle, func() {
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				defer finished.Add(1)
				key := fmt.Sprintf("u%d", i%4)
				for range 4 {
					if assert.NoError(t, k.Wait(context.Background(), key, ratelimit.PriorityAPI)) {
						mu.Lock()
						at[key] = append(at[key], clk.Now())
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
	})
	for key, ts := range at {
		assert.Len(t, ts, 32)
		assert.LessOrEqual(t, maxInWindow(ts, b.Span()-time.Nanosecond), 3, key)
	}
}

// Rule: memory follows the keys in use: keys whose requests left the span
// are dropped.
func TestKeyedLimiterDropsIdleKeys(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	k := ratelimit.NewKeyedLimiter(onboarding, clk, 0)
	defer k.Close()
	ctx := context.Background()
	for i := range 10_000 {
		require.NoError(t, k.Wait(ctx, fmt.Sprintf("user%d@example.com", i), ratelimit.PriorityAPI))
		if i%1000 == 999 {
			clk.Advance(onboarding.Span()) // a new span: the earlier keys are idle
		}
	}
	assert.LessOrEqual(t, k.Keys(), 2*1000+64, "held: about the keys of the last span or two")
}

// Rule: Close ends every wait with ErrClosed.
func TestKeyedLimiterCloseEndsWaits(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	k := ratelimit.NewKeyedLimiter(ratelimit.Budget{Name: "b", Limit: 1, Window: time.Minute}, clk, 0)
	require.NoError(t, k.Wait(context.Background(), "x", ratelimit.PriorityAPI))
	done := make(chan error, 1)
	var started atomic.Bool
	go func() { started.Store(true); done <- k.Wait(context.Background(), "x", ratelimit.PriorityAPI) }()
	require.True(t, clk.WaitForTimers(1, nil))
	k.Close()
	assert.ErrorIs(t, <-done, errs.ErrClosed)
	assert.True(t, started.Load())
	assert.ErrorIs(t, k.Wait(context.Background(), "y", ratelimit.PriorityAPI), errs.ErrClosed)
}
