package redisfleet

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/clock"
)

// failuresForOutage is how many Redis calls in a row may fail (each after a
// probe that Redis answered) before the Fleet calls it an outage anyway.
const failuresForOutage = 3

// health is the Fleet's mode: shared (Redis answers) or local (an outage
// is confirmed). It logs each switch once, and in local mode lets one call
// through to Redis per probe interval.
//
// A call that fails is not by itself an outage. The connection refused,
// reset or closed under it is; a timeout is only when a probe (a PING on
// another connection, within four call timeouts) fails too, or when
// failuresForOutage calls in a row failed. A late reply from a Redis that
// answers the probe is a missed call: the caller treats it as "no news" and
// asks again, in shared mode.
type health struct {
	clk   clock.Clock
	every time.Duration // probe interval in local mode
	log   *slog.Logger
	ping  func(ctx context.Context) error // one PING, bounded by the call timeout

	down      atomic.Bool
	nextProbe atomic.Int64 // unix nanoseconds on clk; in local mode, when Redis may be tried again
	inARow    atomic.Int64 // failed calls since Redis last answered

	mu    sync.Mutex
	probe *probeFlight // the PING in flight, shared by the calls that failed meanwhile

	degradations, recoveries, errors, missed, lostLogs atomic.Int64

	backMu sync.Mutex
	backCh chan struct{} // closed at the next switch back to shared mode
}

// back returns a channel closed when the Fleet is (back) in shared mode.
func (h *health) back() <-chan struct{} {
	h.backMu.Lock()
	defer h.backMu.Unlock()
	if h.backCh == nil {
		h.backCh = make(chan struct{})
	}
	ch := h.backCh
	if !h.down.Load() {
		h.backCh = nil
		close(ch)
	}
	return ch
}

// useRedis reports whether a call should go to Redis: always in shared
// mode; in local mode, for the one caller that claims the probe.
func (h *health) useRedis() bool {
	if !h.down.Load() {
		return true
	}
	next := h.nextProbe.Load()
	now := h.clk.Now().UnixNano()
	return now >= next && h.nextProbe.CompareAndSwap(next, now+int64(h.every))
}

// fail records a failed Redis call and reports whether it confirms an
// outage (the Fleet is then in local mode). epoch is the recoveries count
// when the call began.
func (h *health) fail(err error, epoch int64) (outage bool) {
	h.errors.Add(1)
	if h.down.Load() {
		h.nextProbe.Store(h.clk.Now().Add(h.every).UnixNano())
		return true // the probe of local mode failed
	}
	if h.recoveries.Load() != epoch {
		// It began before Redis answered again (a probe of local mode still
		// redialing the server that was gone): it says nothing about Redis
		// now, and switching back would flap.
		h.missed.Add(1)
		return false
	}
	n := h.inARow.Add(1)
	if !connectionLost(err) && n < failuresForOutage && h.pingOK() {
		h.missed.Add(1)
		return false
	}
	h.nextProbe.Store(h.clk.Now().Add(h.every).UnixNano())
	if h.down.CompareAndSwap(false, true) {
		h.degradations.Add(1)
		h.log.Warn("redisfleet: Redis unavailable; using the local token store, lock and limiter until it answers",
			"err", err, "retry_in", h.every)
	}
	return true
}

// pingOK probes Redis once for all the callers that failed together.
func (h *health) pingOK() bool {
	h.mu.Lock()
	p := h.probe
	if p == nil {
		p = &probeFlight{done: make(chan struct{})}
		h.probe = p
		go func() {
			p.ok = h.ping(context.Background()) == nil
			h.mu.Lock()
			h.probe = nil
			h.mu.Unlock()
			close(p.done)
		}()
	}
	h.mu.Unlock()
	<-p.done
	return p.ok
}

type probeFlight struct {
	done chan struct{}
	ok   bool
}

// ok records a call Redis answered and switches back to shared mode.
func (h *health) ok() {
	h.inARow.Store(0)
	if h.down.Load() && h.down.CompareAndSwap(true, false) {
		h.backMu.Lock()
		if h.backCh != nil {
			close(h.backCh)
			h.backCh = nil
		}
		h.backMu.Unlock()
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

// connectionLost reports errors that mean Redis is not there, as opposed
// to late: refused, reset or closed connections, and a closed client.
func connectionLost(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, redis.ErrClosed) ||
		(errors.As(err, &op) && op.Op == "dial" && !op.Timeout())
}
