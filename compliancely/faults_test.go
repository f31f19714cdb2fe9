package compliancely_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
)

type (
	cpRow = faulttest.Row[*compliancelytest.Server, compliancelytest.Option, *compliancely.Client]
	cpEnv = faulttest.Env[*compliancelytest.Server, compliancelytest.Option, *compliancely.Client]
)

// TestFaults is the fault matrix: each row a fault, against the fake
// Compliancely (behind a front that makes the faults its knobs cannot).
// Besides its own assertions every row checks that the error is typed,
// that no secret reaches the error or a log line and that no goroutine
// leaks. The documented 10-a-minute pacing is off (WithLimiter(nil)): it
// is tested in throttle_test.go, and here it would only add clock waits.
func TestFaults(t *testing.T) {
	const login, refresh, api = compliancely.DefaultLoginPath, compliancely.DefaultRefreshPath, compliancely.TaxExemptPath
	probe := faulttest.Probe[*compliancelytest.Server, *compliancely.Client]{
		Login: login, API: api, Lifetime: compliancely.AccessLifetime, LoginOnce: true,
		Logins: (*compliancelytest.Server).Logins,
		Token: func(ctx context.Context, c *compliancely.Client) (*auth.Token, error) {
			return c.TokenSource().Token(ctx)
		},
	}
	rows := faulttest.LoginRows[*compliancelytest.Server, compliancelytest.Option](probe)
	rows = append(rows,
		cpRow{
			Name:   "token with no exp and no lifetime field (documented hour)",
			Server: []compliancelytest.Option{compliancelytest.WithTokenLifetime(0), compliancelytest.WithRefreshLifetime(compliancely.RefreshLifetime)},
			Act: func(e *cpEnv) error {
				require.NoError(e.T, e.Call())
				tok, err := e.Client.TokenSource().Token(context.Background())
				require.NoError(e.T, err)
				assert.Equal(e.T, e.ClientClock.Now().Add(compliancely.AccessLifetime), tok.Expiry)
				e.Advance(compliancely.AccessLifetime)
				return e.Call()
			},
			Assert: func(t *testing.T, e *cpEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 1, e.Fake.Logins())
				assert.Equal(t, 1, e.Fake.Refreshes(), "renewed by refresh token once the documented hour is over")
			},
		},
		cpRow{
			Name: "revoked refresh token (refused once, then one login)",
			Arrange: func(e *cpEnv) {
				require.NoError(e.T, e.Call())
				e.Fake.RevokeTokens()
			},
			Assert: func(t *testing.T, e *cpEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 1, e.Fake.Calls(refresh), "the refresh token is tried once")
				assert.Zero(t, e.Fake.Refreshes())
				assert.Equal(t, 2, e.Fake.Logins(), "then both tokens are dropped and the client logs in")
				assert.Equal(t, 3, e.Fake.Calls(api), "warm-up, the 401, the replay")
			},
		},
		cpRow{
			Name:    "429 on login without Retry-After (the documented 10-minute pause)",
			Arrange: func(e *cpEnv) { e.Fake.RateLimitNext(login, 1, "") },
			Act: func(e *cpEnv) error {
				faulttest.AssertRateLimited(e.T, e.Call(), compliancely.Penalty)
				e.Advance(compliancely.Penalty)
				return e.Call()
			},
			Assert: func(t *testing.T, e *cpEnv, err error) {
				require.NoError(t, err, "the pause is over")
				assert.Equal(t, 2, e.Fake.Calls(login))
				assert.Equal(t, 1, e.Fake.Logins())
			},
		},
		cpRow{
			Name: "wrong credentials (exactly one attempt)",
			NewClient: func(e *cpEnv, base string, opts ...providers.Option) (*compliancely.Client, error) {
				cfg := e.Fake.Config()
				cfg.BaseURL, cfg.Password = base, "wrong-password-4711"
				e.AddSecret(string(cfg.Password))
				return compliancely.New(cfg, opts...)
			},
			Act: func(e *cpEnv) error {
				require.ErrorIs(e.T, e.Call(), providers.ErrInvalidCredentials)
				e.Advance(time.Hour)
				return e.Call()
			},
			Assert: func(t *testing.T, e *cpEnv, err error) {
				require.ErrorIs(t, err, providers.ErrInvalidCredentials)
				assert.Equal(t, 1, e.Fake.Calls(login), "final: never tried again")
				assert.Zero(t, e.Fake.Calls(api))
			},
		},
		cpRow{
			Name: "401 on every call (one refresh and replay, then ErrUnauthorized)",
			Arrange: func(e *cpEnv) {
				e.Fake.FailNext(api, 100, http.StatusUnauthorized,
					[]byte(`{"detail":"Given token not valid for any token type","code":"token_not_valid"}`))
			},
			Assert: func(t *testing.T, e *cpEnv, err error) {
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				faulttest.AssertProviderError(t, err, "create tax exempt", http.StatusUnauthorized)
				assert.Equal(t, 2, e.Fake.Calls(api), "the request and one replay")
				assert.Equal(t, 1, e.Fake.Logins())
				assert.Equal(t, 1, e.Fake.Refreshes(), "the replay used a refreshed token, not a login")
			},
		},
	)
	faulttest.Run(t, faulttest.Suite[*compliancelytest.Server, compliancelytest.Option, *compliancely.Client]{
		Start: func(t *testing.T, clk *clock.Fake, opts ...compliancelytest.Option) (*compliancelytest.Server, string, func()) {
			srv := compliancelytest.NewServer(append([]compliancelytest.Option{compliancelytest.WithClock(clk)}, opts...)...)
			seed(t, srv, clk)
			return srv, srv.URL, srv.Close
		},
		New: func(srv *compliancelytest.Server, base string, opts ...providers.Option) (*compliancely.Client, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			return compliancely.New(cfg, opts...)
		},
		Call: func(ctx context.Context, c *compliancely.Client) error {
			_, err := c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "123456789"})
			return err
		},
		Secrets: func(*compliancelytest.Server) []string { return []string{compliancelytest.Password} },
		Options: []providers.Option{providers.WithLimiter(nil)},
	}, rows)
}

// seed makes one call with a client of its own, so that the fake holds a
// record before the rows run, then zeroes the fake's counters.
func seed(t *testing.T, srv *compliancelytest.Server, clk *clock.Fake) {
	c, err := compliancely.New(srv.Config(), providers.WithClock(clk), providers.WithLimiter(nil))
	require.NoError(t, err)
	defer c.Close()
	s, err := c.CreateTaxExempt(context.Background(), &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme Corp"})
	require.NoError(t, err)
	require.Equal(t, providers.ID("1"), s.ID)
	srv.ResetCounts()
}
