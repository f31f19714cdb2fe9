package main

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

// driver moves a scenario's fake clock from timer to timer while a call
// waits on it (a limiter slot, a 429 cool-down), so that minutes of
// throttling take microseconds. Each move is one throttled wait.
//
// It never moves the clock while a request is on the wire, and after each
// move it lets the goroutine it released send its request first: the fake
// then sees every request at the time the client meant to send it, and its
// sliding-window limits count them exactly.
type driver struct {
	clk   *clock.Fake
	net   *meter
	waits int
}

func newDriver(clk *clock.Fake) *driver {
	return &driver{clk: clk, net: &meter{base: http.DefaultTransport.(*http.Transport).Clone()}}
}

// options are the client options of a scenario: the fake clock, the
// metered transport, fast 5xx backoff.
func (d *driver) options() []providers.Option {
	return []providers.Option{providers.WithClock(d.clk), providers.WithTransport(d.net), fastRetries}
}

// close releases the transport's idle connections.
func (d *driver) close() { d.net.base.CloseIdleConnections() }

// run calls f and drives the clock until f returns.
func (d *driver) run(f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	for d.clk.WaitForTimers(1, done) {
		d.step()
	}
}

// until drives the clock until cond holds, for work in the background
// (a refresh ahead of expiry); false after 5 s of real time.
func (d *driver) until(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		if !d.step() {
			time.Sleep(50 * time.Microsecond)
		}
	}
	return true
}

// step moves the clock to the earliest waiting timer, if any.
func (d *driver) step() bool {
	settle(func() bool { return d.net.inflight.Load() == 0 })
	next, ok := d.clk.NextTimer()
	if !ok || !next.After(d.clk.Now()) {
		return false
	}
	sent, parked := d.net.started.Load(), d.clk.Timers()
	d.clk.Set(next)
	d.waits++
	// The released goroutine sends its request, or parks again.
	settle(func() bool { return d.net.started.Load() > sent || d.clk.Timers() >= parked })
	return true
}

// settle waits (a second at most) for cond.
func settle(cond func() bool) {
	deadline := time.Now().Add(time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Microsecond)
	}
}

// meter is the base transport; it counts requests started and on the wire.
type meter struct {
	base              *http.Transport
	started, inflight atomic.Int64
}

func (m *meter) RoundTrip(r *http.Request) (*http.Response, error) {
	m.started.Add(1)
	m.inflight.Add(1)
	defer m.inflight.Add(-1)
	return m.base.RoundTrip(r)
}
