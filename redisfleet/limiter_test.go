package redisfleet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/tokencache"
)

// compliancelyBudget is Compliancely's documented budget: 10 requests a
// minute, counted over 61 s.
var compliancelyBudget = ratelimit.Budget{Name: "requests", Limit: 10, Window: time.Minute}

// Rule: "at most N requests in any window W" holds for the fleet
// together, and a burst may use all the budget left: Compliancely's 10 a
// minute, shared by two replicas.
func TestBudgetIsSharedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	b := compliancelyBudget
	fa, rdb := newFleet(t, p, redisfleet.WithClock(clk))
	fb, _ := newFleet(t, p, redisfleet.WithClock(clk))
	la, lb := fa.Limiter("compliancely:api-user@example.com", b), fb.Limiter("compliancely:api-user@example.com", b)

	for i := range 10 { // a burst: the whole unused budget, no wait
		l := la
		if i%2 == 1 {
			l = lb
		}
		require.NoError(t, l.Wait(ctx, ratelimit.PriorityAPI), "request %d", i+1)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := lb.Wait(short, ratelimit.PriorityAPI)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the 11th in the window: not within 1 s")
	require.ErrorIs(t, err, providers.ErrRateLimited, "said at once, not when the deadline passed")

	done := make(chan error, 1)
	go func() { done <- la.Wait(ctx, ratelimit.PriorityAPI) }()
	require.True(t, clk.WaitForTimers(1, nil))
	next, _ := clk.NextTimer()
	assert.Equal(t, start.Add(b.Span()), next, "the 11th leaves when the first leaves the window plus its margin")
	clk.Set(next)
	require.NoError(t, <-done)
	assert.True(t, fa.Stats().Shared && fb.Stats().Shared)

	// The keys name hashes, not the account, all in the account's slot.
	for _, k := range keys(t, rdb, p) {
		assert.NotContains(t, k, "api-user", k)
		assert.True(t, strings.HasPrefix(k, p+"{"), k)
	}
}

// Rule: token calls wait ahead of API calls for the next slot, on this
// replica and on every other.
func TestBudgetTokenCallsGoFirst(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	b := ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}
	fa, _ := newFleet(t, p, redisfleet.WithClock(clk))
	fb, _ := newFleet(t, p, redisfleet.WithClock(clk))
	l, other := fa.Limiter("acct", b), fb.Limiter("acct", b)
	require.NoError(t, l.Wait(ctx, ratelimit.PriorityAPI))

	api := make(chan error, 1)
	go func() { api <- l.Wait(ctx, ratelimit.PriorityAPI) }()
	require.True(t, clk.WaitForTimers(1, nil)) // the API call waits for the slot
	tok := make(chan error, 1)
	go func() { tok <- l.Wait(ctx, ratelimit.PriorityToken) }()
	// The token call takes the API call's place: still one timer, now its.
	rdb := newClient(t, "")
	require.Eventually(t, func() bool { return clk.Timers() == 1 && len(tok) == 0 && tokenWaiting(t, rdb, p) }, 5*time.Second, time.Millisecond)

	// Another replica's API call leaves the slot that frees to the token call.
	otherAPI := make(chan error, 1)
	go func() { otherAPI <- other.Wait(ctx, ratelimit.PriorityAPI) }()
	require.True(t, clk.WaitForTimers(2, nil))

	clk.Set(start.Add(b.Span()))
	require.NoError(t, <-tok, "the token call has the slot")
	for _, ch := range []chan error{api, otherAPI} {
		select {
		case err := <-ch:
			t.Fatalf("an API call went before the next slot: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	// The next slot goes to whichever API call asks first; the other waits
	// for the one after.
	clk.Set(start.Add(2 * b.Span()))
	var rest chan error
	select {
	case err := <-api:
		require.NoError(t, err)
		rest = otherAPI
	case err := <-otherAPI:
		require.NoError(t, err)
		rest = api
	}
	select {
	case err := <-rest:
		t.Fatalf("two API calls in one slot: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	require.True(t, clk.WaitForTimers(1, nil))
	clk.Set(start.Add(3 * b.Span()))
	require.NoError(t, <-rest)
}

// tokenWaiting reports whether a token call holds a reservation in the
// fleet's Redis.
func tokenWaiting(t *testing.T, rdb *redis.Client, p string) bool {
	t.Helper()
	for _, k := range keys(t, rdb, p) {
		if strings.Contains(k, "}:reserve:") {
			return true
		}
	}
	return false
}

// Rule: after a 429 one request leaves when the pause ends and the rest
// follow at the budget's even pace, for the whole fleet.
func TestBudgetPacesTheFleetAfterA429(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	b := compliancelyBudget
	fa, _ := newFleet(t, p, redisfleet.WithClock(clk))
	fb, _ := newFleet(t, p, redisfleet.WithClock(clk))
	la, lb := fa.Limiter("acct", b), fb.Limiter("acct", b)
	require.NoError(t, la.Wait(ctx, ratelimit.PriorityAPI))
	until := start.Add(10 * time.Minute)
	la.(ratelimit.Pacer).PaceFrom(until)

	var at []time.Time
	clk.Drive(func() {
		for i := range 4 {
			l := la
			if i%2 == 1 {
				l = lb
			}
			if err := l.Wait(ctx, ratelimit.PriorityAPI); err != nil {
				t.Error(err)
				return
			}
			at = append(at, clk.Now())
		}
	})
	require.Len(t, at, 4)
	assert.Equal(t, until, at[0], "one at the end of the pause")
	for i := 1; i < len(at); i++ {
		assert.Equal(t, b.Slot(), at[i].Sub(at[i-1]), "then one step apart: %d", i)
	}
}

func TestBudgetWithoutLimitIsLocal(t *testing.T) {
	f, _ := newFleet(t, prefix(t))
	_, local := f.Limiter("x", ratelimit.Budget{Name: "requests"}).(*ratelimit.WindowLimiter)
	assert.True(t, local)
	_, shared := f.Limiter("x", compliancelyBudget).(*redisfleet.Limiter)
	assert.True(t, shared)
}

// Rule: without Redis a budget waits on this replica's share (Limit /
// replicas), starting a whole span after the switch: the other replicas
// may have used the budget just before. It logs the switch once.
func TestBudgetFallsBackToItsShare(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	var log leakcheck.Log
	f, err := redisfleet.New(newClient(t, deadAddr(t)), redisfleet.WithClock(clk), redisfleet.WithReplicas(5),
		redisfleet.WithLogger(log.Logger()), redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	b := compliancelyBudget // this replica alone: 2 a span
	l := f.Limiter("acct", b)
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	require.ErrorIs(t, l.Wait(short, ratelimit.PriorityAPI), context.DeadlineExceeded, "a switch never bursts")

	var at []time.Time
	clk.Drive(func() {
		for range 3 {
			if err := l.Wait(ctx, ratelimit.PriorityAPI); err != nil {
				t.Error(err)
				return
			}
			at = append(at, clk.Now())
		}
	})
	require.Len(t, at, 3)
	assert.Equal(t, start.Add(b.Span()), at[0])
	assert.Equal(t, b.Span()/2, at[1].Sub(at[0]), "2 a span")
	assert.Equal(t, b.Span()/2, at[2].Sub(at[1]))
	st := f.Stats()
	assert.False(t, st.Shared)
	assert.EqualValues(t, 1, st.Degradations)
	assert.Equal(t, 1, strings.Count(log.String(), "Redis unavailable"), log.String())
}

// Rule: Close releases every waiter.
func TestBudgetCloseReleasesWaiters(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	f, _ := newFleet(t, prefix(t), redisfleet.WithClock(clk))
	l := f.Limiter("acct", ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}).(*redisfleet.Limiter)
	require.NoError(t, l.Wait(ctx, ratelimit.PriorityAPI))
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- l.Wait(ctx, ratelimit.PriorityAPI) }()
	}
	require.True(t, clk.WaitForTimers(1, nil))
	l.Close()
	for range 3 {
		require.ErrorIs(t, <-errs, providers.ErrClosed)
	}
	require.ErrorIs(t, l.Wait(ctx, ratelimit.PriorityToken), providers.ErrClosed)
}

// A Redis that accepts connections and never answers costs a request one
// timeout, once; then the replica serves locally.
func TestSlowRedisFallsBackWithinTheTimeout(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t, blackhole(t))
	f, err := redisfleet.New(rdb, redisfleet.WithTimeout(50*time.Millisecond), redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	l := f.Limiter("acct", ratelimit.Budget{Name: "requests", Limit: 1000, Window: 10 * time.Millisecond, Margin: -1})

	began := time.Now()
	for range 21 {
		require.NoError(t, l.Wait(ctx, ratelimit.PriorityAPI))
	}
	assert.Less(t, time.Since(began), time.Second)
	tok, err := f.Store().Load(ctx, "k")
	require.NoError(t, err)
	assert.Nil(t, tok)
	st := f.Stats()
	assert.False(t, st.Shared)
	assert.EqualValues(t, 1, st.RedisErrors)
	var d tokencache.Degrader = f.Store()
	assert.True(t, d.Degraded(), "token caches put soft refreshes off")
}
