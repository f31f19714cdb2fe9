package clock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// A Fake clock lets a test wait out an hour in no time: park a goroutine on
// the clock, wait until it is parked, then advance.
func ExampleFake() {
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	done := make(chan struct{})
	go func() {
		_ = clock.Sleep(context.Background(), clk, time.Hour)
		close(done)
	}()
	clk.WaitForTimers(1, nil)
	clk.Advance(time.Hour)
	<-done
	fmt.Println(clk.Now().Format(time.Kitchen))
	// Output: 10:00AM
}

// Drive runs a call that waits on the fake clock — here three throttled
// waits — and moves the clock to each timer the call waits on.
func ExampleFake_Drive() {
	clk := clock.NewFake(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	moves := clk.Drive(func() {
		for range 3 {
			_ = clock.Sleep(context.Background(), clk, 6*time.Second) // e.g. a limiter slot at 10 a minute
		}
	})
	fmt.Println(moves, clk.Now().Format("15:04:05"))
	// Output: 3 09:00:18
}
