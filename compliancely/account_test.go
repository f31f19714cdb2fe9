package compliancely_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
)

// inFlight counts requests on the wire, so that the fake clock moves only
// while none is: the fake then sees each request at the time it was meant
// to leave, and counts its sliding window exactly.
type inFlight struct {
	base *http.Transport
	n    atomic.Int64
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	f.n.Add(1)
	defer f.n.Add(-1)
	return f.base.RoundTrip(r)
}

// Rule (issue 24, item 10): two clients of one account in one process are
// one account — "10 requests per minute" and its 10-minute penalty are
// the account's, not each client's — so they share one budget, one login
// and one cool-down; closing one leaves the other working.
func TestTwoClientsOfOneAccountShareItsBudget(t *testing.T) {
	clk := clock.NewFake(start)
	srv := compliancelytest.NewServer(compliancelytest.WithClock(clk)) // 10 a minute, as documented
	defer srv.Close()
	rt := &inFlight{base: http.DefaultTransport.(*http.Transport).Clone()}
	defer rt.base.CloseIdleConnections()
	opts := []providers.Option{providers.WithClock(clk), providers.WithTransport(rt)}
	a, err := compliancely.New(srv.Config(), opts...)
	require.NoError(t, err)
	defer a.Close()
	b, err := compliancely.New(srv.Config(), opts...) // e.g. built by another part of the program
	require.NoError(t, err)
	defer b.Close()

	const perClient, calls = 4, 6 // 48 calls: five minutes of budget
	var failed atomic.Int64
	clk.DriveIdle(func() bool { return rt.n.Load() == 0 }, func() {
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
	})
	assert.Zero(t, failed.Load())
	assert.Zero(t, srv.RateLimited(), "no 429: no 10-minute penalty")
	assert.LessOrEqual(t, srv.MaxRequestsIn("", time.Minute), 10, "at most 10 in any minute, as the fake counts")
	assert.Equal(t, 1, srv.Logins(), "one login for both clients")

	require.NoError(t, a.Close())
	var after error
	clk.DriveIdle(func() bool { return rt.n.Load() == 0 }, func() { _, after = b.ValidateToken(context.Background()) })
	require.NoError(t, after, "the other client keeps the account")
	assert.Equal(t, 1, srv.Logins())
	_, err = a.ValidateToken(context.Background())
	assert.ErrorIs(t, err, providers.ErrClosed, "the closed one sends nothing")
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
