package providers

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/retryafter"
)

// RetryPolicy says what the pipeline retries and how long it waits.
// Zero fields take the defaults shown.
//
// Transport errors and 502, 503 and 504 are retried, and 500 too, for
// idempotent requests only: GET, HEAD, OPTIONS, PUT, DELETE, token calls
// (login, refresh) and requests carrying an Idempotency-Key header. A POST
// or PATCH without a key is retried only after a 429, which means the
// provider did not act on it. A request whose body cannot be replayed
// (no GetBody) is sent once.
//
// After a 429 every goroutine of the client pauses until Retry-After
// (seconds, HTTP-date or retry-after-ms) has passed, or for the provider's
// documented Penalty when the header is absent. When that pause would
// outlast the request's deadline or MaxRetryWait, the request returns at
// once with a *RateLimitError. With an injected clock (WithClock), pauses
// are measured on that clock but deadlines stay real: a request whose
// deadline is shorter than a fake 10-minute penalty is refused at once.
type RetryPolicy struct {
	MaxRetries   int           // retries after the first attempt (default 3); negative: none
	MinWait      time.Duration // first backoff after an error or 5xx (default 250 ms)
	MaxWait      time.Duration // longest backoff (default 10 s)
	MaxRetryWait time.Duration // longest 429 pause a request waits out (default 15 min)
	Penalty      time.Duration // pause after a 429 without Retry-After (default: the provider's, else 30 s)
}

func (p RetryPolicy) withDefaults(providerPenalty time.Duration) RetryPolicy {
	if p.MaxRetries == 0 {
		p.MaxRetries = 3
	}
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if p.MinWait <= 0 {
		p.MinWait = 250 * time.Millisecond
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 10 * time.Second
	}
	if p.MaxRetryWait <= 0 {
		p.MaxRetryWait = 15 * time.Minute
	}
	if p.Penalty <= 0 {
		p.Penalty = providerPenalty
	}
	if p.Penalty <= 0 {
		p.Penalty = 30 * time.Second
	}
	return p
}

// IdempotencyKeyHeader marks a POST or PATCH as safe to retry. The same key
// is sent on every attempt of one request.
const IdempotencyKeyHeader = "Idempotency-Key"

// retrier is the retry layer. It runs at the RoundTripper level, so the
// happy path costs no allocation; what to retry and how long to back off
// come from go-retryablehttp (DefaultRetryPolicy, DefaultBackoff) under
// unikyc's policy. (retryablehttp's own Client.Do sends through an inner
// http.Client, which costs about ten allocations per request.)
type retrier struct {
	next       *throttle
	policy     RetryPolicy
	tokenCalls bool // every request is a login or refresh
}

func newRetrier(next *throttle, p RetryPolicy, tokenCalls bool) *retrier {
	return &retrier{next: next, policy: p, tokenCalls: tokenCalls}
}

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	safe := r.tokenCalls || isIdempotent(req)
	hasBody := req.Body != nil && req.Body != http.NoBody
	replayable := !hasBody || req.GetBody != nil
	for attempt := 0; ; attempt++ {
		areq := req
		if attempt > 0 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			cp := *req
			cp.Body = body
			areq = &cp
		}
		resp, err := r.next.RoundTrip(areq)
		retry, cerr := r.next.checkRetry(ctx, safe, r.policy, resp, err)
		if !retry || !replayable || attempt >= r.policy.MaxRetries {
			if cerr != nil {
				if resp != nil && resp.Body != nil {
					_ = resp.Body.Close()
				}
				return nil, cerr
			}
			return resp, err // the final answer is the caller's, retries or not
		}
		if resp != nil {
			httpbody.Drain(resp.Body, 64<<10) // reuse the connection
		}
		r.next.stats.retries.Add(1)
		if err := sleep(ctx, backoff(r.policy.MinWait, r.policy.MaxWait, attempt, resp)); err != nil {
			return nil, err
		}
	}
}

// sleep waits d of real time: backoff after errors is short and needs no
// injected clock; long waits (429 cool-downs) run on the clock in the
// throttle layer.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func isIdempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return req.Header.Get(IdempotencyKeyHeader) != "" || req.Context().Value(idempotentKey{}) != nil
}

type idempotentKey struct{}

// MarkIdempotent returns req marked as safe to retry, without sending any
// header: for provider calls that use POST to read (iDenfy's status).
func MarkIdempotent(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), idempotentKey{}, true))
}

// checkRetry returns the retry decision for one attempt, and the error to
// return instead of the answer when it stops for a reason of its own.
func (t *throttle) checkRetry(ctx context.Context, safe bool, p RetryPolicy, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if isLocal(err) || !safe {
			return false, err
		}
		// retryablehttp classifies errors as http.Client returns them.
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, &url.Error{Op: "Do", URL: "", Err: err})
		t.noteRetry(retry, resp, err)
		return retry, err
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		wait := t.cool.Until(ctx).Sub(t.clk.Now())
		if wait > p.MaxRetryWait || pastDeadline(ctx, wait) {
			return false, &RateLimitError{Provider: t.provider, RetryAfter: max(wait, 0),
				Response: NewError(t.provider, "", resp, t.decode)}
		}
		t.noteRetry(true, resp, nil)
		return true, nil
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		t.noteRetry(safe, resp, nil)
		return safe, nil
	case http.StatusInternalServerError:
		t.noteRetry(safe, resp, nil)
		return safe, nil
	}
	return false, nil
}

func (t *throttle) noteRetry(retry bool, resp *http.Response, err error) {
	if retry && t.log.Enabled(context.Background(), slog.LevelDebug) {
		attrs := []any{"provider", t.provider}
		if resp != nil {
			attrs = append(attrs, "status", resp.StatusCode, "path", resp.Request.URL.Path)
		}
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		t.log.Debug("unikyc: retrying", attrs...)
	}
}

func pastDeadline(ctx context.Context, wait time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && wait > time.Until(dl)
}

// backoff is exponential with "equal jitter" for errors and 5xx. After a
// 429 it is zero: the throttle layer's cool-down does the waiting, on the
// injected clock and for every goroutine at once.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		return 0
	}
	d := retryablehttp.DefaultBackoff(min, max, attempt, nil)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// throttle is the layer under retry: cool-down gate, then limiters, then
// the base transport. It starts a cool-down when the provider answers 429.
type throttle struct {
	next     http.RoundTripper
	limiters []Limiter
	cool     CoolDown
	clk      clock.Clock
	penalty  time.Duration
	maxWait  time.Duration
	provider string
	decode   ErrorDecoder
	stats    *counters
	log      *slog.Logger
}

func (t *throttle) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := t.waitCoolDown(ctx); err != nil {
		closeBody(req)
		return nil, err
	}
	for _, l := range t.limiters {
		if err := l.Wait(ctx); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	// A 429 may have arrived while this request queued on the limiter:
	// look again, or every queued request would meet its own 429.
	if len(t.limiters) > 0 {
		if err := t.waitCoolDown(ctx); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	t.stats.requests.Add(1)
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		t.stats.rateLimited.Add(1)
		now := t.clk.Now()
		wait, ok := retryafter.Parse(resp.Header, now)
		if !ok {
			wait = t.penalty
		}
		t.cool.Extend(ctx, now.Add(wait))
		t.log.Warn("unikyc: provider rate limit hit; pausing client", "provider", t.provider, "pause", wait)
	}
	return resp, err
}

func (t *throttle) waitCoolDown(ctx context.Context) error {
	until := t.cool.Until(ctx)
	if until.IsZero() {
		return nil
	}
	d := until.Sub(t.clk.Now())
	if d <= 0 {
		return nil
	}
	if d > t.maxWait || pastDeadline(ctx, d) {
		return &RateLimitError{Provider: t.provider, RetryAfter: d}
	}
	t.stats.coolDownWaits.Add(1)
	return clock.Sleep(ctx, t.clk, d)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
