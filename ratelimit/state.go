package ratelimit

import "time"

// State is a budget's live state, as a limiter that can tell reports it.
type State struct {
	Remaining int       // requests it admits now without waiting
	Queued    int       // requests waiting for a slot
	NextFree  time.Time // when a request arriving now may leave (now, when Remaining > 0 and none queue)
}

// StateReporter is implemented by limiters that can report their live
// state (WindowLimiter does). providers' Budgets shows it per budget;
// limiters that cannot tell (a RateLimiter, a user's own) are shown
// without it.
type StateReporter interface {
	State() State
}

var _ StateReporter = (*WindowLimiter)(nil)

// State reports the limiter's live state. It is read through the
// limiter's own accessors, each under its lock: a reading for an operator,
// not a promise (a request may take the last slot in between).
func (l *WindowLimiter) State() State {
	now := l.clk.Now()
	return State{Remaining: l.Remaining(), Queued: l.Queued(), NextFree: now.Add(l.Estimate(PriorityAPI))}
}
