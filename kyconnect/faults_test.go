package kyconnect_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

type (
	kcRow = faulttest.Row[*kyconnecttest.Server, kyconnecttest.Option, *kyconnect.Client]
	kcEnv = faulttest.Env[*kyconnecttest.Server, kyconnecttest.Option, *kyconnect.Client]
)

// TestFaults is the fault matrix: each row a fault, against the fake
// KYConnect (behind a front that makes the faults its knobs cannot).
// Besides its own assertions every row checks that the error is typed,
// that no secret reaches the error or a log line and that no goroutine
// leaks. The documented pacing (100 a minute, logins 10 an hour) is off:
// budget_test.go tests it, and here it would only add clock waits.
func TestFaults(t *testing.T) {
	const p = kyconnecttest.Prefix
	probe := faulttest.Probe[*kyconnecttest.Server, *kyconnect.Client]{
		Login: p + kyconnect.LoginPath, API: p + kyconnect.MePath, Lifetime: kyconnect.AccessTokenLifetime,
		Logins: (*kyconnecttest.Server).Logins,
		Token: func(ctx context.Context, c *kyconnect.Client) (*auth.Token, error) {
			return c.TokenSource().Token(ctx)
		},
	}
	rows := faulttest.LoginRows[*kyconnecttest.Server, kyconnecttest.Option](probe)
	rows = append(rows,
		kcRow{
			Name:   "token with no exp and no expires_in (documented 15 minutes)",
			Server: []kyconnecttest.Option{kyconnecttest.WithTokenLifetime(0)},
			Act: func(e *kcEnv) error {
				require.NoError(e.T, e.Call())
				tok, err := e.Client.TokenSource().Token(context.Background())
				require.NoError(e.T, err)
				assert.Equal(e.T, e.ClientClock.Now().Add(kyconnect.AccessTokenLifetime), tok.Expiry)
				e.Advance(kyconnect.AccessTokenLifetime)
				return e.Call()
			},
			Assert: func(t *testing.T, e *kcEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 1, e.Fake.Logins())
				assert.Equal(t, 1, e.Fake.Refreshes(), "renewed by refresh token after the documented lifetime")
			},
		},
		kcRow{
			Name: "revoked refresh token (refused once, then one login)",
			Arrange: func(e *kcEnv) {
				require.NoError(e.T, e.Call())
				e.Fake.RevokeTokens()
			},
			Assert: func(t *testing.T, e *kcEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 1, e.Fake.Calls(kyconnect.RefreshPath), "the refresh token is tried once")
				assert.Zero(t, e.Fake.Refreshes())
				assert.Equal(t, 2, e.Fake.Logins(), "then both tokens are dropped and the client logs in")
				assert.Equal(t, 2, e.Fake.LoginAttempts())
			},
		},
		kcRow{
			// @nestjs/throttler without headers blocks for the throttler's
			// ttl: an hour for the login limit, longer than MaxRetryWait.
			Name:    "429 on login without Retry-After (the login limit's hour)",
			Arrange: func(e *kcEnv) { e.Fake.RateLimitNext(kyconnect.LoginPath, 1, "") },
			Assert: func(t *testing.T, e *kcEnv, err error) {
				faulttest.AssertRateLimited(t, err, time.Hour)
				assert.Equal(t, 1, e.Fake.Calls(kyconnect.LoginPath))
				assert.Zero(t, e.Fake.Logins())
				assert.Equal(t, faulttest.Start, e.Clock.Now(), "nothing waited")
			},
		},
		kcRow{
			Name: "wrong credentials (exactly one attempt)",
			NewClient: func(e *kcEnv, base string, opts ...providers.Option) (*kyconnect.Client, error) {
				cfg := e.Fake.Config()
				cfg.BaseURL, cfg.Password = base, "wrong-password-4711"
				e.AddSecret(string(cfg.Password))
				return kyconnect.New(cfg, opts...)
			},
			Act: func(e *kcEnv) error {
				require.ErrorIs(e.T, e.Call(), providers.ErrInvalidCredentials)
				e.Advance(time.Hour)
				return e.Call()
			},
			Assert: func(t *testing.T, e *kcEnv, err error) {
				require.ErrorIs(t, err, providers.ErrInvalidCredentials)
				assert.Equal(t, 1, e.Fake.LoginAttempts(), "final: never tried again")
				assert.Zero(t, e.Fake.Calls(kyconnect.MePath))
			},
		},
		kcRow{
			Name: "wrong API key (one request per call)",
			NewClient: func(e *kcEnv, base string, opts ...providers.Option) (*kyconnect.Client, error) {
				cfg := e.Fake.APIKeyConfig()
				cfg.BaseURL, cfg.APIKey = base, "wrong-api-key-4711"
				e.AddSecret(string(cfg.APIKey))
				return kyconnect.New(cfg, opts...)
			},
			Assert: func(t *testing.T, e *kcEnv, err error) {
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				assert.Equal(t, 1, e.Fake.Calls(kyconnect.MePath), "a static key is not replayed")
			},
		},
		kcRow{
			Name:    "401 on every call (one refresh and replay, then ErrUnauthorized)",
			Arrange: func(e *kcEnv) { e.Fake.FailNext(kyconnect.MePath, 100, http.StatusUnauthorized, nil) },
			Assert: func(t *testing.T, e *kcEnv, err error) {
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				faulttest.AssertProviderError(t, err, "me", http.StatusUnauthorized)
				assert.Equal(t, 2, e.Fake.Calls(kyconnect.MePath), "the request and one replay")
				assert.Equal(t, 1, e.Fake.Logins())
				assert.Equal(t, 1, e.Fake.Refreshes(), "the replay used a refreshed token, not a login")
			},
		},
	)
	faulttest.Run(t, faulttest.Suite[*kyconnecttest.Server, kyconnecttest.Option, *kyconnect.Client]{
		Start: func(_ *testing.T, clk *clock.Fake, opts ...kyconnecttest.Option) (*kyconnecttest.Server, string, func()) {
			srv := kyconnecttest.NewServer(append([]kyconnecttest.Option{kyconnecttest.WithClock(clk)}, opts...)...)
			return srv, srv.BaseURL(), srv.Close
		},
		New: func(srv *kyconnecttest.Server, base string, opts ...providers.Option) (*kyconnect.Client, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			return kyconnect.New(cfg, opts...)
		},
		Call: func(ctx context.Context, c *kyconnect.Client) error {
			_, err := c.Me(ctx)
			return err
		},
		Secrets: func(srv *kyconnecttest.Server) []string {
			return []string{string(srv.Password()), string(srv.APIKey())}
		},
		CredentialHeaders: []string{kyconnect.DefaultAPIKeyHeader},
		Options:           []providers.Option{providers.WithLimiter(nil), providers.WithLoginLimiter(nil)},
	}, rows)
}
