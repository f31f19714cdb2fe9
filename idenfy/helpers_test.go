package idenfy_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fastRetry keeps 5xx backoff in milliseconds of real time.
var fastRetry = providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

// setup starts a fake and a client on one fake clock, both closed at the
// end of the test.
func setup(t *testing.T, srvOpts []idenfytest.Option, opts ...providers.Option) (*idenfytest.Server, *idenfy.Client, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(epoch)
	srv := idenfytest.NewServer(append([]idenfytest.Option{idenfytest.WithClock(clk)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	c, err := idenfy.New(srv.Config(), append([]providers.Option{providers.WithClock(clk), fastRetry}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return srv, c, clk
}

func newClock() *clock.Fake { return clock.NewFake(epoch) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func validKYB() idenfy.CreateKYBTokenParams {
	return idenfy.CreateKYBTokenParams{TokenType: idenfy.KYBTokenForm, ClientID: "company-42"}
}
