package kyconnect_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fastRetry keeps 5xx backoff (real time) short.
var fastRetry = providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

// env is a fake server and a client sharing one fake clock.
type env struct {
	clk      *clock.Fake
	srv      *kyconnecttest.Server
	c        *kyconnect.Client
	obtained chan *auth.Token // a token came from the provider (login or refresh)
}

func newEnv(t *testing.T, srvOpts []kyconnecttest.Option, edit func(*kyconnect.Config), opts ...providers.Option) *env {
	t.Helper()
	clk := clock.NewFake(start)
	srv := kyconnecttest.NewServer(append([]kyconnecttest.Option{kyconnecttest.WithClock(clk)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	cfg := srv.Config()
	if edit != nil {
		edit(&cfg)
	}
	obtained := make(chan *auth.Token, 1<<12)
	notify := providers.WithTokenCacheOptions(tokencache.OnRefresh(func(tok *auth.Token) { obtained <- tok }))
	c, err := kyconnect.New(cfg, append([]providers.Option{providers.WithClock(clk), fastRetry, notify}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &env{clk: clk, srv: srv, c: c, obtained: obtained}
}

// drive runs fn and moves the fake clock from timer to timer (limiter
// waits, 429 cool-downs) until fn returns.
func drive(clk *clock.Fake, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	for clk.WaitForTimers(1, done) {
		if next, ok := clk.NextTimer(); ok && next.After(clk.Now()) {
			clk.Set(next)
		}
	}
}

// me calls Me with the clock driven.
func (e *env) me(t *testing.T) (*kyconnect.User, error) {
	t.Helper()
	var (
		u   *kyconnect.User
		err error
	)
	drive(e.clk, func() { u, err = e.c.Me(context.Background()) })
	return u, err
}
