package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	uerrs "github.com/unikyc/unikyc/internal/errs"
	"github.com/unikyc/unikyc/ratelimit"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

var tenAMinute = ratelimit.Budget{Name: "requests", Limit: 10, Window: time.Minute}

// pump moves clk to its next timer until done is closed.
func pump(clk *clock.Fake, done <-chan struct{}) {
	for clk.WaitForTimers(1, done) {
		if next, ok := clk.NextTimer(); ok {
			clk.Set(next)
		}
	}
}

// admitted runs n waits of priority API from several goroutines and
// returns the clock time of each admission. The clock moves to the next
// timer only when every goroutine is parked in the limiter or done, so
// each admission is read at the time it happened.
func admitted(t *testing.T, clk *clock.Fake, l *ratelimit.WindowLimiter, n, goroutines int) []time.Time {
	t.Helper()
	var (
		mu       sync.Mutex
		out      []time.Time
		finished atomic.Int64
		busy     atomic.Int64 // between an admission and the next Wait
	)
	per := n / goroutines
	for range goroutines {
		busy.Add(1)
		go func() {
			defer finished.Add(1)
			for range per {
				busy.Add(-1)
				err := l.Wait(context.Background(), ratelimit.PriorityAPI)
				busy.Add(1)
				assert.NoError(t, err)
				mu.Lock()
				out = append(out, clk.Now())
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
	return out
}

// maxInWindow is the most admissions inside any closed window of length w:
// a server that counts both ends (DRF) sees that many.
func maxInWindow(ts []time.Time, w time.Duration) int {
	best := 0
	for i := range ts {
		n := 0
		for j := range ts {
			if !ts[j].Before(ts[i]) && ts[j].Sub(ts[i]) <= w {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// Rule: at most N requests in any window, as the server counts it — a
// request exactly one window old still counts — with a margin.
func TestWindowLimiterNeverExceedsTheBudgetInAnyWindow(t *testing.T) {
	clk := clock.NewFake(t0)
	l := ratelimit.NewWindowLimiter(tenAMinute, clk)
	ts := admitted(t, clk, l, 40, 4)
	require.Len(t, ts, 40)
	assert.LessOrEqual(t, maxInWindow(ts, time.Minute), 10, "never 11 in a minute counted at both ends")
	assert.LessOrEqual(t, maxInWindow(ts, tenAMinute.Span()-time.Nanosecond), 10,
		"nor in a minute stretched by network jitter up to the margin")
	// Budgets are windows, not metronomes: the first ten leave at once.
	for _, ts := range ts[:10] {
		assert.Equal(t, t0, ts)
	}
}

// Rule: logins and refreshes wait ahead of API calls.
func TestWindowLimiterAdmitsTokenCallsFirst(t *testing.T) {
	clk := clock.NewFake(t0)
	l := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Second, Margin: -1}, clk)
	require.NoError(t, l.Wait(context.Background(), ratelimit.PriorityAPI))

	order := make(chan string, 4)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, l.Wait(context.Background(), ratelimit.PriorityAPI))
			order <- "api"
		}()
		_ = i
		// Each API waiter is queued before the next one arrives.
		require.Eventually(t, func() bool { return l.Remaining() == 0 && queued(l) == i+1 }, time.Second, time.Millisecond)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, l.Wait(context.Background(), ratelimit.PriorityToken))
		order <- "token"
	}()
	require.Eventually(t, func() bool { return queued(l) == 4 }, time.Second, time.Millisecond)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	pump(clk, done)
	close(order)
	var got []string
	for o := range order {
		got = append(got, o)
	}
	assert.Equal(t, []string{"token", "api", "api", "api"}, got)
}

// Rule: a request sent again (replayed after a 401, retried) waits ahead
// of the API calls that came after it, behind the token call, and keeps
// the API calls' pace.
func TestWindowLimiterAdmitsARequestSentAgainBeforeLaterAPICalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "requests", Limit: 4, Window: 4 * time.Second, Margin: -1}, nil)
		for range 4 {
			require.NoError(t, l.Wait(context.Background(), ratelimit.PriorityAPI))
		}
		type admission struct {
			who string
			at  time.Time
		}
		var mu sync.Mutex
		var got []admission
		var wg sync.WaitGroup
		wait := func(who string, p ratelimit.Priority) {
			wg.Go(func() {
				require.NoError(t, l.Wait(context.Background(), p))
				mu.Lock()
				got = append(got, admission{who, time.Now()})
				mu.Unlock()
			})
			synctest.Wait() // queued before the next one comes
		}
		wait("api-1", ratelimit.PriorityAPI)
		wait("api-2", ratelimit.PriorityAPI)
		wait("again", ratelimit.PriorityAgain)
		wait("token", ratelimit.PriorityToken)
		wg.Wait()
		var order []string
		for _, a := range got {
			order = append(order, a.who)
		}
		assert.Equal(t, []string{"token", "again", "api-1", "api-2"}, order)
		for i := 2; i < len(got); i++ {
			assert.GreaterOrEqual(t, got[i].at.Sub(got[i-1].at), time.Second, "%s keeps the pace after %s", got[i].who, got[i-1].who)
		}
	})
}

// queued reports how many waiters l holds, from its own estimate: a
// deadline shorter than the wait for position k is refused at once.
func queued(l *ratelimit.WindowLimiter) int { return l.Queued() }

// Rule: a wait past the caller's deadline returns at once, typed.
func TestWindowLimiterRefusesAWaitPastTheDeadlineAtOnce(t *testing.T) {
	clk := clock.NewFake(t0)
	b := ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}
	l := ratelimit.NewWindowLimiter(b, clk)
	require.NoError(t, l.Wait(context.Background(), ratelimit.PriorityAPI))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := l.Wait(ctx, ratelimit.PriorityAPI)
	var rl *ratelimit.WaitError
	require.ErrorAs(t, err, &rl)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, uerrs.ErrRateLimited)
	assert.Equal(t, b.Span(), rl.RetryAfter)
	assert.Zero(t, clk.Timers(), "refused without parking")
	assert.Zero(t, l.Queued())
}

// Rule: after a 429 the budget paces: one request when the pause ends,
// the rest one slot apart.
func TestWindowLimiterPacesAfterAPause(t *testing.T) {
	clk := clock.NewFake(t0)
	l := ratelimit.NewWindowLimiter(tenAMinute, clk)
	until := t0.Add(10 * time.Minute)
	l.PaceFrom(until)
	clk.Set(until)
	ts := admitted(t, clk, l, 3, 1)
	assert.Equal(t, until, ts[0], "the probe leaves as the pause ends")
	assert.Equal(t, tenAMinute.Slot(), ts[1].Sub(ts[0]).Round(time.Millisecond))
	assert.Equal(t, tenAMinute.Slot(), ts[2].Sub(ts[1]).Round(time.Millisecond))
}

// Rule: Close releases every waiter at once.
func TestWindowLimiterCloseReleasesWaiters(t *testing.T) {
	clk := clock.NewFake(t0)
	l := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Hour}, clk)
	require.NoError(t, l.Wait(context.Background(), ratelimit.PriorityAPI))
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- l.Wait(context.Background(), ratelimit.PriorityAPI) }()
	}
	require.Eventually(t, func() bool { return l.Queued() == 4 }, time.Second, time.Millisecond)
	l.Close()
	for range 4 {
		select {
		case err := <-errs:
			assert.True(t, errors.Is(err, uerrs.ErrClosed), "%v", err)
		case <-time.After(time.Second):
			t.Fatal("a waiter was left behind by Close")
		}
	}
}

// Rule: a budget's margin defaults to the larger of 1 s and 1 % of the window.
func TestBudgetSpan(t *testing.T) {
	assert.Equal(t, 61*time.Second, tenAMinute.Span())
	assert.Equal(t, time.Hour+36*time.Second, ratelimit.Budget{Limit: 10, Window: time.Hour}.Span())
	assert.Equal(t, 6100*time.Millisecond, tenAMinute.Slot())
}

func BenchmarkAdmit(b *testing.B) {
	b.Run("x/time/rate", func(b *testing.B) {
		l := ratelimit.NewRateLimiter(1e9, 1<<30, nil)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = l.Wait(ctx, ratelimit.PriorityAPI)
		}
	})
	b.Run("window", func(b *testing.B) {
		l := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "bench", Limit: 1 << 20, Window: time.Nanosecond, Margin: time.Nanosecond}, nil)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = l.Wait(ctx, ratelimit.PriorityAPI)
		}
	})
}
