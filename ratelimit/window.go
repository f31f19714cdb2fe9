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
// requests admitted in the last Span, on an injectable clock. It never
// admits more than Limit in any Span; waiters are served token calls
// first, then API calls sent again, then in arrival order. Deciding costs one lock and one clock read,
// with no allocation when a slot is free.
//
// Within that hard limit it shapes the requests it admits:
//
//   - a burst may use an idle budget, shared between the calls under way
//     (a lone caller may spend all of it at once; the calls are the
//     client's, with TrackDemand, else the waiters); past its share the
//     rest of the budget is spread evenly over what is left of the window,
//     never closer than Span/Limit, so that under sustained demand a
//     queued request waits about Span/Limit per request ahead of it, not a
//     whole window (a burst of the whole budget would leave the next
//     request nothing for a Span);
//   - after a pause (PaceFrom) one request leaves as it ends and the rest,
//     token calls included, keep the even pace for one Span;
//   - with KeepHeadroom, API calls leave a slot free for the login or
//     refresh the token cache will need: while one is due within the Span,
//     API calls take at most Limit−1 of the slots it will count;
//   - logins and refreshes are held only by the hard limit (and by the pace
//     after a pause), never by the pace of API calls.
//
// The log grows with use, up to Limit entries, and is let go once the
// window is empty: an idle limiter holds a few hundred bytes whatever its
// budget.
type WindowLimiter struct {
	b     Budget
	span  time.Duration
	slot  time.Duration
	limit int
	clk   clock.Clock

	mu       sync.Mutex
	log      []time.Time // ring of admitted times, oldest at head; grows with use
	head, n  int
	next     time.Time        // a paced request may not leave before it
	pacedTil time.Time        // until then every request keeps the pace (the Span after a pause)
	due      func() time.Time // when the next token call is due; nil: unknown
	lastTok  time.Time        // when the last token call was admitted
	demand   func() int       // calls under way; nil: the waiters and this one
	queue    Queue
	total    int64 // requests admitted so far
	closed   chan struct{}
	isShut   bool
}

var (
	_ Limiter   = (*WindowLimiter)(nil)
	_ Admitter  = (*WindowLimiter)(nil)
	_ Pacer     = (*WindowLimiter)(nil)
	_ Estimator = (*WindowLimiter)(nil)
	_ Headroom  = (*WindowLimiter)(nil)
)

// NewWindowLimiter returns a limiter for b. clk may be nil for the system
// clock. A budget with Limit below 1 admits nothing but is never made by
// the pipeline (it drops such budgets).
func NewWindowLimiter(b Budget, clk clock.Clock) *WindowLimiter {
	n := max(b.Limit, 1)
	return &WindowLimiter{b: b, span: b.Span(), slot: b.Span() / time.Duration(n), limit: n,
		clk: clock.Or(clk), closed: make(chan struct{})}
}

// Budget returns the budget the limiter enforces.
func (l *WindowLimiter) Budget() Budget { return l.b }

// Remaining returns how many requests the window has room for now (the
// pace may still hold the next one back).
func (l *WindowLimiter) Remaining() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(l.clk.Now())
	return l.limit - l.n
}

// KeepHeadroom tells the limiter when the next login or refresh is due
// (due returns the zero time when none is known): API calls then leave it
// a slot; see Headroom.
func (l *WindowLimiter) KeepHeadroom(due func() time.Time) {
	l.mu.Lock()
	l.due = due
	l.mu.Unlock()
}

// Recheck makes the waiters look again: the token call's due time moved.
func (l *WindowLimiter) Recheck() {
	l.mu.Lock()
	l.queue.WakeFirst()
	l.mu.Unlock()
}

// Wait blocks until one request may be sent; see Limiter.
func (l *WindowLimiter) Wait(ctx context.Context, p Priority) error {
	_, _, err := l.Admit(ctx, p)
	return err
}

// Admit is Wait that also returns the time recorded for the request and
// whether it queued; see Admitter.
func (l *WindowLimiter) Admit(ctx context.Context, p Priority) (at time.Time, queued bool, err error) {
	l.mu.Lock()
	if l.isShut {
		l.mu.Unlock()
		return time.Time{}, false, errs.ErrClosed
	}
	now := l.clk.Now()
	l.expire(now)
	if !l.queue.Ahead(p) {
		if free, _ := l.free(p, now); free {
			l.record(p, now)
			l.mu.Unlock()
			return now, false, nil
		}
	}
	w, pos := l.queue.Add(p)
	if d := l.estimate(p, pos, now); deadline.Past(ctx, d) {
		l.queue.Remove(w)
		l.mu.Unlock()
		return time.Time{}, false, &WaitError{Budget: l.b.Name, RetryAfter: d}
	}
	l.mu.Unlock()
	for {
		l.mu.Lock()
		now := l.clk.Now()
		l.expire(now)
		first := l.queue.Position(w) == 0
		var timer clock.Timer
		var fire <-chan time.Time
		if first {
			free, when := l.free(p, now)
			if free {
				l.record(p, now)
				l.queue.Remove(w) // and the next one looks
				l.mu.Unlock()
				return now, true, nil
			}
			timer = l.clk.NewTimer(when.Sub(now))
			fire = timer.C()
		}
		l.mu.Unlock()
		select {
		case <-fire:
		case <-w.Ready():
		case <-ctx.Done():
			l.leave(w, timer)
			return time.Time{}, true, ctx.Err()
		case <-l.closed:
			l.leave(w, timer)
			return time.Time{}, true, errs.ErrClosed
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// Return gives back the slot recorded at at, when a request that was
// admitted is held back before it is sent (it will ask again): the slot's
// time must be its send time.
func (l *WindowLimiter) Return(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := l.n - 1; i >= 0; i-- {
		if l.at(i).Equal(at) {
			for j := i; j < l.n-1; j++ {
				l.log[(l.head+j)%len(l.log)] = l.at(j + 1)
			}
			l.n--
			l.total--
			l.queue.WakeFirst()
			return
		}
	}
}

// PaceFrom makes the next request wait until until, and the requests after
// it keep the budget's even pace for one Span; see Pacer.
func (l *WindowLimiter) PaceFrom(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.next) {
		l.next = until
	}
	if t := until.Add(l.span); t.After(l.pacedTil) {
		l.pacedTil = t
	}
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

// free reports whether a request of priority p may leave at now and, when
// it may not, the earliest time it might.
func (l *WindowLimiter) free(p Priority, now time.Time) (bool, time.Time) {
	when := now
	// The hard limit: fewer than Limit in the last Span. (A server that
	// still counts a request exactly one window old is covered by the
	// margin.)
	if l.n >= l.limit {
		when = l.at(l.n - l.limit).Add(l.span)
	}
	// The pace: for API calls always, for token calls after a pause.
	if (p.api() || now.Before(l.pacedTil)) && l.next.After(when) {
		when = l.next
	}
	if p.api() {
		if t := l.headroomFrom(now); t.After(when) {
			when = t
		}
	}
	return !when.After(now), when
}

// headroomFrom returns the earliest time an API call may leave and still
// leave a slot for the token call due next (now when nothing is due within
// the Span).
func (l *WindowLimiter) headroomFrom(now time.Time) time.Time {
	if l.due == nil || l.limit < 2 {
		return now
	}
	due := l.due()
	if due.IsZero() || due.Sub(now) > l.span {
		return now
	}
	if due.Before(now) {
		due = now
	}
	// Every token call due within the Span needs its slot: the next one at
	// due, the ones after it a refresh period apart (the gap between the
	// last token call and the next). With short tokens several fall inside
	// one Span, and a slot kept for the next alone is taken by it, leaving
	// the one after to wait for the window. At each such time the server
	// will count the entries still in its window, the token calls before
	// it, and this call: together at most Limit-1.
	period := l.span
	if !l.lastTok.IsZero() && due.After(l.lastTok) {
		period = due.Sub(l.lastTok)
	}
	for j, at := 0, due; j < l.limit && !at.After(now.Add(l.span)); j, at = j+1, at.Add(period) {
		from := at.Add(-l.span)
		counted := 0
		for i := l.n - 1; i >= 0 && l.at(i).After(from); i-- {
			counted++
		}
		if counted+j+1 > l.limit-1 {
			// Wait until the token call left (due moves on) or enough
			// entries age out that one slot stays free at any time: the one
			// Limit-1 back.
			if l.n >= l.limit-1 {
				return maxTime(due, l.at(l.n-(l.limit-1)).Add(l.span))
			}
			// Until the token call due first has left (a Recheck wakes
			// the waiters then).
			return maxTime(due, now.Add(l.slot))
		}
	}
	return now
}

func (l *WindowLimiter) at(i int) time.Time { return l.log[(l.head+i)%len(l.log)] }

// expire drops the admitted times a span old or older, and lets the log go
// once it is empty.
func (l *WindowLimiter) expire(now time.Time) {
	for l.n > 0 && now.Sub(l.log[l.head]) >= l.span {
		l.head = (l.head + 1) % len(l.log)
		l.n--
	}
	if l.n == 0 && len(l.log) > 64 {
		l.log, l.head = nil, 0 // an idle limiter keeps no memory of its busy hour
	}
}

func (l *WindowLimiter) record(p Priority, now time.Time) {
	if l.n == len(l.log) {
		l.grow()
	}
	l.log[(l.head+l.n)%len(l.log)] = now
	l.n++
	l.total++
	if p == PriorityToken {
		l.lastTok = now
	}
	l.setPace(p, now)
}

// grow doubles the ring, up to Limit entries.
func (l *WindowLimiter) grow() {
	size := min(max(8, 2*len(l.log)), l.limit)
	next := make([]time.Time, size)
	for i := range l.n {
		next[i] = l.at(i)
	}
	l.log, l.head = next, 0
}

// setPace sets when the next paced request may leave, after one left at
// now: at once while the burst lasts, else the window's free slots spread
// evenly over the time until its oldest entry leaves, one Slot apart at
// the closest.
func (l *WindowLimiter) setPace(p Priority, now time.Time) {
	paced := now.Before(l.pacedTil)
	if !paced && (!p.api() || l.n < l.burst()) {
		return
	}
	gap := l.slot
	if free := l.limit - l.n; l.n > 0 && free > 0 {
		if spread := l.at(0).Add(l.span).Sub(now) / time.Duration(free+1); spread > gap {
			gap = spread
		}
	}
	if t := now.Add(gap); t.After(l.next) {
		l.next = t
	}
}

// burst is how many requests may leave at once from an idle budget: its
// share for each call under way. A lone caller may spend the whole budget
// at once; sixteen callers back to back get a sixteenth each, and the rest
// is spread evenly, so that none of them waits a whole window.
func (l *WindowLimiter) burst() int {
	d := 1 + l.queue.Len()
	if l.demand != nil {
		d = max(d, l.demand())
	}
	return max(1, l.limit/d)
}

// TrackDemand tells the limiter how many calls are under way (queued,
// waiting for a token or on the wire): the burst an idle budget allows is
// shared between them; see Headroom.
func (l *WindowLimiter) TrackDemand(calls func() int) {
	l.mu.Lock()
	l.demand = calls
	l.mu.Unlock()
}

// Admitted returns how many requests the limiter has admitted so far.
func (l *WindowLimiter) Admitted() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// estimate returns how long the waiter of priority p at pos will wait, if
// nothing changes: until the first may leave, then one pace gap for each
// request ahead of it, and never before the window has room for it.
func (l *WindowLimiter) estimate(p Priority, pos int, now time.Time) time.Duration {
	_, first := l.free(p, now)
	at := first
	if pos > 0 {
		gap := l.slot
		if !p.api() && !now.Before(l.pacedTil) {
			gap = 0 // token calls keep no pace
		}
		at = at.Add(time.Duration(pos) * gap)
		// The window: the entry pos places further back must have left.
		if k := l.n + pos - l.limit; k >= 0 {
			var w time.Time
			if k < l.n {
				w = l.at(k).Add(l.span)
			} else {
				w = now.Add(l.span * time.Duration(1+pos/l.limit))
			}
			at = maxTime(at, w)
		}
	}
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
	return l.estimate(p, l.queue.Place(p), now)
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

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
