package providers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/deadline"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/retryafter"
	"github.com/unikyc/unikyc/ratelimit"
)

// This file is the one place that judges a provider's answers: whether an
// answer is a success, a refused token, a throttle or worth another try;
// how long Retry-After asks to wait; and the typed error an answer
// becomes. The attempt loop asks judge for a verdict, and typed calls and
// CheckResponse ask check for the error.

// success reports whether status is a 2xx.
func success(status int) bool { return status >= 200 && status <= 299 }

// answerKind is what an answer means to the loop.
type answerKind uint8

const (
	answerFinal     answerKind = iota // a 2xx, or an error answer no retry can change
	answerNone                        // no (whole) answer: a transport error
	answerRefused                     // 401: the token was refused
	answerThrottled                   // 429, or a 4xx the provider's decoder reads as its throttle
	answerBusy                        // 503 with Retry-After: a pause, not a throttle
	answerFlaky                       // 500, 502, 503 and 504 without Retry-After: worth another try where safe
)

// pauses reports whether the answer starts a cool-down.
func (k answerKind) pauses() bool { return k == answerThrottled || k == answerBusy }

// classify says what resp means.
func (p *pipeline) classify(resp *http.Response) answerKind {
	switch st := resp.StatusCode; {
	case st == http.StatusUnauthorized:
		return answerRefused
	case st == http.StatusTooManyRequests || p.throttledAnswer(resp):
		return answerThrottled
	case st == http.StatusServiceUnavailable && hasRetryAfter(resp.Header):
		return answerBusy
	case st == http.StatusInternalServerError, st == http.StatusBadGateway,
		st == http.StatusServiceUnavailable, st == http.StatusGatewayTimeout:
		return answerFlaky
	}
	return answerFinal
}

// verdict is what the loop does after an attempt.
type verdict uint8

const (
	done    verdict = iota // return the answer (or a.err)
	replay                 // send again at once, with a new token
	pause                  // send again once the pause ends (the gate holds it)
	backOff                // send again after a backoff
)

// judge is the third phase: it says what the attempt's answer means,
// does what that asks of the client (drop a refused token, start a
// pause), and returns the loop's verdict. r counts the retries.
func (p *pipeline) judge(ctx context.Context, r *run, a *answer, n int) verdict {
	c := r.c
	if a.err != nil {
		a.kind = answerNone
		if errors.Is(a.err, httpbody.ErrTooLarge) || !r.safe || !r.replayable ||
			r.retries >= r.maxRetries || ctx.Err() != nil {
			a.err = p.wrap(c, a.err) // a capped read is not retried either
			return done
		}
		r.retries++
		return backOff
	}
	a.kind = p.classify(a.resp)
	switch a.kind {
	case answerRefused:
		if a.tok == nil || tokenInBody(r.req) {
			return done // no token of ours was refused
		}
		if p.seam.Refused(a.tok, p.refusedError()) {
			// A token obtained after a refusal was seen was refused in
			// turn: the account, not the token, is refused. Until the
			// cache's backoff ends, callers get an error and nothing is
			// sent.
			return done
		}
		p.emit(ctx, p.trace.Invalidated, c, r.req, n)
		if !r.replayable || r.replays >= maxReplays || !p.seam.Replaceable(a.tok) {
			return done
		}
		r.replays++
		p.emit(ctx, p.trace.Replay, c, r.req, n)
		httpbody.Drain(a.resp.Body, 64<<10)
		return replay

	case answerThrottled, answerBusy:
		throttled := a.kind == answerThrottled
		wait := p.pause(ctx, a.resp, r.scopes[len(r.scopes)-1], throttled)
		// A throttle means the provider did not act on the request: even a
		// POST may go again.
		again := throttled || r.safe
		retries := r.maxRetries
		if throttled && c.kind != CallAPI {
			// Nor did it judge the credentials: a throttled login or refresh
			// is not one of the attempts TokenRules counts (Compliancely's
			// "surface the error and stop retrying" is about a failed
			// re-authentication), so its pause is waited out as an API
			// call's is, while a caller waiting for the token can wait.
			retries = max(retries, p.policy.MaxRetries)
		}
		if !again || !r.replayable || r.retries >= retries || wait > p.policy.MaxRetryWait || deadline.Past(ctx, wait) {
			// The caller's deadline is why it is not waited out: the
			// *RateLimitError says so (it matches DeadlineExceeded).
			c.pastDeadline = again && r.replayable && deadline.Past(ctx, wait)
			return done
		}
		r.retries++
		p.emitRetry(ctx, c, r.req, n, a.resp.StatusCode, wait)
		httpbody.Drain(a.resp.Body, 64<<10)
		return pause

	case answerFlaky:
		if r.safe && r.replayable && r.retries < r.maxRetries {
			r.retries++
			httpbody.Drain(a.resp.Body, 64<<10)
			return backOff
		}
	case answerFinal:
		if a.tok != nil && success(a.resp.StatusCode) {
			p.seam.Accepted(a.tok) // the account is not refused
		}
	}
	return done
}

// maxReplays bounds the replays of one request after 401s: one with the
// token a refresh may have minted before the refusal was seen, one with a
// token obtained after it.
const maxReplays = 2

// refusedError is what callers get while the account is refused (see
// tokenseam.Loop.Refused): the provider's 401, without its body.
func (p *pipeline) refusedError() error {
	return &Error{Provider: p.provider, StatusCode: http.StatusUnauthorized, Err: ErrUnauthorized}
}

// answer is what one attempt brought back.
type answer struct {
	resp *http.Response
	data []byte      // a typed call's 2xx body, read inside the attempt
	tok  *auth.Token // the token it carried; nil for none
	err  error       // no (whole) answer came
	kind answerKind  // set by judge
}

// pause reads how long the provider asks to wait, starts the cool-down of
// the most specific budget the request counted against, and returns the
// wait. throttled: a 429 or the provider's throttle, not a 503.
func (p *pipeline) pause(ctx context.Context, resp *http.Response, s *scope, throttled bool) time.Duration {
	now := p.clk.Now()
	wait, ok := parseRetryAfter(resp.Header, now)
	penalty := s.penalty
	switch {
	case !ok:
		wait = penalty
	case p.penaltyFloor && throttled:
		wait = max(wait, penalty) // the provider's docs ask for at least this
	}
	until := now.Add(wait)
	s.gate.pause(ctx, until)
	if pc, ok := s.limiter.(ratelimit.Pacer); ok {
		pc.PaceFrom(until)
	}
	if h := p.trace.CoolDownStart; h != nil {
		h(ctx, Wait{Provider: p.provider, Budget: s.budget.Name, Wait: wait, StatusCode: resp.StatusCode, Throttled: throttled})
	}
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

// check builds the typed error for resp: nil for a 2xx, a
// *RateLimitError (wrapping the *Error) for a 429 or the provider's
// throttle, an *Error for the rest. It is the one place where answers
// become errors.
func (p *pipeline) check(resp *http.Response, c *call) error {
	if success(resp.StatusCode) {
		return nil
	}
	e := NewError(p.provider, c.operation, resp, nil)
	e.Kind = c.kind
	if p.decode != nil {
		p.decode(e)
	}
	if resp.StatusCode == http.StatusTooManyRequests || e.Err == ErrRateLimited {
		return &RateLimitError{Provider: p.provider, RetryAfter: p.pauseLeft(resp), Response: e, deadline: c.pastDeadline}
	}
	return e
}

// pauseLeft is how long the pause resp started has still to run.
func (p *pipeline) pauseLeft(resp *http.Response) time.Duration {
	var longest time.Time
	for _, s := range append([]*scope{p.account}, p.routes...) {
		if t := s.gate.cool.Until(context.Background()); t.After(longest) {
			longest = t
		}
	}
	if d := longest.Sub(p.clk.Now()); d > 0 {
		return d
	}
	d, _ := parseRetryAfter(resp.Header, p.clk.Now())
	return d
}
