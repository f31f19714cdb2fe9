package providers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/unikyc/unikyc/clock"
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
// once with a *RateLimitError.
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

// retrier is the retry layer: go-retryablehttp with unikyc's policy.
type retrier struct {
	idempotent *retryablehttp.Client // retries errors, 5xx and 429
	unsafe     *retryablehttp.Client // retries only 429
	direct     http.RoundTripper     // the throttle layer, for bodies that cannot be replayed
	tokenCalls bool                  // every request is a login or refresh
}

func newRetrier(next *throttle, p RetryPolicy, tokenCalls bool) *retrier {
	mk := func(safe bool) *retryablehttp.Client {
		return &retryablehttp.Client{
			HTTPClient: &http.Client{
				Transport: next,
				// Redirects go back to the caller's client, whose auth layer
				// decides per hop whether credentials may follow.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
			RetryMax:     p.MaxRetries,
			RetryWaitMin: p.MinWait,
			RetryWaitMax: p.MaxWait,
			CheckRetry:   next.checkRetry(safe, p),
			Backoff:      backoff,
			ErrorHandler: giveUp,
			PrepareRetry: func(*http.Request) error { next.stats.retries.Add(1); return nil },
		}
	}
	return &retrier{idempotent: mk(true), unsafe: mk(false), direct: next, tokenCalls: tokenCalls}
}

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	var rr *retryablehttp.Request
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		rr = &retryablehttp.Request{Request: req}
	case req.GetBody != nil:
		// Replay from GetBody rather than buffering the body; work on a
		// shallow copy because SetBody writes to the request.
		_ = req.Body.Close()
		cp := *req
		rr = &retryablehttp.Request{Request: &cp}
		if err := rr.SetBody(retryablehttp.ReaderFunc(func() (io.Reader, error) { return req.GetBody() })); err != nil {
			return nil, err
		}
	default:
		return r.direct.RoundTrip(req) // one attempt: the body cannot be sent twice
	}
	c := r.unsafe
	if r.tokenCalls || isIdempotent(req) {
		c = r.idempotent
	}
	resp, err := c.Do(rr)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the caller's client adds its own
	}
	return resp, err
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

// checkRetry returns the retry decision for one attempt.
func (t *throttle) checkRetry(safe bool, p RetryPolicy) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			if isLocal(err) || !safe {
				return false, err
			}
			retry, rerr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
			t.noteRetry(retry, resp, err)
			return retry, rerr
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

// giveUp keeps the final answer: when retries ran out on a status, the
// caller gets that response; otherwise the error.
func giveUp(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err == nil {
		return resp, nil
	}
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	return nil, err
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
