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
// throttling take microseconds. Each move is one throttled wait. The
// moving is clock.Fake's own DriveIdle: what a user's tests would use.
//
// It never moves the clock while a request is on the wire (idle is "no
// request in flight"), so the fake sees every request at the time the
// client meant to send it, and its sliding-window limits count them
// exactly.
type driver struct {
	clk   *clock.Fake
	net   *meter
	waits int
}

func newDriver(clk *clock.Fake) *driver {
	return &driver{clk: clk, net: &meter{base: http.DefaultTransport.(*http.Transport).Clone()}}
}

// options are the client options of a scenario: the fake clock, the
// metered transport, fast 5xx backoff, and no long-wait warnings on
// slog.Default() (the waits are what the scenarios show, on a fake clock;
// the tables count them).
func (d *driver) options() []providers.Option {
	return []providers.Option{providers.WithClock(d.clk), providers.WithTransport(d.net), fastRetries,
		providers.WithWaitWarning(0)}
}

// close releases the transport's idle connections.
func (d *driver) close() { d.net.base.CloseIdleConnections() }

// idle reports that no request is on the wire.
func (d *driver) idle() bool { return d.net.inflight.Load() == 0 }

// run calls f and drives the clock until f returns.
func (d *driver) run(f func()) { d.waits += d.clk.DriveIdle(d.idle, f) }

// until drives the clock until cond holds, for work in the background
// (a refresh ahead of expiry); false after 5 s of real time.
func (d *driver) until(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		settle(d.idle)
		if d.clk.Step() {
			d.waits++
		} else {
			time.Sleep(50 * time.Microsecond)
		}
	}
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
