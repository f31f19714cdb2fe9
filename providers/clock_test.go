package providers_test

import "github.com/unikyc/unikyc/clock"

func newClock() *clock.Fake { return clock.NewFake(t0) }
