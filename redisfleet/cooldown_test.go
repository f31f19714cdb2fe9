package redisfleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/redisfleet"
)

func TestCoolDownIsShared(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	a, rdb := newFleet(t, p, redisfleet.WithClock(clk))
	b, _ := newFleet(t, p, redisfleet.WithClock(clk))
	ca, cb := a.CoolDown("compliancely:api-user@example.com"), b.CoolDown("compliancely:api-user@example.com")

	assert.True(t, cb.Until(ctx).IsZero())
	end := start.Add(10 * time.Minute)
	ca.Extend(ctx, end)
	assert.True(t, cb.Until(ctx).Equal(end), "B sees A's pause: %s", cb.Until(ctx))

	// An earlier end never shortens it; a later one lengthens it for all.
	cb.Extend(ctx, start.Add(time.Minute))
	assert.True(t, ca.Until(ctx).Equal(end))
	later := end.Add(5 * time.Minute)
	cb.Extend(ctx, later)
	assert.True(t, ca.Until(ctx).Equal(later))

	// The key expires shortly after the pause and names no account.
	ks := keys(t, rdb, p)
	require.Len(t, ks, 1)
	assert.NotContains(t, ks[0], "api-user")
	ttl, err := rdb.PTTL(ctx, ks[0]).Result()
	require.NoError(t, err)
	assert.InDelta(t, (15*time.Minute + time.Second).Seconds(), ttl.Seconds(), 5)

	// Another name is another pause.
	assert.True(t, a.CoolDown("kyconnect:ops").Until(ctx).IsZero())
}

func TestCoolDownWithoutRedisIsLocal(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	f, err := redisfleet.New(newClient(t, deadAddr(t)), redisfleet.WithClock(clk))
	require.NoError(t, err)
	c := f.CoolDown("acct")
	end := start.Add(time.Minute)
	c.Extend(ctx, end)
	assert.True(t, c.Until(ctx).Equal(end))
	assert.False(t, f.Stats().Shared)
}

// Rule: when a shared pause ends, one request of the whole fleet goes
// first; the others wait for its answer (a second 429 pauses them all
// again), then go.
func TestCoolDownEndsWithOneProbe(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	a, _ := newFleet(t, p, redisfleet.WithClock(clk))
	b, _ := newFleet(t, p, redisfleet.WithClock(clk))
	ca, cb := a.CoolDown("acct"), b.CoolDown("acct")

	end := start.Add(time.Minute)
	ca.Extend(ctx, end)
	assert.True(t, cb.Until(ctx).Equal(end))
	clk.Advance(time.Minute)

	assert.True(t, cb.Until(ctx).IsZero(), "the first to ask after the end goes: the probe")
	hold := cb.Until(ctx)
	assert.True(t, hold.After(clk.Now()), "everyone else, in any replica, waits for the probe's answer")
	assert.True(t, ca.Until(ctx).Equal(hold))

	// The probe was answered 429 again: the fleet pauses again, and the
	// next end has its own probe.
	again := clk.Now().Add(10 * time.Minute)
	cb.Extend(ctx, again)
	assert.True(t, ca.Until(ctx).Equal(again))
	clk.Advance(10 * time.Minute)
	assert.True(t, ca.Until(ctx).IsZero(), "A probes this time")
	assert.True(t, cb.Until(ctx).After(clk.Now()))

	// The probe went through: once its hold passes, everyone goes.
	clk.Advance(hold.Sub(start.Add(time.Minute)))
	assert.True(t, ca.Until(ctx).IsZero())
	assert.True(t, cb.Until(ctx).IsZero())
}
