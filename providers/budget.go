package providers

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// Budget is a provider's documented limit: at most Limit requests in any
// Window, counted the way the provider's server counts them. A budget
// applies to every request of the account, or, with Method and Path, to
// one route (KYConnect's 10 logins an hour).
//
// Servers count in ways a client cannot see exactly: Django REST
// Framework keeps the timestamps of the last window and still sees a
// request exactly one window old; the network delays one request more than
// another. So a budget counts over Window plus a Margin: request N+1 leaves
// only once request 1 is more than Window+Margin old. A burst may use
// whatever part of the budget is unused.
type Budget struct {
	Name   string        // "requests", "login", …: names the budget in events, errors and fleet keys
	Limit  int           // at most Limit requests…
	Window time.Duration // …in any Window
	Margin time.Duration // added to Window when counting; 0: the larger of 1 s and 1 % of Window; negative: none
	Method string        // only requests with this method ("" any)
	Path   string        // only requests to this path under the base URL ("" every path)
	// Penalty is the pause after a 429 on this budget's route without
	// Retry-After (0: the provider's Spec.Penalty, else Window).
	Penalty time.Duration
}

// Span is how far back the budget counts: Window plus the margin.
func (b Budget) Span() time.Duration {
	switch {
	case b.Margin < 0:
		return b.Window
	case b.Margin == 0:
		return b.Window + max(time.Second, b.Window/100)
	}
	return b.Window + b.Margin
}

// Slot is the even spacing of the budget's requests: Span / Limit.
func (b Budget) Slot() time.Duration {
	if b.Limit <= 0 {
		return 0
	}
	return b.Span() / time.Duration(b.Limit)
}

// matches reports whether the budget counts req. path is relative to the
// provider's base URL.
func (b Budget) matches(method, path string) bool {
	if b.Method != "" && !strings.EqualFold(b.Method, method) {
		return false
	}
	return b.Path == "" || strings.TrimSuffix(path, "/") == strings.TrimSuffix(b.Path, "/")
}

func (b Budget) route() bool { return b.Method != "" || b.Path != "" }

// Priority orders the requests waiting in a Limiter.
type Priority int

const (
	// PriorityAPI is an ordinary API call.
	PriorityAPI Priority = iota
	// PriorityToken is a login or refresh: it waits ahead of every API
	// call, because the calls queued behind it need the token it brings.
	PriorityToken
)

// Limiter admits the requests sent under one budget. Every attempt
// (retries, 401 replays, logins and refreshes included) waits on it once.
//
// Wait returns nil when one request may be sent. When the wait would
// outlast ctx's deadline it returns at once with a *RateLimitError (which
// also matches context.DeadlineExceeded); on cancellation it returns
// ctx.Err(). Requests of PriorityToken are admitted before waiting
// requests of PriorityAPI.
type Limiter interface {
	Wait(ctx context.Context, p Priority) error
}

// Pacer is implemented by limiters that can be told a provider refused a
// request and pauses until until: the limiter then admits one request at
// until and the rest at the budget's even pace, instead of a burst that
// would meet the next 429.
type Pacer interface {
	PaceFrom(until time.Time)
}

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
	waiters []*waiter // token calls first, then API calls, each in arrival order
	total   int64     // requests admitted so far
	closed  chan struct{}
	isShut  bool
}

type waiter struct {
	prio  Priority
	ready chan struct{} // signalled when the waiter may have become first
}

var (
	_ Limiter = (*WindowLimiter)(nil)
	_ Pacer   = (*WindowLimiter)(nil)
)

// NewWindowLimiter returns a limiter for b. clk may be nil for the system
// clock. A budget with Limit below 1 admits nothing but is never made by
// Build (it drops such budgets).
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
		return ErrClosed
	}
	now := l.clk.Now()
	l.expire(now)
	if l.n < len(l.log) && !l.queuedAhead(p) {
		l.record(now)
		l.mu.Unlock()
		return nil
	}
	w := &waiter{prio: p, ready: make(chan struct{}, 1)}
	pos := l.enqueue(w)
	if d := l.estimate(pos, now); pastDeadline(ctx, d) {
		l.remove(w)
		l.mu.Unlock()
		return &RateLimitError{Budget: l.b.Name, RetryAfter: d, deadline: true}
	}
	l.mu.Unlock()

	for {
		l.mu.Lock()
		now := l.clk.Now()
		l.expire(now)
		first := len(l.waiters) > 0 && l.waiters[0] == w
		if first && l.n < len(l.log) {
			l.record(now)
			l.waiters = l.waiters[1:]
			l.wakeFirst()
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
		case <-w.ready:
		case <-ctx.Done():
			l.leave(w, timer)
			return ctx.Err()
		case <-l.closed:
			l.leave(w, timer)
			return ErrClosed
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
	l.wakeFirst()
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

// queuedAhead reports whether a waiter that p must let go first is queued.
func (l *WindowLimiter) queuedAhead(p Priority) bool {
	return len(l.waiters) > 0 && l.waiters[0].prio >= p
}

// enqueue places w after every waiter of its priority or higher and
// returns its position.
func (l *WindowLimiter) enqueue(w *waiter) int {
	i := len(l.waiters)
	for i > 0 && l.waiters[i-1].prio < w.prio {
		i--
	}
	l.waiters = append(l.waiters, nil)
	copy(l.waiters[i+1:], l.waiters[i:])
	l.waiters[i] = w
	if i == 0 && len(l.waiters) > 1 {
		signal(l.waiters[1]) // the old first is first no more; it needs no timer
	}
	return i
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

func (l *WindowLimiter) remove(w *waiter) bool {
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return i == 0
		}
	}
	return false
}

// leave takes w out of the queue after it gave up.
func (l *WindowLimiter) leave(w *waiter, timer clock.Timer) {
	if timer != nil {
		timer.Stop()
	}
	l.mu.Lock()
	if l.remove(w) {
		l.wakeFirst()
	}
	l.mu.Unlock()
}

func (l *WindowLimiter) wakeFirst() {
	if len(l.waiters) > 0 {
		signal(l.waiters[0])
	}
}

func signal(w *waiter) {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

// scope is one budget as the pipeline applies it: which requests it
// counts, the limiter that admits them, and the cool-down a 429 on them
// starts.
type scope struct {
	budget  Budget
	limiter Limiter // nil: no limit, only the cool-down
	gate    *gate
	penalty time.Duration
}

// scopesFor returns the scopes that count a request: the account scope
// first, then every matching route. It allocates nothing for the usual
// one or two scopes.
func (p *pipeline) scopesFor(req *http.Request, buf *[3]*scope) []*scope {
	out := buf[:0]
	out = append(out, p.account)
	if len(p.routes) == 0 {
		return out
	}
	path := strings.TrimPrefix(req.URL.Path, p.basePath)
	for _, s := range p.routes {
		if s.budget.matches(req.Method, path) {
			out = append(out, s)
		}
	}
	return out
}

// Estimate returns how long a request of priority p arriving now would
// wait, if nothing changes.
func (l *WindowLimiter) Estimate(p Priority) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clk.Now()
	l.expire(now)
	if l.n < len(l.log) && !l.queuedAhead(p) {
		return 0
	}
	pos := len(l.waiters)
	if p == PriorityToken {
		pos = 0
		for pos < len(l.waiters) && l.waiters[pos].prio >= p {
			pos++
		}
	}
	return l.estimate(pos, now)
}

// Queued returns how many requests are waiting for a slot.
func (l *WindowLimiter) Queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiters)
}

// QueuedTokenCalls returns how many logins and refreshes are waiting for
// a slot.
func (l *WindowLimiter) QueuedTokenCalls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.waiters {
		if w.prio == PriorityToken {
			n++
		}
	}
	return n
}
