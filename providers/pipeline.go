package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/deadline"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/retryafter"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

// pipeline is the one attempt loop every request of a client goes through:
// API calls, logins and refreshes. See the package doc for its steps.
type pipeline struct {
	provider      string
	scheme, host  string // the provider's origin, canonical
	baseURL       *url.URL
	basePath      string
	allowInsecure bool

	next  http.RoundTripper
	cache *tokencache.Cache // nil with a static credential
	cred  auth.Credential

	account *scope   // every request
	routes  []*scope // budgets of single routes (KYConnect's logins)

	policy       RetryPolicy
	rules        TokenRules
	penaltyFloor bool
	decode       ErrorDecoder
	clk          clock.Clock
	trace        *Trace     // never nil
	tel          *telemetry // nil: no OpenTelemetry provider given (otel.go)
	log          *slog.Logger
	closed       chan struct{}
	minLife      time.Duration // the floor of a token's lifetime

	last atomic.Pointer[tokenHeader] // the Authorization value of the last token
}

type tokenHeader struct {
	tok   *auth.Token
	value []string
}

// call is what the loop knows of one logical request.
type call struct {
	kind      CallKind
	operation string
	read      int64     // > 0: read a 2xx body inside the attempt, capped
	sent      time.Time // when the last attempt left, on the client's clock
	limited   bool      // the last attempt's answer is a throttle other than a 429
	held      uint8     // gates whose probe met a pause: left once the pause is set
}

// RoundTrip is the HTTPClient's transport: it returns every response it
// obtained, the final 401 or 429 included, and an error only when it
// obtained none.
func (p *pipeline) RoundTrip(req *http.Request) (*http.Response, error) {
	c, typed := req.Context().Value(callKey{}).(*call)
	if !typed {
		c = &call{kind: CallAPI}
	}
	resp, data, err := p.exchange(req, c)
	if err == nil && data != nil {
		// A typed call's answer, read inside the attempt.
		resp.Body = io.NopCloser(bytes.NewReader(data))
	}
	return resp, err
}

// callKey carries a typed call's *call through http.Client to RoundTrip.
type callKey struct{}

// exchange sends req until it has a final answer. With c.read set, a 2xx
// body is read inside the attempt and returned as data, so an answer cut
// off mid-body is one more attempt.
func (p *pipeline) exchange(req *http.Request, c *call) (*http.Response, []byte, error) {
	if p.tel == nil {
		return p.loop(req.Context(), req, c)
	}
	ctx, sp := p.tel.callStart(req.Context(), c, req)
	resp, data, err := p.loop(ctx, req, c)
	p.tel.callEnd(sp, resp, err)
	return resp, data, err
}

// loop is the attempt loop of exchange; ctx is req's (with the call's span,
// when tracing).
func (p *pipeline) loop(ctx context.Context, req *http.Request, c *call) (*http.Response, []byte, error) {
	var buf [3]*scope
	scopes := p.scopesFor(req, &buf)
	prio := PriorityAPI
	if c.kind != CallAPI {
		prio = PriorityToken
	}
	safe := c.kind != CallAPI || isIdempotent(req)
	hasBody := req.Body != nil && req.Body != http.NoBody
	replayable := !hasBody || req.GetBody != nil
	maxRetries := p.maxRetries(c.kind)
	replayed := false
	retries := 0
	for n := 0; ; n++ {
		areq := req
		if n > 0 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, nil, p.wrap(c, err)
			}
			cp := *req
			cp.Body = body
			areq = &cp
		}
		resp, data, tok, sc, err := p.attempt(ctx, areq, scopes, prio, c, n)
		if err != nil {
			var local *localError
			if errors.As(err, &local) {
				closeBody(req)
				return nil, nil, local.err
			}
			if !safe || !replayable || retries >= maxRetries || ctx.Err() != nil {
				closeBody(req)
				return nil, nil, p.wrap(c, err)
			}
			retries++
			if err := p.backoff(ctx, c, n, retries, nil); err != nil {
				return nil, nil, err
			}
			continue
		}

		status := resp.StatusCode
		switch {
		case status == http.StatusUnauthorized && tok != nil && !tokenInBody(req):
			if replayed {
				// A token minted for this replay was refused too: the
				// account, not the token, is refused. No new logins for it
				// until the cache's backoff ends.
				p.cache.Distrust(tok)
				return resp, data, nil
			}
			p.cache.Invalidate(tok)
			p.emit(p.trace.Invalidated, c, req, n)
			if p.tel != nil {
				p.tel.invalidated(ctx, c, n)
			}
			if !replayable || !p.cache.Replaceable(tok) {
				return resp, data, nil
			}
			replayed = true
			p.emit(p.trace.Replay, c, req, n)
			if p.tel != nil {
				p.tel.replay(ctx, n)
			}
			httpbody.Drain(resp.Body, 64<<10)
			continue

		case status == http.StatusTooManyRequests || c.limited || status == http.StatusServiceUnavailable && hasRetryAfter(resp.Header):
			limited := status == http.StatusTooManyRequests || c.limited
			wait := p.pause(ctx, resp, sc, limited)
			p.leaveGates(scopes, c.held, false)
			c.held = 0
			again := limited || safe
			if !again || !replayable || retries >= maxRetries || wait > p.policy.MaxRetryWait || deadline.Past(ctx, wait) {
				return resp, data, nil
			}
			retries++
			p.emitRetry(ctx, c, req, n, status, wait)
			httpbody.Drain(resp.Body, 64<<10)
			continue // the next attempt waits at the gate

		case retryableStatus(status, safe) && replayable && retries < maxRetries:
			retries++
			httpbody.Drain(resp.Body, 64<<10)
			if err := p.backoff(ctx, c, n, retries, resp); err != nil {
				return nil, nil, err
			}
			continue
		}
		return resp, data, nil
	}
}

// localError is a request held back on this side (a pause or a budget
// wait past the deadline, a token that could not be obtained, Close):
// retrying cannot help.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }

// attempt makes one attempt: gate, budgets, credential, send, read.
func (p *pipeline) attempt(ctx context.Context, req *http.Request, scopes []*scope, prio Priority, c *call, n int) (
	resp *http.Response, data []byte, tok *auth.Token, hit *scope, err error) {
	// 0. A request that needs a login waits for it before it takes a budget
	// slot: the login takes its own slot, ahead of the queue, and the
	// request's slot is then spent when it really leaves.
	if c.kind == CallAPI && p.cache != nil && p.sameOrigin(req) {
		if _, err := p.cache.Token(ctx); err != nil {
			return nil, nil, nil, nil, &localError{p.tokenError(err)}
		}
	}
	// 1. The cool-down gates, then the budgets (the most specific first),
	// then the gates again: a 429 may have come while this request queued.
	var probes uint8
	defer func() {
		if resp != nil && (isPause(resp) || c.limited) {
			// The probe met another pause: its followers stay put until the
			// loop has set it (leaveHeld), or they would go out as probes of
			// the pause that just ended.
			c.held = probes
			return
		}
		p.leaveGates(scopes, probes, resp != nil)
	}()
	if err := p.enterGates(ctx, scopes, c, &probes); err != nil {
		return nil, nil, nil, nil, &localError{err}
	}
	waited := false
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
				if !tokencache.Pause(ctx, d, rl) {
					return nil, nil, nil, nil, &localError{rl}
				}
			}
		}
		start := p.clk.Now()
		if err := s.limiter.Wait(ctx, prio); err != nil {
			return nil, nil, nil, nil, &localError{p.budgetError(s, err)}
		}
		if d := p.clk.Now().Sub(start); d > 0 {
			waited = true
			p.emitWait(p.trace.BudgetWait, c, s.budget.Name, d)
			if p.tel != nil {
				p.tel.budgetWaited(ctx, c, s.budget.Name, d)
			}
		}
	}
	if waited {
		if err := p.enterGates(ctx, scopes, c, &probes); err != nil {
			return nil, nil, nil, nil, &localError{err}
		}
	}

	// 2. Only now the credential, so it is fresh when it leaves.
	out, tok, err := p.authorize(ctx, req, c)
	if err != nil {
		return nil, nil, nil, nil, &localError{err}
	}

	// 3. Send, and for typed calls read the answer inside the attempt.
	if p.trace.AttemptStart != nil {
		p.trace.AttemptStart(p.describe(c, req, n))
	}
	var sp span
	if p.tel != nil {
		out, sp = p.tel.attemptStart(ctx, p, out, n)
	}
	var start time.Time
	if p.trace.AttemptDone != nil || c.kind != CallAPI || p.tel != nil && p.tel.timed(ctx) {
		start = p.clk.Now()
		c.sent = start
	}
	resp, err = p.next.RoundTrip(out)
	c.limited = err == nil && p.throttledAnswer(resp)
	if err == nil && c.read > 0 && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		data, err = httpbody.Read(resp.Body, c.read)
		httpbody.Drain(resp.Body, 4<<10)
		if errors.Is(err, httpbody.ErrTooLarge) {
			err = &localError{p.wrap(c, err)} // a capped read is not retried
		}
		if err != nil {
			resp, data = nil, nil
		}
	}
	if p.trace.AttemptDone != nil {
		r := AttemptResult{Attempt: p.describe(c, req, n), Err: err, Duration: p.clk.Now().Sub(start)}
		if resp != nil {
			r.StatusCode = resp.StatusCode
		}
		p.trace.AttemptDone(r)
	}
	if p.tel != nil {
		p.tel.attemptDone(out.Context(), sp, p, c, out, resp, err, start)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return resp, data, tok, scopes[len(scopes)-1], nil
}

// leaveGates ends the probes of the gates in probes; answered: with an
// answer that was not a pause.
func (p *pipeline) leaveGates(scopes []*scope, probes uint8, answered bool) {
	for i, s := range scopes {
		if probes&(1<<i) != 0 {
			s.gate.leave(answered)
		}
	}
}

func (p *pipeline) enterGates(ctx context.Context, scopes []*scope, c *call, probes *uint8) error {
	for i, s := range scopes {
		if *probes&(1<<i) != 0 {
			continue
		}
		probe, err := s.gate.enter(ctx, p, c)
		if err != nil {
			return err
		}
		if probe {
			*probes |= 1 << i
		}
	}
	return nil
}

// authorize returns a copy of req carrying the credential, for the
// provider's own origin only.
func (p *pipeline) authorize(ctx context.Context, req *http.Request, c *call) (*http.Request, *auth.Token, error) {
	if !p.sameOrigin(req) {
		return req, nil, nil // another origin (a redirect) gets no credential
	}
	if p.scheme == "http" && !p.allowInsecure && !auth.IsLoopback(req.URL) {
		return nil, nil, fmt.Errorf("unikyc: %s: %w", p.provider, auth.ErrInsecureHTTP)
	}
	var (
		tok   *auth.Token
		value []string
	)
	switch {
	case c.kind != CallAPI:
		// Logins and refreshes carry their credentials in their body.
	case p.cache != nil:
		var err error
		if tok, err = p.cache.Token(ctx); err != nil {
			return nil, nil, p.tokenError(err)
		}
		value = p.headerFor(tok)
	case p.cred == nil:
		return req, nil, nil
	}
	// A shallow copy with its own header map: only the header changes.
	out := new(http.Request)
	*out = *req
	out.Header = make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		out.Header[k] = v
	}
	switch {
	case value != nil:
		out.Header["Authorization"] = value[:1:1]
	case p.cred != nil && c.kind == CallAPI:
		p.cred.SetHeader(out.Header)
	}
	return out, tok, nil
}

func (p *pipeline) headerFor(tok *auth.Token) []string {
	if h := p.last.Load(); h != nil && h.tok == tok {
		return h.value
	}
	h := &tokenHeader{tok: tok, value: []string{tok.Type() + " " + tok.AccessToken}}
	p.last.Store(h)
	return h.value
}

func (p *pipeline) sameOrigin(req *http.Request) bool {
	u := req.URL
	if !strings.EqualFold(u.Scheme, p.scheme) {
		return false
	}
	return auth.CanonicalHost(u) == p.host
}

// pause reads how long the provider asks to wait, starts the cool-down of
// the most specific budget the request counted against, and returns the
// wait.
func (p *pipeline) pause(ctx context.Context, resp *http.Response, s *scope, limited bool) time.Duration {
	now := p.clk.Now()
	wait, ok := parseRetryAfter(resp.Header, now)
	penalty := s.penalty
	switch {
	case !ok:
		wait = penalty
	case p.penaltyFloor && limited:
		wait = max(wait, penalty) // the provider's docs ask for at least this
	}
	until := now.Add(wait)
	s.gate.pause(ctx, until)
	if pc, ok := s.limiter.(Pacer); ok {
		pc.PaceFrom(until)
	}
	if limited && p.trace.CoolDownStart != nil {
		p.trace.CoolDownStart(Wait{Provider: p.provider, Budget: s.budget.Name, Wait: wait})
	}
	if p.tel != nil {
		p.tel.pause(ctx, s.budget.Name, resp.StatusCode, limited, wait)
	}
	p.log.Warn("unikyc: provider asked to pause", "provider", p.provider, "status", resp.StatusCode,
		"budget", s.budget.Name, "pause", wait.Round(time.Millisecond))
	return wait
}

// parseRetryAfter reads every form the providers use: retry-after-ms,
// Retry-After (seconds or HTTP-date) and, from NestJS named throttlers,
// Retry-After-<name> (the longest of them).
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := retryafter.Parse(h, now); ok {
		return d, true
	}
	var (
		longest time.Duration
		found   bool
	)
	for k, v := range h {
		name, ok := strings.CutPrefix(k, "Retry-After-")
		if !ok || name == "" || strings.EqualFold(name, "Ms") || len(v) == 0 {
			continue
		}
		if d, ok := retryafter.Parse(http.Header{"Retry-After": v[:1]}, now); ok {
			longest, found = max(longest, d), true
		}
	}
	return longest, found
}

func hasRetryAfter(h http.Header) bool {
	_, ok := parseRetryAfter(h, time.Now())
	return ok
}

// throttledAnswer reports whether resp, a 4xx other than 401 and 429, is
// the provider's throttle all the same, as its error decoder reads it (an
// error matching ErrRateLimited: iDenfy's TOO_MANY_REQUESTS comes as a 400,
// its standard error status). It reads the body, capped, and puts it back.
func (p *pipeline) throttledAnswer(resp *http.Response) bool {
	st := resp.StatusCode
	if p.decode == nil || st < 400 || st > 499 || st == http.StatusUnauthorized || st == http.StatusTooManyRequests || resp.Body == nil {
		return false
	}
	// What was read is replayed before the rest, a read error included.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body = &replayedBody{Reader: io.MultiReader(bytes.NewReader(body), resp.Body), Closer: resp.Body}
	e := &Error{Provider: p.provider, StatusCode: st, Header: resp.Header, Body: body}
	p.decode(e)
	return errors.Is(e, ErrRateLimited)
}

// replayedBody is a body whose first part was read already.
type replayedBody struct {
	io.Reader
	io.Closer
}

func isPause(resp *http.Response) bool {
	return resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode == http.StatusServiceUnavailable && hasRetryAfter(resp.Header)
}

func retryableStatus(status int, safe bool) bool {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusInternalServerError:
		return safe
	}
	return false
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

func (p *pipeline) describe(c *call, req *http.Request, n int) Attempt {
	return Attempt{Provider: p.provider, Operation: c.operation, Kind: c.kind, Method: req.Method, Attempt: n}
}

func (p *pipeline) emit(hook func(Attempt), c *call, req *http.Request, n int) {
	if hook != nil {
		hook(p.describe(c, req, n))
	}
}

func (p *pipeline) emitRetry(ctx context.Context, c *call, req *http.Request, n, status int, wait time.Duration) {
	if p.tel != nil {
		p.tel.retry(ctx, c, n, status, wait)
	}
	if p.trace.Retry != nil {
		a := Attempt{Provider: p.provider, Operation: c.operation, Kind: c.kind, Attempt: n}
		if req != nil {
			a.Method = req.Method
		}
		p.trace.Retry(Retry{Attempt: a, StatusCode: status, Wait: wait})
	}
	if p.log.Enabled(context.Background(), slog.LevelDebug) {
		p.log.Debug("unikyc: retrying", "provider", p.provider, "operation", c.operation,
			"status", status, "wait", wait.Round(time.Millisecond))
	}
}

func (p *pipeline) emitWait(hook func(Wait), c *call, budget string, d time.Duration) {
	if hook != nil {
		hook(Wait{Provider: p.provider, Kind: c.kind, Budget: budget, Wait: d})
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
