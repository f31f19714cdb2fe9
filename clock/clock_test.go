package clock_test

import (
	"context"
	"sync/atomic"
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

// Rule: Drive moves the clock only to timers someone waits on, in order,
// until the driven call returns.
func TestDriveMovesToEachWaitingTimer(t *testing.T) {
	c := clock.NewFake(t0)
	refreshed := false
	c.AfterFunc(time.Hour, func() { refreshed = true }) // a refresh ahead of expiry: not a wait
	var woke []time.Time
	moves := c.Drive(func() {
		for _, d := range []time.Duration{6 * time.Second, 10 * time.Minute, 6 * time.Second} {
			require.NoError(t, clock.Sleep(context.Background(), c, d))
			woke = append(woke, c.Now())
		}
	})
	assert.Equal(t, 3, moves)
	assert.Equal(t, []time.Time{t0.Add(6 * time.Second), t0.Add(10*time.Minute + 6*time.Second),
		t0.Add(10*time.Minute + 12*time.Second)}, woke)
	assert.False(t, refreshed, "an AfterFunc timer alone never moves the clock")
	assert.Zero(t, c.Drive(func() {}), "nothing waits: no move")
}

// Rule: many goroutines parked on the clock are released in time order.
func TestDriveReleasesManyWaitersInOrder(t *testing.T) {
	c := clock.NewFake(t0)
	const n = 20
	got := make(chan time.Duration, n)
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			d := time.Duration(n-i) * time.Second
			_ = clock.Sleep(context.Background(), c, d)
			got <- c.Now().Sub(t0)
		}()
	}
	c.WaitForTimers(n, nil)
	moves := c.Drive(func() {
		for range n {
			<-done
		}
	})
	close(got)
	var seen []time.Duration
	for d := range got {
		seen = append(seen, d)
	}
	assert.Equal(t, n, moves)
	assert.ElementsMatch(t, []time.Duration{1e9, 2e9, 3e9, 4e9, 5e9, 6e9, 7e9, 8e9, 9e9, 10e9, 11e9, 12e9,
		13e9, 14e9, 15e9, 16e9, 17e9, 18e9, 19e9, 20e9}, seen, "each woke at its own time")
	assert.Equal(t, t0.Add(n*time.Second), c.Now())
}

// Rule: DriveIdle never moves the clock while idle reports false.
func TestDriveIdleWaitsForIdle(t *testing.T) {
	c := clock.NewFake(t0)
	var busy atomic.Bool
	busy.Store(true)
	go func() {
		c.WaitForTimers(1, nil)
		time.Sleep(5 * time.Millisecond)
		assert.Equal(t, t0, c.Now(), "not moved while busy")
		busy.Store(false)
	}()
	moves := c.DriveIdle(func() bool { return !busy.Load() }, func() {
		_ = clock.Sleep(context.Background(), c, time.Minute)
	})
	assert.Equal(t, 1, moves)
	assert.Equal(t, t0.Add(time.Minute), c.Now())
}
