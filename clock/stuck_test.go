package clock_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/clock"
)

// reports collects what a watch reports.
type reports struct {
	mu   sync.Mutex
	msgs []string
	got  chan struct{}
}

func newReports() *reports { return &reports{got: make(chan struct{}, 16)} }

func (r *reports) add(msg string) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *reports) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// Rule: a call left waiting on a watched Fake that nothing moves is
// reported after the grace, once, with what to do and where it waits.
func TestWatchStuckReportsAForgottenDrive(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := clock.NewFake(t0)
	r := newReports()
	stop := c.WatchStuck(30*time.Millisecond, r.add)
	done := make(chan error)
	go func() { done <- clock.Sleep(context.Background(), c, 10*time.Minute) }() // no Drive
	select {
	case <-r.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no report for a wait nothing moves")
	}
	msg := r.all()[0]
	assert.True(t, strings.HasPrefix(msg, "unikyc: a call is waiting 10m0s on clock.Fake"), msg)
	assert.Contains(t, msg, "clk.Drive(func() { … })")
	assert.Contains(t, msg, "TestWatchStuckReportsAForgottenDrive", "the message shows where the wait began")
	assert.NotContains(t, msg, "clock.Sleep", "frames of package clock are left out")

	time.Sleep(100 * time.Millisecond)
	assert.Len(t, r.all(), 1, "each timer is reported once")
	c.Advance(10 * time.Minute)
	require.NoError(t, <-done)
	stop()
	stop() // stopping twice is harmless
}

// Rule: the watch stays quiet while Drive runs, even when Drive holds the
// clock (DriveIdle waiting for the wire to go idle) for longer than grace.
func TestWatchStuckQuietWhileDriven(t *testing.T) {
	c := clock.NewFake(t0)
	r := newReports()
	defer c.WatchStuck(20*time.Millisecond, r.add)()
	busyUntil := time.Now().Add(150 * time.Millisecond)
	moves := c.DriveIdle(func() bool { return time.Now().After(busyUntil) }, func() {
		for range 3 {
			_ = clock.Sleep(context.Background(), c, time.Minute)
		}
	})
	assert.Equal(t, 3, moves)
	assert.Empty(t, r.all())
}

// Rule: a test that parks a call and moves the clock itself, a step at a
// time, is never reported: each move restarts the grace.
func TestWatchStuckQuietWhileTheTestAdvances(t *testing.T) {
	c := clock.NewFake(t0)
	r := newReports()
	defer c.WatchStuck(250*time.Millisecond, r.add)()
	done := make(chan error)
	go func() { done <- clock.Sleep(context.Background(), c, time.Hour) }()
	require.True(t, c.WaitForTimers(1, nil))
	for range 30 { // 600 ms of real time, more than two graces
		time.Sleep(20 * time.Millisecond)
		c.Advance(2 * time.Minute)
	}
	require.NoError(t, <-done)
	assert.Empty(t, r.all())
}

// Rule: WaitForTimers running counts as a mover: a test waiting for a
// second timer is not blamed for the first one parked meanwhile.
func TestWatchStuckQuietDuringWaitForTimers(t *testing.T) {
	c := clock.NewFake(t0)
	r := newReports()
	defer c.WatchStuck(100*time.Millisecond, r.add)()
	go func() { _ = clock.Sleep(context.Background(), c, time.Minute) }()
	go func() { time.Sleep(400 * time.Millisecond); _ = clock.Sleep(context.Background(), c, time.Minute) }()
	require.True(t, c.WaitForTimers(2, nil))
	c.Advance(time.Minute)
	assert.Empty(t, r.all())
}

// Rule: an unwatched Fake never reports, and timers made before the watch
// get the grace from the watch's start.
func TestWatchStuckIsOptIn(t *testing.T) {
	c := clock.NewFake(t0)
	tm := c.NewTimer(time.Minute)
	defer tm.Stop()
	time.Sleep(50 * time.Millisecond)
	r := newReports()
	stop := c.WatchStuck(500*time.Millisecond, r.add)
	time.Sleep(20 * time.Millisecond)
	assert.Empty(t, r.all(), "the grace runs from the watch's start")
	select {
	case <-r.got:
	case <-time.After(10 * time.Second):
		t.Fatal("the timer made before the watch was never reported")
	}
	stop()
}

// Rule: with no report function, a forgotten Drive ends the test binary
// with a panic carrying the message, in about the grace rather than at the
// test timeout. Run in a child process, as a user's test would fail.
func TestWatchStuckPanicsByDefault(t *testing.T) {
	if os.Getenv("UNIKYC_STUCK_CHILD") == "1" {
		c := clock.NewFake(t0)
		c.WatchStuck(50*time.Millisecond, nil)
		_ = clock.Sleep(context.Background(), c, 6*time.Second) // forgot clk.Drive
		return
	}
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchStuckPanicsByDefault$", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "UNIKYC_STUCK_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child must fail: %s", out)
	assert.Less(t, time.Since(start), 30*time.Second, "failed at the grace, not the timeout")
	assert.Contains(t, string(out), "panic: unikyc: a call is waiting 6s on clock.Fake")
	assert.Contains(t, string(out), "run the call inside clk.Drive")
}
