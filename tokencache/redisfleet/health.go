package redisfleet

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// health is the Fleet's mode: shared (Redis answers) or local (it did not).
// It logs each switch once, and in local mode lets one call through to
// Redis per probe interval.
type health struct {
	clk   clock.Clock
	probe time.Duration
	log   *slog.Logger

	down      atomic.Bool
	nextProbe atomic.Int64 // unix nanoseconds on clk; in local mode, when Redis may be tried again

	degradations, recoveries, errors atomic.Int64
}

// useRedis reports whether a call should go to Redis: always in shared
// mode; in local mode, for the one caller that claims the probe.
func (h *health) useRedis() bool {
	if !h.down.Load() {
		return true
	}
	next := h.nextProbe.Load()
	now := h.clk.Now().UnixNano()
	return now >= next && h.nextProbe.CompareAndSwap(next, now+int64(h.probe))
}

// fail records a failed Redis call and switches to local mode.
func (h *health) fail(err error) {
	h.errors.Add(1)
	h.nextProbe.Store(h.clk.Now().Add(h.probe).UnixNano())
	if h.down.CompareAndSwap(false, true) {
		h.degradations.Add(1)
		h.log.Warn("redisfleet: Redis unavailable; using the local token store, lock and limiter until it answers",
			"err", err, "retry_in", h.probe)
	}
}

// ok records a call Redis answered and switches back to shared mode.
func (h *health) ok() {
	if h.down.Load() && h.down.CompareAndSwap(true, false) {
		h.recoveries.Add(1)
		h.log.Info("redisfleet: Redis answers again; back to shared mode")
	}
}

// release gives back a probe that ended without an answer because its
// caller gave up.
func (h *health) release() {
	if h.down.Load() {
		h.nextProbe.Store(0)
	}
}
