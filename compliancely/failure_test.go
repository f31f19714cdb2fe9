package compliancely_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
)

// The seed's "Handling Failures" rules, one test each, asserting what the
// fake saw.

var tokenNotValid = []byte(`{"detail":"Token is invalid or expired","code":"token_not_valid"}`)

// loggedIn returns an env whose client has logged in and made one call.
func loggedIn(t *testing.T, srvOpts ...compliancelytest.Option) *env {
	t.Helper()
	e := setup(t, srvOpts)
	require.NoError(t, e.call(createSub(e.c)))
	require.Equal(t, calls{1, 0, 1}, e.calls())
	return e
}

// Rule: on an auth failure, attempt a token refresh once.
func TestRule401RefreshesOnceAndReplays(t *testing.T) {
	e := loggedIn(t)
	e.srv.RevokeAccessTokens()

	require.NoError(t, e.call(createSub(e.c)))
	assert.Equal(t, calls{Logins: 1, Refreshes: 1, API: 3}, e.calls(), "401, one refresh, one replay")
	assert.Equal(t, 1, e.srv.Refreshes())
	assert.Equal(t, 1, e.srv.Logins())
}

// Rule: do not retry the same request indefinitely. A token minted for the
// replay that is refused too ends the request.
func TestRule401TwiceSurfaces(t *testing.T) {
	e := loggedIn(t)
	e.srv.FailNext(apiPath, 50, http.StatusUnauthorized, []byte(`{"detail":"Given token not valid for any token type","code":"token_not_valid"}`))

	err := e.call(createSub(e.c))
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, compliancely.CodeTokenNotValid, pe.Code)
	assert.Equal(t, calls{Logins: 1, Refreshes: 1, API: 3}, e.calls(), "one replay only")

	// Nothing keeps trying in the background.
	e.clk.Advance(30 * time.Minute)
	assert.Equal(t, calls{Logins: 1, Refreshes: 1, API: 3}, e.calls())
}

// Rule: if the access token is expired, use the refresh token flow.
func TestRuleExpiredAccessTokenRefreshes(t *testing.T) {
	e := loggedIn(t)
	e.clk.Advance(61 * time.Minute) // idle past the hour: no background refresh ran

	require.NoError(t, e.call(createSub(e.c)))
	assert.Equal(t, calls{Logins: 1, Refreshes: 1, API: 2}, e.calls())
	assert.Zero(t, count(e.srv.Hits(), func(h compliancelytest.Hit) bool { return h.Status == http.StatusUnauthorized }),
		"an expired token is refreshed before use, not sent")
}

// Rule: if both tokens expire, log in again.
func TestRuleBothExpiredLogsIn(t *testing.T) {
	e := loggedIn(t)
	e.clk.Advance(25 * time.Hour)

	require.NoError(t, e.call(createSub(e.c)))
	assert.Equal(t, calls{Logins: 2, Refreshes: 0, API: 2}, e.calls(), "an expired refresh token is not even tried")
}

// Rule: if token refresh fails with a 4xx, discard both tokens and log in
// again. 401 included: see the package doc.
func TestRuleRefreshRefusedLogsInAgain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*env)
	}{
		{"401 revoked refresh token", func(e *env) { e.srv.RevokeTokens() }},
		{"400", func(e *env) {
			e.srv.RevokeAccessTokens()
			e.srv.FailNext(refreshPath, 1, http.StatusBadRequest, tokenNotValid)
		}},
		{"403", func(e *env) {
			e.srv.RevokeAccessTokens()
			e.srv.FailNext(refreshPath, 1, http.StatusForbidden, []byte(`{"detail":"forbidden"}`))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := loggedIn(t)
			tc.setup(e)

			require.NoError(t, e.call(createSub(e.c)))
			assert.Equal(t, calls{Logins: 2, Refreshes: 1, API: 3}, e.calls(), "401, refused refresh, login, replay")
			assert.Equal(t, 0, e.srv.Refreshes())

			// The refused refresh token was discarded with the access token:
			// the next expiry is handled with the new login's refresh token.
			e.clk.Advance(61 * time.Minute)
			require.NoError(t, e.call(createSub(e.c)))
			assert.Equal(t, calls{Logins: 2, Refreshes: 2, API: 4}, e.calls())
			assert.Equal(t, 1, e.srv.Refreshes())
		})
	}
}

// Rule: attempt a token refresh once. A refresh answered 503 is not sent
// again (each attempt spends the 10-a-minute budget); the refresh token is
// kept, so the next call after the backoff refreshes instead of logging in.
func TestRuleRefreshAttemptedOnce(t *testing.T) {
	e := loggedIn(t)
	e.srv.RevokeAccessTokens()
	e.srv.FailNext(refreshPath, 1, http.StatusServiceUnavailable, nil)

	err := e.call(createSub(e.c))
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, http.StatusServiceUnavailable, pe.StatusCode)
	assert.Equal(t, providers.CallRefresh, pe.Kind)
	assert.Equal(t, calls{Logins: 1, Refreshes: 1, API: 2}, e.calls(), "the refresh was sent once")

	e.clk.Advance(time.Minute) // past the cache's backoff
	require.NoError(t, e.call(createSub(e.c)))
	assert.Equal(t, calls{Logins: 1, Refreshes: 2, API: 3}, e.calls())
}

// Rule: do not automatically retry errors caused by invalid credentials.
func TestRuleInvalidCredentialsNeverRetried(t *testing.T) {
	e := setup(t, nil)
	cfg := e.srv.Config()
	cfg.Password = "wrong"
	c, err := compliancely.New(cfg, providers.WithClock(e.clk), providers.WithTransport(e.rt))
	require.NoError(t, err)
	defer c.Close()

	for range 3 {
		err := e.call(createSub(c))
		require.ErrorIs(t, err, providers.ErrInvalidCredentials)
		var pe *providers.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, http.StatusUnauthorized, pe.StatusCode)
		assert.Equal(t, "login", pe.Operation)
	}
	e.clk.Advance(48 * time.Hour)
	_, err = c.ValidateToken(context.Background())
	require.ErrorIs(t, err, providers.ErrInvalidCredentials)
	assert.Equal(t, calls{Logins: 1, Refreshes: 0, API: 0}, e.calls(), "one login attempt, ever")
}

// Rule: if re-authentication fails, surface the error and stop retrying.
func TestRuleReloginFailureSurfaces(t *testing.T) {
	t.Run("invalid credentials", func(t *testing.T) {
		e := loggedIn(t)
		e.srv.RevokeTokens()
		e.srv.SetPassword(compliancelytest.Username, "rotated-by-an-admin")

		err := e.call(createSub(e.c))
		require.ErrorIs(t, err, providers.ErrInvalidCredentials)
		assert.Equal(t, calls{Logins: 2, Refreshes: 1, API: 2}, e.calls())

		for range 3 {
			require.ErrorIs(t, e.call(createSub(e.c)), providers.ErrInvalidCredentials)
		}
		e.clk.Advance(2 * time.Hour)
		assert.Equal(t, calls{Logins: 2, Refreshes: 1, API: 2}, e.calls(), "nothing more is sent")
	})
	t.Run("other failure", func(t *testing.T) {
		e := loggedIn(t)
		e.srv.RevokeTokens()
		e.srv.FailNext(loginPath, 1, http.StatusBadRequest, []byte(`{"detail":"Account locked pending review.","code":"account_locked"}`))

		err := e.call(createSub(e.c))
		var pe *providers.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "login", pe.Operation)
		assert.Equal(t, "account_locked", pe.Code)
		assert.NotErrorIs(t, err, providers.ErrInvalidCredentials)
		assert.Equal(t, calls{Logins: 2, Refreshes: 1, API: 2}, e.calls())

		// No background retry: time passes, nothing is sent.
		e.clk.Advance(2 * time.Hour)
		assert.Equal(t, calls{Logins: 2, Refreshes: 1, API: 2}, e.calls())
		// The caller's next call tries once more, and succeeds. The refused
		// refresh token was discarded, as the seed says: the call logs in
		// straight away instead of sending it again.
		require.NoError(t, e.call(createSub(e.c)))
		assert.Equal(t, calls{Logins: 3, Refreshes: 1, API: 3}, e.calls())
		assert.Equal(t, 0, e.srv.Refreshes())
	})
}

// Every refresh replaces both tokens and the client uses the new refresh
// token: the fake refuses rotated ones, so a login would show if it did not.
func TestRefreshRotatesBothTokens(t *testing.T) {
	e := loggedIn(t)
	src := e.c.TokenSource()
	seen := map[string]bool{}
	for range 3 {
		e.clk.Advance(61 * time.Minute)
		require.NoError(t, e.call(createSub(e.c)))
		tok, err := src.Token(context.Background())
		require.NoError(t, err)
		require.False(t, seen[tok.RefreshToken], "refresh token reused")
		seen[tok.RefreshToken] = true
		assert.WithinDuration(t, e.clk.Now().Add(24*time.Hour), tok.RefreshExpiry, 10*time.Second)
	}
	assert.Equal(t, calls{Logins: 1, Refreshes: 3, API: 4}, e.calls())
	assert.Equal(t, 3, e.srv.Refreshes())
}

func TestErrorsMatchSentinels(t *testing.T) {
	e := loggedIn(t)
	e.srv.FailNext(apiPath, 1, http.StatusNotFound, []byte(`{"detail":"Not found."}`))
	err := e.call(createSub(e.c))
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, providers.ErrNotFound)
	assert.Equal(t, "create tax exempt", pe.Operation)
	assert.Equal(t, "Not found.", pe.Message)
	assert.False(t, errors.Is(err, providers.ErrUnauthorized))
}
