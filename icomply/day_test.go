package icomply_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/icomply"
)

const day = 24 * 60 // one request a minute for a day

// maxSoft is the widest default soft window for a 20-minute token:
// max(60 s, 10 % of 20 min) = 2 min, plus up to 25 % jitter.
const maxSoft = 150 * time.Second

// TestSimulatedDayTokenMode sends a request every minute for 1440 minutes
// on a fake clock. Tokens live 20 minutes and the cache logs in again
// inside its soft window (2 to 2.5 minutes before expiry). Requests come
// on whole minutes, so the first one inside the window is always at 18
// minutes: a login every 18 minutes, 80 in the day (at 0, 18, …, 1422).
// That is more than the 72 lifetimes by exactly the 2 minutes given up per
// token, and far from one login per request. No request ever reaches the
// provider with an expired token.
func TestSimulatedDayTokenMode(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	for minute := range day {
		if minute > 0 {
			// Not after the last minute: 1440 is the next day's 18th minute
			// of the 1422 token, whose refresh timer would start the next
			// day's first login while the counts below are read.
			e.clk.Advance(time.Minute)
		}
		_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{Limit: 1})
		require.NoError(t, err, "minute %d", minute)
		// A request inside the soft window starts a background login; let it
		// land before moving the clock, so the schedule is the cache's alone.
		require.Eventually(t, func() bool {
			tok, err := e.c.TokenSource().Token(ctx)
			return err == nil && tok.Expiry.Sub(e.clk.Now()) > maxSoft
		}, 5*time.Second, 100*time.Microsecond, "minute %d", minute)
	}
	logins := e.srv.Logins()
	t.Logf("token mode: %d logins for %d requests in a simulated day", logins, day)
	assert.GreaterOrEqual(t, logins, 72, "at least one per 20-minute lifetime")
	assert.LessOrEqual(t, logins, 85, "refreshed ahead inside the soft window only")
	assert.Equal(t, 80, logins, "one login every 18 minutes")
	assert.EqualValues(t, logins, e.c.Stats().Logins)
	assert.Equal(t, day, e.srv.Calls(icomply.EntitiesPath), "no request replayed")
	assert.Zero(t, e.srv.RejectedExpired(), "no request answered 401 for an expired token")
	assert.Zero(t, e.srv.Rejected())
	assert.Zero(t, e.c.Stats().Invalidations)
}

func TestSimulatedDayAPIKeyMode(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	for minute := range day {
		_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{Limit: 1})
		require.NoError(t, err, "minute %d", minute)
		e.clk.Advance(time.Minute)
	}
	t.Logf("API key mode: %d logins for %d requests in a simulated day", e.srv.Logins(), day)
	assert.Zero(t, e.srv.Logins())
	assert.Zero(t, e.srv.Calls(icomply.TokenPath))
	assert.Zero(t, e.c.Stats().Logins)
	assert.Equal(t, day, e.srv.Calls(icomply.EntitiesPath))
	assert.Zero(t, e.srv.Rejected())
}
