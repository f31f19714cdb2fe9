// Package clock abstracts time so that token lifetimes, refresh windows,
// throttles and 429 cool-downs can be tested without sleeping.
//
// Production code uses [System]. Tests use [Fake], whose time moves only when
// the test calls [Fake.Advance] or [Fake.Set]. Every unikyc package and every
// fake provider server accepts a Clock, so a user's test can drive a whole
// day of token rotation in milliseconds.
//
// A call that waits on a Fake (a throttle, a cool-down, a backoff) returns
// only when the clock moves: run it inside [Fake.Drive]. Forgetting to hangs
// the test; [Fake.WatchStuck] (or providertest.NewClock in a test) turns
// that hang into a failure, within seconds, that says what to do.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a Timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f once after d, in its own goroutine for the system
	// clock. The returned Timer's C is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of *time.Timer that unikyc uses.
type Timer interface {
	// C returns the channel on which the timer's time is delivered.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it stopped it.
	Stop() bool
}

// System is the real clock.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer {
	return systemTimer{time.AfterFunc(d, f)}
}

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }

// Or returns c, or System when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return System
	}
	return c
}

// Sleep waits for d on c, or until ctx is done, in which case it returns
// ctx.Err(). A non-positive d returns at once (nil unless ctx is done).
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
