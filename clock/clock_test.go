package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestFakeTimersFireInOrderWhenDue(t *testing.T) {
	c := clock.NewFake(t0)
	a, b := c.NewTimer(time.Minute), c.NewTimer(2*time.Minute)
	assert.Equal(t, 2, c.Timers())
	next, ok := c.NextTimer()
	require.True(t, ok)
	assert.Equal(t, t0.Add(time.Minute), next)

	c.Advance(59 * time.Second)
	select {
	case <-a.C():
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Second)
	assert.Equal(t, t0.Add(time.Minute), <-a.C())
	assert.Equal(t, 1, c.Timers())
	assert.True(t, b.Stop())
	assert.False(t, b.Stop())
	assert.Zero(t, c.Timers())
}

func TestSleepOnFakeClock(t *testing.T) {
	c := clock.NewFake(t0)
	done := make(chan error)
	go func() { done <- clock.Sleep(context.Background(), c, time.Hour) }()
	require.True(t, c.WaitForTimers(1, nil))
	c.Advance(time.Hour)
	require.NoError(t, <-done)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- clock.Sleep(ctx, c, time.Hour) }()
	require.True(t, c.WaitForTimers(1, nil))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Zero(t, c.Timers(), "a cancelled sleep stops its timer")
}

func TestWaitForTimersGivesUp(t *testing.T) {
	c := clock.NewFake(t0)
	done := make(chan struct{})
	close(done)
	assert.False(t, c.WaitForTimers(1, done))
}

func TestSystemClock(t *testing.T) {
	assert.Equal(t, clock.System, clock.Or(nil))
	tm := clock.System.NewTimer(time.Millisecond)
	<-tm.C()
	assert.False(t, tm.Stop())
}
