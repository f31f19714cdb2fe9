package icomply_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
)

type (
	icRow = faulttest.Row[*icomplytest.Server, icomplytest.Option, *icomply.Client]
	icEnv = faulttest.Env[*icomplytest.Server, icomplytest.Option, *icomply.Client]
)

// TestFaults is the fault matrix: each row a fault, against the fake
// iComply (behind a front that makes the faults its knobs cannot). Besides
// its own assertions every row checks that the error is typed, that no
// secret reaches the error or a log line and that no goroutine leaks.
func TestFaults(t *testing.T) {
	const login, api = icomply.TokenPath, icomply.EntitiesPath
	probe := faulttest.Probe[*icomplytest.Server, *icomply.Client]{
		Login: login, API: api, Lifetime: icomply.TokenLifetime,
		Logins: (*icomplytest.Server).Logins,
		Token: func(ctx context.Context, c *icomply.Client) (*auth.Token, error) {
			return c.TokenSource().Token(ctx)
		},
	}
	wrong := func(apiKey bool) func(*icEnv, string, ...providers.Option) (*icomply.Client, error) {
		return func(e *icEnv, base string, opts ...providers.Option) (*icomply.Client, error) {
			cfg := e.Fake.Config()
			cfg.Password = "wrong-password-4711"
			if apiKey {
				cfg = e.Fake.APIKeyConfig()
				cfg.APIKey = "wrong-api-key-4711"
			}
			cfg.BaseURL = base
			e.AddSecret(string(cfg.Password), string(cfg.APIKey))
			return icomply.New(cfg, opts...)
		}
	}
	rows := faulttest.LoginRows[*icomplytest.Server, icomplytest.Option](probe)
	rows = append(rows,
		icRow{
			Name:   "token with no exp (documented 20 minutes)",
			Server: []icomplytest.Option{icomplytest.WithTokenLifetime(0)},
			Act: func(e *icEnv) error {
				require.NoError(e.T, e.Call())
				tok, err := e.Client.TokenSource().Token(context.Background())
				require.NoError(e.T, err)
				assert.Equal(e.T, e.ClientClock.Now().Add(icomply.TokenLifetime), tok.Expiry)
				e.Advance(icomply.TokenLifetime + time.Minute)
				return e.Call()
			},
			Assert: func(t *testing.T, e *icEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 2, e.Fake.Logins(), "a new token once the documented lifetime is over")
				assert.Zero(t, e.Front.Answered(api, http.StatusUnauthorized))
			},
		},
		icRow{
			Name: "revoked token (no refresh token: one new login)",
			Arrange: func(e *icEnv) {
				require.NoError(e.T, e.Call())
				e.Fake.RevokeTokens()
			},
			Assert: func(t *testing.T, e *icEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 2, e.Fake.Logins())
				assert.Equal(t, 3, e.Fake.Calls(api), "warm-up, the 401, the replay")
			},
		},
		icRow{
			Name:    "429 on login without Retry-After (30 s pause, longer than a login may take)",
			Arrange: func(e *icEnv) { e.Fake.RateLimitNext(login, 1, "") },
			Act: func(e *icEnv) error {
				faulttest.AssertRateLimited(e.T, e.Call(), 30*time.Second)
				e.Advance(30 * time.Second)
				return e.Call()
			},
			Assert: func(t *testing.T, e *icEnv, err error) {
				require.NoError(t, err, "the pause is over")
				assert.Equal(t, 2, e.Fake.Calls(login))
				assert.Equal(t, 1, e.Fake.Logins())
			},
		},
		icRow{
			Name:      "wrong credentials (exactly one attempt)",
			NewClient: wrong(false),
			Act: func(e *icEnv) error {
				require.ErrorIs(e.T, e.Call(), providers.ErrInvalidCredentials)
				e.Advance(time.Hour)
				return e.Call()
			},
			Assert: func(t *testing.T, e *icEnv, err error) {
				require.ErrorIs(t, err, providers.ErrInvalidCredentials)
				assert.Equal(t, 1, e.Fake.Calls(login), "final: never tried again")
				assert.Zero(t, e.Fake.Calls(api))
			},
		},
		icRow{
			Name:      "wrong API key (one request per call, final)",
			NewClient: wrong(true),
			Assert: func(t *testing.T, e *icEnv, err error) {
				require.ErrorIs(t, err, providers.ErrInvalidCredentials)
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				assert.Equal(t, 1, e.Fake.Calls(api), "a static key is not replayed")
			},
		},
		icRow{
			Name:    "401 on every call (one replay, then ErrUnauthorized)",
			Arrange: func(e *icEnv) { e.Fake.FailNext(api, 100, http.StatusUnauthorized, []byte{}) },
			Assert: func(t *testing.T, e *icEnv, err error) {
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				assert.NotErrorIs(t, err, providers.ErrInvalidCredentials, "the token, not the password, was refused")
				faulttest.AssertProviderError(t, err, "list entities", http.StatusUnauthorized)
				assert.Equal(t, 2, e.Fake.Calls(api), "the request and one replay")
				assert.Equal(t, 2, e.Fake.Logins(), "one login for the replay")
			},
		},
	)
	faulttest.Run(t, faulttest.Suite[*icomplytest.Server, icomplytest.Option, *icomply.Client]{
		Start: func(t *testing.T, clk *clock.Fake, opts ...icomplytest.Option) (*icomplytest.Server, string, func()) {
			srv := icomplytest.NewServer(append([]icomplytest.Option{icomplytest.WithClock(clk)}, opts...)...)
			return srv, srv.URL, srv.Close
		},
		New: func(srv *icomplytest.Server, base string, opts ...providers.Option) (*icomply.Client, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			return icomply.New(cfg, opts...)
		},
		Call: func(ctx context.Context, c *icomply.Client) error {
			_, err := c.ListEntities(ctx, icomply.ListEntitiesParams{})
			return err
		},
		Secrets:           func(*icomplytest.Server) []string { return []string{icomplytest.Password, icomplytest.APIKey} },
		CredentialHeaders: []string{icomply.DefaultAPIKeyHeader},
	}, rows)
}
