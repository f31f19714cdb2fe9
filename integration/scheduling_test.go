//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/providers"
)

// The scheduling scenarios of issue #24 against the real frameworks: many
// callers back to back on short tokens and tight budgets, a revocation
// while a refresh is in flight, a 429 met by callers with short and long
// deadlines. Each logs its figures (401s reaching callers, expired tokens
// on the wire, 429s drawn, the most requests in any window as the server
// counted them) and asserts each is 0 or within the limit.

// tally sorts the outcomes of back-to-back calls: calls that succeeded,
// 401s that reached callers, calls cut when the run ended, and any other
// error (reported).
func tally(t *testing.T, out []outcome) (ok, unauthorized, cut int) {
	t.Helper()
	for _, o := range out {
		switch {
		case o.err == nil:
			ok++
		case errors.Is(o.err, providers.ErrUnauthorized):
			unauthorized++
		case errors.Is(o.err, context.Canceled):
			cut++
		default:
			t.Errorf("a call started at %s failed after %v: %v", o.start.Format("15:04:05.000"), o.took.Round(time.Millisecond), o.err)
		}
	}
	return ok, unauthorized, cut
}

// n is how many arrivals were to method path and answered status (0: any).
func (l serverLog) n(method, path string, status int) int {
	n := 0
	for _, a := range l.Arrivals {
		if a.Method == method && a.Path == path && (status == 0 || a.Status == status) {
			n++
		}
	}
	return n
}

// --- Compliancely (DRF + SimpleJWT): a minute, scaled ----------------------

// The run: 10 requests a minute, 20 s access and 60 s refresh
// tokens (rotated, the old one blacklisted). A real minute per window
// would take minutes, so time is scaled by a fifth and the ratios kept:
// 10 requests in 12 s, 4 s access and 12 s refresh tokens (three access
// lifetimes and one refresh lifetime per window, as in the issue); the
// 10-minute pause is 120 s (never drawn here).
const (
	clMinuteLimit   = 10
	clMinute        = 12 * time.Second
	clMinuteAccess  = 4 * time.Second
	clMinuteRefresh = 12 * time.Second
	clMinutePenalty = 120 * time.Second
)

func compliancelyMinuteServer(t *testing.T) *server {
	t.Helper()
	db := scratchFile(t, "compliancely-minute.sqlite3")
	s := startOnce(t, "compliancely (DRF, a minute in 12 s)", here(t, "compliancely"), []string{
		"CL_DB=" + db,
		"CL_ACCESS_SECONDS=" + secs(clMinuteAccess),
		"CL_REFRESH_SECONDS=" + secs(clMinuteRefresh),
		fmt.Sprintf("CL_THROTTLE=%d/%s", clMinuteLimit, secs(clMinute)),
		"CL_PENALTY_SECONDS=" + secs(clMinutePenalty),
	}, python(), "server.py")
	s.reset(t)
	return s
}

func TestCompliancelySixteenCallersOnAScaledMinute(t *testing.T) {
	t.Log("Rule: token calls never wait for a window API calls filled: 16 callers back to back on 10 a minute with 20 s access and 60 s refresh tokens (scaled by a fifth) meet no 401, send no expired token and draw no 429")
	s := compliancelyMinuteServer(t)
	c := newCompliancely(t, s, nil, withBudget(clMinuteLimit, clMinute),
		providers.WithRetryPolicy(providers.RetryPolicy{Penalty: clMinutePenalty}))
	// Two windows of calls; those still waiting then are cut.
	out := backToBack(runFor(t, 2*clMinute), 16, 0, func(ctx context.Context) error { return clPingCall(ctx, c) })
	require.NoError(t, c.Close())
	ok, unauthorized, _ := tally(t, out)
	l := s.log(t)
	f := figures{unauthorized: unauthorized, expired: l.expired(), throttled: l.status(http.StatusTooManyRequests),
		mostCounted: l.MostInWindow, mostArrived: l.mostIn(clMinute), limit: clMinuteLimit}
	t.Logf("figures: %v; %d calls answered, %d logins, %d refreshes", f, ok,
		l.n("POST", clLogin, 200), l.n("POST", clRefresh, 200))

	assert.Zero(t, f.unauthorized, "401s that reached callers")
	assert.Zero(t, f.expired, "expired tokens on the wire")
	assert.Zero(t, f.throttled, "429s drawn by the client's own pacing")
	assert.LessOrEqual(t, f.mostCounted, f.limit, "most requests in DRF's window, as its throttle counted")
	assert.LessOrEqual(t, f.mostArrived, f.limit, "most arrivals in any 12 s")
	assert.Zero(t, l.n("GET", clPing, 401), "calls SimpleJWT refused")
	assert.Zero(t, l.n("POST", clRefresh, 401), "refresh tokens SimpleJWT refused (expired, or rotated and blacklisted)")
	assert.GreaterOrEqual(t, l.n("POST", clRefresh, 200)+l.n("POST", clLogin, 200), 4, "the run outlived several tokens")
	assert.GreaterOrEqual(t, ok, 4, "calls answered")
}
