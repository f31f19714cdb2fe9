package fakekit

import (
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// WindowMode is how a rate-limit window counts the requests in it, as the
// providers' frameworks do.
type WindowMode int

const (
	// Sliding counts the requests of the last Window; a request leaves
	// exactly one Window after it arrived.
	Sliding WindowMode = iota
	// SlidingBothEnds counts both ends: a request exactly one Window old
	// still counts. Django REST Framework's throttles behave so when run
	// (the timestamps of the last window are kept and a request one window
	// after the first still sees it), so pacing at exactly N per window
	// draws a 429.
	SlidingBothEnds
	// Fixed counts from the first request of a window until Window has
	// passed, then starts again at zero (a fixed-window counter with a
	// TTL, as many Redis- and memory-backed limiters are).
	Fixed
)

// Limit describes one rate limit: at most Limit requests per key in a
// Window, counted as Mode says. Past it a key is refused until a slot
// frees, or for Block from the first refused request when Block > 0
// (NestJS's throttler blocks for its blockDuration; Compliancely asks for
// 10 minutes). Name, when set, names the limit in its Retry-After header
// ("Retry-After-<Name>", as NestJS's named throttlers do); NoHeader sends
// no Retry-After at all (NestJS with setHeaders: false).
type Limit struct {
	Name     string
	Limit    int
	Window   time.Duration
	Block    time.Duration
	Mode     WindowMode
	NoHeader bool
}

// Window is a rate limit per key (account, IP, route), safe for
// concurrent use.
type Window struct {
	clk clock.Clock
	l   Limit

	mu      sync.Mutex
	hits    map[string][]time.Time
	start   map[string]time.Time // Fixed: when the key's window began
	blocked map[string]time.Time
}

// NewWindow allows limit requests per window per key, Sliding; past it, a
// key is refused until its oldest request leaves the window, or for
// penalty when penalty > 0.
func NewWindow(clk clock.Clock, limit int, window, penalty time.Duration) *Window {
	return NewLimit(clk, Limit{Limit: limit, Window: window, Block: penalty})
}

// NewLimit returns a Window for l on clk (nil: the system clock).
func NewLimit(clk clock.Clock, l Limit) *Window {
	return &Window{clk: clock.Or(clk), l: l, hits: map[string][]time.Time{},
		start: map[string]time.Time{}, blocked: map[string]time.Time{}}
}

// Limit returns the window's limit.
func (w *Window) Limit() Limit { return w.l }

// Allow records a request for key and reports whether it is within the
// limit; when not, it says how long until the key may try again.
func (w *Window) Allow(key string) (bool, time.Duration) {
	now := w.clk.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if until, ok := w.blocked[key]; ok {
		if now.Before(until) {
			return false, until.Sub(now)
		}
		delete(w.blocked, key)
		delete(w.start, key)
		w.hits[key] = nil
	}
	hits := w.hits[key]
	if w.l.Mode == Fixed {
		if s, ok := w.start[key]; !ok || !now.Before(s.Add(w.l.Window)) {
			w.start[key], hits = now, nil
		}
	} else {
		cut := 0
		for cut < len(hits) && w.gone(hits[cut], now) {
			cut++
		}
		hits = hits[cut:]
	}
	if len(hits) >= w.l.Limit {
		w.hits[key] = hits
		if w.l.Block > 0 {
			w.blocked[key] = now.Add(w.l.Block)
			return false, w.l.Block
		}
		if w.l.Mode == Fixed {
			return false, w.start[key].Add(w.l.Window).Sub(now)
		}
		wait := hits[0].Add(w.l.Window).Sub(now)
		if w.l.Mode == SlidingBothEnds {
			wait += time.Nanosecond // the oldest still counts at exactly one window
		}
		return false, wait
	}
	w.hits[key] = append(hits, now)
	return true, 0
}

// gone reports whether a request at t no longer counts at now.
func (w *Window) gone(t, now time.Time) bool {
	edge := now.Add(-w.l.Window)
	if w.l.Mode == SlidingBothEnds {
		return t.Before(edge)
	}
	return !t.After(edge)
}
