package providers

import (
	"time"
)

// Trace is a set of hooks the pipeline calls as a request goes through it,
// in the style of net/http/httptrace.ClientTrace. Any field may be nil.
// Hooks run on the goroutine of the request (token hooks on the goroutine
// that logs in or refreshes), synchronously: keep them quick and never
// block. [Core.Stats] and the slog records are subscribers; install your
// own with [WithTrace]. OpenTelemetry ([WithMeterProvider],
// [WithTracerProvider]) subscribes to the same events, and to each
// event's context, which spans need.
//
// No hook is given a URL, a header or a body: paths can hold identifiers
// and bodies personal data.
type Trace struct {
	// AttemptStart is called just before an attempt is sent, after every
	// wait, with the token attached.
	AttemptStart func(Attempt)
	// AttemptDone is called when the attempt has its answer (the headers,
	// and the body for typed calls) or failed.
	AttemptDone func(AttemptResult)
	// Retry is called when the loop will send the request again after
	// Wait (a transport error, a 5xx or a 429 it may wait out).
	Retry func(Retry)
	// Replay is called when a 401 dropped a token and the request is sent
	// again with a new one.
	Replay func(Attempt)
	// CoolDownStart is called when a 429 (or a 503 with Retry-After)
	// starts or extends a pause.
	CoolDownStart func(Wait)
	// CoolDownWait is called when a request starts waiting out a pause.
	CoolDownWait func(Wait)
	// BudgetWait is called when a request waited for a slot of a budget.
	BudgetWait func(Wait)
	// TokenObtained and TokenFailed report each login, refresh or token
	// read from a shared store.
	TokenObtained func(TokenEvent)
	TokenFailed   func(TokenEvent)
	// Invalidated is called when a 401 made the client drop a token.
	Invalidated func(Attempt)
}

// Attempt describes one attempt of a request.
type Attempt struct {
	Provider  string
	Operation string // the typed call's name; "" for HTTPClient requests
	Kind      CallKind
	Method    string
	Attempt   int // 0 for the first
}

// AttemptResult is the outcome of one attempt.
type AttemptResult struct {
	Attempt
	StatusCode int           // 0 when no answer came
	Err        error         // the transport error, if any
	Duration   time.Duration // from sending to the answer (the body read, for typed calls)
}

// Retry describes a retry about to be waited for.
type Retry struct {
	Attempt
	StatusCode int // 0 after a transport error
	Wait       time.Duration
}

// Wait describes a pause or a budget wait.
type Wait struct {
	Provider string
	Kind     CallKind
	Budget   string        // the budget's name; "" for the account's cool-down
	Wait     time.Duration // how long the request waits (the pause, for CoolDownStart)
}

// TokenEvent describes one token obtained or not.
type TokenEvent struct {
	Provider string
	Source   string // "login", "refresh" or "store"
	Duration time.Duration
	Err      error // for TokenFailed
}

// join returns a Trace calling a's hooks, then b's.
func join(a, b *Trace) *Trace {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return &Trace{
		AttemptStart:  both(a.AttemptStart, b.AttemptStart),
		AttemptDone:   both(a.AttemptDone, b.AttemptDone),
		Retry:         both(a.Retry, b.Retry),
		Replay:        both(a.Replay, b.Replay),
		CoolDownStart: both(a.CoolDownStart, b.CoolDownStart),
		CoolDownWait:  both(a.CoolDownWait, b.CoolDownWait),
		BudgetWait:    both(a.BudgetWait, b.BudgetWait),
		TokenObtained: both(a.TokenObtained, b.TokenObtained),
		TokenFailed:   both(a.TokenFailed, b.TokenFailed),
		Invalidated:   both(a.Invalidated, b.Invalidated),
	}
}

func both[T any](f, g func(T)) func(T) {
	switch {
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(v T) { f(v); g(v) }
}
