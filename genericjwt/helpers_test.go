package genericjwt_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// fastRetries keeps 5xx backoff (real time) short.
var fastRetries = providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

// setup starts a fake on a fake clock and a client of it on the same
// clock; both are closed when the test ends.
func setup(t *testing.T, srvOpts []genericjwttest.Option, opts ...providers.Option) (*clock.Fake, *genericjwttest.Server, *genericjwt.Client) {
	t.Helper()
	clk := clock.NewFake(t0)
	srv := genericjwttest.NewServer(append([]genericjwttest.Option{genericjwttest.WithClock(clk)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	return clk, srv, newClient(t, srv.Config(), append([]providers.Option{providers.WithClock(clk), fastRetries}, opts...)...)
}

func newClient(t *testing.T, cfg genericjwt.Config, opts ...providers.Option) *genericjwt.Client {
	t.Helper()
	c, err := genericjwt.New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// currentToken returns the client's cached access token without sending
// anything while the token is fresh.
func currentToken(t *testing.T, c *genericjwt.Client) string {
	t.Helper()
	tok, err := c.TokenSource().Token(context.Background())
	require.NoError(t, err)
	return tok.AccessToken
}
