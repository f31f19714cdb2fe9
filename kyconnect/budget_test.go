package kyconnect_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// softWindow is the token cache's default soft window for a 15-minute
// token: the larger of 60 s and 10 % of the lifetime. The day tests turn
// jitter off so they know when a refresh starts.
const softWindow = 90 * time.Second

var noJitter = providers.WithTokenCacheOptions(tokencache.WithJitter(0))

// useFor calls Me once a minute for d of fake time. The soft window's
// timer starts a background refresh by itself, which may wait on the
// budget: after each call the clock is driven until the cache holds a
// token outside its soft window, as real time would let the refresh
// finish in milliseconds.
func useFor(t *testing.T, e *env, d time.Duration) {
	t.Helper()
	for end := e.clk.Now().Add(d); e.clk.Now().Before(end); e.clk.Advance(time.Minute) {
		_, err := e.me(t)
		require.NoError(t, err, "at %s", e.clk.Now().Sub(start))
		e.awaitFresh(t)
	}
}

// awaitFresh drives the clock until no refresh is in flight and the
// cached token is outside its soft window.
func (e *env) awaitFresh(t *testing.T) {
	t.Helper()
	cache := e.c.TokenSource().(*tokencache.Cache)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tok, err := cache.Token(context.Background())
		if err == nil && !cache.Refreshing() && e.clk.Now().Before(tok.Expiry.Add(-softWindow)) {
			return
		}
		if next, ok := e.clk.NextTimer(); ok && next.After(e.clk.Now()) {
			e.clk.Set(next)
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Fatalf("no fresh token at %s", e.clk.Now().Sub(start))
}

func TestDayOfUseLogsInOnce(t *testing.T) {
	e := newEnv(t, nil, nil, noJitter)
	useFor(t, e, 24*time.Hour)

	t.Logf("one day, one call a minute: %d logins, %d refreshes, %d requests, %d rejected",
		e.srv.Logins(), e.srv.Refreshes(), e.srv.Requests(), e.srv.Rejected())
	assert.Equal(t, 1, e.srv.Logins(), "a 7-day refresh token: one login a day")
	assert.Equal(t, 1, e.srv.LoginAttempts())
	// 15-minute tokens refreshed at the first call inside the 90 s soft
	// window, calls once a minute: one refresh every 14 minutes.
	assert.InDelta(t, 24*60/14, e.srv.Refreshes(), 2)
	assert.Zero(t, e.srv.Rejected(), "no 401, no 429")
	assert.Zero(t, e.c.Stats().Invalidations, "tokens are replaced before they expire")
	assert.Equal(t, int64(e.srv.Refreshes()), e.c.Stats().Refreshes)
}

func TestDayOfUseWithShortRefreshTokens(t *testing.T) {
	const life = 2 * time.Hour
	e := newEnv(t, []kyconnecttest.Option{kyconnecttest.WithRefreshLifetime(life)}, nil, noJitter)
	useFor(t, e, 24*time.Hour)

	t.Logf("one day with %s refresh sessions: %d logins, %d refreshes", life, e.srv.Logins(), e.srv.Refreshes())
	// One login per refresh-token lifetime, made a little early: before the
	// refresh token's last soft window, so no call ever waits for it.
	assert.GreaterOrEqual(t, e.srv.Logins(), 12)
	assert.LessOrEqual(t, e.srv.Logins(), 14)
	times := e.srv.LoginAttemptTimes()
	for i := 1; i < len(times); i++ {
		assert.GreaterOrEqual(t, times[i].Sub(times[i-1]), life-kyconnect.AccessTokenLifetime,
			"no login while a refresh token could do")
	}
	assert.Zero(t, e.srv.Rejected(), "an expired refresh token is never sent")
}

func TestConcurrentFirstCallsShareOneLogin(t *testing.T) {
	const n = 200
	var answered atomic.Int64
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		defer answered.Add(1)
		return base.RoundTrip(r)
	})
	e := newEnv(t, nil, nil, providers.WithTransport(counting))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range n {
		wg.Go(func() {
			if _, err := e.c.Me(context.Background()); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Move the clock only when every attempt started was answered, as real
	// time would not jump past a request on its way.
	for quiet := 0; ; time.Sleep(200 * time.Microsecond) {
		select {
		case <-done:
		default:
			if answered.Load() != e.c.Stats().Requests {
				quiet = 0
				continue
			}
			if quiet++; quiet < 3 {
				continue
			}
			if next, ok := e.clk.NextTimer(); ok {
				e.clk.Set(next)
			}
			continue
		}
		break
	}
	assert.Empty(t, errs)
	assert.Equal(t, 1, e.srv.Logins(), "200 goroutines, empty cache: one login")
	assert.Equal(t, 1, e.srv.LoginAttempts())
	assert.Equal(t, n, e.srv.Calls(kyconnect.MePath))
	assert.Zero(t, e.srv.RateLimited(), "never over 100 a minute")
	elapsed := e.clk.Now().Sub(start)
	t.Logf("%d concurrent first calls: %d login, %s of fake time", n, e.srv.Logins(), elapsed)
	// The login and 99 calls at once, 100 a span later, the last one a
	// span after that.
	span := kyconnect.Budgets[0].Span()
	assert.Equal(t, 2*span, elapsed)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Rule: at most 10 logins an hour, as a window: under repeated
// revocations the client never sends more than 10 in any rolling hour.
func TestForcedLoginsStayWithinTheLoginBudget(t *testing.T) {
	e := newEnv(t, nil, nil)
	const rounds = 30
	for range rounds {
		_, err := e.me(t)
		require.NoError(t, err)
		e.srv.RevokeTokens() // the next call needs a new login
	}
	t.Logf("%d forced logins took %s; at most %d in any hour", e.srv.Logins(), e.clk.Now().Sub(start),
		e.srv.MaxLoginAttemptsPerHour())
	assert.Equal(t, rounds, e.srv.Logins())
	assert.LessOrEqual(t, e.srv.MaxLoginAttemptsPerHour(), 10)
	assert.Zero(t, e.srv.RateLimited(), "the client never reaches the server's login limit")
}

// Rule: a budget is a window, not a metronome. Tokens revoked a minute
// after the first login (a restart, a key rotation): the next call
// succeeds after one login, with no wait for the login budget.
func TestReloginAfterRevocationLeavesAtOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, err := e.me(t)
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	e.srv.RevokeTokens()
	at := e.clk.Now()
	_, err = e.me(t)
	require.NoError(t, err)
	assert.Equal(t, at, e.clk.Now(), "no wait: the hour's budget has 9 logins left")
	assert.Equal(t, 2, e.srv.Logins())
	assert.Zero(t, e.c.Stats().BudgetWaits)
}

// Rule: a login 429 asks the caller to wait; one whose deadline is shorter
// than the pause gets a *RateLimitError at once, sending nothing more.
func TestLogin429ReachesAShortDeadlineCallerAtOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.RateLimitNext(kyconnect.LoginPath, 1, "60")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	_, err := e.c.Me(ctx)
	assertRateLimited(t, err, time.Minute)
	assert.Less(t, time.Since(began), 2*time.Second)
	assert.Equal(t, 1, e.srv.Calls(kyconnect.LoginPath))
	assert.Zero(t, e.srv.Calls(kyconnect.MePath))
}

func TestLogin429WaitsForRetryAfter(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.RateLimitNext(kyconnect.LoginPath, 1, "120")
	u, err := e.me(t)
	require.NoError(t, err)
	assert.Equal(t, e.srv.Email(), u.Email)

	assert.Equal(t, 2, e.srv.Calls(kyconnect.LoginPath), "the 429, then the login")
	assert.Equal(t, 1, e.srv.Logins())
	times := e.srv.LoginAttemptTimes()
	require.Len(t, times, 1)
	assert.GreaterOrEqual(t, times[0].Sub(start), 120*time.Second, "Retry-After waited out on the fake clock")
	assert.Equal(t, int64(1), e.c.Stats().RateLimited)
}

func TestLoginRateLimitedForLongerThanMaxRetryWait(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.RateLimitNext(kyconnect.LoginPath, 1, "3600")
	_, err := e.me(t)
	require.Error(t, err)
	assertRateLimited(t, err, time.Hour)

	// The cool-down holds later logins back without sending them.
	_, err = e.me(t)
	require.Error(t, err)
	assertRateLimited(t, err, time.Hour)
	assert.Equal(t, 1, e.srv.Calls(kyconnect.LoginPath))

	e.clk.Advance(time.Hour)
	_, err = e.me(t)
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.Logins())
}
