package providers

import (
	"context"
	"log/slog"
	"net/url"
	"time"
)

// Trace is a set of hooks the pipeline calls as a request goes through it,
// in the style of net/http/httptrace.ClientTrace: each hook is given the
// context of the event, and the hooks that begin something (a call, an
// attempt, a token flight) return the context the rest of it runs on, so
// that a subscriber can carry a span of its own. Any field may be nil.
//
// Hooks run on the goroutine of the request (token hooks on the goroutine
// that logs in or refreshes), synchronously: keep them quick and never
// block. Every report of the pipeline is one of these events, and every
// reader of them is a subscriber: a client's Stats, its slog records,
// OpenTelemetry (package providers/otelunikyc) and yours ([WithTrace],
// [WithSubscriber]).
//
// No hook is given a URL, a header or a body: paths can hold identifiers
// and bodies personal data.
type Trace struct {
	// CallStart is called as a logical call begins: a typed call, a token
	// call, or one request through HTTPClient (each redirect hop is one).
	// The call runs on the context it returns (nil: ctx).
	CallStart func(ctx context.Context, c Call) context.Context
	// CallDone is called with the call's final answer or error, on the
	// context CallStart returned.
	CallDone func(ctx context.Context, r CallResult)
	// AttemptStart is called just before an attempt is sent, after every
	// wait, with the token attached. The request goes to the base
	// transport with the context it returns (nil: ctx).
	AttemptStart func(ctx context.Context, a Attempt) context.Context
	// AttemptDone is called when the attempt has its answer (the headers,
	// and the body for typed calls) or failed, on AttemptStart's context.
	AttemptDone func(ctx context.Context, r AttemptResult)
	// Retry is called when the loop will send the request again after
	// Wait (a transport error, a 5xx or a 429 it may wait out).
	Retry func(ctx context.Context, r Retry)
	// Replay is called when a 401 dropped a token and the request is sent
	// again with a new one.
	Replay func(ctx context.Context, a Attempt)
	// Invalidated is called when a 401 made the client drop a token.
	Invalidated func(ctx context.Context, a Attempt)
	// CoolDownStart is called when a 429, another throttle answer or a 503
	// with Retry-After starts or extends a pause.
	CoolDownStart func(ctx context.Context, w Wait)
	// CoolDownWait is called when a request starts waiting out a pause.
	CoolDownWait func(ctx context.Context, w Wait)
	// BudgetWait is called when a request waited for a slot of a budget.
	BudgetWait func(ctx context.Context, w Wait)
	// TokenObtained and TokenFailed report each login, refresh or token
	// read from a shared store.
	TokenObtained func(ctx context.Context, e TokenEvent)
	TokenFailed   func(ctx context.Context, e TokenEvent)
	// FlightStart is called as the token cache starts a flight: the one
	// login, refresh or store read that every caller needing a token waits
	// for. ctx carries none of the callers' values; the flight runs on the
	// context it returns (nil: ctx), which must be derived from ctx.
	FlightStart func(ctx context.Context) context.Context
	// FlightJoin is called for each caller that waits for a flight, with
	// the caller's context and the flight's.
	FlightJoin func(caller, flight context.Context)
	// FlightDone is called as a flight ends, on its context, with how the
	// token came (Source "login", "refresh" or "store"; "deferred" when a
	// degraded shared store put the refresh off; "" when none came) and
	// the flight's error.
	FlightDone func(ctx context.Context, e TokenEvent)
}

// Call describes one logical call.
type Call struct {
	Provider  string
	Operation string // the typed call's name; "" for HTTPClient requests
	Kind      CallKind
	Method    string
}

// CallResult is the outcome of one call.
type CallResult struct {
	Call
	StatusCode int   // the final answer's; 0 when none came
	Err        error // the call's error, if it has no answer
}

// Attempt describes one attempt of a request.
type Attempt struct {
	Provider  string
	Operation string // the typed call's name; "" for HTTPClient requests
	Kind      CallKind
	Method    string
	Attempt   int    // 0 for the first
	Server    string // host:port the attempt goes to (the provider's origin, or a redirect's); never a path
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
	// For CoolDownStart: the answer's status, and whether it was the
	// provider's throttle (a 429, or its own throttle answer) rather than
	// a 503 with Retry-After.
	StatusCode int
	Throttled  bool
}

// TokenEvent describes one token obtained or not.
type TokenEvent struct {
	Provider string
	Source   string // "login", "refresh" or "store"
	Duration time.Duration
	Err      error // for TokenFailed
}

// CallKind tells what a request is for: an API call, or one of the token
// calls the client makes on its own.
type CallKind uint8

const (
	CallAPI     CallKind = iota // an ordinary API call
	CallLogin                   // a login with the account's credentials
	CallRefresh                 // a refresh-token exchange
)

func (k CallKind) String() string {
	switch k {
	case CallLogin:
		return "login"
	case CallRefresh:
		return "refresh"
	}
	return "api"
}

// A Subscriber makes the hooks one client's events go to, as Build
// assembles the client (see [WithSubscriber]). stop, when not nil, runs
// at Close, to release what the subscriber made for the client.
type Subscriber func(c ClientInfo) (t *Trace, stop func(), err error)

// ClientInfo describes the client a Subscriber subscribes to.
type ClientInfo struct {
	Provider string
	BaseURL  *url.URL  // a copy of the provider's base URL
	Budgets  []Budget  // the budgets the client enforces, the account's first
	Limiters []Limiter // Limiters[i] admits the requests of Budgets[i]
}

// WithSubscriber adds a subscriber that makes its hooks for each client
// built with the option, knowing the client (package
// providers/otelunikyc is one). Several add up.
func WithSubscriber(s Subscriber) Option {
	return func(o *options) { o.subscribers = append(o.subscribers, s) }
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
		CallStart:     bothCtx(a.CallStart, b.CallStart),
		CallDone:      both(a.CallDone, b.CallDone),
		AttemptStart:  bothCtx(a.AttemptStart, b.AttemptStart),
		AttemptDone:   both(a.AttemptDone, b.AttemptDone),
		Retry:         both(a.Retry, b.Retry),
		Replay:        both(a.Replay, b.Replay),
		Invalidated:   both(a.Invalidated, b.Invalidated),
		CoolDownStart: both(a.CoolDownStart, b.CoolDownStart),
		CoolDownWait:  both(a.CoolDownWait, b.CoolDownWait),
		BudgetWait:    both(a.BudgetWait, b.BudgetWait),
		TokenObtained: both(a.TokenObtained, b.TokenObtained),
		TokenFailed:   both(a.TokenFailed, b.TokenFailed),
		FlightStart:   chain(a.FlightStart, b.FlightStart),
		FlightJoin:    bothJoin(a.FlightJoin, b.FlightJoin),
		FlightDone:    both(a.FlightDone, b.FlightDone),
	}
}

func both[T any](f, g func(context.Context, T)) func(context.Context, T) {
	switch {
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(ctx context.Context, v T) { f(ctx, v); g(ctx, v) }
}

func bothCtx[T any](f, g func(context.Context, T) context.Context) func(context.Context, T) context.Context {
	switch {
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(ctx context.Context, v T) context.Context { return orCtx(g(orCtx(f(ctx, v), ctx), v), ctx) }
}

func chain(f, g func(context.Context) context.Context) func(context.Context) context.Context {
	switch {
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(ctx context.Context) context.Context { return orCtx(g(orCtx(f(ctx), ctx)), ctx) }
}

func bothJoin(f, g func(caller, flight context.Context)) func(caller, flight context.Context) {
	switch {
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(caller, flight context.Context) { f(caller, flight); g(caller, flight) }
}

func orCtx(ctx, def context.Context) context.Context {
	if ctx == nil {
		return def
	}
	return ctx
}

// statsTrace makes the counters of Stats one subscriber of the events.
func (c *counters) trace() *Trace {
	return &Trace{
		AttemptStart: func(ctx context.Context, _ Attempt) context.Context { c.requests.Add(1); return ctx },
		Retry:        func(context.Context, Retry) { c.retries.Add(1) },
		Replay:       func(context.Context, Attempt) { c.replays.Add(1) },
		CoolDownStart: func(_ context.Context, w Wait) {
			if w.Throttled {
				c.rateLimited.Add(1)
			}
		},
		CoolDownWait: func(context.Context, Wait) { c.coolDownWaits.Add(1) },
		BudgetWait:   func(context.Context, Wait) { c.budgetWaits.Add(1) },
		Invalidated:  func(context.Context, Attempt) { c.invalidations.Add(1) },
	}
}

// logTrace makes the client's slog records one subscriber of the events:
// every pause the provider asks for (Warn) and every retry (Debug), each
// with provider=.
func logTrace(l *slog.Logger) *Trace {
	return &Trace{
		CoolDownStart: func(ctx context.Context, w Wait) {
			l.Warn("unikyc: provider asked to pause", "provider", w.Provider, "status", w.StatusCode,
				"budget", w.Budget, "pause", w.Wait.Round(time.Millisecond))
		},
		Retry: func(ctx context.Context, r Retry) {
			if l.Enabled(ctx, slog.LevelDebug) {
				l.Debug("unikyc: retrying", "provider", r.Provider, "operation", r.Operation,
					"status", r.StatusCode, "wait", r.Wait.Round(time.Millisecond))
			}
		},
	}
}
