package kyconnect_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

// UNIKYC_KYCONNECT_TOTP_SECRET becomes an MFACode callback on the client's
// clock: the fake, on the same fake clock, accepts its codes.
func TestFromEnvTOTPLogsInWithMFA(t *testing.T) {
	clk := clock.NewFake(start)
	srv := kyconnecttest.NewServer(kyconnecttest.WithClock(clk), kyconnecttest.WithMFA(""))
	defer srv.Close()
	env := map[string]string{
		"UNIKYC_KYCONNECT_BASE_URL":    srv.BaseURL(),
		"UNIKYC_KYCONNECT_EMAIL":       srv.Email(),
		"UNIKYC_KYCONNECT_PASSWORD":    string(srv.Password()),
		"UNIKYC_KYCONNECT_TOTP_SECRET": string(srv.TOTPSecret()),
	}
	c, err := providers.FromEnvFunc(kyconnect.Name, func(k string) string { return env[k] }, providers.WithClock(clk), fastRetry)
	require.NoError(t, err)
	defer c.Close()
	drive(clk, func() { err = c.CheckAuth(context.Background()) })
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Logins())
	assert.Equal(t, 1, srv.MFAChecks())
	assert.Equal(t, 1, srv.Calls(kyconnect.MePath))
	leakcheck.NoSecrets(t, []string{string(srv.Password()), string(srv.TOTPSecret())}, c)
}

func TestCheckAuthWithAPIKey(t *testing.T) {
	clk := clock.NewFake(start)
	srv := kyconnecttest.NewServer(kyconnecttest.WithClock(clk), kyconnecttest.WithAPIKeyHeader("X-Kyc-Key"))
	defer srv.Close()
	env := map[string]string{
		"UNIKYC_KYCONNECT_BASE_URL":       srv.BaseURL(),
		"UNIKYC_KYCONNECT_API_KEY":        string(srv.APIKey()),
		"UNIKYC_KYCONNECT_API_KEY_HEADER": "X-Kyc-Key",
	}
	c, err := providers.FromEnvFunc(kyconnect.Name, func(k string) string { return env[k] }, providers.WithClock(clk))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.CheckAuth(context.Background()))
	assert.Equal(t, 0, srv.Logins())

	env["UNIKYC_KYCONNECT_API_KEY"] = "wrong-key"
	bad, err := providers.FromEnvFunc(kyconnect.Name, func(k string) string { return env[k] }, providers.WithClock(clk))
	require.NoError(t, err)
	defer bad.Close()
	err = bad.CheckAuth(context.Background())
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	leakcheck.NoSecrets(t, []string{"wrong-key", string(srv.APIKey())}, err)
}

func TestCheckAuthWithWrongPasswordIsFinal(t *testing.T) {
	e := newEnv(t, nil, func(c *kyconnect.Config) { c.Password += "-wrong" })
	var err error
	drive(e.clk, func() { err = e.c.CheckAuth(context.Background()) })
	require.ErrorIs(t, err, providers.ErrInvalidCredentials)
	drive(e.clk, func() { err = e.c.CheckAuth(context.Background()) })
	require.ErrorIs(t, err, providers.ErrInvalidCredentials)
	assert.Equal(t, 1, e.srv.LoginAttempts(), "the login budget is not spent on a refused password")
}
