package genericjwt_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
)

// Every variable reaches the client: moved routes and a lifetime for
// tokens without "exp".
func TestFromEnvReadsEveryVariable(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk), genericjwttest.WithTokenLifetime(0),
		genericjwttest.WithLoginPath("/api/login"), genericjwttest.WithMePath("/api/me"))
	defer srv.Close()
	cfg := srv.Config()
	env := map[string]string{
		"UNIKYC_GENERICJWT_BASE_URL":       cfg.BaseURL,
		"UNIKYC_GENERICJWT_USERNAME":       cfg.Username,
		"UNIKYC_GENERICJWT_PASSWORD":       string(cfg.Password),
		"UNIKYC_GENERICJWT_LOGIN_PATH":     "/api/login",
		"UNIKYC_GENERICJWT_ME_PATH":        "/api/me",
		"UNIKYC_GENERICJWT_TOKEN_LIFETIME": "30m",
	}
	pc, err := providers.FromEnvFunc(genericjwt.Name, func(k string) string { return env[k] }, providers.WithClock(clk), fastRetries)
	require.NoError(t, err)
	defer pc.Close()
	c := pc.(*genericjwt.Client)

	require.NoError(t, c.CheckAuth(context.Background()))
	assert.Equal(t, 1, srv.Calls("/api/login"))
	assert.Equal(t, 1, srv.Calls("/api/me"))
	tok, err := c.TokenSource().Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, t0.Add(30*time.Minute), tok.Expiry, "TOKEN_LIFETIME applies to a JWT without exp")
}

func TestCheckAuthWithWrongPasswordIsFinal(t *testing.T) {
	_, srv, _ := setup(t, nil)
	cfg := srv.Config()
	cfg.Password += "-wrong"
	c, err := providers.Open(genericjwt.Name, cfg, fastRetries)
	require.NoError(t, err)
	defer c.Close()
	for range 2 {
		require.ErrorIs(t, c.CheckAuth(context.Background()), providers.ErrInvalidCredentials)
	}
	assert.Equal(t, 1, srv.LoginAttempts(), "a refused password is not tried again")
}
