package ratelimit

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/unikyc/unikyc/internal/errs"
)

// Limiter admits the requests sent under one budget. Every attempt
// (retries, 401 replays, logins and refreshes included) waits on it once.
//
// Wait returns nil when one request may be sent. When the wait would
// outlast ctx's deadline it returns at once with a [*WaitError] (which
// matches context.DeadlineExceeded); on cancellation it returns ctx.Err();
// after Close, if it has one, the module's ErrClosed. Requests of
// a higher Priority are admitted before waiting requests of a lower one.
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

// Admitter is implemented by limiters that can say whether a request
// really queued (so that a wait is counted only then, not for the
// nanoseconds an admission takes on the real clock) and take back a slot
// whose request was held back before it was sent.
type Admitter interface {
	// Admit is Wait that also returns the time recorded for the request
	// and whether it queued.
	Admit(ctx context.Context, p Priority) (at time.Time, queued bool, err error)
	// Return gives back the slot Admit recorded at at: the request will
	// ask again, so that a slot's time is its send time.
	Return(at time.Time)
}

// Headroom is implemented by limiters that keep a slot for the login or
// refresh a token cache will need: the calls queued behind a token call
// need the token it brings, so it must never wait for a window API calls
// filled.
type Headroom interface {
	// KeepHeadroom tells the limiter when the next token call is due (the
	// zero time: none known). due is called under the limiter's lock and
	// must be quick and take no lock of its own.
	KeepHeadroom(due func() time.Time)
	// Recheck tells the limiter that the due time moved.
	Recheck()
	// TrackDemand tells the limiter how many calls of the client are under
	// way, so that an idle budget's burst is shared between them rather
	// than spent by the first ones, leaving the rest a whole window to
	// wait. calls is called under the limiter's lock and must be quick.
	TrackDemand(calls func() int)
}

// Estimator is implemented by limiters that can tell how long a request of
// priority p arriving now would wait, if nothing changes. The pipeline asks
// before a shared login waits for its slot, so that the callers waiting for
// that login learn of the wait as they would of a pause.
type Estimator interface {
	Estimate(p Priority) time.Duration
}

// WaitError is the one error a wait returns when it would outlast the
// caller's deadline: the budget (or, with Budget "", the pause) asks for
// RetryAfter more. It matches context.DeadlineExceeded and ErrRateLimited
// (providers.ErrRateLimited); the pipeline turns it into a
// *providers.RateLimitError naming the provider.
type WaitError struct {
	Budget     string
	RetryAfter time.Duration
}

func (e *WaitError) Error() string {
	var b strings.Builder
	b.WriteString("unikyc: limiter: ")
	if e.Budget != "" {
		b.WriteString("budget ")
		b.WriteString(printable(e.Budget))
		b.WriteString(" exhausted")
	} else {
		b.WriteString("rate limited")
	}
	b.WriteString(": retry after ")
	b.WriteString(RoundWait(e.RetryAfter).String())
	b.WriteString(", past the deadline")
	return b.String()
}

// Is reports whether target is context.DeadlineExceeded or ErrRateLimited.
func (e *WaitError) Is(target error) bool {
	return target == context.DeadlineExceeded || target == errs.ErrRateLimited
}

// RoundWait keeps a wait readable in a message: whole seconds past ten,
// else milliseconds.
func RoundWait(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// printable keeps a budget name to one short printable line.
func printable(s string) string {
	const max = 64
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if n += utf8.RuneLen(r); n > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
