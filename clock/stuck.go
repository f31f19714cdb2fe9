package clock

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
)

// DefaultStuckGrace is the grace [Fake.WatchStuck] gives a wait when
// asked for none: long enough that a loaded CI machine does not turn a
// slow, correct test into a report, and sixty times shorter than go test's
// default timeout.
const DefaultStuckGrace = 10 * time.Second

// WatchStuck makes f report a call left waiting on it: a channel timer
// (NewTimer, and so Sleep, a throttle, a cool-down, a backoff) that has
// waited for grace of real time (0: [DefaultStuckGrace]) while nothing
// moved the clock — no Advance, Set or Step in that time, and no Drive,
// DriveIdle or WaitForTimers running. Forgetting [Fake.Drive] then fails
// in seconds with a message that says what to do, instead of hanging until
// the test's timeout.
//
// report receives the message, on the watching goroutine; nil report
// panics with it, the only way to end a test whose own goroutine is the
// one blocked (the testing package ends a timed-out test the same way).
// Each timer is reported once. stop ends the watch and its goroutine
// (call it before a leak check); a second WatchStuck replaces the first.
//
// The watch is off unless a test turns it on, because it cannot tell a
// forgotten Drive from a goroutine meant to stay parked on the clock while
// the test does real work for longer than grace, for instance a webhook
// retry the test never lets fire. Such a test takes a longer grace, or no
// watch. It is not for a testing/synctest bubble, whose time jumps as soon
// as every goroutine waits (there synctest itself reports the deadlock).
// providertest.NewClock returns a watched Fake for a test.
func (f *Fake) WatchStuck(grace time.Duration, report func(msg string)) (stop func()) {
	if grace <= 0 {
		grace = DefaultStuckGrace
	}
	if report == nil {
		report = func(msg string) { panic(msg) }
	}
	w := &watch{grace: grace, report: report, quit: make(chan struct{}), done: make(chan struct{})}
	f.mu.Lock()
	old := f.watch
	f.watch = w
	f.moved = time.Now()
	f.mu.Unlock()
	if old != nil {
		old.stop()
	}
	go f.watchLoop(w)
	return func() {
		f.mu.Lock()
		if f.watch == w {
			f.watch = nil
		}
		f.mu.Unlock()
		w.stop()
	}
}

// watch is one WatchStuck in force.
type watch struct {
	grace  time.Duration
	report func(string)
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// stop ends the watch and waits for its goroutine.
func (w *watch) stop() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

func (f *Fake) watchLoop(w *watch) {
	defer close(w.done)
	tick := time.NewTicker(max(w.grace/10, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-tick.C:
		}
		if msg := f.stuck(w); msg != "" {
			w.report(msg)
		}
	}
}

// stuck returns the report of one timer that waited grace with nothing
// moving the clock, and marks it reported; "" when there is none.
func (f *Fake) stuck(w *watch) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if f.watch != w || f.movers > 0 {
		return ""
	}
	for _, t := range f.timers {
		if t.fn != nil || t.reported {
			continue
		}
		since := t.since
		if f.moved.After(since) {
			since = f.moved
		}
		if now.Sub(since) < w.grace {
			continue
		}
		t.reported = true
		return stuckMessage(t.at.Sub(f.now), w.grace, t.pcs)
	}
	return ""
}

func stuckMessage(wait, grace time.Duration, pcs []uintptr) string {
	var b strings.Builder
	fmt.Fprintf(&b, "unikyc: a call is waiting %v on clock.Fake and nothing has moved the clock for %v of real time: "+
		"run the call inside clk.Drive(func() { … }) (or DriveIdle), or move the clock from another goroutine "+
		"with WaitForTimers and Advance, Set or Step", wait, grace)
	if where := callers(pcs); where != "" {
		b.WriteString("; the wait began at:\n")
		b.WriteString(where)
	}
	return b.String()
}

// callers formats the frames of pcs outside this package, the first few.
func callers(pcs []uintptr) string {
	if len(pcs) == 0 {
		return ""
	}
	var b strings.Builder
	frames := runtime.CallersFrames(pcs)
	n := 0
	for n < 8 {
		fr, more := frames.Next()
		inClock := strings.HasPrefix(fr.Function, "github.com/unikyc/unikyc/clock.") && !strings.HasSuffix(fr.File, "_test.go")
		if !inClock && fr.Function != "" {
			if strings.HasPrefix(fr.Function, "testing.") || strings.HasPrefix(fr.Function, "runtime.") {
				break
			}
			fmt.Fprintf(&b, "\t%s\n\t\t%s:%d\n", fr.Function, fr.File, fr.Line)
			n++
		}
		if !more {
			break
		}
	}
	return b.String()
}
