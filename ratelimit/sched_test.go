package ratelimit_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/ratelimit"
)

// waits runs goroutines back to back, per requests each, on l and returns
// how long each request waited on clk. The clock moves to its next timer
// only when every goroutine is parked in the limiter or done.
func waits(t *testing.T, clk *clock.Fake, l *ratelimit.WindowLimiter, goroutines, per int) (admits []time.Time, waited []time.Duration) {
	t.Helper()
	var (
		mu       sync.Mutex
		finished atomic.Int64
		busy     atomic.Int64
	)
	for range goroutines {
		busy.Add(1)
		go func() {
			defer finished.Add(1)
			for range per {
				start := clk.Now()
				busy.Add(-1)
				err := l.Wait(context.Background(), ratelimit.PriorityAPI)
				busy.Add(1)
				assert.NoError(t, err)
				mu.Lock()
				admits = append(admits, clk.Now())
				waited = append(waited, clk.Now().Sub(start))
				mu.Unlock()
			}
			busy.Add(-1)
		}()
	}
	for finished.Load() < int64(goroutines) {
		if busy.Load() == 0 && l.Queued()+int(finished.Load()) == goroutines {
			if next, ok := clk.NextTimer(); ok {
				clk.Set(next)
			}
		}
		time.Sleep(50 * time.Microsecond)
	}
	return admits, waited
}

// Rule: once requests queue, the rest of the budget is spread evenly: under
// sustained demand a request waits about Span/Limit for each request ahead
// of it, not a whole window — and never more than Limit in any Span.
func TestRuleOnceRequestsQueueTheBudgetIsSpreadEvenly(t *testing.T) {
	clk := clock.NewFake(t0)
	b := ratelimit.Budget{Name: "requests", Limit: 100, Window: time.Minute} // KYConnect's
	l := ratelimit.NewWindowLimiter(b, clk)
	const goroutines = 16
	l.TrackDemand(func() int { return goroutines }) // as the client tells it: its calls under way
	admits, waited := waits(t, clk, l, goroutines, 40)
	require.Len(t, waited, goroutines*40)
	assert.LessOrEqual(t, maxInWindow(admits, b.Window), b.Limit)
	assert.LessOrEqual(t, maxInWindow(admits, b.Span()-time.Nanosecond), b.Limit)
	var longest, sum time.Duration
	for _, w := range waited {
		longest = max(longest, w)
		sum += w
	}
	// 16 callers, one slot each: about 16 × 0.61 s.
	assert.Less(t, longest, 15*time.Second, "a caller with a 20 s deadline is served")
	steady := waited[len(waited)/2:]
	var s time.Duration
	for _, w := range steady {
		s += w
	}
	mean := s / time.Duration(len(steady))
	assert.InDelta(t, float64(goroutines*b.Slot()), float64(mean), float64(goroutines*b.Slot())/3,
		"sustained: about Span/Limit per queued request (mean %v)", mean)
	// A burst still uses the idle budget: its share for each caller.
	for _, at := range admits[:b.Limit/goroutines] {
		assert.Equal(t, t0, at)
	}
}

// Rule: while a token call is due within the Span, API calls leave it a
// slot: the refresh never waits for a window API calls filled.
func TestRuleTokenCallsNeverWaitForAWindowAPICallsFilled(t *testing.T) {
	clk := clock.NewFake(t0)
	b := ratelimit.Budget{Name: "requests", Limit: 10, Window: time.Minute}
	l := ratelimit.NewWindowLimiter(b, clk)
	var due atomic.Pointer[time.Time]
	refreshAt := t0.Add(20 * time.Second)
	due.Store(&refreshAt)
	l.KeepHeadroom(func() time.Time { return *due.Load() })
	done := make(chan struct{})
	var admits []time.Time
	go func() {
		defer close(done)
		admits, _ = waits(t, clk, l, 16, 1)
	}()
	// The API callers take what they may until the refresh is due.
	require.Eventually(t, func() bool { return l.Queued() > 0 }, 5*time.Second, time.Millisecond)
	for clk.Now().Before(refreshAt) {
		if next, ok := clk.NextTimer(); ok && !next.After(refreshAt) && l.Queued() > 0 {
			clk.Set(next)
		} else {
			clk.Set(refreshAt)
		}
		time.Sleep(time.Millisecond)
	}
	start, queued, err := l.Admit(context.Background(), ratelimit.PriorityToken)
	require.NoError(t, err)
	assert.False(t, queued, "the refresh leaves at once: a slot was kept for it")
	later := t0.Add(10 * time.Hour)
	due.Store(&later)
	l.Recheck()
	<-done
	assert.LessOrEqual(t, maxInWindow(append(admits, start), b.Span()-time.Nanosecond), b.Limit)
}

// Rule: memory grows with use, not with the budget's limit.
func TestRuleAnIdleLimiterHoldsLittleWhateverItsLimit(t *testing.T) {
	b := ratelimit.Budget{Name: "requests", Limit: 10000, Window: time.Hour} // iDenfy's
	const n = 200
	keep := make([]*ratelimit.WindowLimiter, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i] = ratelimit.NewWindowLimiter(b, nil)
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / n
	assert.Less(t, per, uint64(1<<10), "bytes per idle limiter of 10,000 an hour")
	runtime.KeepAlive(keep)

	// Used, it grows with use, and lets go when the window empties.
	clk := clock.NewFake(t0)
	l := ratelimit.NewWindowLimiter(b, clk)
	for range 20 {
		require.NoError(t, l.Wait(context.Background(), ratelimit.PriorityAPI))
	}
	assert.Equal(t, 10000-20, l.Remaining())
	clk.Advance(b.Span())
	assert.Equal(t, 10000, l.Remaining())
}

// Rule: a wait is counted only when the request really queued.
func TestRuleAdmitSaysWhetherTheRequestQueued(t *testing.T) {
	l := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "requests", Limit: 1, Window: 50 * time.Millisecond, Margin: -1}, nil)
	_, queued, err := l.Admit(context.Background(), ratelimit.PriorityAPI)
	require.NoError(t, err)
	assert.False(t, queued, "an idle budget admits without queueing, on the real clock")
	_, queued, err = l.Admit(context.Background(), ratelimit.PriorityAPI)
	require.NoError(t, err)
	assert.True(t, queued)
}

// Rule: a slot given back is free again, and its time is not counted.
func TestRuleASlotGivenBackIsFreeAgain(t *testing.T) {
	clk := clock.NewFake(t0)
	l := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}, clk)
	at, _, err := l.Admit(context.Background(), ratelimit.PriorityToken)
	require.NoError(t, err)
	assert.Zero(t, l.Remaining())
	l.Return(at)
	assert.Equal(t, 1, l.Remaining())
}
