package providertest

import (
	"strings"
	"testing"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// NewClock returns a clock.Fake set to start that fails the test binary,
// with a message naming tb and saying what to do, when a call waits on it
// for grace of real time (0: clock.DefaultStuckGrace) while nothing moves
// it: the mark of a call made outside clk.Drive, which would otherwise
// hang until go test's timeout. The watch ends with the test.
//
// It panics rather than calling tb.Fatal: the goroutine blocked is
// usually the test's own, which nothing else can unblock. A test that
// keeps a goroutine parked on the clock on purpose while it does real
// work for longer than grace wants a longer grace, or clock.NewFake; see
// clock.Fake.WatchStuck.
func NewClock(tb testing.TB, start time.Time, grace time.Duration) *clock.Fake {
	tb.Helper()
	clk := clock.NewFake(start)
	name := tb.Name()
	stop := clk.WatchStuck(grace, func(msg string) {
		panic(strings.Replace(msg, "unikyc: ", "unikyc: "+name+": ", 1))
	})
	tb.Cleanup(stop)
	return clk
}
