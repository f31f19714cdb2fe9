package ratelimit

import (
	"strings"
	"time"
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
	// PerField counts the budget per value of this top-level field of the
	// request's JSON body ("email": KYConnect's 5 onboardings per 2 hours
	// per email), each value with its own Limit in any Window; see
	// KeyedLimiter. A request whose body has no such string field counts
	// under one empty value. "" counts every request together.
	PerField string
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

// Counts reports whether the budget counts a request with method to path
// (relative to the provider's base URL).
func (b Budget) Counts(method, path string) bool {
	if b.Method != "" && !strings.EqualFold(b.Method, method) {
		return false
	}
	return b.Path == "" || strings.TrimSuffix(path, "/") == strings.TrimSuffix(b.Path, "/")
}

// Route reports whether the budget is a single route's (it names a method
// or a path) rather than the whole account's.
func (b Budget) Route() bool { return b.Method != "" || b.Path != "" }

// Priority orders the requests waiting in a Limiter.
type Priority int

const (
	// PriorityAPI is an ordinary API call.
	PriorityAPI Priority = iota
	// PriorityAgain is an API call sent again (replayed with a new token
	// after a 401, or retried): it already waited its turn once, so it
	// waits ahead of the API calls that came after it, but it keeps their
	// pace and leaves the token call its headroom, as they do.
	PriorityAgain
	// PriorityToken is a login or refresh: it waits ahead of every API
	// call, because the calls queued behind it need the token it brings.
	PriorityToken
)

// api reports whether p is an API call's (first sent or sent again):
// paced, and leaving the token calls their headroom.
func (p Priority) api() bool { return p < PriorityToken }
