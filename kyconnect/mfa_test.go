package kyconnect_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

const totpSecret = auth.Secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")

var withMFA = []kyconnecttest.Option{kyconnecttest.WithMFA(totpSecret)}

// counting wraps an MFACode callback and counts its calls.
func counting(n *atomic.Int32, f func(context.Context) (string, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		n.Add(1)
		return f(ctx)
	}
}

// wrongCode is a valid-looking code that is not the current one.
func wrongCode(clk clock.Clock) string {
	code, _ := totp.GenerateCode(string(totpSecret), clk.Now())
	var n int
	_, _ = fmt.Sscan(code, &n)
	return fmt.Sprintf("%06d", (n+1)%1000000)
}

func TestMFACodeAskedAtEachLogin(t *testing.T) {
	var calls atomic.Int32
	e := newEnv(t, withMFA, func(c *kyconnect.Config) { c.MFACode = counting(&calls, c.MFACode) })
	_, err := e.me(t)
	require.NoError(t, err)
	assert.Equal(t, int32(1), calls.Load(), "one code for the first login")

	// Refreshes need no code.
	e.srv.ExpireAccessTokens()
	_, err = e.me(t)
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.Refreshes())
	assert.Equal(t, int32(1), calls.Load())

	// Two more logins: the login budget (10 an hour, as a window) has room,
	// so each leaves at once with the one code it asked for.
	for range 2 {
		e.srv.RevokeTokens()
		_, err = e.me(t)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, e.srv.Logins())
	assert.Equal(t, int32(1+2), calls.Load())
	assert.Equal(t, 3, e.srv.MFAChecks(), "every login's code was checked")
	assert.Equal(t, e.srv.Logins(), e.srv.LoginAttempts(), "no code was refused")
}

func TestWrongMFACodeIsNotFinal(t *testing.T) {
	var wrong atomic.Bool
	wrong.Store(true)
	var e *env
	e = newEnv(t, withMFA, func(c *kyconnect.Config) {
		right := c.MFACode
		c.MFACode = func(ctx context.Context) (string, error) {
			if wrong.Load() {
				return wrongCode(e.clk), nil
			}
			return right(ctx)
		}
	})
	_, err := e.me(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, kyconnect.ErrInvalidMFACode)
	assert.NotErrorIs(t, err, providers.ErrInvalidCredentials, "a wrong code is not final")
	assert.NotErrorIs(t, err, kyconnect.ErrMFARequired)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "login", pe.Operation)
	assert.Equal(t, "Invalid MFA code", pe.Message)

	wrong.Store(false)
	e.clk.Advance(time.Second) // the cache's backoff after a failed login
	_, err = e.me(t)
	require.NoError(t, err, "the next login, with a good code, works")
	assert.Equal(t, 2, e.srv.LoginAttempts())
	assert.Equal(t, 1, e.srv.Logins())
	times := e.srv.LoginAttemptTimes()
	assert.Equal(t, time.Second, times[1].Sub(times[0]), "the retry leaves when the cache's backoff ends")
}

func TestMissingMFACode(t *testing.T) {
	t.Run("no callback: the server asks for one", func(t *testing.T) {
		e := newEnv(t, withMFA, func(c *kyconnect.Config) { c.MFACode = nil })
		_, err := e.me(t)
		assert.ErrorIs(t, err, kyconnect.ErrMFARequired)
		assert.NotErrorIs(t, err, providers.ErrInvalidCredentials)
		assert.Equal(t, 1, e.srv.LoginAttempts())
	})
	t.Run("empty code: nothing sent", func(t *testing.T) {
		e := newEnv(t, withMFA, func(c *kyconnect.Config) {
			c.MFACode = func(context.Context) (string, error) { return " ", nil }
		})
		_, err := e.me(t)
		assert.ErrorIs(t, err, kyconnect.ErrMFARequired)
		assert.Zero(t, e.srv.Calls(kyconnect.LoginPath))
	})
	t.Run("callback error: nothing sent", func(t *testing.T) {
		boom := errors.New("authenticator locked")
		e := newEnv(t, withMFA, func(c *kyconnect.Config) {
			c.MFACode = func(context.Context) (string, error) { return "", boom }
		})
		_, err := e.me(t)
		assert.ErrorIs(t, err, boom)
		assert.Zero(t, e.srv.Calls(kyconnect.LoginPath))
	})
}

func TestMFACodeIsFreshAfterALoginWait(t *testing.T) {
	var calls atomic.Int32
	e := newEnv(t, withMFA, func(c *kyconnect.Config) { c.MFACode = counting(&calls, c.MFACode) })
	e.srv.RateLimitNext(kyconnect.LoginPath, 1, "120")
	_, err := e.me(t)
	require.NoError(t, err)
	times := e.srv.LoginAttemptTimes()
	require.Len(t, times, 1)
	assert.GreaterOrEqual(t, times[0].Sub(start), 2*time.Minute, "Retry-After waited out")
	assert.Equal(t, int32(2), calls.Load(), "a new code for the attempt sent minutes later")
	assert.Equal(t, 1, e.srv.Logins())
}

func TestTOTP(t *testing.T) {
	clk := clock.NewFake(start)
	code, err := kyconnect.TOTP(totpSecret, clk)(context.Background())
	require.NoError(t, err)
	want, _ := totp.GenerateCode(string(totpSecret), start)
	assert.Equal(t, want, code)
	assert.Len(t, code, 6)

	clk.Advance(30 * time.Second)
	next, err := kyconnect.TOTP(totpSecret, clk)(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, code, next, "a new code every 30 s")

	lower, err := kyconnect.TOTP(auth.Secret("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"), clk)(context.Background())
	require.NoError(t, err)
	assert.Equal(t, next, lower, "spaces and case as authenticator apps show them")

	for _, bad := range []auth.Secret{"", "not base32 at all!", "0189"} {
		_, err := kyconnect.TOTP(bad, clk)(context.Background())
		require.Error(t, err)
		if bad != "" {
			assert.NotContains(t, err.Error(), string(bad))
		}
	}
}

func TestTOTPAgainstTheFake(t *testing.T) {
	e := newEnv(t, []kyconnecttest.Option{kyconnecttest.WithMFA("")}, func(c *kyconnect.Config) {
		c.MFACode = nil
	})
	cfg := e.srv.Config()
	cfg.MFACode = kyconnect.TOTP(e.srv.TOTPSecret(), e.clk)
	c, err := kyconnect.New(cfg, providers.WithClock(e.clk))
	require.NoError(t, err)
	defer c.Close()
	var u *kyconnect.User
	drive(e.clk, func() { u, err = c.Me(context.Background()) })
	require.NoError(t, err)
	assert.True(t, u.MFAEnabled)
	assert.Equal(t, 1, e.srv.MFAChecks())
}
