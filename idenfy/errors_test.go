package idenfy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// pii stands for personal data an error body may quote.
const pii = "JOHN DOE 1990-05-15"

var secrets = []string{idenfytest.APIKey, idenfytest.APISecret, idenfytest.WebhookKey}

// Every error path maps to its sentinel and code, and Error() carries
// neither a secret nor the body.
func TestErrorPathsMapToSentinels(t *testing.T) {
	for _, tt := range []struct {
		name     string
		arrange  func(*idenfytest.Server)
		cfg      func(*idenfy.Config)
		sentinel error
		code     string
		status   int
	}{
		{name: "wrong secret", cfg: func(c *idenfy.Config) { c.APISecret = "wrong-" + pii },
			sentinel: providers.ErrUnauthorized, code: idenfy.CodeUnauthorized, status: 401},
		{name: "wrong key", cfg: func(c *idenfy.Config) { c.APIKey = "wrong" },
			sentinel: providers.ErrUnauthorized, code: idenfy.CodeUnauthorized, status: 401},
		{name: "too many requests", arrange: func(s *idenfytest.Server) { s.RateLimitNext("", 1, "86400") },
			sentinel: providers.ErrRateLimited, code: idenfy.CodeTooManyRequests, status: 429},
		{name: "bad value", arrange: func(s *idenfytest.Server) { s.FailNextWith("", 1, 400, idenfy.CodeBadValue, pii) },
			sentinel: providers.ErrValidation, code: idenfy.CodeBadValue, status: 400},
		{name: "missing value", arrange: func(s *idenfytest.Server) { s.FailNextWith("", 1, 400, idenfy.CodeMissingValue, pii) },
			sentinel: providers.ErrValidation, code: idenfy.CodeMissingValue, status: 400},
		{name: "validation error", arrange: func(s *idenfytest.Server) { s.FailNextWith("", 1, 400, idenfy.CodeValidationError, pii) },
			sentinel: providers.ErrValidation, code: idenfy.CodeValidationError, status: 400},
		{name: "token not valid", arrange: func(s *idenfytest.Server) { s.FailNextWith("", 1, 400, idenfy.CodeTokenNotValid, pii) },
			sentinel: idenfy.ErrTokenNotValid, code: idenfy.CodeTokenNotValid, status: 400},
		{name: "unauthorized identifier on another status", arrange: func(s *idenfytest.Server) { s.FailNextWith("", 1, 403, idenfy.CodeUnauthorized, pii) },
			sentinel: providers.ErrUnauthorized, code: idenfy.CodeUnauthorized, status: 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			srv := idenfytest.NewServer(idenfytest.WithClock(clk))
			defer srv.Close()
			if tt.arrange != nil {
				tt.arrange(srv)
			}
			cfg := srv.Config()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			c, err := idenfy.New(cfg, providers.WithClock(clk), fastRetry)
			require.NoError(t, err)
			defer c.Close()

			tok, err := c.CreateKYBToken(ctx(t), validKYB())
			assert.Nil(t, tok)
			require.ErrorIs(t, err, tt.sentinel)
			var pe *providers.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.code, pe.Code)
			assert.Equal(t, tt.status, pe.StatusCode)
			assert.Equal(t, "create KYB token", pe.Operation)
			assert.NotEmpty(t, pe.Body, "the body is kept for who asks")
			assert.NotContains(t, err.Error(), pii, "Error() holds no body")
			assert.NotContains(t, err.Error(), string(pe.Body))
			leakcheck.NoSecrets(t, append(secrets, string(cfg.APIKey), string(cfg.APISecret)), err)
			assert.Equal(t, 1, srv.Requests(), "sent once: nothing here is retried")
		})
	}
}

func TestServerErrorIsNotRetriedForPOST(t *testing.T) {
	srv, c, _ := setup(t, nil)
	srv.FailNext("", 1, http.StatusInternalServerError, nil)
	_, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u"})
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 500, pe.StatusCode)
	assert.Equal(t, "INJECTED_FAULT", pe.Code)
	assert.Equal(t, 1, srv.Requests(), "a token call is not idempotent: no blind retry")
}

func TestStatusIsAReadAndRetriedAfter5xx(t *testing.T) {
	srv, c, _ := setup(t, nil)
	tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u"})
	require.NoError(t, err)
	before := srv.Requests()
	srv.FailNext("", 1, http.StatusBadGateway, nil)
	v, err := c.Status(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.Equal(t, tok.ScanRef, v.ScanRef)
	assert.Equal(t, before+2, srv.Requests(), "the status POST only reads, so it is retried")
}

// A 429 with a short Retry-After pauses on the injected clock, then the
// call goes through.
func TestRateLimitPausesThenSucceeds(t *testing.T) {
	srv, c, clk := setup(t, nil)
	srv.RateLimitNext("", 1, "2")
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateKYBToken(ctx(t), validKYB())
		done <- err
	}()
	require.True(t, clk.WaitForTimers(1, nil))
	clk.Advance(2 * time.Second)
	require.NoError(t, <-done)
	assert.Equal(t, 2, srv.Requests())
	assert.EqualValues(t, 1, c.Stats().RateLimited)
}

// The fake's own hourly window answers 429 TOO_MANY_REQUESTS with a
// Retry-After longer than the client waits for.
func TestFakeWindowLimitSurfacesAsRateLimited(t *testing.T) {
	srv, c, _ := setup(t, []idenfytest.Option{idenfytest.WithRateLimit(2, time.Hour, 0)},
		providers.WithRetryPolicy(providers.RetryPolicy{MaxRetryWait: time.Minute}))
	for range 2 {
		_, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u"})
		require.NoError(t, err)
	}
	_, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u"})
	require.ErrorIs(t, err, providers.ErrRateLimited)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter)
	require.NotNil(t, rl.Response)
	assert.Equal(t, idenfy.CodeTooManyRequests, rl.Response.Code)
	assert.Equal(t, 1, srv.Rejected())

	// Held back by the cool-down: the fake sees nothing more.
	_, err = c.Status(ctx(t), "x")
	require.ErrorIs(t, err, providers.ErrRateLimited)
	assert.Equal(t, 3, srv.Requests())
}

// Rule: TOO_MANY_REQUESTS is iDenfy's throttle whatever its status: as a
// 400, iDenfy's standard error status, it pauses the account as a 429
// does, and nothing more is sent until the pause ends.
func TestThrottleAnsweredAs400PausesTheAccount(t *testing.T) {
	srv, c, _ := setup(t, []idenfytest.Option{idenfytest.WithRateLimit(2, time.Hour, 0), idenfytest.WithThrottleStatus(http.StatusBadRequest)},
		providers.WithRetryPolicy(providers.RetryPolicy{MaxRetryWait: time.Minute}))
	for range 2 {
		_, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u"})
		require.NoError(t, err)
	}
	_, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u"})
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter, "the fake's Retry-After")
	require.NotNil(t, rl.Response)
	assert.Equal(t, http.StatusBadRequest, rl.Response.StatusCode)
	assert.Equal(t, idenfy.CodeTooManyRequests, rl.Response.Code)

	// Held back by the cool-down, through HTTPClient too.
	_, err = c.Status(ctx(t), "x")
	require.ErrorIs(t, err, providers.ErrRateLimited)
	req, err := c.NewRequest(ctx(t), http.MethodPost, "/api/v2/status", map[string]string{"scanRef": "x"})
	require.NoError(t, err)
	_, err = c.HTTPClient().Do(req)
	require.ErrorIs(t, err, providers.ErrRateLimited)
	assert.Equal(t, 3, srv.Requests(), "nothing sent during the pause")
}

// A 400 the pipeline looked into reaches an HTTPClient user whole.
func TestThrottle400BodyReachesHTTPClientUsers(t *testing.T) {
	srv, c, _ := setup(t, nil)
	srv.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodeTooManyRequests, "Too many requests.")
	req, err := c.NewRequest(ctx(t), http.MethodPost, "/api/v2/status", map[string]string{"scanRef": "x"})
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx(t), time.Second) // shorter than the pause: no retry
	defer cancel()
	resp, err := c.HTTPClient().Do(req.WithContext(short))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), `"identifier":"TOO_MANY_REQUESTS"`)
	assert.Contains(t, string(body), "Too many requests.")
	assert.EqualValues(t, 1, srv.Requests())

}

// A 400 about the body is not a throttle: the next call goes out at once.
func TestValidation400StartsNoPause(t *testing.T) {
	srv, c, _ := setup(t, nil)
	srv.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodeValidationError, "clientId: required")
	_, err := c.Status(ctx(t), "x")
	require.ErrorIs(t, err, providers.ErrValidation)
	_, err = c.Status(ctx(t), "x")
	require.NotErrorIs(t, err, providers.ErrRateLimited)
	assert.Equal(t, 2, srv.Requests())
}

// Bodies that are not iDenfy's error format decode to a bare status error.
func TestUnexpectedErrorBodies(t *testing.T) {
	for _, body := range []string{"", "<html>502 Bad Gateway</html>", `{"detail":"x"}`, `{"identifier":7}`, `[1,2]`} {
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 400, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})
		c, err := idenfy.New(idenfy.Config{APIKey: "k", APISecret: "s"}, providers.WithTransport(rt))
		require.NoError(t, err)
		_, err = c.Status(ctx(t), "x")
		var pe *providers.Error
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, 400, pe.StatusCode)
		assert.Empty(t, pe.Code)
		assert.False(t, errors.Is(err, providers.ErrValidation))
		_ = c.Close()
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Credentials go as HTTP Basic: key as user, secret as password.
func TestBasicAuthOnTheWire(t *testing.T) {
	var user, pass string
	var ok bool
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		user, pass, ok = r.BasicAuth()
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	})
	c, err := idenfy.New(idenfy.Config{APIKey: auth.Secret("the-key"), APISecret: "the-secret"}, providers.WithTransport(rt))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.DeleteVerification(ctx(t), "scan"))
	assert.True(t, ok)
	assert.Equal(t, "the-key", user)
	assert.Equal(t, "the-secret", pass)
}

// A slow answer ends with the caller's deadline; the error names no secret.
func TestSlowAnswerHonoursContext(t *testing.T) {
	srv, c, _ := setup(t, nil)
	// Short: providertest delays before reading the body, so the server does not
	// see the hang-up and Close waits the delay out.
	srv.DelayNext("", 1, 300*time.Millisecond)
	cx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Status(cx, "x")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	leakcheck.NoSecrets(t, secrets, err)

	srv.Delay(10 * time.Millisecond)
	_, err = c.Status(ctx(t), "x")
	assert.ErrorIs(t, err, providers.ErrNotFound, "answered, late")
	srv.Delay(0)
}
