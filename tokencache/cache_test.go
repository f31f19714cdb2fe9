package tokencache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

func TestThousandCallersAtExpiryLogInOnce(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p)
	first, err := c.Token(context.Background())
	require.NoError(t, err)

	clk.Advance(time.Hour) // exactly at expiry: nobody may use the old token
	release := p.block()
	var wg sync.WaitGroup
	got := make([]*auth.Token, 1000)
	errs := make([]error, 1000)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = c.Token(context.Background())
		}()
	}
	eventually(t, func() bool { return p.logins.Load() == 2 })
	close(release)
	wg.Wait()

	assert.EqualValues(t, 2, p.logins.Load(), "one login at start, exactly one at expiry")
	for i := range got {
		require.NoError(t, errs[i])
		require.NotEqual(t, first.AccessToken, got[i].AccessToken, "caller %d got the expired token", i)
		require.Same(t, got[0], got[i])
	}
}

func TestSoftWindowNobodyWaitsAndOneBackgroundRefresh(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh), tokencache.WithSoftWindow(5*time.Minute))
	first, err := c.Token(context.Background())
	require.NoError(t, err)

	release := p.block()          // the refresh hangs until we say so (the soft window's timer starts it)
	clk.Advance(57 * time.Minute) // inside the 5-minute soft window, outside the 10 s hard one
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := c.Token(context.Background())
			assert.NoError(t, err)
			assert.Same(t, first, tok, "callers in the soft window get the current token")
		}()
	}
	wg.Wait() // returns although the refresh is still blocked: nobody waited for it
	assert.EqualValues(t, 1, p.refreshes.Load(), "exactly one background refresh")
	close(release)
	eventually(t, func() bool { tok, _ := c.Token(context.Background()); return tok != first })
	assert.EqualValues(t, 1, p.refreshes.Load())
	assert.EqualValues(t, 1, p.logins.Load())
}

func TestWaiterLeavesOnItsDeadlineWhileRefreshGoesOn(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p)
	release := p.block()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := c.Token(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.EqualValues(t, 1, p.logins.Load(), "the login it joined is still running")

	close(release) // the detached login finishes and serves the next caller
	tok, err := c.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "access-login-1", tok.AccessToken)
	assert.EqualValues(t, 1, p.logins.Load(), "no second login")
}

func TestLate401DoesNotDropNewToken(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh))
	old, err := c.Token(context.Background())
	require.NoError(t, err)

	c.Invalidate(old) // a 401 for old: next call refreshes
	fresh, err := c.Token(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, old.AccessToken, fresh.AccessToken)

	c.Invalidate(old) // a second 401 for old arrives late
	again, err := c.Token(context.Background())
	require.NoError(t, err)
	assert.Same(t, fresh, again, "the late 401 must not drop the new token")
	assert.EqualValues(t, 1, p.refreshes.Load())
	assert.EqualValues(t, 1, p.logins.Load())
	assert.EqualValues(t, 1, c.Stats().Invalidations)
}

func TestInvalidateUsesRefreshTokenNotLogin(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh))
	old, err := c.Token(context.Background())
	require.NoError(t, err)
	c.Invalidate(old)
	_, err = c.Token(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, p.logins.Load())
	assert.EqualValues(t, 1, p.refreshes.Load())
	assert.Equal(t, []string{old.RefreshToken}, p.seen)
}

func TestFailedBackgroundRefreshServesValidTokenThenBacksOffThenErrs(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh), tokencache.WithSoftWindow(10*time.Minute),
		tokencache.WithBackoff(time.Minute, time.Minute))
	first, err := c.Token(context.Background())
	require.NoError(t, err)

	boom := statusErr(503)
	p.mu.Lock()
	p.refreshErrs = []error{boom, boom, boom, boom, boom, boom, boom, boom, boom, boom, boom, boom}
	p.mu.Unlock()

	clk.Advance(51 * time.Minute) // soft window
	tok, err := c.Token(context.Background())
	require.NoError(t, err)
	require.Same(t, first, tok)
	eventually(t, func() bool { return c.Stats().Failures == 1 })

	// Inside the backoff: served the valid token, no new attempt.
	for i := 0; i < 50; i++ {
		tok, err = c.Token(context.Background())
		require.NoError(t, err)
		require.Same(t, first, tok)
	}
	clk.Advance(59 * time.Second)
	_, _ = c.Token(context.Background())
	assert.EqualValues(t, 1, p.refreshes.Load(), "backoff respected")

	clk.Advance(2 * time.Second) // backoff over: one more background attempt
	_, _ = c.Token(context.Background())
	eventually(t, func() bool { return c.Stats().Failures == 2 })
	assert.EqualValues(t, 2, p.refreshes.Load())

	clk.Set(first.Expiry) // expired: now the error reaches the caller
	_, err = c.Token(context.Background())
	require.ErrorIs(t, err, boom)
	assert.EqualValues(t, 1, p.logins.Load(), "a passing refresh failure does not spend a login")
}

func TestHardWindowWaitsButFallsBackToValidToken(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh))
	first, err := c.Token(context.Background())
	require.NoError(t, err)
	p.mu.Lock()
	p.refreshErrs = []error{statusErr(502)}
	p.mu.Unlock()
	clk.Advance(time.Hour - 5*time.Second) // hard window
	tok, err := c.Token(context.Background())
	require.NoError(t, err, "the refresh failed but the token is still valid")
	assert.Same(t, first, tok)
	tok, err = c.Token(context.Background()) // refresh succeeds after the backoff
	require.NoError(t, err)
	assert.Same(t, first, tok, "inside the backoff no new attempt is made")
	assert.EqualValues(t, 1, p.refreshes.Load())
}

func TestRefreshTokenBeforeLogin(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh))
	for i := 0; i < 5; i++ {
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		clk.Advance(time.Hour)
	}
	assert.EqualValues(t, 1, p.logins.Load())
	assert.EqualValues(t, 4, p.refreshes.Load())
}

func TestExpiredRefreshTokenLeadsToOneLogin(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	p.refLife = 2 * time.Hour
	c := newCache(t, p, tokencache.WithRefresh(p.refresh))
	_, err := c.Token(context.Background())
	require.NoError(t, err)
	clk.Advance(3 * time.Hour) // both expired
	_, err = c.Token(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, p.logins.Load())
	assert.EqualValues(t, 0, p.refreshes.Load(), "an expired refresh token is not sent")
}

func TestRefusedRefreshLeadsToOneLogin(t *testing.T) {
	for _, status := range []int{400, 401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			clk := clock.NewFake(t0)
			p := newProvider(clk, time.Hour)
			c := newCache(t, p, tokencache.WithRefresh(p.refresh))
			_, err := c.Token(context.Background())
			require.NoError(t, err)
			p.mu.Lock()
			p.refreshErrs = []error{statusErr(status)}
			p.mu.Unlock()
			clk.Advance(time.Hour)
			tok, err := c.Token(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "access-login-2", tok.AccessToken)
			assert.EqualValues(t, 2, p.logins.Load())
			assert.EqualValues(t, 1, p.refreshes.Load())
		})
	}
}

func TestRefusedRefreshTokenIsNeverSentAgain(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefresh(p.refresh))
	_, err := c.Token(context.Background())
	require.NoError(t, err)
	p.mu.Lock()
	p.refreshErrs = []error{statusErr(400)}
	p.loginErrs = []error{statusErr(503)}
	p.mu.Unlock()
	clk.Advance(time.Hour)
	_, err = c.Token(context.Background())
	require.ErrorIs(t, err, statusErr(503), "refresh refused, login failed: the login's error surfaces")
	clk.Advance(time.Minute) // past the backoff
	_, err = c.Token(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, p.refreshes.Load(), "the refused refresh token was not sent again")
	assert.EqualValues(t, 3, p.logins.Load())
}

func TestPassingRefreshFailureDoesNotLogIn(t *testing.T) {
	for _, err := range []error{statusErr(429), statusErr(500), errors.New("connection reset")} {
		t.Run(err.Error(), func(t *testing.T) {
			clk := clock.NewFake(t0)
			p := newProvider(clk, time.Hour)
			c := newCache(t, p, tokencache.WithRefresh(p.refresh))
			_, e := c.Token(context.Background())
			require.NoError(t, e)
			p.mu.Lock()
			p.refreshErrs = []error{err}
			p.mu.Unlock()
			clk.Advance(time.Hour)
			_, e = c.Token(context.Background())
			require.ErrorIs(t, e, err)
			_, e = c.Token(context.Background())
			require.ErrorIs(t, e, err, "inside the backoff the error is served without asking again")
			assert.EqualValues(t, 1, p.refreshes.Load())
			clk.Advance(time.Second)                // backoff over
			tok, e := c.Token(context.Background()) // the refresh token is kept and used again
			require.NoError(t, e)
			assert.Equal(t, "access-refresh-2", tok.AccessToken)
			assert.EqualValues(t, 1, p.logins.Load())
		})
	}
}

func TestColdLoginFailureBacksOff(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	p.loginErrs = []error{statusErr(503), statusErr(503)}
	c := newCache(t, p, tokencache.WithBackoff(time.Second, 4*time.Second))
	for i := 0; i < 100; i++ {
		_, err := c.Token(context.Background())
		require.ErrorIs(t, err, statusErr(503))
	}
	assert.EqualValues(t, 1, p.logins.Load(), "an outage costs one login attempt per backoff, not one per call")
	clk.Advance(time.Second)
	_, err := c.Token(context.Background())
	require.Error(t, err)
	assert.EqualValues(t, 2, p.logins.Load())
	clk.Advance(time.Second) // the second failure doubled the backoff
	_, err = c.Token(context.Background())
	require.Error(t, err)
	assert.EqualValues(t, 2, p.logins.Load())
	clk.Advance(time.Second)
	_, err = c.Token(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 3, p.logins.Load())
}

func TestInvalidCredentialsAreFinal(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	refused := fmt.Errorf("login refused: %w", providers.ErrInvalidCredentials)
	p.loginErrs = []error{refused}
	c := newCache(t, p)
	for i := 0; i < 20; i++ {
		_, err := c.Token(context.Background())
		require.ErrorIs(t, err, providers.ErrInvalidCredentials)
	}
	assert.EqualValues(t, 1, p.logins.Load(), "exactly one login attempt")
}

func TestNewTokenWithoutRefreshTokenKeepsTheOldOne(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	var calls []string
	c := newCache(t, p, tokencache.WithRefresh(func(_ context.Context, rt string) (*auth.Token, error) {
		calls = append(calls, rt)
		return &auth.Token{AccessToken: fmt.Sprint("a", len(calls)), Expiry: clk.Now().Add(time.Hour)}, nil
	}))
	_, err := c.Token(context.Background())
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		clk.Advance(time.Hour)
		_, err = c.Token(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"refresh-login-1", "refresh-login-1", "refresh-login-1"}, calls)
}

func TestTokenWithoutExpiryIsUsedUntilRejected(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, 0)
	c := newCache(t, p)
	tok, err := c.Token(context.Background())
	require.NoError(t, err)
	require.True(t, tok.Expiry.IsZero())
	clk.Advance(365 * 24 * time.Hour)
	again, err := c.Token(context.Background())
	require.NoError(t, err)
	assert.Same(t, tok, again)
	c.Invalidate(tok)
	_, err = c.Token(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, p.logins.Load())
}

func TestSoftWindowJitterBounds(t *testing.T) {
	// Default window for a 1 h token: max(60 s, 6 min) = 6 min, widened by
	// up to 25 %: the refresh starts between 7.5 and 6 minutes before expiry.
	for i := 0; i < 20; i++ {
		clk := clock.NewFake(t0)
		p := newProvider(clk, time.Hour)
		c := tokencache.New(p.login, tokencache.WithClock(clk), tokencache.WithRefresh(p.refresh))
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		clk.Advance(time.Hour - 7*time.Minute - 31*time.Second)
		_, _ = c.Token(context.Background())
		require.EqualValues(t, 0, p.refreshes.Load(), "refreshed before the widest window")
		clk.Advance(91 * time.Second) // 5:59 before expiry
		_, _ = c.Token(context.Background())
		require.Eventually(t, func() bool { return p.refreshes.Load() == 1 }, 5*time.Second, time.Millisecond)
		require.NoError(t, c.Close())
	}
}

func TestShortLivedTokenDoesNotRefreshInALoop(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, 2*time.Second) // shorter than the 60 s minimum window
	c := newCache(t, p)
	for i := 0; i < 100; i++ {
		_, err := c.Token(context.Background())
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, p.logins.Load(), "a fresh 2 s token is used for half its life")
}

func TestRefreshTimeoutEndsAHungLogin(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := newCache(t, p, tokencache.WithRefreshTimeout(20*time.Millisecond))
	p.block() // never released: only the refresh timeout ends the login
	_, err := c.Token(context.Background())
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCloseStopsBackgroundWork(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	c := tokencache.New(p.login, tokencache.WithClock(clk))
	p.block()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, _ = c.Token(ctx) // leaves a login hanging
	require.NoError(t, c.Close())
	_, err := c.Token(context.Background())
	require.ErrorIs(t, err, tokencache.ErrClosed)
}

func TestSharedStoreMeansOneLogin(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	store := tokencache.NewMemoryStore()
	key := tokencache.Key("test", "https://example.com", "alice")
	a := newCache(t, p, tokencache.WithStore(store, key))
	b := newCache(t, p, tokencache.WithStore(store, key))
	ta, err := a.Token(context.Background())
	require.NoError(t, err)
	tb, err := b.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, ta.AccessToken, tb.AccessToken)
	assert.EqualValues(t, 1, p.logins.Load())
	assert.EqualValues(t, 1, b.Stats().StoreHits)

	// A 401 seen by b must not make b take the same rejected token back.
	b.Invalidate(tb)
	tb2, err := b.Token(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, tb.AccessToken, tb2.AccessToken)
	assert.EqualValues(t, 2, p.logins.Load())
}

func TestKeyHidesPrincipal(t *testing.T) {
	k := tokencache.Key("icomply", "https://api.icomplykyc.com", "alice@example.com")
	assert.NotContains(t, k, "alice")
	assert.Contains(t, k, "icomply")
	assert.NotEqual(t, k, tokencache.Key("icomply", "https://api.icomplykyc.com", "bob@example.com"))
}

func TestOnRefreshSeesEveryProviderToken(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	var mu sync.Mutex
	var seen []string
	c := newCache(t, p, tokencache.WithRefresh(p.refresh), tokencache.OnRefresh(func(tok *auth.Token) {
		mu.Lock()
		seen = append(seen, tok.RefreshToken)
		mu.Unlock()
	}))
	for i := 0; i < 3; i++ {
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		clk.Advance(time.Hour)
	}
	assert.Equal(t, []string{"refresh-login-1", "refresh-refresh-1", "refresh-refresh-2"}, seen)
}

func TestWithTokenStartsFromAPersistedRefreshToken(t *testing.T) {
	clk := clock.NewFake(t0)
	p := newProvider(clk, time.Hour)
	saved := &auth.Token{AccessToken: "old", Expiry: t0.Add(-time.Minute), RefreshToken: "persisted", RefreshExpiry: t0.Add(time.Hour)}
	c := newCache(t, p, tokencache.WithRefresh(p.refresh), tokencache.WithToken(saved))
	_, err := c.Token(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 0, p.logins.Load())
	assert.Equal(t, []string{"persisted"}, p.seen)
}
