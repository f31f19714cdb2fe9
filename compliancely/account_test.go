package compliancely_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
)

// Rule (issue 24, item 10): two clients of one account in one process are
// one account — "10 requests per minute" and its 10-minute penalty are
// the account's, not each client's — so they share one budget, one login
// and one cool-down; closing one leaves the other working.
//
// Client and fake run in a testing/synctest bubble, through the fake's
// in-memory transport: time moves only when every goroutine is blocked, so
// the fake sees each request at the instant the budget admitted it and its
// sliding window counts exactly. (A fake clock driven from outside cannot
// see a request between its admission and the wire, and moved on under it.)
func TestTwoClientsOfOneAccountShareItsBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := compliancelytest.NewServer(compliancelytest.WithInMemory()) // 10 a minute, as documented
		defer srv.Close()
		opts := []providers.Option{providers.WithTransport(srv.Transport())}
		a, err := compliancely.New(srv.Config(), opts...)
		require.NoError(t, err)
		defer a.Close()
		b, err := compliancely.New(srv.Config(), opts...) // e.g. built by another part of the program
		require.NoError(t, err)
		defer b.Close()

		const perClient, calls = 4, 6 // 48 calls: five minutes of budget
		var failed atomic.Int64
		var wg sync.WaitGroup
		for _, c := range []*compliancely.Client{a, b} {
			for range perClient {
				wg.Go(func() {
					for range calls {
						if _, err := c.ValidateToken(context.Background()); err != nil {
							failed.Add(1)
							t.Errorf("call failed: %v", err)
						}
					}
				})
			}
		}
		wg.Wait()
		assert.Zero(t, failed.Load())
		assert.Zero(t, srv.RateLimited(), "no 429: no 10-minute penalty")
		assert.LessOrEqual(t, srv.MaxRequestsIn("", time.Minute), 10, "at most 10 in any minute, as the fake counts")
		assert.Equal(t, 1, srv.Logins(), "one login for both clients")

		require.NoError(t, a.Close())
		_, err = b.ValidateToken(context.Background())
		require.NoError(t, err, "the other client keeps the account")
		assert.Equal(t, 1, srv.Logins())
		_, err = a.ValidateToken(context.Background())
		assert.ErrorIs(t, err, providers.ErrClosed, "the closed one sends nothing")
	})
}

// Rule: WithPrivateAccount keeps a client's account state its own: it
// logs in itself and counts its own budget.
func TestPrivateAccountIsNotShared(t *testing.T) {
	clk := clock.NewFake(start)
	srv := compliancelytest.NewServer(compliancelytest.WithClock(clk))
	defer srv.Close()
	a, err := compliancely.New(srv.Config(), providers.WithClock(clk))
	require.NoError(t, err)
	defer a.Close()
	b, err := compliancely.New(srv.Config(), providers.WithClock(clk), providers.WithPrivateAccount())
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()
	require.NoError(t, a.CheckAuth(ctx))
	require.NoError(t, b.CheckAuth(ctx))
	assert.Equal(t, 2, srv.Logins())

	// Another password is another account state, too.
	cfg := srv.Config()
	cfg.Password = "another-password"
	c, err := compliancely.New(cfg, providers.WithClock(clk))
	require.NoError(t, err)
	defer c.Close()
	assert.ErrorIs(t, c.CheckAuth(ctx), providers.ErrInvalidCredentials, "its own login, with its own password")
}

// Rule: the token calls of a shared account keep their headroom for every
// client. Sixteen goroutines, eight on each of two clients of one account,
// back to back against 10 a minute with 20 s access tokens: the token is
// in use by every client's calls, so it is refreshed ahead for all of
// them — no call fails, the fake refuses nothing (no expired token, no
// 429), and never more than 10 in any minute.
func TestASharedAccountRefreshesAheadForEveryClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := compliancelytest.NewServer(compliancelytest.WithInMemory(),
			compliancelytest.WithTokenLifetime(20*time.Second), compliancelytest.WithRefreshLifetime(60*time.Second))
		defer srv.Close()
		opts := []providers.Option{providers.WithTransport(srv.Transport())}
		var clients []*compliancely.Client
		for range 2 {
			c, err := compliancely.New(srv.Config(), opts...)
			require.NoError(t, err)
			defer c.Close()
			clients = append(clients, c)
		}
		var wg sync.WaitGroup
		for _, c := range clients {
			for range 8 {
				wg.Go(func() {
					for range 2 {
						_, err := c.ValidateToken(context.Background())
						assert.NoError(t, err)
					}
				})
			}
		}
		wg.Wait()
		if srv.Rejected() > 0 {
			for _, h := range srv.Hits() { // what the fake saw, for the failure's reader
				t.Logf("%v %s %s %d", h.At.Format(time.TimeOnly), h.Method, h.Path, h.Status)
			}
		}
		assert.Zero(t, srv.Rejected(), "requests the fake refused (expired tokens, 429s)")
		assert.LessOrEqual(t, srv.MaxRequestsIn("", time.Minute), 10, "at most 10 in any minute, as the fake counts")
		assert.Greater(t, srv.Refreshes()+srv.Logins(), 2, "the run outlived several tokens")
	})
}

// Rule: ValidateToken asks about the token its request carries, taken when
// it leaves. Behind a full budget the call waits a minute; the 20 s token
// it would have named when called has been refreshed meanwhile, and the
// answer is about the token the client holds now: valid.
func TestValidateTokenNamesTheTokenItCarries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := compliancelytest.NewServer(compliancelytest.WithInMemory(),
			compliancelytest.WithTokenLifetime(20*time.Second), compliancelytest.WithRefreshLifetime(time.Hour))
		defer srv.Close()
		c, err := compliancely.New(srv.Config(), providers.WithTransport(srv.Transport()))
		require.NoError(t, err)
		defer c.Close()
		for range 9 { // the login and nine calls: the minute's ten
			_, err := c.ValidateToken(context.Background())
			require.NoError(t, err)
		}
		st, err := c.ValidateToken(context.Background()) // waits for the next minute
		require.NoError(t, err)
		assert.True(t, st.Valid, "the token the request carried is valid: %+v", st)
		assert.Positive(t, srv.Refreshes(), "the token was refreshed during the wait")
		assert.Zero(t, srv.Rejected())
	})
}

// Rule: a client's Stats is the one account of what it did, the token
// cache's part included: a refused login is counted as a token failure.
func TestStatsCountATokenFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := compliancelytest.NewServer(compliancelytest.WithInMemory())
		defer srv.Close()
		cfg := srv.Config()
		cfg.Password = "not-the-password"
		c, err := compliancely.New(cfg, providers.WithTransport(srv.Transport()))
		require.NoError(t, err)
		defer c.Close()
		assert.ErrorIs(t, c.CheckAuth(context.Background()), providers.ErrInvalidCredentials)
		st := c.Stats()
		assert.EqualValues(t, 1, st.TokenFailures)
		assert.Zero(t, st.Logins)
		assert.Nil(t, st.Fleet, "no fleet shares this account")
	})
}

// Rule: a slot's time is its send time, also when the token a request
// waited for expired while it queued. A 429 pauses the account for ten
// minutes; the 20 s token expires meanwhile; when the pause ends the refresh
// and the probe must not leave together: the probe gives its slot back,
// waits for the refresh, and takes the next slot of the even pace.
func TestAfterAPauseTheRefreshAndTheProbeKeepThePace(t *testing.T) {
	for _, life := range []time.Duration{
		20 * time.Second,                // expired when the pause ends
		10*time.Minute + 10*time.Second, // usable, but inside its hard window: Token refreshes first
	} {
		t.Run(life.String(), func(t *testing.T) { synctest.Test(t, func(t *testing.T) { pauseThenPace(t, life) }) })
	}
}

func pauseThenPace(t *testing.T, life time.Duration) {
	srv := compliancelytest.NewServer(compliancelytest.WithInMemory(),
		compliancelytest.WithTokenLifetime(life), compliancelytest.WithRefreshLifetime(time.Hour))
	defer srv.Close()
	c, err := compliancely.New(srv.Config(), providers.WithTransport(srv.Transport()), providers.WithWaitWarning(0))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.CreateTaxExempt(context.Background(), newSub()) // logged in, one call
	require.NoError(t, err)
	srv.RateLimitNext(apiPath, 1, "")
	short, cancel := context.WithTimeout(context.Background(), time.Minute)
	_, err = c.CreateTaxExempt(short, newSub()) // meets the 429: told at once
	cancel()
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2 {
				_, err := c.CreateTaxExempt(context.Background(), newSub())
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()

	hits := srv.Hits()
	if t.Failed() {
		for _, h := range hits {
			t.Logf("%s %s %s %d", h.At.Format(time.TimeOnly), h.Method, h.Path, h.Status)
		}
	}
	paused := -1
	for i, h := range hits {
		if h.Status == http.StatusTooManyRequests {
			paused = i
		}
	}
	require.Positive(t, paused, "a 429")
	slot := compliancely.DefaultBudget.Slot()
	probe := hits[paused+1]
	assert.GreaterOrEqual(t, probe.At.Sub(hits[paused].At), 10*time.Minute, "nothing before the pause ended")
	for i := paused + 2; i < len(hits) && hits[i].At.Sub(probe.At) <= compliancely.DefaultBudget.Span(); i++ {
		assert.GreaterOrEqual(t, hits[i].At.Sub(hits[i-1].At), slot/2, "%s %s came %v after the one before, in the first window after the pause",
			hits[i].Method, hits[i].Path, hits[i].At.Sub(hits[i-1].At))
	}
	assert.Zero(t, srv.Rejected(), "no expired token, no 429 of the fake's own")
	assert.Positive(t, srv.Refreshes())
}
