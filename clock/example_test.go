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
