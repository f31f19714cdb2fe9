package genericjwt_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

const day = 24 * time.Hour

// simulateDay makes one Me call a minute for a day of fake time. before,
// when set, runs before the call of each minute. After each call it waits
// for a refresh-ahead login the call may have started (the cache runs it
// in the background), so that the token is issued at the minute it was
// asked for and the count does not depend on goroutine scheduling.
func simulateDay(t *testing.T, clk *clock.Fake, c *genericjwt.Client, minSoft time.Duration, before func(minute int)) {
	t.Helper()
	ctx := context.Background()
	for m := range int(day / time.Minute) {
		if before != nil {
			before(m)
		}
		_, err := c.Me(ctx)
		require.NoError(t, err, "minute %d", m)
		settle(t, clk, c, minSoft)
		clk.Advance(time.Minute)
	}
}

// settle waits for the background login once the cached token is surely
// inside its soft window: minSoft is the smallest soft window the cache
// can have picked for it.
func settle(t *testing.T, clk *clock.Fake, c *genericjwt.Client, minSoft time.Duration) {
	t.Helper()
	tok, err := c.TokenSource().Token(context.Background())
	require.NoError(t, err)
	if tok.Expiry.IsZero() || clk.Now().Before(tok.Expiry.Add(-minSoft)) {
		return
	}
	require.Eventually(t, func() bool { return currentToken(t, c) != tok.AccessToken },
		5*time.Second, time.Millisecond, "refresh-ahead login at %s", clk.Now())
}

// The expected figure: with a lifetime L and a soft window W, the cache
// logs in again W before expiry, so one login lasts L-W and a day needs
// ceil(24h / (L-W)) logins, counting the first.
func expectedLogins(lifetime, soft time.Duration) int {
	return int(math.Ceil(float64(day) / float64(lifetime-soft)))
}

// One hour tokens, no jitter: the soft window is exactly max(60 s, 10 % of
// 1 h) = 6 min, so a token is replaced at minute 54 of its life: logins at
// minutes 0, 54, 108, … 1404, which is 27 = ceil(1440 / 54).
func TestDayOfOneHourTokensExact(t *testing.T) {
	clk, srv, c := setup(t, nil, providers.WithTokenCacheOptions(tokencache.WithJitter(0)))
	simulateDay(t, clk, c, 6*time.Minute, nil)

	want := expectedLogins(time.Hour, 6*time.Minute)
	require.Equal(t, 27, want)
	assert.Equal(t, want, srv.Logins())
	assert.Equal(t, want, srv.LoginAttempts())
	assert.EqualValues(t, want, c.Stats().Logins)
	assert.Zero(t, srv.ExpiredRejections(), "no request ever carried an expired token")
	assert.Zero(t, srv.Unauthorized())
	assert.Zero(t, srv.Rejected())
	assert.Zero(t, c.Stats().Invalidations)
	assert.Equal(t, 1440, srv.Calls(genericjwt.DefaultMePath))
	t.Logf("1440 calls over 24 h, 1 h tokens, no jitter: %d logins, %d expired-token 401s", srv.Logins(), srv.ExpiredRejections())
}

// With the default jitter the soft window is 6 to 7.5 min, so a token is
// replaced at minute 53 or 54 of its life (the first whole minute inside
// the window): 27 or 28 logins, that is ceil(1440 / 54) ± 1.
func TestDayOfOneHourTokensWithJitter(t *testing.T) {
	clk, srv, c := setup(t, nil)
	// A login started at 6 to 7.5 min before expiry may finish after the
	// clock moved on; settling from 5 min before expiry is always late
	// enough to catch it and early enough that no token is shortened by
	// more than a few minutes (which would shrink its soft window below 5).
	simulateDay(t, clk, c, 5*time.Minute, nil)

	want := expectedLogins(time.Hour, 6*time.Minute)
	assert.InDelta(t, want, srv.Logins(), 1)
	assert.EqualValues(t, srv.Logins(), c.Stats().Logins)
	assert.Zero(t, srv.ExpiredRejections(), "no request ever carried an expired token")
	assert.Zero(t, srv.Unauthorized())
	assert.Equal(t, 1440, srv.Calls(genericjwt.DefaultMePath))
	t.Logf("1440 calls over 24 h, 1 h tokens, default jitter: %d logins (expected %d±1)", srv.Logins(), want)
}

// Tokens without exp: one login serves the whole day until the back office
// revokes the token; then one 401, one more login, and the caller never
// sees an error.
func TestDayOfTokensWithoutExp(t *testing.T) {
	clk, srv, c := setup(t, []genericjwttest.Option{genericjwttest.WithTokenLifetime(0)})
	simulateDay(t, clk, c, 0, func(m int) {
		switch m {
		case 720:
			assert.Equal(t, 1, srv.Logins(), "one login for the first 12 h")
			srv.RevokeTokens()
		}
	})

	assert.Equal(t, 2, srv.Logins())
	assert.Equal(t, 1, srv.Unauthorized(), "only the first call with the revoked token")
	assert.Zero(t, srv.ExpiredRejections())
	assert.EqualValues(t, 1, c.Stats().Invalidations)
	assert.Equal(t, 1440+1, srv.Calls(genericjwt.DefaultMePath), "the rejected call was replayed once")
	assert.Equal(t, 1, srv.LiveTokens())
}

// A documented lifetime for tokens without exp: logins follow it as if the
// JWT had it (30 min, soft 3 min: ceil(1440 / 27) = 54), and the back
// office, which would have kept accepting them, never sends a 401.
func TestDayWithDocumentedLifetime(t *testing.T) {
	clk, srv, _ := setup(t, []genericjwttest.Option{genericjwttest.WithTokenLifetime(0)})
	cfg := srv.Config()
	cfg.TokenLifetime = 30 * time.Minute
	c := newClient(t, cfg, providers.WithClock(clk), providers.WithTokenCacheOptions(tokencache.WithJitter(0)))
	simulateDay(t, clk, c, 3*time.Minute, nil)

	assert.Equal(t, expectedLogins(30*time.Minute, 3*time.Minute), srv.Logins())
	assert.Equal(t, 54, srv.Logins())
	assert.Zero(t, srv.Unauthorized())
}
