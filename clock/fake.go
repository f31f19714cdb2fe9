package clock

import (
	"runtime"
	"sync"
	"time"
)

// Fake is a Clock whose time moves only when told to. It is safe for
// concurrent use. The zero value is not usable: call [NewFake].
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever the timer set changes

	// For WatchStuck: the watch in force, how many Drive, DriveIdle and
	// WaitForTimers calls are running, and when (real time) the clock last
	// moved or one of them ended.
	watch  *watch
	movers int
	moved  time.Time
}

// NewFake returns a Fake clock set to start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the fake time reaches Now()+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), c: make(chan time.Time, 1)}
	if f.watch != nil && d > 0 {
		t.since = time.Now()
		t.pcs = make([]uintptr, 16)
		t.pcs = t.pcs[:runtime.Callers(2, t.pcs)]
	}
	if d <= 0 {
		t.c <- f.now
		return t
	}
	f.timers = append(f.timers, t)
	f.notifyLocked()
	return t
}

// AfterFunc calls f when the fake time reaches Now()+d. f runs on the
// goroutine that advances the clock, before Advance or Set returns, so a
// test sees its effect at once.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	f.mu.Lock()
	t := &fakeTimer{f: f, at: f.now.Add(d), fn: fn}
	if d > 0 {
		f.timers = append(f.timers, t)
		f.notifyLocked()
	}
	f.mu.Unlock()
	if d <= 0 {
		fn()
	}
	return t
}

// Advance moves the time forward by d and fires every timer that is due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	fns := f.setLocked(f.now.Add(d))
	f.mu.Unlock()
	run(fns)
}

// Set moves the time to t (forward or back) and fires every timer that is due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	fns := f.setLocked(t)
	f.mu.Unlock()
	run(fns)
}

func run(fns []func()) {
	for _, fn := range fns {
		fn()
	}
}

// setLocked fires due channel timers and returns the due AfterFunc
// callbacks, which run once the lock is released.
func (f *Fake) setLocked(t time.Time) []func() {
	f.now = t
	if f.watch != nil {
		f.moved = time.Now()
	}
	var fns []func()
	kept := f.timers[:0]
	for _, tm := range f.timers {
		if tm.at.After(t) {
			kept = append(kept, tm)
			continue
		}
		if tm.fn != nil {
			fns = append(fns, tm.fn)
		} else {
			tm.c <- t
		}
	}
	clear(f.timers[len(kept):])
	f.timers = kept
	f.notifyLocked()
	return fns
}

// Timers reports how many channel timers are waiting to fire (AfterFunc
// timers are not counted). Tests use it to know that goroutines are parked
// on the clock before advancing it.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waitingLocked()
}

func (f *Fake) waitingLocked() int {
	n := 0
	for _, t := range f.timers {
		if t.fn == nil {
			n++
		}
	}
	return n
}

// NextTimer returns when the earliest waiting channel timer fires, and
// false when none waits.
func (f *Fake) NextTimer() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	found := false
	for _, t := range f.timers {
		if t.fn == nil && (!found || t.at.Before(next)) {
			next, found = t.at, true
		}
	}
	return next, found
}

// WaitForTimers blocks until at least n timers are waiting, or until done
// is closed; it reports whether n were reached.
func (f *Fake) WaitForTimers(n int, done <-chan struct{}) bool {
	defer f.moving()()
	for {
		f.mu.Lock()
		enough, changed := f.waitingLocked() >= n, f.changed
		f.mu.Unlock()
		if enough {
			return true
		}
		select {
		case <-changed:
		case <-done:
			return false
		}
	}
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	f  *Fake
	at time.Time
	c  chan time.Time // nil for AfterFunc timers
	fn func()

	// For WatchStuck, set only while one is in force.
	since    time.Time // real time the timer was made
	pcs      []uintptr // who made it
	reported bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	for i, x := range t.f.timers {
		if x == t {
			t.f.timers = append(t.f.timers[:i], t.f.timers[i+1:]...)
			t.f.notifyLocked()
			return true
		}
	}
	return false
}

// Drive calls fn on a new goroutine and, until fn returns, moves the time
// to the earliest waiting channel timer whenever one waits: a call parked
// on a throttle, a cool-down or a backoff returns after microseconds of
// real time, at the fake time it would have been sent. It returns how many
// times it moved the clock. AfterFunc timers (a token cache's refresh ahead
// of expiry) never make it move.
//
// Use it in tests of code that waits on the clock:
//
//	clk.Drive(func() { resp, err = c.HTTPClient().Get(url) })
//
// A call that waits on the clock outside Drive, with nothing else moving
// it, never returns; [Fake.WatchStuck] reports one.
func (f *Fake) Drive(fn func()) int { return f.DriveIdle(nil, fn) }

// DriveIdle is Drive that moves the clock only while idle reports true,
// for instance while no request is on the wire, so that a fake server sees
// each request at the fake time the client meant to send it and its
// sliding-window limits count exactly. nil idle is always idle.
func (f *Fake) DriveIdle(idle func() bool, fn func()) int {
	if idle == nil {
		idle = func() bool { return true }
	}
	defer f.moving()()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	moves := 0
	for f.WaitForTimers(1, done) {
		settle(done, idle)
		next, ok := f.NextTimer()
		if !ok || !next.After(f.Now()) {
			time.Sleep(20 * time.Microsecond) // fired meanwhile: its goroutine runs
			continue
		}
		parked := f.Timers()
		f.Set(next)
		moves++
		// Let the released goroutine act (start its work, or park again)
		// before the next move; one that finishes without either is given
		// a few milliseconds.
		settleFor(5*time.Millisecond, done, func() bool { return !idle() || f.Timers() >= parked })
	}
	return moves
}

// Step moves the time to the earliest waiting channel timer and reports
// whether there was one later than now.
func (f *Fake) Step() bool {
	next, ok := f.NextTimer()
	if !ok || !next.After(f.Now()) {
		return false
	}
	f.Set(next)
	return true
}

// settle waits, a second of real time at most, for cond or done.
func settle(done <-chan struct{}, cond func() bool) { settleFor(time.Second, done, cond) }

// settleFor waits, d of real time at most, for cond or done.
func settleFor(d time.Duration, done <-chan struct{}, cond func() bool) {
	deadline := time.Now().Add(d)
	for !cond() && time.Now().Before(deadline) {
		select {
		case <-done:
			return
		default:
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// moving marks a call that moves the clock (Drive, DriveIdle) or waits to
// (WaitForTimers) as running, for WatchStuck; call the result when it ends.
func (f *Fake) moving() func() {
	f.mu.Lock()
	f.movers++
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.movers--
		f.moved = time.Now()
		f.mu.Unlock()
	}
}
