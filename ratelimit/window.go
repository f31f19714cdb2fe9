package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/deadline"
	"github.com/unikyc/unikyc/internal/errs"
)

// WindowLimiter is the default Limiter: a sliding log of the times of the
// last Limit requests, on an injectable clock. It admits a request when
// fewer than Limit were admitted in the last Span; waiters are served
// token calls first, then in arrival order. Deciding costs one lock and
// one clock read, with no allocation when a slot is free.
type WindowLimiter struct {
	b    Budget
	span time.Duration
	clk  clock.Clock

	mu      sync.Mutex
	log     []time.Time // ring of admitted times, oldest at head
	head, n int
	queue   Queue
	total   int64 // requests admitted so far
	closed  chan struct{}
	isShut  bool
}

var (
	_ Limiter   = (*WindowLimiter)(nil)
	_ Pacer     = (*WindowLimiter)(nil)
	_ Estimator = (*WindowLimiter)(nil)
)

// NewWindowLimiter returns a limiter for b. clk may be nil for the system
// clock. A budget with Limit below 1 admits nothing but is never made by
// the pipeline (it drops such budgets).
func NewWindowLimiter(b Budget, clk clock.Clock) *WindowLimiter {
	n := max(b.Limit, 1)
	return &WindowLimiter{b: b, span: b.Span(), clk: clock.Or(clk),
		log: make([]time.Time, n), closed: make(chan struct{})}
}

// Budget returns the budget the limiter enforces.
func (l *WindowLimiter) Budget() Budget { return l.b }

// Remaining returns how many requests may leave now without waiting.
func (l *WindowLimiter) Remaining() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(l.clk.Now())
	return len(l.log) - l.n
}

// Wait blocks until one request may be sent; see Limiter.
func (l *WindowLimiter) Wait(ctx context.Context, p Priority) error {
	l.mu.Lock()
	if l.isShut {
		l.mu.Unlock()
		return errs.ErrClosed
	}
	now := l.clk.Now()
	l.expire(now)
	if l.n < len(l.log) && !l.queue.Ahead(p) {
		l.record(now)
		l.mu.Unlock()
		return nil
	}
	w, pos := l.queue.Add(p)
	if d := l.estimate(pos, now); deadline.Past(ctx, d) {
		l.queue.Remove(w)
		l.mu.Unlock()
		return &WaitError{Budget: l.b.Name, RetryAfter: d}
	}
	l.mu.Unlock()

	for {
		l.mu.Lock()
		now := l.clk.Now()
		l.expire(now)
		first := l.queue.Position(w) == 0
		if first && l.n < len(l.log) {
			l.record(now)
			l.queue.Remove(w) // and the next one looks
			l.mu.Unlock()
			return nil
		}
		var timer clock.Timer
		var fire <-chan time.Time
		if first {
			timer = l.clk.NewTimer(l.log[l.head].Add(l.span).Sub(now))
			fire = timer.C()
		}
		l.mu.Unlock()

		select {
		case <-fire:
		case <-w.Ready():
		case <-ctx.Done():
			l.leave(w, timer)
			return ctx.Err()
		case <-l.closed:
			l.leave(w, timer)
			return errs.ErrClosed
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// PaceFrom fills the log so that one request may leave at until and the
// next ones one Slot apart; see Pacer.
func (l *WindowLimiter) PaceFrom(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := len(l.log)
	step := l.span / time.Duration(size)
	now := l.clk.Now()
	l.expire(now)
	// The k-th slot frees at the later of the paced time (until + k steps)
	// and the time the real log frees it: the unused slots now, then the
	// recorded requests as each one leaves the span.
	free := size - l.n
	next := make([]time.Time, size)
	for k := range size {
		real := now
		if k >= free {
			real = l.log[(l.head+k-free)%size].Add(l.span)
		}
		paced := until.Add(time.Duration(k) * step)
		if real.After(paced) {
			paced = real
		}
		next[k] = paced.Add(-l.span)
	}
	copy(l.log, next)
	l.head, l.n = 0, size
	l.queue.WakeFirst()
}

// Close makes every waiting and future Wait return ErrClosed.
func (l *WindowLimiter) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.isShut {
		l.isShut = true
		close(l.closed)
	}
}

// expire drops the admitted times a span old or older. (A server that
// still counts a request exactly one window old is covered by the margin.)
func (l *WindowLimiter) expire(now time.Time) {
	for l.n > 0 && now.Sub(l.log[l.head]) >= l.span {
		l.head = (l.head + 1) % len(l.log)
		l.n--
	}
}

func (l *WindowLimiter) record(now time.Time) {
	l.log[(l.head+l.n)%len(l.log)] = now
	l.n++
	l.total++
}

// Admitted returns how many requests the limiter has admitted so far.
func (l *WindowLimiter) Admitted() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// estimate returns how long the waiter at pos will wait, if nothing
// changes: the slot it gets frees when the pos-th oldest admitted time
// leaves the span (plus whole spans for a queue longer than the budget).
func (l *WindowLimiter) estimate(pos int, now time.Time) time.Duration {
	size := len(l.log)
	if l.n < size {
		return 0
	}
	at := l.log[(l.head+pos%size)%size].Add(l.span * time.Duration(1+pos/size))
	return max(at.Sub(now), 0)
}

// leave takes w out of the queue after it gave up.
func (l *WindowLimiter) leave(w *Waiter, timer clock.Timer) {
	if timer != nil {
		timer.Stop()
	}
	l.mu.Lock()
	l.queue.Remove(w)
	l.mu.Unlock()
}

// Estimate returns how long a request of priority p arriving now would
// wait, if nothing changes; see Estimator.
func (l *WindowLimiter) Estimate(p Priority) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clk.Now()
	l.expire(now)
	if l.n < len(l.log) && !l.queue.Ahead(p) {
		return 0
	}
	return l.estimate(l.queue.Place(p), now)
}

// Queued returns how many requests are waiting for a slot.
func (l *WindowLimiter) Queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.queue.Len()
}

// QueuedTokenCalls returns how many logins and refreshes are waiting for
// a slot.
func (l *WindowLimiter) QueuedTokenCalls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.queue.Count(PriorityToken)
}
