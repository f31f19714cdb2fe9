package main

import (
	"context"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
)

// runKYConnect: a TOTP MFA login, refreshes instead of logins (10 logins an
// hour), 100 requests a minute.
func runKYConnect(ctx context.Context, clk *clock.Fake) *run {
	r := newRun(kyconnect.Name, clk)
	srv := kyconnecttest.NewServer(kyconnecttest.WithClock(clk), kyconnecttest.WithMFA(""))
	defer srv.Close()
	defer r.d.close()
	cfg := srv.Config()
	cfg.MFACode = kyconnect.TOTP(srv.TOTPSecret(), clk) // what an authenticator app shows
	c, err := kyconnect.New(cfg, r.d.options()...)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	t := &tokenRun{run: r, conn: c, lifetime: kyconnect.AccessTokenLifetime, renewsBy: "refresh",
		call:   func(ctx context.Context) error { _, err := c.Me(ctx); return err },
		refuse: srv.ExpireAccessTokens,
		limit429: func(ra string) {
			srv.RateLimitNext(kyconnect.MePath, 1, ra)
		}, retryAfter: "30", wait429: 30 * time.Second}
	if !t.play(ctx) {
		return r
	}
	r.expect(srv.Logins() == 1 && srv.MFAChecks() == 1 && srv.Refreshes() >= 2,
		"one login with a TOTP MFA code; every renewal since was a refresh (%d)", srv.Refreshes())
	r.stats = c.Stats()
	return r
}
