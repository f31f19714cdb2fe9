package kyconnect_test

import (
	"context"
	"net/http"
	"sync"
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

// useFor calls Me once a minute for d of fake time. A call inside the soft
// window starts a background refresh, which may wait on the limiter after
// the call returned: the clock is driven until it is done, as real time
// would let it finish in 600 ms.
func useFor(t *testing.T, e *env, d time.Duration) {
	t.Helper()
	for end := e.clk.Now().Add(d); e.clk.Now().Before(end); e.clk.Advance(time.Minute) {
		e.drain()
		var due bool
		if tok, err := e.c.TokenSource().Token(context.Background()); err == nil {
			due = !e.clk.Now().Before(tok.Expiry.Add(-softWindow))
		}
		_, err := e.me(t)
		require.NoError(t, err, "at %s", e.clk.Now().Sub(start))
		if due {
			e.awaitToken(t)
		}
	}
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
	assert.Equal(t, 12, e.srv.Logins(), "one login per refresh-token lifetime")
	times := e.srv.LoginAttemptTimes()
	for i := 1; i < len(times); i++ {
		assert.GreaterOrEqual(t, times[i].Sub(times[i-1]), life-kyconnect.AccessTokenLifetime,
			"no login while a refresh token could do")
	}
	assert.Zero(t, e.srv.Rejected(), "an expired refresh token is never sent")
}

func TestConcurrentFirstCallsShareOneLogin(t *testing.T) {
	const n = 200
	sent := make(chan struct{}, 2*n)
	e := newEnv(t, nil, nil, providers.WithTransport(signalling(t, sent)))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.c.Me(context.Background()); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}()
	// One login, then the 200 calls park on the limiter. Move the clock
	// one timer at a time, letting each woken call reach the server before
	// the next, as real time would.
	require.True(t, e.clk.WaitForTimers(n, done), "the calls did not all wait on the limiter")
	<-sent // the login
	for e.clk.WaitForTimers(1, done) {
		next, _ := e.clk.NextTimer()
		e.clk.Set(next)
		select {
		case <-sent:
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a woken call sent nothing")
		}
	}
	<-done
	assert.Empty(t, errs)
	assert.Equal(t, 1, e.srv.Logins(), "200 goroutines, empty cache: one login")
	assert.Equal(t, 1, e.srv.LoginAttempts())
	assert.Equal(t, n, e.srv.Calls(kyconnect.MePath))
	assert.Zero(t, e.srv.RateLimited(), "paced under 100 a minute")
	elapsed := e.clk.Now().Sub(start)
	t.Logf("%d concurrent first calls: %d login, %s of fake time", n, e.srv.Logins(), elapsed)
	assert.GreaterOrEqual(t, elapsed, time.Duration(n)*600*time.Millisecond)
	assert.Less(t, elapsed, time.Duration(n)*610*time.Millisecond)
}

// signalling is a base transport that reports each answer on sent.
func signalling(t *testing.T, sent chan<- struct{}) http.RoundTripper {
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(r)
		sent <- struct{}{}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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
	times := e.srv.LoginAttemptTimes()
	for i := 1; i < len(times); i++ {
		assert.GreaterOrEqual(t, times[i].Sub(times[i-1]), 6*time.Minute)
	}
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
