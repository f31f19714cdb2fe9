package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/deadline"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

// pipeline is the one attempt loop every request of a client goes through:
// API calls, logins and refreshes. See the package doc for its steps.
//
// Each attempt runs in three phases whose errors cannot mix: admit (the
// token ready, the cool-down gates, the budgets: its errors are final),
// send (the credential at the last moment, the round trip, the bounded
// read: its errors are the transport's) and judge (answer.go: a verdict on
// what came back).
type pipeline struct {
	provider string
	origin   *auth.Origin // where credentials may go
	baseURL  *url.URL
	basePath string

	next  http.RoundTripper
	cache *tokencache.Cache // nil with a static credential
	seam  tokenseam.Loop    // what only the loop may call on cache
	cred  auth.Credential

	account *scope   // every request
	routes  []*scope // budgets of single routes (KYConnect's logins)

	policy       RetryPolicy
	rules        TokenRules
	penaltyFloor bool
	decode       ErrorDecoder
	clk          clock.Clock
	trace        *Trace          // never nil: the subscribers' hooks (trace.go)
	server       string          // the origin's host:port, for events
	log          *slog.Logger    // for the token cache and Expiry; the rest is events
	closed       chan struct{}   // closed by Close
	shut         atomic.Bool     // set by Close, before closed is closed
	sending      atomic.Int64    // attempts between their last look at shut and their round trip's end
	closing      context.Context // cancelled by Close
	cancel       context.CancelFunc
	minLife      time.Duration // the floor of a token's lifetime
	active       *atomic.Int64 // API calls under way (of every client of a shared account): the token is in use
	// timeout bounds a typed call's whole attempt, body read included, on
	// the transport Build made (whose ResponseHeaderTimeout bounds only the
	// headers); 0 with WithTransport, where attemptTimeout does it.
	timeout time.Duration
	// waitWarning: a wait for a budget or a pause longer than this is
	// logged (budgets.go); 0: never.
	waitWarning time.Duration
}

// call is what the loop knows of one logical request. A typed call sends
// through its own http.Client whose transport is the call itself: the
// seam between the caller and the loop is this value, not a context value
// that crosses net/http.
type call struct {
	p         *pipeline
	kind      CallKind
	operation string
	read      int64       // > 0: read a 2xx body inside the attempt, capped
	sent      time.Time   // when the last attempt left, on the client's clock
	client    http.Client // a typed call's: follows redirects, each hop through RoundTrip
	err       error       // the loop's error of the last hop, which Exchange returns as is
	// pastDeadline: the last answer's pause was not waited out because it
	// outlasts the caller's deadline.
	pastDeadline bool
}

// RoundTrip sends one hop of a typed call through the loop.
func (c *call) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.p.roundTrip(req, c)
	c.err = err
	return resp, err
}

// RoundTrip is the HTTPClient's transport: it returns every response it
// obtained, the final 401 or 429 included, and an error only when it
// obtained none.
func (p *pipeline) RoundTrip(req *http.Request) (*http.Response, error) {
	return p.roundTrip(req, &call{p: p, kind: CallAPI})
}

func (p *pipeline) roundTrip(req *http.Request, c *call) (*http.Response, error) {
	resp, data, err := p.exchange(req, c)
	if err == nil && data != nil {
		// A typed call's answer, read inside the attempt.
		resp.Body = io.NopCloser(bytes.NewReader(data))
	}
	return resp, err
}

// exchange sends req until it has a final answer. With c.read set, a 2xx
// body is read inside the attempt and returned as data, so an answer cut
// off mid-body is one more attempt.
func (p *pipeline) exchange(req *http.Request, c *call) (*http.Response, []byte, error) {
	ctx := req.Context()
	if p.trace.CallStart == nil && p.trace.CallDone == nil {
		return p.loop(ctx, req, c)
	}
	ev := Call{Provider: p.provider, Operation: c.operation, Kind: c.kind, Method: req.Method}
	if h := p.trace.CallStart; h != nil {
		ctx = orCtx(h(ctx, ev), ctx)
	}
	resp, data, err := p.loop(ctx, req, c)
	if h := p.trace.CallDone; h != nil {
		r := CallResult{Call: ev, Err: err}
		if resp != nil {
			r.StatusCode = resp.StatusCode
		}
		h(ctx, r)
	}
	return resp, data, err
}

// loop is the attempt loop: admit, send, judge, until the verdict is done.
func (p *pipeline) loop(ctx context.Context, req *http.Request, c *call) (*http.Response, []byte, error) {
	if c.kind == CallAPI {
		p.active.Add(1)
		defer p.active.Add(-1)
	}
	var buf [3]*scope
	r := p.newRun(req, c, p.scopesFor(req, &buf))
	for n := 0; ; n++ {
		areq, err := attemptRequest(req, n, r.hasBody)
		if err != nil {
			return nil, nil, p.wrap(c, err)
		}
		t, err := p.admit(ctx, areq, c, r.scopes, n)
		if err != nil {
			closeBody(req)
			return nil, nil, p.closedOr(err) // held back on this side: retrying cannot help
		}
		a, err := p.send(ctx, areq, c, n)
		if err != nil {
			t.leave(nil)
			closeBody(req)
			return nil, nil, p.closedOr(err) // no credential, or closed: it never left
		}
		v := p.judge(ctx, &r, &a, n)
		t.leave(&a) // after judge, which sets the pause a probe met
		switch v {
		case done:
			if a.err != nil {
				closeBody(req)
			}
			return a.resp, a.data, a.err
		case backOff:
			if err := p.backoff(ctx, c, n, r.retries, a.resp); err != nil {
				return nil, nil, err
			}
		}
		// replay: at once, with a new token; pause: the gate holds the
		// next attempt until the pause ends.
	}
}

// run is what the loop keeps from one attempt to the next.
type run struct {
	req        *http.Request
	c          *call
	scopes     []*scope // the budgets that count it, the account's first
	safe       bool     // idempotent, or a token call: may be sent twice
	hasBody    bool
	replayable bool // its body can be sent again
	maxRetries int
	retries    int
	replays    int // sent again with a new token after a 401
}

func (p *pipeline) newRun(req *http.Request, c *call, scopes []*scope) run {
	hasBody := req.Body != nil && req.Body != http.NoBody
	return run{req: req, c: c, scopes: scopes, hasBody: hasBody,
		safe:       c.kind != CallAPI || isIdempotent(req),
		replayable: !hasBody || req.GetBody != nil,
		maxRetries: p.maxRetries(c.kind)}
}

// attemptRequest returns the request of attempt n, its body replayed.
func attemptRequest(req *http.Request, n int, hasBody bool) (*http.Request, error) {
	if n == 0 || !hasBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	cp := *req
	cp.Body = body
	return &cp, nil
}

// ticket is admit's answer: the request may leave now. probes are the
// cool-down gates whose probe it is (the first request after a pause);
// leave opens them once the attempt was judged. slots are the budget slots
// it holds, given back when it is held back before it leaves.
type ticket struct {
	probes []*gate
	slots  [3]heldSlot
	held   int
}

// heldSlot is one budget slot a ticket holds, by the time it was recorded.
type heldSlot struct {
	lim ratelimit.Admitter
	at  time.Time
}

// leave ends the ticket's probes. a is the judged attempt (nil when none
// left): a real answer that is not a pause opens the gates for everyone;
// a pause keeps the followers where they are until the judge has set it.
func (t ticket) leave(a *answer) {
	opened := a != nil && a.resp != nil && !a.kind.pauses()
	for _, g := range t.probes {
		g.leave(opened)
	}
}

// giveBack returns the slots the ticket holds: its request will not leave
// now, and a slot's time must be its send time.
func (t *ticket) giveBack() {
	for _, s := range t.slots[:t.held] {
		s.lim.Return(s.at)
	}
	t.held = 0
}

func (t *ticket) probing(g *gate) bool {
	for _, x := range t.probes {
		if x == g {
			return true
		}
	}
	return false
}

// admit is the first phase: the token ready, the cool-down gates, the
// budgets (the most specific first), then the gates again, since a 429 may
// have come while the request queued: then it gives its slots back and
// waits at the gate, so that the slots it takes after are dated when it
// really leaves (no burst of held requests when the pause's probe is
// answered). A refresh whose refresh token expired meanwhile is not sent.
// Its errors are final.
func (p *pipeline) admit(ctx context.Context, req *http.Request, c *call, scopes []*scope, n int) (ticket, error) {
	var t ticket
	// A request that needs a login or a refresh waits for it before it
	// takes a budget slot: the token call takes its own slot, ahead of the
	// queue, and the request's slot is then spent when it really leaves.
	needsToken := c.kind == CallAPI && p.cache != nil && p.origin.Contains(req.URL)
	for rounds := 0; ; rounds++ {
		if needsToken {
			if _, err := p.cache.Token(ctx); err != nil {
				t.leave(nil)
				return ticket{}, p.tokenError(err)
			}
		}
		if err := p.enterGates(ctx, scopes, c, &t); err != nil {
			return ticket{}, err
		}
		waited, err := p.takeSlots(ctx, scopes, c, &t, n)
		if err != nil {
			t.giveBack()
			t.leave(nil)
			return ticket{}, err
		}
		// The token it waited for before its slot may have expired, or
		// entered its hard window, while it queued (a pause outlasting a
		// short token): the refresh leaves first then, and this slot would
		// be dated before the send.
		// (A few rounds at most: a provider's token that is expired when it
		// comes must not spin the loop.)
		stale := needsToken && rounds < maxTokenRounds && !p.seam.Ready()
		if !stale && (!waited || !p.gatesHold(scopes, c, &t)) {
			break
		}
		t.giveBack()
	}
	// The choice between refresh and login was made before the waits: an
	// expired refresh token is never sent (the cache logs in instead).
	if c.kind == CallRefresh && tokenseam.RefreshExpired(ctx, p.clk.Now()) {
		t.giveBack()
		t.leave(nil)
		return ticket{}, tokenseam.ErrRefreshExpired
	}
	return t, nil
}

// maxTokenRounds bounds how often admit gives its slots back to wait for
// a token that expired while it queued.
const maxTokenRounds = 3

// gatesHold reports whether a gate the ticket does not probe would hold
// the request back now.
func (p *pipeline) gatesHold(scopes []*scope, c *call, t *ticket) bool {
	for _, s := range scopes {
		if !t.probing(s.gate) && s.gate.holds(p, c) {
			return true
		}
	}
	return false
}

// enterGates waits at every scope's cool-down gate the ticket does not
// probe already.
func (p *pipeline) enterGates(ctx context.Context, scopes []*scope, c *call, t *ticket) error {
	for _, s := range scopes {
		if t.probing(s.gate) {
			continue
		}
		probe, err := s.gate.enter(ctx, p, c)
		if err != nil {
			t.leave(nil)
			t.probes = nil
			return err
		}
		if probe {
			t.probes = append(t.probes, s.gate)
		}
	}
	return nil
}

// takeSlots takes a slot of every budget that counts the request, the
// most specific first, and reports whether any of them made it queue. A
// wait is counted (Stats.BudgetWaits, the BudgetWait hook) only then, not
// for the moment an admission takes on the real clock.
func (p *pipeline) takeSlots(ctx context.Context, scopes []*scope, c *call, t *ticket, n int) (waited bool, err error) {
	prio := ratelimit.PriorityAPI
	switch {
	case c.kind != CallAPI:
		prio = ratelimit.PriorityToken
	case n > 0:
		// Sent again (a replay after a 401, a retry): it waited its turn
		// once and goes ahead of the calls that came after it.
		prio = ratelimit.PriorityAgain
	}
	for i := len(scopes) - 1; i >= 0; i-- {
		s := scopes[i]
		if s.limiter == nil {
			continue
		}
		if est, ok := s.limiter.(ratelimit.Estimator); ok && c.kind != CallAPI {
			// A shared login that must wait for its budget tells the callers
			// waiting for it, as a pause would.
			if d := est.Estimate(prio); d > 0 {
				rl := &RateLimitError{Provider: p.provider, Budget: s.budget.Name, RetryAfter: d}
				if !tokenseam.Pause(ctx, d, rl) {
					return waited, rl
				}
			}
		}
		p.warnBudgetWait(ctx, c, s, prio)
		start := p.clk.Now()
		queued := false
		if a, ok := s.limiter.(ratelimit.Admitter); ok {
			at, q, err := p.admitSlot(ctx, s, a, prio)
			if err != nil {
				return waited, p.budgetError(s, err)
			}
			if t.held < len(t.slots) {
				t.slots[t.held] = heldSlot{lim: a, at: at}
				t.held++
			}
			queued = q
		} else {
			if err := p.waitSlot(ctx, s, prio); err != nil {
				return waited, p.budgetError(s, err)
			}
			// A limiter that cannot say: a wait the clock can see.
			queued = p.clk.Now().Sub(start) >= minCountedWait
		}
		if queued {
			waited = true
			p.emitWait(ctx, p.trace.BudgetWait, c, s.budget.Name, p.clk.Now().Sub(start))
		}
	}
	return waited, nil
}

// minCountedWait is the shortest wait on a Limiter that does not say
// whether it queued (not an Admitter) counted as a budget wait (inferred:
// an admission without a queue takes microseconds).
const minCountedWait = time.Millisecond

// waitSlot waits for a slot of s. A limiter the client did not make (one
// given with WithLimiter, maybe shared) is not closed by Close: its wait
// ends with the client all the same.
func (p *pipeline) waitSlot(ctx context.Context, s *scope, prio ratelimit.Priority) error {
	if s.owned {
		return s.limiter.Wait(ctx, prio)
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.closing, cancel)
	err := s.limiter.Wait(ctx, prio)
	stop()
	cancel()
	return err
}

// admitSlot is waitSlot for a limiter that says whether the request
// queued and can take a slot back.
func (p *pipeline) admitSlot(ctx context.Context, s *scope, a ratelimit.Admitter, prio ratelimit.Priority) (time.Time, bool, error) {
	if s.owned {
		return a.Admit(ctx, prio)
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.closing, cancel)
	at, q, err := a.Admit(ctx, prio)
	stop()
	cancel()
	return at, q, err
}

// closedOr is ErrClosed once the client is closed (whatever a wait that
// Close cut short returned), else err.
func (p *pipeline) closedOr(err error) error {
	if p.shut.Load() {
		return ErrClosed
	}
	return err
}

// send is the second phase: the credential, taken only now so that it is
// fresh when it leaves, the round trip, and for typed calls the answer's
// body read inside the attempt (capped). Its error means the request never
// left (no credential could be had); what the transport did is in the
// answer, for the judge.
func (p *pipeline) send(ctx context.Context, req *http.Request, c *call, n int) (answer, error) {
	out, tok, err := p.authorize(ctx, req, c)
	if err != nil {
		return answer{}, err
	}
	actx := ctx // the attempt's: a subscriber may carry its span in it
	if h := p.trace.AttemptStart; h != nil {
		if actx = orCtx(h(ctx, p.describe(c, req, n)), ctx); actx != ctx {
			out = out.WithContext(actx)
		}
	}
	var start time.Time
	if p.trace.AttemptDone != nil || c.kind != CallAPI {
		start = p.clk.Now()
		c.sent = start
	}
	cancel, bounded := context.CancelFunc(func() {}), false
	if c.read > 0 && p.timeout > 0 {
		bounded = true
		var tctx context.Context
		tctx, cancel = context.WithTimeout(out.Context(), p.timeout)
		out = out.WithContext(tctx)
	}
	a := answer{tok: tok}
	// Nothing leaves after Close: an attempt counts itself as sending, then
	// looks; Close marks the client shut, then waits for those counted.
	p.sending.Add(1)
	if p.shut.Load() {
		p.sending.Add(-1)
		cancel()
		return answer{}, ErrClosed
	}
	a.resp, a.err = p.next.RoundTrip(out)
	p.sending.Add(-1)
	switch {
	case a.err != nil:
		cancel()
	case c.read > 0 && success(a.resp.StatusCode):
		a.data, a.err = httpbody.Read(a.resp.Body, c.read)
		httpbody.Drain(a.resp.Body, 4<<10)
		cancel()
		if a.err != nil {
			a.resp, a.data = nil, nil
		}
	case bounded:
		// Read later (an error answer, by check): the attempt's time ends
		// when its body is closed. (Unbounded, the body is left as it came:
		// no wrapper to allocate on every request.)
		a.resp.Body = &cancelBody{ReadCloser: a.resp.Body, cancel: cancel}
	default:
		cancel() // nothing to cancel: no timeout was set
	}
	if h := p.trace.AttemptDone; h != nil {
		r := AttemptResult{Attempt: p.describe(c, req, n), Err: a.err, Duration: p.clk.Now().Sub(start)}
		if a.resp != nil {
			r.StatusCode = a.resp.StatusCode
		}
		h(actx, r)
	}
	return a, nil
}

// authorize returns a copy of req carrying the credential, for the
// provider's own origin only (auth.Origin, as auth.Transport does).
func (p *pipeline) authorize(ctx context.Context, req *http.Request, c *call) (*http.Request, *auth.Token, error) {
	if !p.origin.Contains(req.URL) {
		return req, nil, nil // another origin (a redirect) gets no credential
	}
	if err := p.origin.Check(req.URL); err != nil {
		return nil, nil, fmt.Errorf("unikyc: %s: %w", p.provider, err)
	}
	switch {
	case c.kind != CallAPI:
		// Logins and refreshes carry their credentials in their body.
		return p.origin.Authorize(req, nil, nil), nil, nil
	case p.cache != nil:
		tok, err := p.cache.Token(ctx)
		if err != nil {
			return nil, nil, p.tokenError(err)
		}
		out := p.origin.Authorize(req, tok, nil)
		if err := withTokenBody(req, out, tok); err != nil {
			return nil, nil, fmt.Errorf("unikyc: %s: %w", p.provider, err)
		}
		return out, tok, nil
	case p.cred != nil:
		return p.origin.Authorize(req, nil, p.cred), nil, nil
	}
	return req, nil, nil
}

func (p *pipeline) maxRetries(k CallKind) int {
	switch {
	case k == CallLogin && p.rules.LoginAttempts > 0:
		return p.rules.LoginAttempts - 1
	case k == CallRefresh && p.rules.RefreshAttempts > 0:
		return p.rules.RefreshAttempts - 1
	}
	return p.policy.MaxRetries
}

// backoff waits before a retry: exponential with jitter, or the
// Retry-After a 5xx asked for.
func (p *pipeline) backoff(ctx context.Context, c *call, n, retries int, resp *http.Response) error {
	d := backoff(p.policy.MinWait, p.policy.MaxWait, retries-1)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		if ra, ok := parseRetryAfter(resp.Header, p.clk.Now()); ok {
			d = max(d, ra)
		}
	}
	if deadline.Past(ctx, d) {
		return p.wrap(c, context.DeadlineExceeded)
	}
	p.emitRetry(ctx, c, nil, n, status, d)
	// Real time: backoffs are short, and a test's fake clock must not
	// have to be pumped through every transport fault.
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return p.wrap(c, ctx.Err())
	case <-p.closed:
		return ErrClosed
	}
}

// sleep waits d on the client's clock, or until ctx ends or the client
// closes.
func (p *pipeline) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := p.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.closed:
		return ErrClosed
	}
}

// wrap names the provider and operation on an error of the transport or
// of the request's own context, once, with a bounded message that never
// quotes a URL or a header.
func (p *pipeline) wrap(c *call, err error) error {
	return &TransportError{Provider: p.provider, Operation: c.operation, Kind: c.kind, Err: err}
}

// tokenError is what a request gets when no token could be obtained: the
// login's or refresh's own error (which names the provider), or, when the
// caller's context ended while it waited, that.
func (p *pipeline) tokenError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var te *TransportError
		var rl *RateLimitError
		if !errors.As(err, &te) && !errors.As(err, &rl) {
			return &TransportError{Provider: p.provider, Operation: "token", Kind: CallLogin, Err: err}
		}
	}
	return err
}

func (p *pipeline) budgetError(s *scope, err error) error {
	var we *ratelimit.WaitError
	if errors.As(err, &we) {
		return &RateLimitError{Provider: p.provider, Budget: s.budget.Name, RetryAfter: we.RetryAfter, deadline: true}
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		cp := *rl
		cp.Provider, cp.Budget = p.provider, s.budget.Name
		return &cp
	}
	return err
}

// describe is attempt n of req as events tell it.
func (p *pipeline) describe(c *call, req *http.Request, n int) Attempt {
	server := p.server
	if !p.origin.Contains(req.URL) {
		server = serverOf(req.URL) // a redirect's
	}
	return Attempt{Provider: p.provider, Operation: c.operation, Kind: c.kind, Method: req.Method, Attempt: n, Server: server}
}

func (p *pipeline) emit(ctx context.Context, hook func(context.Context, Attempt), c *call, req *http.Request, n int) {
	if hook != nil {
		hook(ctx, p.describe(c, req, n))
	}
}

func (p *pipeline) emitRetry(ctx context.Context, c *call, req *http.Request, n, status int, wait time.Duration) {
	if h := p.trace.Retry; h != nil {
		a := Attempt{Provider: p.provider, Operation: c.operation, Kind: c.kind, Attempt: n}
		if req != nil {
			a = p.describe(c, req, n)
		}
		h(ctx, Retry{Attempt: a, StatusCode: status, Wait: wait})
	}
}

func (p *pipeline) emitWait(ctx context.Context, hook func(context.Context, Wait), c *call, budget string, d time.Duration) {
	if hook != nil {
		hook(ctx, Wait{Provider: p.provider, Kind: c.kind, Budget: budget, Wait: d})
	}
}

// serverOf is u's host:port, lower case, with the scheme's default port
// when it names none.
func serverOf(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "443"
		if strings.EqualFold(u.Scheme, "http") {
			port = "80"
		}
	}
	return net.JoinHostPort(host, port)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
