package redisfleet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache/redisfleet"
)

func TestLimiterIsSharedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	a, rdb := newFleet(t, p, redisfleet.WithClock(clk))
	b, _ := newFleet(t, p, redisfleet.WithClock(clk))
	la := a.Limiter("compliancely:api-user@example.com", rate.Every(time.Hour), 2)
	lb := b.Limiter("compliancely:api-user@example.com", rate.Every(time.Hour), 2)

	// The burst of 2 is the fleet's, not each replica's.
	require.NoError(t, la.Wait(ctx, providers.PriorityAPI))
	require.NoError(t, lb.Wait(ctx, providers.PriorityAPI))

	// The next slot is an hour away: a deadline sooner than that fails at
	// once, wrapping context.DeadlineExceeded.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	began := time.Now()
	err := la.Wait(short, providers.PriorityAPI)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 500*time.Millisecond)
	assert.Contains(t, err.Error(), "deadline")

	// Without a deadline it waits on the injected clock, and leaves when its
	// context is cancelled.
	cctx, cancelWait := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lb.Wait(cctx, providers.PriorityAPI) }()
	require.True(t, clk.WaitForTimers(1, nil))
	next, _ := clk.NextTimer()
	assert.InDelta(t, time.Hour.Seconds(), next.Sub(clk.Now()).Seconds(), 5, "parked until the next fleet slot")
	cancelWait()
	require.ErrorIs(t, <-done, context.Canceled)

	// The key names a hash, not the account.
	ks := keys(t, rdb, p)
	require.Len(t, ks, 1)
	assert.True(t, strings.HasPrefix(ks[0], "rate:"+p+"{"), ks[0])
	assert.NotContains(t, ks[0], "api-user")
	assert.True(t, a.Stats().Shared && a.Stats().RedisErrors == 0)
}

func TestLimiterUnshareableLimitsAreLocal(t *testing.T) {
	f, _ := newFleet(t, prefix(t))
	_, local := f.Limiter("x", rate.Inf, 1).(*providers.RateLimiter)
	assert.True(t, local)
	_, shared := f.Limiter("x", 5, 1).(*redisfleet.Limiter)
	assert.True(t, shared)
}

// With Redis down, the limiter waits on the replica's share of the limit,
// after emptying its bucket so the switch does not burst, and logs once.
func TestLimiterFallsBackToItsShare(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	var log leakcheck.Log
	rdb := newClient(t, deadAddr(t))
	f, err := redisfleet.New(rdb, redisfleet.WithClock(clk), redisfleet.WithReplicas(5),
		redisfleet.WithLogger(log.Logger()), redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	l := f.Limiter("acct", 10, 1) // fleet: 10/s; this replica alone: 2/s

	for i := range 3 {
		done := make(chan error, 1)
		go func() { done <- l.Wait(ctx, providers.PriorityAPI) }()
		require.True(t, clk.WaitForTimers(1, nil), "wait %d", i)
		next, _ := clk.NextTimer()
		assert.Equal(t, 500*time.Millisecond, next.Sub(clk.Now()), "wait %d: 1/5 of 10/s", i)
		clk.Advance(500 * time.Millisecond)
		require.NoError(t, <-done)
	}
	st := f.Stats()
	assert.False(t, st.Shared)
	assert.EqualValues(t, 1, st.Degradations)
	assert.EqualValues(t, 1, st.RedisErrors, "no Redis call until the probe interval has passed")
	assert.Equal(t, 1, strings.Count(log.String(), "Redis unavailable"), log.String())
}

// A Redis that accepts connections and never answers costs a request one
// timeout, once; then the replica serves locally.
func TestSlowRedisFallsBackWithinTheTimeout(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t, blackhole(t))
	f, err := redisfleet.New(rdb, redisfleet.WithTimeout(50*time.Millisecond), redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	l := f.Limiter("acct", 1000, 10)

	began := time.Now()
	require.NoError(t, l.Wait(ctx, providers.PriorityAPI))
	for range 20 {
		require.NoError(t, l.Wait(ctx, providers.PriorityAPI))
	}
	assert.Less(t, time.Since(began), time.Second)
	tok, err := f.Store().Load(ctx, "k")
	require.NoError(t, err)
	assert.Nil(t, tok)
	st := f.Stats()
	assert.False(t, st.Shared)
	assert.EqualValues(t, 1, st.RedisErrors)
	assert.True(t, errors.Is(context.DeadlineExceeded, context.DeadlineExceeded))
}
