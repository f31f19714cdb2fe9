package soak_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// perLifetime is the login budget of a provider without refresh tokens:
// the first login, one per token lifetime (two, as the refresh-ahead
// window renews early), and one per 401 the front injected.
func perLifetime(t *testing.T, logins int, lifetime, elapsed time.Duration, chaos *faulttest.Chaos) {
	budget := 1 + 2*int(elapsed/lifetime+1) + chaos.Count(faulttest.FaultUnauthorized)
	t.Logf("logins: %d (budget %d)", logins, budget)
	assert.LessOrEqual(t, logins, budget, "logins within the budget")
}

// perSession is the login budget of a provider with refresh tokens: 401s
// cost refreshes, not logins; only a refresh session's end does.
func perSession(t *testing.T, logins int, session, elapsed time.Duration) {
	budget := 1 + int(elapsed/session)
	t.Logf("logins: %d (budget %d)", logins, budget)
	assert.LessOrEqual(t, logins, budget, "logins within the budget")
}

func genericJWT(t *testing.T, clk *clock.Fake) *rig {
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk))
	return &rig{
		base: srv.URL, stop: srv.Close, secrets: []string{genericjwttest.DefaultPassword},
		token: func(p string) bool { return p == genericjwt.DefaultLoginPath },
		connect: func(base string, opts ...providers.Option) (io.Closer, func(context.Context) error, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			c, err := genericjwt.New(cfg, opts...)
			return c, func(ctx context.Context) error { _, err := c.Me(ctx); return err }, err
		},
		budget: func(t *testing.T, elapsed time.Duration, chaos *faulttest.Chaos) {
			perLifetime(t, srv.Logins(), genericjwttest.DefaultTokenLifetime, elapsed, chaos)
		},
	}
}

func iComply(t *testing.T, clk *clock.Fake) *rig {
	srv := icomplytest.NewServer(icomplytest.WithClock(clk))
	return &rig{
		base: srv.URL, stop: srv.Close, secrets: []string{icomplytest.Password, icomplytest.APIKey},
		token: func(p string) bool { return p == icomply.TokenPath },
		connect: func(base string, opts ...providers.Option) (io.Closer, func(context.Context) error, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			c, err := icomply.New(cfg, opts...)
			return c, func(ctx context.Context) error {
				_, err := c.ListEntities(ctx, icomply.ListEntitiesParams{})
				return err
			}, err
		},
		budget: func(t *testing.T, elapsed time.Duration, chaos *faulttest.Chaos) {
			perLifetime(t, srv.Logins(), icomply.TokenLifetime, elapsed, chaos)
		},
	}
}

// iDenfy has no logins: its budget is the fake refusing nothing by its
// own rules (a wrong credential, a malformed request, its rate limit).
func iDenfy(t *testing.T, clk *clock.Fake) *rig {
	srv := idenfytest.NewServer(idenfytest.WithClock(clk), idenfytest.WithRateLimit(0, 0, 0))
	seed, err := idenfy.New(srv.Config(), providers.WithClock(clk))
	require.NoError(t, err)
	v, err := seed.CreateVerificationToken(context.Background(), idenfy.CreateVerificationTokenParams{ClientID: "soak"})
	require.NoError(t, err)
	_ = seed.Close()
	return &rig{
		base: srv.URL, stop: srv.Close, secrets: []string{idenfytest.APIKey, idenfytest.APISecret},
		token: func(string) bool { return false },
		connect: func(base string, opts ...providers.Option) (io.Closer, func(context.Context) error, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			c, err := idenfy.New(cfg, append(opts, providers.WithLimiter(nil))...)
			return c, func(ctx context.Context) error { _, err := c.Status(ctx, v.ScanRef); return err }, err
		},
		budget: func(t *testing.T, _ time.Duration, _ *faulttest.Chaos) {
			assert.Zero(t, srv.Rejected(), "the fake refused nothing by its own rules")
		},
	}
}

// Compliancely's pacing (10 a minute) is off here, and the fake's limit
// with it: throttle_test.go proves the pacing; 20,000 requests at 10 a
// minute would be two weeks of fake time.
func complianceLy(t *testing.T, clk *clock.Fake) *rig {
	srv := compliancelytest.NewServer(compliancelytest.WithClock(clk), compliancelytest.WithRateLimit(0, 0, 0))
	seed, err := compliancely.New(srv.Config(), providers.WithClock(clk), providers.WithLimiter(nil))
	require.NoError(t, err)
	_, err = seed.CreateTaxExempt(context.Background(), &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme Corp"})
	require.NoError(t, err)
	_ = seed.Close()
	srv.ResetCounts()
	return &rig{
		base: srv.URL, stop: srv.Close, secrets: []string{compliancelytest.Password},
		token: func(p string) bool { return strings.HasPrefix(p, "/api/v2/token/") },
		connect: func(base string, opts ...providers.Option) (io.Closer, func(context.Context) error, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			// The chaos front answers 429 at random, which Compliancely
			// does only past its budget: a short penalty instead of the
			// documented 10-minute floor keeps the soak about faults.
			// A failed login surfaces and is not retried (Compliancely's
			// rule); a short cache backoff lets the next caller try again
			// within the soak's few milliseconds.
			c, err := compliancely.New(cfg, append(opts, providers.WithLimiter(nil),
				providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, Penalty: time.Second}),
				providers.WithTokenCacheOptions(tokencache.WithBackoff(10*time.Millisecond, 100*time.Millisecond)))...)
			return c, func(ctx context.Context) error {
				_, err := c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "123456789"})
				return err
			}, err
		},
		budget: func(t *testing.T, elapsed time.Duration, _ *faulttest.Chaos) {
			perSession(t, srv.Logins(), compliancely.RefreshLifetime, elapsed)
		},
	}
}

// KYConnect keeps its login limiter (10 an hour is the budget) but not
// the general pacing: two seconds of fake time per request keep the
// traffic under the fake's 100 a minute (30 a minute, plus at most 64 in
// flight).
func kyConnect(t *testing.T, clk *clock.Fake) *rig {
	srv := kyconnecttest.NewServer(kyconnecttest.WithClock(clk))
	return &rig{
		base: srv.BaseURL(), stop: srv.Close, secrets: []string{string(srv.Password()), string(srv.APIKey())}, tick: 2 * time.Second,
		token: func(p string) bool {
			return p == kyconnecttest.Prefix+kyconnect.LoginPath || p == kyconnecttest.Prefix+kyconnect.RefreshPath
		},
		connect: func(base string, opts ...providers.Option) (io.Closer, func(context.Context) error, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			c, err := kyconnect.New(cfg, append(opts, providers.WithLimiter(nil))...)
			return c, func(ctx context.Context) error { _, err := c.Me(ctx); return err }, err
		},
		budget: func(t *testing.T, elapsed time.Duration, _ *faulttest.Chaos) {
			perSession(t, srv.Logins(), kyconnecttest.DefaultRefreshLifetime, elapsed)
			assert.LessOrEqual(t, srv.MaxLoginAttemptsPerHour(), 10, "KYConnect allows 10 login attempts an hour")
			assert.Zero(t, srv.RateLimited(), "never over the fake's own limits")
		},
	}
}
