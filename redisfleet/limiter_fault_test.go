package redisfleet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/redisfleet/redisfleettest"
)

// Rule: a token call that stops waiting gives its reservation back, even
// when its caller gave up while the admission was on the wire: the fleet's
// API calls then take the next free slot.
func TestAbandonedTokenCallLeavesNoReservation(t *testing.T) {
	p := prefix(t)
	clk := clock.NewFake(start)
	px := newProxy(t, srv.Addr())
	fa, err := redisfleet.New(newClient(t, px.addr), redisfleet.WithPrefix(p), redisfleet.WithClock(clk),
		redisfleet.WithTimeout(10*time.Second), redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	// Both fleets' calls must reach Redis: one that missed a short timeout (a
	// starved test process) would take its fleet to local mode, whose first
	// request waits a span on a clock nobody moves.
	fb, _ := newFleet(t, p, redisfleet.WithClock(clk), redisfleet.WithTimeout(10*time.Second))
	b := ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}
	la, lb := fa.Limiter("acct", b).(*redisfleet.Limiter), fb.Limiter("acct", b)
	ctx := context.Background()
	first, cancelFirst := context.WithTimeout(ctx, 20*time.Second) // a failure, never a hang
	defer cancelFirst()
	require.NoError(t, lb.Wait(first, ratelimit.PriorityAPI)) // the slot is used until start+61s
	_ = la.Estimate(ratelimit.PriorityToken)                  // A's connection is up

	px.Hold(300 * time.Millisecond) // the answer to the token call's admission is late
	tctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel) // and its caller gives up meanwhile
	require.ErrorIs(t, la.Wait(tctx, ratelimit.PriorityToken), context.Canceled)
	px.Hold(0)
	rdb := newClient(t, "")
	require.Eventually(t, func() bool {
		for _, k := range keys(t, rdb, p) {
			if strings.Contains(k, "}:reserve:") {
				return false
			}
		}
		return true
	}, 5*time.Second, time.Millisecond, "the reservation is given back")

	clk.Set(start.Add(b.Span())) // the slot is free, and no token call waits
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	require.NoError(t, lb.Wait(short, ratelimit.PriorityAPI), "an API call takes the free slot")
	require.Zero(t, fa.Stats().Degradations+fb.Stats().Degradations, "the fleets asked Redis every time")
}

// Rule: a request waiting on this replica's share during an outage goes
// back to the fleet's line when Redis answers again, so that Redis sees
// it (issue 24, item 7: requests the local share admitted after the
// outage were invisible to the fleet), and is admitted there.
func TestLocalWaitersGoBackToTheFleetWhenRedisAnswers(t *testing.T) {
	own, err := redisfleettest.StartOwn()
	require.NoError(t, err)
	defer own.Close()
	clk := clock.NewFake(start)
	rdb := redis.NewClient(&redis.Options{Addr: own.Addr(), MaxRetries: -1})
	defer rdb.Close()
	p := prefix(t)
	f, err := redisfleet.New(rdb, redisfleet.WithPrefix(p), redisfleet.WithClock(clk),
		redisfleet.WithProbeInterval(time.Second), redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	l := f.Limiter("acct", compliancelyBudget)
	ctx := context.Background()
	require.NoError(t, own.Stop())

	first := make(chan error, 1)
	go func() { first <- l.Wait(ctx, ratelimit.PriorityAPI) }() // a span on the local share
	require.True(t, clk.WaitForTimers(1, nil))
	require.NoError(t, own.Restart())
	clk.Advance(2 * time.Second)
	require.NoError(t, l.Wait(ctx, ratelimit.PriorityAPI), "the probe: Redis answers, shared again")
	select {
	case err := <-first:
		require.NoError(t, err, "admitted by the fleet, long before its local slot")
	case <-time.After(5 * time.Second):
		t.Fatal("the local waiter stayed on the local share")
	}
	n, err := newClient(t, own.Addr()).ZCard(ctx, budgetKey(t, newClient(t, own.Addr()), p)).Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "Redis counts both")
	require.EqualValues(t, 1, f.Stats().Degradations)
}

// budgetKey returns the one budget log under p.
func budgetKey(t *testing.T, rdb *redis.Client, p string) string {
	t.Helper()
	for _, k := range keys(t, rdb, p) {
		if strings.Contains(k, "}:budget:") {
			return k
		}
	}
	t.Fatal("no budget log")
	return ""
}
