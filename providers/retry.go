package providers

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/unikyc/unikyc/auth"
)

// RetryPolicy says what the pipeline retries and how long it waits.
// Zero fields take the defaults shown.
//
// Transport errors and 502, 503 and 504 are retried, and 500 too, for
// idempotent requests only: GET, HEAD, OPTIONS, PUT, DELETE, token calls
// (login, refresh; within the provider's own token rules) and requests
// carrying an Idempotency-Key header or marked with [MarkIdempotent]. A
// POST or PATCH without a key is retried only after a 429, which means the
// provider did not act on it. A request whose body cannot be replayed (no
// GetBody) is sent once.
//
// After a 429 (or a 503 with Retry-After) every goroutine of the client
// pauses until Retry-After (seconds, HTTP-date, retry-after-ms or NestJS's
// Retry-After-<name>) has passed, or for the provider's documented
// penalty when no header says; where the provider's docs make the penalty
// a floor (Compliancely's 10 minutes) a shorter header does not shorten
// it. When the pause would outlast the request's deadline or
// MaxRetryWait, the request is not sent: HTTPClient returns the 429
// response it has, or a *RateLimitError when it has none; typed calls
// return a *RateLimitError. With an injected clock (WithClock), pauses are
// measured on that clock but deadlines stay real: a request whose deadline
// is shorter than a fake 10-minute penalty is refused at once. Backoff
// after errors and 5xx answers without Retry-After is short and runs in
// real time.
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
	return p
}

// TokenRules are a provider's own rules for its token calls, declared in
// Spec. Zero fields keep the RetryPolicy's bounded retries. It is the
// provider-author API.
type TokenRules struct {
	// LoginAttempts bounds the attempts of one login (Compliancely: 1, "if
	// re-authentication fails, surface the error and stop retrying").
	LoginAttempts int
	// RefreshAttempts bounds the attempts of one refresh (Compliancely: 1,
	// "attempt a token refresh once").
	RefreshAttempts int
}

// IdempotencyKeyHeader marks a POST or PATCH as safe to retry. The same key
// is sent on every attempt of one request.
const IdempotencyKeyHeader = "Idempotency-Key"

func isIdempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return req.Header.Get(IdempotencyKeyHeader) != "" || req.Context().Value(idempotentKey{}) != nil
}

type (
	idempotentKey  struct{}
	tokenInBodyKey struct{}
	tokenBodyKey   struct{}
)

// MarkIdempotent returns req marked as safe to retry, without sending any
// header: for provider calls that use POST to read (iDenfy's status).
func MarkIdempotent(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), idempotentKey{}, true))
}

// TokenInBody returns req marked as carrying in its body the token it asks
// about (Compliancely's validate, iComply's tokenvalid): a 401 is then the
// provider's answer about that token, returned as it is. The client's own
// token is not dropped and the request is not replayed.
func TokenInBody(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), tokenInBodyKey{}, true))
}

func tokenInBody(req *http.Request) bool { return req.Context().Value(tokenInBodyKey{}) != nil }

// BodyWithToken is TokenInBody for a call that asks about the client's own
// token in its body (Compliancely's validate): body builds the request's
// body from the token the request carries, when it leaves. Built
// earlier, the body would name the token of before the budget wait, which
// a refresh may have replaced meanwhile: the provider would judge a token
// the client no longer holds. req's own body is not sent.
func BodyWithToken(req *http.Request, body func(tok *auth.Token) ([]byte, error)) *http.Request {
	return TokenInBody(req.WithContext(context.WithValue(req.Context(), tokenBodyKey{}, body)))
}

// withTokenBody gives out, the attempt's copy of req, the body built from
// tok when req asks for one.
func withTokenBody(req, out *http.Request, tok *auth.Token) error {
	body, _ := req.Context().Value(tokenBodyKey{}).(func(*auth.Token) ([]byte, error))
	if body == nil {
		return nil
	}
	data, err := body(tok)
	if err != nil {
		return err
	}
	if out.Body != nil {
		_ = out.Body.Close()
	}
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return nil
}

// backoff is exponential (go-retryablehttp's DefaultBackoff) with "equal
// jitter", so clients failing together do not retry together.
func backoff(min, max time.Duration, attempt int) time.Duration {
	d := retryablehttp.DefaultBackoff(min, max, attempt, nil)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}
