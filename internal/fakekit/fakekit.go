// Package fakekit is the machinery the fake provider servers share: real
// signed JWTs on an injectable clock, fault knobs, per-path counters and a
// sliding-window rate limiter. Each <provider>test package builds its
// provider's routes on top of it and re-exports the knobs users need.
package fakekit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// Kit holds the state shared by one fake server.
type Kit struct {
	Clock  clock.Clock
	Tokens *Tokens
	Faults *Faults
	Counts *Counts
}

// New returns a Kit on clk (nil: the system clock).
func New(clk clock.Clock) *Kit {
	clk = clock.Or(clk)
	return &Kit{Clock: clk, Tokens: newTokens(clk), Faults: &Faults{}, Counts: newCounts()}
}

// Wrap returns h behind the fault layer: every request is counted by path,
// then delayed, failed or rate limited as the knobs say, then served by h.
func (k *Kit) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.Counts.Inc("path " + r.URL.Path)
		k.Counts.Inc("requests")
		if f, ok := k.Faults.take(r.URL.Path); ok {
			if f.delay > 0 {
				// Read the body first, so that a client hanging up cancels
				// r.Context() and ends the delay.
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				t := time.NewTimer(f.delay)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				}
			}
			if f.status != 0 {
				k.Counts.Inc("faults")
				if f.retryAfter != "" {
					w.Header().Set("Retry-After", f.retryAfter)
				}
				body := f.body
				if body == nil {
					body = []byte(`{"detail":"injected fault"}`)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(f.status)
				_, _ = w.Write(body)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Start serves h (wrapped) on a new httptest.Server.
func (k *Kit) Start(h http.Handler) *httptest.Server { return httptest.NewServer(k.Wrap(h)) }

// Counts are named counters, safe for concurrent use. The Kit counts
// "requests", "faults" and "path <path>"; fakes add "logins", "refreshes",
// "rejected" and whatever else their tests assert on.
type Counts struct {
	mu sync.Mutex
	m  map[string]int
}

func newCounts() *Counts { return &Counts{m: map[string]int{}} }

// Inc adds one to name.
func (c *Counts) Inc(name string) { c.Add(name, 1) }

// Add adds n to name.
func (c *Counts) Add(name string, n int) {
	c.mu.Lock()
	c.m[name] += n
	c.mu.Unlock()
}

// Get returns the count for name.
func (c *Counts) Get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

// Path returns how many requests reached path.
func (c *Counts) Path(path string) int { return c.Get("path " + path) }

// Reset sets every counter to zero.
func (c *Counts) Reset() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// Faults are the knobs tests turn: answer the next requests with a status,
// with 429 and a Retry-After, or late. A fault with a path applies only to
// that path. Faults queue and are used in order.
type Faults struct {
	mu    sync.Mutex
	queue []fault
	delay time.Duration
}

type fault struct {
	path       string // "" matches any path
	n          int
	status     int
	retryAfter string
	body       []byte
	delay      time.Duration
}

// FailNext answers the next n requests (to path, or any when path is "")
// with status and body (nil: a small JSON detail).
func (f *Faults) FailNext(path string, n, status int, body []byte) {
	f.push(fault{path: path, n: n, status: status, body: body})
}

// RateLimitNext answers the next n requests (to path, or any) with 429,
// the given Retry-After header value ("" for none) and body.
func (f *Faults) RateLimitNext(path string, n int, retryAfter string, body []byte) {
	f.push(fault{path: path, n: n, status: http.StatusTooManyRequests, retryAfter: retryAfter, body: body})
}

// DelayNext holds the next n answers (to path, or any) for d of real time,
// or until the client gives up.
func (f *Faults) DelayNext(path string, n int, d time.Duration) {
	f.push(fault{path: path, n: n, delay: d})
}

// Delay holds every answer for d of real time (0 turns it off).
func (f *Faults) Delay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

// Clear drops every queued fault and the delay.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.queue, f.delay = nil, 0
	f.mu.Unlock()
}

func (f *Faults) push(x fault) {
	if x.n <= 0 {
		return
	}
	f.mu.Lock()
	f.queue = append(f.queue, x)
	f.mu.Unlock()
}

func (f *Faults) take(path string) (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.queue {
		q := &f.queue[i]
		if q.path != "" && q.path != path {
			continue
		}
		got := *q
		if q.n--; q.n == 0 {
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
		}
		if got.delay == 0 {
			got.delay = f.delay
		}
		return got, true
	}
	if f.delay > 0 {
		return fault{delay: f.delay}, true
	}
	return fault{}, false
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Window is a sliding-window rate limit per key (account, IP, endpoint),
// with an optional penalty: once over the limit, the key is refused for
// the penalty (Compliancely: 10 a minute, then 10 minutes).
type Window struct {
	clk     clock.Clock
	limit   int
	window  time.Duration
	penalty time.Duration

	mu      sync.Mutex
	hits    map[string][]time.Time
	blocked map[string]time.Time
}

// NewWindow allows limit requests per window per key; past it, a key is
// refused until its oldest hit leaves the window, or for penalty when
// penalty > 0.
func NewWindow(clk clock.Clock, limit int, window, penalty time.Duration) *Window {
	return &Window{clk: clock.Or(clk), limit: limit, window: window, penalty: penalty,
		hits: map[string][]time.Time{}, blocked: map[string]time.Time{}}
}

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
	}
	hits := w.hits[key]
	cut := 0
	for cut < len(hits) && !hits[cut].After(now.Add(-w.window)) {
		cut++
	}
	hits = hits[cut:]
	if len(hits) >= w.limit {
		w.hits[key] = hits
		if w.penalty > 0 {
			w.blocked[key] = now.Add(w.penalty)
			return false, w.penalty
		}
		return false, hits[0].Add(w.window).Sub(now)
	}
	w.hits[key] = append(hits, now)
	return true, 0
}

// RetryAfterSeconds formats d as a Retry-After header value, rounded up.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// Sleep is clock.Sleep, re-exported for fakes that delay on their clock.
func Sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	return clock.Sleep(ctx, clk, d)
}
