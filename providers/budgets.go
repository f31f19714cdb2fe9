package providers

import (
	"context"
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
// at Warn level on the logger of WithLogger, with provider=, the reason
// (budget or pause), the budget and the wait. Default DefaultWaitWarning;
// a negative d logs no such wait.
func WithWaitWarning(d time.Duration) Option { return func(o *options) { o.waitWarning = d } }

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

// logWait is the one record of a long wait.
func (p *pipeline) logWait(ctx context.Context, kind CallKind, reason, budget string, d time.Duration) {
	p.log.WarnContext(ctx, "unikyc: a request will wait", "provider", p.provider, "reason", reason,
		"budget", budget, "wait", roundWait(d), "kind", kind.String())
}
