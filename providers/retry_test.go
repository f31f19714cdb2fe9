package providers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

func TestGatewayErrorsAreRetried(t *testing.T) {
	for _, code := range []int{502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			e := setup(t)
			e.fake.then(status(code), status(code))
			resp, err := e.get(context.Background(), t)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
			assert.EqualValues(t, 3, e.fake.calls.Load())
			assert.EqualValues(t, 2, e.conn.Stats().Retries)
		})
	}
}

func TestPostWithoutIdempotencyKeyIsNotRetriedOn5xx(t *testing.T) {
	for _, code := range []int{500, 502} {
		e := setup(t)
		e.fake.then(status(code))
		resp, err := e.post(context.Background(), t, "")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, code, resp.StatusCode, "the caller sees the answer")
		assert.EqualValues(t, 1, e.fake.calls.Load())
	}
}

func TestPostWithIdempotencyKeyIsRetriedWithTheSameKey(t *testing.T) {
	e := setup(t)
	e.fake.then(status(500), status(503))
	resp, err := e.post(context.Background(), t, "key-1")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, []string{"key-1", "key-1", "key-1"}, e.fake.keys)
}

func TestGetIsRetriedOn500(t *testing.T) {
	e := setup(t)
	e.fake.then(status(500))
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.EqualValues(t, 2, e.fake.calls.Load())
}

func TestFinalResponseIsNotLost(t *testing.T) {
	e := setup(t)
	e.fake.then(status(503), status(503), status(503), status(503), status(503))
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), "detail", "the last body is readable")
	assert.EqualValues(t, 4, e.fake.calls.Load(), "1 attempt + 3 retries")
}

func TestNotRetriedOn4xx(t *testing.T) {
	e := setup(t)
	e.fake.then(status(400))
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
	assert.EqualValues(t, 1, e.fake.calls.Load())
}

// retryAfterForms are the three ways a server asks for a wait.
func retryAfterForms() map[string][]string {
	return map[string][]string{
		"seconds":   {"Retry-After", "120"},
		"http-date": {"Retry-After", t0.Add(120 * time.Second).Format(http.TimeFormat)},
		"ms":        {"Retry-After-Ms", "120000"},
	}
}

func TestRetryAfterHonouredOnTheClock(t *testing.T) {
	for name, h := range retryAfterForms() {
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			e.fake.then(status(429, h...))
			done := e.getAsync(context.Background(), t)
			assert.Equal(t, t0.Add(120*time.Second), e.parked(t), "the pause lasts exactly what the server asked")
			assert.EqualValues(t, 1, e.fake.calls.Load(), "nothing sent during the pause")
			e.clk.Advance(120 * time.Second)
			require.NoError(t, (<-done).err)
			assert.EqualValues(t, 2, e.fake.calls.Load())
			assert.EqualValues(t, 1, e.conn.Stats().RateLimited)
		})
	}
}

// Rule: a pause past the caller's deadline is not waited for. HTTPClient
// returns the 429 it got, as any http.Client would; CheckResponse types it.
func TestRetryAfterPastDeadlineReturnsRateLimitErrorAtOnce(t *testing.T) {
	e := setup(t)
	e.fake.then(status(429, "Retry-After", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := e.get(ctx, t)
	require.NoError(t, err, "a response was obtained")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	err = e.conn.CheckResponse(resp)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 600*time.Second, rl.RetryAfter)
	require.ErrorIs(t, err, providers.ErrRateLimited)
	require.NotNil(t, rl.Response, "the 429 answer is kept")
	assert.Equal(t, 429, rl.Response.StatusCode)
	assert.EqualValues(t, 1, e.fake.calls.Load())
	assert.NotContains(t, err.Error(), "jane@example.com", "no body in the message")

	// A caller arriving during the pause is refused at once too, sending nothing.
	_, err = e.get(ctx, t)
	require.ErrorAs(t, err, &rl)
	assert.Nil(t, rl.Response)
	assert.EqualValues(t, 1, e.fake.calls.Load())
}

func TestPauseLongerThanMaxRetryWait(t *testing.T) {
	// No Retry-After: the provider's penalty (here 10 min) applies, and it
	// is longer than MaxRetryWait, so the caller is told at once.
	e := setup(t, providers.WithRetryPolicy(providers.RetryPolicy{MaxRetryWait: time.Minute, Penalty: 10 * time.Minute}))
	e.fake.then(status(429))
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	err = e.conn.CheckResponse(resp)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 10*time.Minute, rl.RetryAfter)
	assert.EqualValues(t, 1, e.fake.calls.Load())
}

func TestDefaultPenaltyWithoutRetryAfter(t *testing.T) {
	e := setup(t)
	e.fake.then(status(429))
	done := e.getAsync(context.Background(), t)
	assert.Equal(t, t0.Add(30*time.Second), e.parked(t), "30 s when neither header nor provider says")
	e.clk.Advance(30 * time.Second)
	require.NoError(t, (<-done).err)
}

func TestFiftyGoroutinesMeetingOne429SendNothingUntilCoolDownEnds(t *testing.T) {
	e := setup(t)
	// Warm the token so that only API calls count.
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	resp.Body.Close()
	e.fake.then(status(429, "Retry-After", "60"))

	calls := []<-chan result{e.getAsync(context.Background(), t)} // meets the 429
	e.parked(t)
	for range 49 {
		calls = append(calls, e.getAsync(context.Background(), t))
	}
	require.True(t, e.clk.WaitForTimers(50, nil), "all 50 park on the cool-down")
	assert.EqualValues(t, 2, e.fake.calls.Load(), "nothing more was sent during the cool-down")
	e.clk.Advance(60 * time.Second)
	for _, call := range calls {
		require.Equal(t, result{status: 200}, <-call)
	}
	assert.EqualValues(t, 52, e.fake.calls.Load())
	assert.EqualValues(t, 1, e.conn.Stats().RateLimited)
}

func TestPostIsRetriedAfter429(t *testing.T) {
	e := setup(t)
	e.fake.then(status(429, "Retry-After", "1"))
	done := e.postAsync(context.Background(), t, "")
	e.parked(t)
	e.clk.Advance(time.Second)
	require.NoError(t, (<-done).err)
	assert.Equal(t, []string{"POST", "POST"}, e.fake.methods)
}

func TestLimiterCountsLoginsAndRefreshes(t *testing.T) {
	clk := newClock()
	lim := ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "requests", Limit: 1, Window: 6 * time.Second, Margin: -1}, clk)
	e := setup(t, providers.WithClock(clk), providers.WithLimiter(lim))
	done := e.getAsync(context.Background(), t)
	require.True(t, clk.WaitForTimers(1, nil), "the API call waits behind the login")
	assert.EqualValues(t, 1, e.fake.logins.Load())
	assert.EqualValues(t, 0, e.fake.calls.Load())
	clk.Advance(6 * time.Second)
	require.NoError(t, (<-done).err)
	assert.EqualValues(t, 2, e.conn.Stats().Requests)
}

func TestTransportErrorsAreRetriedForGet(t *testing.T) {
	e := setup(t)
	e.fake.then(func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // reset mid-request
		}
	})
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.EqualValues(t, 2, e.fake.calls.Load())
}

func TestContextCancelStopsRetries(t *testing.T) {
	e := setup(t, providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Hour, MaxWait: time.Hour}))
	e.fake.then(status(503))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := e.get(ctx, t)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 1, e.fake.calls.Load())
}

func TestErrorsCarryNoSecretsOrBodies(t *testing.T) {
	e := setup(t)
	e.fake.then(status(429, "Retry-After", "600"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, err := e.get(ctx, t)
	require.NoError(t, err)
	err = e.conn.CheckResponse(resp)
	require.Error(t, err)
	leakcheck.NoSecrets(t, []string{"tok-1", "jane@example.com"}, err)
	var rl *providers.RateLimitError
	require.True(t, errors.As(err, &rl))
	leakcheck.NoSecrets(t, []string{"tok-1", "jane@example.com"}, rl.Response.Error())
}
