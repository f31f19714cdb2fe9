package providertest

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// Fault is one injected answer: Status with Header and Body, after Delay.
// A Fault with Status 0 only delays; the fake then answers as usual.
type Fault struct {
	Status int
	Header http.Header
	Body   []byte // nil: no body
	Delay  time.Duration
}

func (f Fault) write(w http.ResponseWriter) {
	for k, v := range f.Header {
		w.Header()[k] = v
	}
	if f.Body != nil && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write(f.Body)
}

// Faults are queued injected answers. A fault with a path applies only to
// that path ("" matches every path); faults are used in order.
type Faults struct {
	mu    sync.Mutex
	queue []queued
	delay time.Duration
}

type queued struct {
	path string
	n    int
	f    Fault
}

// Next answers the next n requests to path ("" for any) with f.
func (q *Faults) Next(path string, n int, f Fault) {
	if n <= 0 {
		return
	}
	q.mu.Lock()
	q.queue = append(q.queue, queued{path: path, n: n, f: f})
	q.mu.Unlock()
}

// Delay holds every answer for d (0 turns it off).
func (q *Faults) Delay(d time.Duration) {
	q.mu.Lock()
	q.delay = d
	q.mu.Unlock()
}

// Clear drops every queued fault and the delay.
func (q *Faults) Clear() {
	q.mu.Lock()
	q.queue, q.delay = nil, 0
	q.mu.Unlock()
}

// internal form of a fault for Wrap.
type taken struct {
	Fault
	delay  time.Duration
	status int
}

func (q *Faults) take(path string) (taken, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.queue {
		e := &q.queue[i]
		if e.path != "" && e.path != path {
			continue
		}
		got := e.f
		if e.n--; e.n == 0 {
			q.queue = append(q.queue[:i], q.queue[i+1:]...)
		}
		if got.Delay == 0 {
			got.Delay = q.delay
		}
		return taken{Fault: got, delay: got.Delay, status: got.Status}, true
	}
	if q.delay > 0 {
		return taken{delay: q.delay}, true
	}
	return taken{}, false
}

// drain reads the rest of r's body into memory so the handler can still
// read it.
func drain(r *http.Request) {
	if r.Body == nil {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	r.Body = io.NopCloser(bytesReader(body))
}
