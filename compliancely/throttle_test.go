package compliancely_test

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
)

// A simulated day of steady use at the throttle's pace: three workers
// submit tax-exempt checks as fast as the client lets them.
func TestDayOfSteadyUse(t *testing.T) {
	e := setupPaced(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, err := e.c.CreateTaxExempt(ctx, newSub())
				if err == nil {
					_, err = e.c.CreateTaxExempt(ctx, newSub())
				}
				if err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
			}
		})
	}
	e.rt.waitCount(t, 1) // the login goes out at once
	end := start.Add(24 * time.Hour)
	e.pump(t, func() bool { return !e.clk.Now().Before(end) || len(errs) > 0 })
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker failed: %v", err)
	}

	hits := e.srv.Hits()
	var perMinute [24 * 60]int
	var refreshes []time.Time
	for _, h := range hits {
		if m := int(h.At.Sub(start) / time.Minute); m < len(perMinute) {
			perMinute[m]++
		}
		if h.Path == refreshPath {
			refreshes = append(refreshes, h.At)
		}
	}
	total := 0
	for m, n := range perMinute {
		total += n
		if n > 10 {
			for _, h := range hits {
				if int(h.At.Sub(start)/time.Minute) == m {
					t.Logf("%s %s %s %d", h.At.Sub(start), h.Method, h.Path, h.Status)
				}
			}
		}
		require.LessOrEqual(t, n, 10, "minute %d", m)
	}
	rpm := float64(total) / float64(len(perMinute))
	t.Logf("24 h: %d requests (%.3f a minute), %d logins, %d refreshes, %d 401, %d 429",
		total, rpm, e.srv.Logins(), len(refreshes),
		count(hits, func(h compliancelytest.Hit) bool { return h.Status == http.StatusUnauthorized }),
		count(hits, func(h compliancelytest.Hit) bool { return h.Status == http.StatusTooManyRequests }))

	assert.InDelta(t, 10, rpm, 0.5, "throughput within 5 % of 10 a minute")
	assert.Equal(t, 1, e.srv.Calls(loginPath), "one login a day")
	assert.Equal(t, 1, e.srv.Logins())
	assert.Equal(t, len(refreshes), e.srv.Refreshes(), "every refresh accepted")
	assert.Zero(t, count(hits, func(h compliancelytest.Hit) bool {
		return h.Status == http.StatusUnauthorized || h.Status == http.StatusTooManyRequests
	}), "no 401 and no 429")
	assert.Zero(t, e.srv.Rejected())
	assert.Zero(t, e.c.Stats().RateLimited)

	// One refresh every 45 to 50 minutes (plus the wait for a slot): the
	// access token is replaced 10 to 15 minutes before its hour is up.
	require.GreaterOrEqual(t, len(refreshes), 28)
	require.LessOrEqual(t, len(refreshes), 33)
	prev := start
	for i, r := range refreshes {
		gap := r.Sub(prev)
		assert.True(t, gap >= 45*time.Minute && gap <= 50*time.Minute+30*time.Second, "refresh %d after %s", i, gap)
		prev = r
	}
}

// 100 requests at once are queued at 10 a minute: none is refused.
func TestBurstIsQueued(t *testing.T) {
	e := setupPaced(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // longer than the 10 minutes the queue takes
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for range 100 {
		wg.Go(func() {
			if err := createSub(e.c)(ctx); err != nil {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
			}
		})
	}
	e.rt.waitCount(t, 1) // login
	e.pump(t, func() bool { return e.rt.n.Load() == 101 })
	wg.Wait()

	require.Empty(t, failed)
	hits := e.srv.Hits()
	assert.Equal(t, 100, count(hits, func(h compliancelytest.Hit) bool { return h.Path == apiPath && h.Status == http.StatusCreated }))
	assert.Zero(t, e.srv.RateLimited())
	assert.Equal(t, 1, e.srv.Logins())
	assert.Equal(t, 100*6*time.Second, e.clk.Now().Sub(start), "one request every 6 s after the login")
	assertAtMostTenAMinute(t, hits)
}

// assertAtMostTenAMinute checks every sliding minute of hits.
func assertAtMostTenAMinute(t *testing.T, hits []compliancelytest.Hit) {
	t.Helper()
	times := make([]time.Time, len(hits))
	for i, h := range hits {
		times[i] = h.At
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i := range times {
		if i >= 10 {
			require.GreaterOrEqual(t, times[i].Sub(times[i-10]), time.Minute, "11 requests within a minute ending %s", times[i])
		}
	}
}

// A 429 pauses every goroutine of the client for the penalty; a caller
// whose deadline is shorter gets a *RateLimitError at once, sending nothing.
func TestRateLimitPausesEveryone(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter string
		pause      time.Duration
	}{
		{"no Retry-After: 10 minutes", "", 10 * time.Minute},
		{"Retry-After: 90", "90", 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := loggedIn(t) // login at start, one call at start+6s
			e.srv.RateLimitNext(apiPath, 1, tc.retryAfter)

			// A: its next call is answered 429 and waits out the pause.
			var wg sync.WaitGroup
			results := make(chan error, 3)
			wg.Go(func() { results <- createSub(e.c)(context.Background()) })
			require.True(t, e.clk.WaitForTimers(1, nil)) // A's limiter slot
			next, _ := e.clk.NextTimer()
			hitAt := next
			e.clk.Set(next)
			require.True(t, e.clk.WaitForTimers(1, nil)) // A parked on the pause
			pausedUntil := hitAt.Add(tc.pause)
			at, _ := e.clk.NextTimer()
			require.Equal(t, pausedUntil, at)

			// B and C arrive during the pause: they wait too, sending nothing.
			for range 2 {
				wg.Go(func() { results <- createSub(e.c)(context.Background()) })
			}
			require.True(t, e.clk.WaitForTimers(3, nil))
			seen := e.srv.Requests()

			// D cannot wait that long.
			short, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := e.c.CreateTaxExempt(short, newSub())
			var rl *providers.RateLimitError
			require.ErrorAs(t, err, &rl)
			assert.ErrorIs(t, err, providers.ErrRateLimited)
			assert.Equal(t, pausedUntil.Sub(e.clk.Now()), rl.RetryAfter)

			e.clk.Set(pausedUntil.Add(-time.Second))
			assert.Equal(t, seen, e.srv.Requests(), "nothing sent during the pause")

			e.run(wg.Wait)
			close(results)
			for err := range results {
				require.NoError(t, err)
			}
			var after []time.Time
			for _, h := range e.srv.Hits() {
				if h.At.After(hitAt) {
					after = append(after, h.At)
				}
			}
			require.Len(t, after, 3, "A's retry, B and C")
			for _, at := range after {
				assert.False(t, at.Before(pausedUntil), "sent at %s, before the pause ended at %s", at, pausedUntil)
			}
			assert.Equal(t, int64(1), e.c.Stats().RateLimited)
		})
	}
}

// The fake's own limit: a client without a throttle is refused past 10
// requests a minute with the seed's body, and then waits 10 minutes.
func TestFakeLimitAndPenalty(t *testing.T) {
	e := setup(t, nil, providers.WithLimiter(nil))
	ctx := context.Background()
	for range 9 { // login + 9 calls = 10 in the minute
		require.NoError(t, createSub(e.c)(ctx))
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := e.c.CreateTaxExempt(short, newSub())
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	require.NotNil(t, rl.Response)
	assert.Equal(t, http.StatusTooManyRequests, rl.Response.StatusCode)
	assert.Equal(t, compliancelytest.ThrottledDetail, rl.Response.Message)
	assert.Equal(t, 10*time.Minute, rl.RetryAfter)
	assert.Equal(t, 1, e.srv.RateLimited())

	// A patient caller is sent when the 10 minutes are over, and accepted.
	require.NoError(t, e.call(createSub(e.c)))
	hits := e.srv.Hits()
	last := hits[len(hits)-1]
	assert.Equal(t, start.Add(10*time.Minute), last.At)
	assert.Equal(t, http.StatusCreated, last.Status)
	assert.Equal(t, 1, e.srv.RateLimited())
}
