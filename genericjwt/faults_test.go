package genericjwt_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
)

type (
	gjRow = faulttest.Row[*genericjwttest.Server, genericjwttest.Option, *genericjwt.Client]
	gjEnv = faulttest.Env[*genericjwttest.Server, genericjwttest.Option, *genericjwt.Client]
)

// TestFaults is the fault matrix: each row a fault, against the fake back
// office (behind a front that makes the faults its knobs cannot). Besides
// its own assertions every row checks that the error is typed, that no
// secret reaches the error or a log line and that no goroutine leaks.
func TestFaults(t *testing.T) {
	const login, me = genericjwt.DefaultLoginPath, genericjwt.DefaultMePath
	probe := faulttest.Probe[*genericjwttest.Server, *genericjwt.Client]{
		Login: login, API: me, Lifetime: genericjwttest.DefaultTokenLifetime,
		Logins: (*genericjwttest.Server).Logins,
		Token: func(ctx context.Context, c *genericjwt.Client) (*auth.Token, error) {
			return c.TokenSource().Token(ctx)
		},
	}
	rows := faulttest.LoginRows[*genericjwttest.Server, genericjwttest.Option](probe)
	rows = append(rows,
		gjRow{
			Name:   "token with no exp (valid until a 401)",
			Server: []genericjwttest.Option{genericjwttest.WithTokenLifetime(0)},
			Act: func(e *gjEnv) error {
				require.NoError(e.T, e.Call())
				tok, err := e.Client.TokenSource().Token(context.Background())
				require.NoError(e.T, err)
				assert.True(e.T, tok.Expiry.IsZero(), "no exp, no documented lifetime: unknown expiry")
				e.Advance(48 * time.Hour)
				return e.Call()
			},
			Assert: func(t *testing.T, e *gjEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 1, e.Fake.Logins(), "used until rejected, never refreshed on a guess")
			},
		},
		gjRow{
			Name: "revoked token (no refresh token: one new login)",
			Arrange: func(e *gjEnv) {
				require.NoError(e.T, e.Call())
				e.Fake.RevokeTokens()
			},
			Assert: func(t *testing.T, e *gjEnv, err error) {
				require.NoError(t, err)
				assert.Equal(t, 2, e.Fake.Logins())
				assert.Equal(t, 1, e.Fake.Unauthorized())
				assert.Equal(t, 3, e.Fake.Calls(me), "warm-up, the 401, the replay")
			},
		},
		gjRow{
			Name:    "429 on login without Retry-After (30 s pause, longer than a login may take)",
			Arrange: func(e *gjEnv) { e.Fake.RateLimitNext(login, 1, "") },
			Act: func(e *gjEnv) error {
				err := e.Call()
				faulttest.AssertRateLimited(e.T, err, 30*time.Second)
				assert.Equal(e.T, 1, e.Fake.Calls(login))
				e.Advance(30 * time.Second)
				return e.Call()
			},
			Assert: func(t *testing.T, e *gjEnv, err error) {
				require.NoError(t, err, "the pause is over")
				assert.Equal(t, 2, e.Fake.Calls(login))
				assert.Equal(t, 1, e.Fake.Logins())
			},
		},
		gjRow{
			Name: "wrong credentials (exactly one attempt)",
			NewClient: func(e *gjEnv, base string, opts ...providers.Option) (*genericjwt.Client, error) {
				cfg := e.Fake.Config()
				cfg.BaseURL, cfg.Password = base, "wrong-password-4711"
				e.AddSecret(string(cfg.Password))
				return genericjwt.New(cfg, opts...)
			},
			Act: func(e *gjEnv) error {
				require.ErrorIs(e.T, e.Call(), providers.ErrInvalidCredentials)
				e.Advance(time.Hour)
				return e.Call()
			},
			Assert: func(t *testing.T, e *gjEnv, err error) {
				require.ErrorIs(t, err, providers.ErrInvalidCredentials)
				assert.Equal(t, 1, e.Fake.LoginAttempts(), "final: never tried again")
				assert.Zero(t, e.Fake.Calls(me))
			},
		},
		gjRow{
			Name: "401 on every call (one replay, then ErrUnauthorized)",
			Arrange: func(e *gjEnv) {
				e.Fake.FailNext(me, 100, http.StatusUnauthorized, []byte(`{"detail":"Unauthorized"}`))
			},
			Assert: func(t *testing.T, e *gjEnv, err error) {
				require.ErrorIs(t, err, providers.ErrUnauthorized)
				faulttest.AssertProviderError(t, err, "me", http.StatusUnauthorized)
				assert.Equal(t, 2, e.Fake.Calls(me), "the request and one replay")
				assert.Equal(t, 2, e.Fake.Logins(), "one login for the replay")
			},
		},
	)
	faulttest.Run(t, faulttest.Suite[*genericjwttest.Server, genericjwttest.Option, *genericjwt.Client]{
		Start: func(t *testing.T, clk *clock.Fake, opts ...genericjwttest.Option) (*genericjwttest.Server, string, func()) {
			srv := genericjwttest.NewServer(append([]genericjwttest.Option{genericjwttest.WithClock(clk)}, opts...)...)
			return srv, srv.URL, srv.Close
		},
		New: func(srv *genericjwttest.Server, base string, opts ...providers.Option) (*genericjwt.Client, error) {
			cfg := srv.Config()
			cfg.BaseURL = base
			return genericjwt.New(cfg, opts...)
		},
		Call: func(ctx context.Context, c *genericjwt.Client) error {
			_, err := c.Me(ctx)
			return err
		},
		Secrets: func(*genericjwttest.Server) []string { return []string{genericjwttest.DefaultPassword} },
	}, rows)
}
