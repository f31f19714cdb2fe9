package providers

import (
	"context"
	"log/slog"
	"time"

	"github.com/unikyc/unikyc/ratelimit"
)

// BudgetState is a budget the client enforces and its live state, as
// [Core.Budgets] reports it.
type BudgetState struct {
	Budget
	// Live reports whether the budget's limiter told its state
	// (ratelimit.StateReporter; the default WindowLimiter does): Remaining,
	// Queued and NextFree are set only then.
	Live      bool
	Remaining int       // requests it admits now without waiting
	Queued    int       // requests waiting for a slot
	NextFree  time.Time // when a request arriving now may leave, as far as the budget goes
	// PausedUntil is when the pause a 429 (or a 503 with Retry-After)
	// started for the budget's requests ends; zero when none lasts.
	PausedUntil time.Time
}

// DefaultWaitWarning is how long a request may be about to wait for a
// budget or a pause before the client logs it (WithWaitWarning).
const DefaultWaitWarning = 5 * time.Second

// WithWaitWarning sets how long a request may be about to wait for a slot
// of a budget or for the end of a pause before the client logs it, once,
// at Warn level, with provider=, the reason (budget or pause), the budget
// and the wait. The record goes to the logger of WithLogger, or, when none
// is given, to slog.Default() (the only record a client without WithLogger
// writes): behind Compliancely's 10-minute penalty a request would
// otherwise wait in silence. Default DefaultWaitWarning; d <= 0 logs no
// such wait.
func WithWaitWarning(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			d = -1 // "off": the zero value means "not set", the default
		}
		o.waitWarning = d
	}
}

// waitMessage is the message of the long-wait record, the one that
// waitWarnings lets through.
const waitMessage = "unikyc: a request will wait"

// waitWarnings is the handler of the logger of a client given no
// WithLogger: it hands the long-wait record to slog.Default(), read at
// each record (slog.SetDefault may come after New), and drops every other
// record.
type waitWarnings struct{}

func (waitWarnings) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && slog.Default().Enabled(ctx, l)
}

func (waitWarnings) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != waitMessage {
		return nil
	}
	return slog.Default().Handler().Handle(ctx, r)
}

// WithAttrs and WithGroup: the long-wait record is written on the client's
// logger itself, never on a derived one.
func (waitWarnings) WithAttrs([]slog.Attr) slog.Handler { return slog.DiscardHandler }
func (waitWarnings) WithGroup(string) slog.Handler      { return slog.DiscardHandler }

// budgetStates reads the live state of every budget the client enforces.
func (p *pipeline) budgetStates() []BudgetState {
	now := p.clk.Now()
	// A shared cool-down (WithCoolDown) may ask a store; an operator's
	// reading must not hang on it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var out []BudgetState
	for _, s := range append([]*scope{p.account}, p.routes...) {
		if s.limiter == nil && s.keyed == nil {
			continue
		}
		st := BudgetState{Budget: s.budget}
		if r, ok := s.limiter.(ratelimit.StateReporter); ok {
			live := r.State()
			st.Live, st.Remaining, st.Queued, st.NextFree = true, live.Remaining, live.Queued, live.NextFree
		}
		if until := s.gate.cool.Until(ctx); until.After(now) {
			st.PausedUntil = until
		}
		out = append(out, st)
	}
	return out
}

// warnBudgetWait logs, once for this wait, that a request is about to wait
// longer than the threshold for a slot of s's budget.
func (p *pipeline) warnBudgetWait(ctx context.Context, c *call, s *scope, prio ratelimit.Priority) {
	if p.waitWarning <= 0 {
		return
	}
	if est, ok := s.limiter.(ratelimit.Estimator); ok {
		if d := est.Estimate(prio); d > p.waitWarning {
			p.logWait(ctx, c.kind, "budget", s.budget.Name, d)
		}
	}
}

// pauseWarning is the subscriber that logs a long wait for the end of a
// pause, once per waiting request; nil when WithWaitWarning turned it off.
func (p *pipeline) pauseWarning() *Trace {
	w := p.waitWarning
	if w <= 0 {
		return nil
	}
	return &Trace{CoolDownWait: func(ctx context.Context, ev Wait) {
		if ev.Wait > w {
			p.logWait(ctx, ev.Kind, "pause", ev.Budget, ev.Wait)
		}
	}}
}

// logWait is the one record of a long wait, on the user's logger or, when
// none was given, on slog.Default() (waitWarnings).
func (p *pipeline) logWait(ctx context.Context, kind CallKind, reason, budget string, d time.Duration) {
	p.log.WarnContext(ctx, waitMessage, "provider", p.provider, "reason", reason,
		"budget", budget, "wait", roundWait(d), "kind", kind.String())
}
