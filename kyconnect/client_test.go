package kyconnect_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

// Rule: every credential field is checked in New, and a bad one sends nothing.
func TestNewRejectsBadConfig(t *testing.T) {
	srv := kyconnecttest.NewServer()
	defer srv.Close()
	good := srv.Config()
	cases := []struct {
		name  string
		edit  func(*kyconnect.Config)
		field string
	}{
		{"no base URL", func(c *kyconnect.Config) { c.BaseURL = " " }, "BaseURL"},
		{"relative base URL", func(c *kyconnect.Config) { c.BaseURL = "/api/v1" }, "BaseURL"},
		{"base URL with query", func(c *kyconnect.Config) { c.BaseURL += "?x=1" }, "BaseURL"},
		{"no credentials", func(c *kyconnect.Config) { c.Email, c.Password = "", "" }, "Email"},
		{"not an email", func(c *kyconnect.Config) { c.Email = "admin" }, "Email"},
		{"no password", func(c *kyconnect.Config) { c.Password = "" }, "Password"},
		{"key and login", func(c *kyconnect.Config) { c.APIKey = "k" }, "APIKey"},
		{"MFA with key", func(c *kyconnect.Config) {
			*c = srv.APIKeyConfig()
			c.MFACode = kyconnect.TOTP("JBSWY3DPEHPK3PXP", nil)
		}, "MFACode"},
		{"bad header", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKeyHeader = "X Key" }, "APIKeyHeader"},
		{"key in Host", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKeyHeader = "Host" }, "APIKeyHeader"},
		{"key in Content-Length", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKeyHeader = "content-length" }, "APIKeyHeader"},
		{"key in Transfer-Encoding", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKeyHeader = "Transfer-Encoding" }, "APIKeyHeader"},
		{"key in Trailer", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKeyHeader = "Trailer" }, "APIKeyHeader"},
		{"key in User-Agent", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKeyHeader = "User-Agent" }, "APIKeyHeader"},
		{"key with CR LF", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKey += "\r\n" }, "APIKey"},
		{"key with NUL", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.APIKey += "\x00" }, "APIKey"},
		{"empty TOTP secret", func(c *kyconnect.Config) { c.MFACode, c.TOTPSecret = nil, " " }, "TOTPSecret"},
		{"TOTP secret not base32", func(c *kyconnect.Config) { c.MFACode, c.TOTPSecret = nil, "not base32!" }, "TOTPSecret"},
		{"TOTP secret and MFACode", func(c *kyconnect.Config) {
			c.MFACode, c.TOTPSecret = kyconnect.TOTP("JBSWY3DPEHPK3PXP", nil), "JBSWY3DPEHPK3PXP"
		}, "TOTPSecret"},
		{"TOTP secret with key", func(c *kyconnect.Config) { *c = srv.APIKeyConfig(); c.TOTPSecret = "JBSWY3DPEHPK3PXP" }, "TOTPSecret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			c, err := kyconnect.New(cfg)
			require.Error(t, err)
			assert.Nil(t, c)
			var ve *providers.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.ErrorIs(t, err, providers.ErrValidation)
		})
	}
	t.Run("plain http to a remote host", func(t *testing.T) {
		cfg := good
		cfg.BaseURL = "http://kyc.example.com/api/v1"
		_, err := kyconnect.New(cfg)
		assert.ErrorIs(t, err, auth.ErrInsecureHTTP)
	})
	assert.Zero(t, srv.Requests(), "nothing is sent for a bad config")
}

func TestLoginThenMe(t *testing.T) {
	for name, fields := range map[string]kyconnecttest.TokenFields{
		"snake_case": kyconnecttest.SnakeCase, "camelCase": kyconnecttest.CamelCase, "token": kyconnecttest.TokenField,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, []kyconnecttest.Option{kyconnecttest.WithTokenFields(fields)}, nil)
			u, err := e.me(t)
			require.NoError(t, err)
			assert.Equal(t, e.srv.User(), *u)

			tok, err := e.c.TokenSource().Token(context.Background())
			require.NoError(t, err)
			assert.WithinDuration(t, start.Add(kyconnect.AccessTokenLifetime), tok.Expiry, 0, "15-minute access token")
			assert.NotEmpty(t, tok.RefreshToken)
			assert.WithinDuration(t, start.Add(kyconnecttest.DefaultRefreshLifetime), tok.RefreshExpiry, 0, "read from the refresh JWT")

			_, err = e.me(t)
			require.NoError(t, err)
			assert.Equal(t, 1, e.srv.Logins())
			assert.Equal(t, 3, e.srv.Requests(), "one login, two calls")
			assert.Zero(t, e.srv.Rejected())
		})
	}
}

func TestExpiredAccessTokenIsRefreshedNotLoggedIn(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, err := e.me(t)
	require.NoError(t, err)
	e.srv.ExpireAccessTokens()
	_, err = e.me(t)
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.Logins())
	assert.Equal(t, 1, e.srv.Refreshes())
	assert.Equal(t, int64(1), e.c.Stats().Invalidations)
}

func TestRefusedRefreshLogsInAgain(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, err := e.me(t)
	require.NoError(t, err)
	e.srv.RevokeTokens() // access and refresh: the refresh is refused with 401
	_, err = e.me(t)
	require.NoError(t, err)
	assert.Equal(t, 2, e.srv.Logins())
	assert.Zero(t, e.srv.Refreshes())
	assert.Equal(t, 1, e.srv.Calls(kyconnect.RefreshPath))
}

func TestAPIKeyMode(t *testing.T) {
	clk := newEnv(t, nil, nil).clk
	for _, header := range []string{"", "X-Kyc-Key"} {
		t.Run("header "+header, func(t *testing.T) {
			var opts []kyconnecttest.Option
			if header != "" {
				opts = append(opts, kyconnecttest.WithAPIKeyHeader(header))
			}
			srv := kyconnecttest.NewServer(append(opts, kyconnecttest.WithClock(clk))...)
			defer srv.Close()
			c, err := kyconnect.New(srv.APIKeyConfig(), providers.WithClock(clk))
			require.NoError(t, err)
			defer c.Close()
			assert.Nil(t, c.TokenSource(), "no login with an API key")
			u, err := c.Me(context.Background())
			require.NoError(t, err)
			assert.Equal(t, srv.Email(), u.Email)
			assert.Zero(t, srv.Logins())

			bad := srv.APIKeyConfig()
			bad.APIKey = "kyc_wrong"
			c2, err := kyconnect.New(bad, providers.WithClock(clk))
			require.NoError(t, err)
			defer c2.Close()
			_, err = c2.Me(context.Background())
			assert.ErrorIs(t, err, providers.ErrUnauthorized)
			assert.False(t, errors.Is(err, providers.ErrInvalidCredentials))
		})
	}
}

// Rule: NestJS apps answer numeric ids ("id": 1); Me and CheckAuth work on
// such an account, in login and in API-key mode.
func TestNumericIDsDecodeInBothModes(t *testing.T) {
	for _, apiKey := range []bool{false, true} {
		t.Run(fmt.Sprint("apiKey=", apiKey), func(t *testing.T) {
			e := newEnv(t, nil, nil)
			if apiKey {
				c, err := kyconnect.New(e.srv.APIKeyConfig(), providers.WithClock(e.clk))
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				e.c = c
			}
			u, err := e.me(t)
			require.NoError(t, err)
			assert.Equal(t, providers.ID("1"), u.ID)
			assert.Equal(t, providers.ID("1"), u.FirmID)
			var checkErr error
			drive(e.clk, func() { checkErr = e.c.CheckAuth(context.Background()) })
			assert.NoError(t, checkErr)
		})
	}
}
