//go:build pipelinev2

package redisfleet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache/redisfleet"
)

// Rule: "at most N requests in any window W" holds for the fleet
// together, and a burst may use all the budget left: Compliancely's 10 a
// minute, shared by two replicas.
func TestBudgetIsSharedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	b := providers.Budget{Name: "requests", Limit: 10, Window: time.Minute}
	fa, _ := newFleet(t, p, redisfleet.WithClock(clk))
	fb, _ := newFleet(t, p, redisfleet.WithClock(clk))
	la, lb := fa.Limiter("compliancely:u", b), fb.Limiter("compliancely:u", b)

	for i := range 10 { // a burst: the whole unused budget, no wait
		l := la
		if i%2 == 1 {
			l = lb
		}
		require.NoError(t, l.Wait(ctx, providers.PriorityAPI), "request %d", i+1)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := lb.Wait(short, providers.PriorityAPI)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the 11th in the window: not within 1 s")
	require.ErrorIs(t, err, providers.ErrRateLimited)

	done := make(chan error, 1)
	go func() { done <- la.Wait(ctx, providers.PriorityAPI) }()
	require.True(t, clk.WaitForTimers(1, nil))
	next, _ := clk.NextTimer()
	assert.Equal(t, start.Add(b.Span()), next, "the 11th leaves when the first leaves the window plus its margin")
	clk.Set(next)
	require.NoError(t, <-done)
	assert.True(t, fa.Stats().Shared && fb.Stats().Shared)
}

// Rule: token calls wait ahead of API calls for the next slot.
func TestBudgetTokenCallsGoFirst(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	f, _ := newFleet(t, prefix(t), redisfleet.WithClock(clk))
	b := providers.Budget{Name: "requests", Limit: 1, Window: time.Minute}
	l := f.Limiter("acct", b)
	require.NoError(t, l.Wait(ctx, providers.PriorityAPI))

	api := make(chan error, 1)
	go func() { api <- l.Wait(ctx, providers.PriorityAPI) }()
	require.True(t, clk.WaitForTimers(1, nil)) // the API call waits for the slot
	tok := make(chan error, 1)
	go func() { tok <- l.Wait(ctx, providers.PriorityToken) }()
	require.True(t, clk.WaitForTimers(1, nil)) // the token call took its turn
	next, _ := clk.NextTimer()
	clk.Set(next)
	require.NoError(t, <-tok, "the token call has the slot")
	select {
	case err := <-api:
		t.Fatalf("the API call went before the next slot: %v", err)
	default:
	}
	require.True(t, clk.WaitForTimers(1, nil))
	next, _ = clk.NextTimer()
	clk.Set(next)
	require.NoError(t, <-api)
}

// Without Redis a budget waits on this replica's share, full at the switch.
func TestBudgetFallsBackToItsShare(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	f, err := redisfleet.New(newClient(t, deadAddr(t)), redisfleet.WithClock(clk), redisfleet.WithReplicas(5))
	require.NoError(t, err)
	l := f.Limiter("acct", providers.Budget{Name: "requests", Limit: 10, Window: time.Minute})
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err = l.Wait(short, providers.PriorityAPI)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "a switch never bursts: %v", err)
	assert.False(t, f.Stats().Shared)
}
