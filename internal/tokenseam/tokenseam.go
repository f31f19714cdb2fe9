// Package tokenseam is the seam between the token cache (package
// tokencache) and the attempt loop (package providers): what only the
// loop may ask of a cache, and what a cache tells the loop. It is
// internal so that a user of a client, handed its cache as a
// tokencache.Source, can reach none of it.
//
// The loop makes a [Link], gives it to tokencache.New through the option
// [Option] returns, and after New finds the cache's [Loop] in it. A login
// or refresh the cache runs carries its flight in its context; the loop,
// sending that token call, finds it with [Pause].
package tokenseam

import (
	"context"
	"errors"
	"time"

	"github.com/unikyc/unikyc/auth"
)

// Link joins one cache and one loop.
type Link struct {
	// Set by the loop before the cache is made:
	Observe func(Event) // after every login, refresh or store read, and every failure of one
	Flight  FlightHooks // follow each flight (for tracing)
	// Changed, when set, is called after the cache's token changed (a
	// login, a refresh, a failure): the time of the next token call moved.
	Changed func()
	// Busy, when set, reports whether requests of the loop are under way
	// (queued or sent): the token is in use even if none of them took it
	// since it came, and its refresh must not lapse.
	Busy func() bool

	// Set by the cache as it is made:
	Loop Loop
}

// Loop is what only the attempt loop calls on a cache.
type Loop interface {
	// Refused is told that the provider refused t with a 401. A token
	// obtained after an earlier refusal was seen (and no success since)
	// that is refused in turn means the account, not the token, is
	// refused: the cache drops t and, until its backoff ends (growing
	// with every such refusal in a row), gives callers err at once,
	// sending nothing; Refused then reports true. Otherwise it drops t
	// (compare-and-swap) so that the next token is a new one, and reports
	// false.
	Refused(t *auth.Token, err error) (account bool)
	// Replaceable reports whether the next Token call can return a token
	// other than t: t was dropped, or already replaced.
	Replaceable(t *auth.Token) bool
	// Accepted is told that the provider accepted t: the account is not
	// refused, and the backoff starts again from its least.
	Accepted(t *auth.Token)
	// NextCall returns when the cache's next login or refresh is due: a
	// time in the past when one is due now or in flight, the zero time
	// when none is known (a token without expiry, a closed cache). It
	// takes no lock.
	NextCall() time.Time
	// Ready reports whether Token would return at once: a token usable now
	// is at hand, outside its hard window. An API call admitted while none is gives its budget
	// slots back and waits for the token first, so that its slot is dated
	// when it really leaves, not before a refresh it waited for.
	Ready() bool
}

// Option returns the tokencache.Option (as any: this package cannot name
// it) that installs l in the cache being made. Set by package tokencache.
var Option func(l *Link) any

// Event reports one token obtained, or one failure to obtain it.
type Event struct {
	Source   string // "login", "refresh" or "store"
	Duration time.Duration
	Err      error
}

// FlightHooks follow each flight: the one login, refresh or store read that
// every caller needing a new token waits for. A flight serves many callers,
// so it gets its own span, which the waiting callers' spans link to. Any
// field may be nil. Hooks run synchronously and must be quick.
type FlightHooks struct {
	// Start is called as a flight starts, with the context the cache made
	// for it (detached from every caller: it carries no caller's values,
	// deadline or span). The flight runs on the context Start returns,
	// which must be derived from the one given.
	Start func(ctx context.Context) context.Context
	// Join is called for each caller that waits for the flight, with the
	// caller's context and the flight's, before the caller waits.
	Join func(caller, flight context.Context)
	// End is called as the flight ends, on its context, with how the token
	// came ("login", "refresh" or "store"; "deferred" when a degraded store
	// put the refresh off; "" when none came) and the flight's error.
	End func(ctx context.Context, source string, err error)
}

// Flight is a login or refresh in flight, as the code sending it sees it.
type Flight interface {
	// Pause is told that the provider asks the token call to wait d before
	// sending; err is what a waiting caller whose deadline comes sooner
	// gets at once. It reports whether the call should wait: false when
	// every caller waiting for it has left or must leave before the pause
	// ends (no one could use its answer), so the call fails with err.
	Pause(d time.Duration, err error) bool
}

type flightKey struct{}

type refreshKey struct{}

// ErrRefreshExpired is what the loop answers a refresh whose refresh token
// expired while it waited (for a budget slot, a pause): it is not sent,
// and the cache logs in instead, as after a refused refresh token.
var ErrRefreshExpired = errors.New("unikyc: refresh token expired before the refresh could leave; logging in instead")

// WithRefreshExpiry returns ctx carrying the expiry of the refresh token a
// refresh call is about to send (zero: none known).
func WithRefreshExpiry(ctx context.Context, exp time.Time) context.Context {
	if exp.IsZero() {
		return ctx
	}
	return context.WithValue(ctx, refreshKey{}, exp)
}

// RefreshExpired reports whether ctx carries a refresh token's expiry that
// is not after now: the refresh must not be sent.
func RefreshExpired(ctx context.Context, now time.Time) bool {
	exp, ok := ctx.Value(refreshKey{}).(time.Time)
	return ok && !now.Before(exp)
}

// WithFlight returns ctx carrying f: the context a cache runs a flight on.
func WithFlight(ctx context.Context, f Flight) context.Context {
	return context.WithValue(ctx, flightKey{}, f)
}

// Pause tells the flight ctx carries, if any, that the provider asks it to
// wait d; see Flight.Pause. Outside a cache's token call it returns true.
func Pause(ctx context.Context, d time.Duration, err error) bool {
	f, ok := ctx.Value(flightKey{}).(Flight)
	if !ok {
		return true
	}
	return f.Pause(d, err)
}
