package kyconnect_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

func TestErrorAnswersMapToSentinels(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		times   int
		want    error
		message string
		fields  []string
	}{
		{"400 list", 400, `{"statusCode":400,"message":["email must be an email","property foo should not exist"],"error":"Bad Request"}`,
			1, providers.ErrValidation, "email must be an email; property foo should not exist", []string{"email", "foo"}},
		{"400 string", 400, `{"statusCode":400,"message":"address.city should not be empty","error":"Bad Request"}`,
			1, providers.ErrValidation, "address.city should not be empty", []string{"address.city"}},
		{"403", 403, `{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}`, 1, kyconnect.ErrForbidden, "Forbidden resource", nil},
		{"403 without body", 403, ``, 1, kyconnect.ErrForbidden, "", nil},
		{"404", 404, `{"statusCode":404,"message":"Case jane@example.com not found","error":"Not Found"}`, 1, providers.ErrNotFound, "Case jane@example.com not found", nil},
		{"409", 409, `{"statusCode":409,"message":"Duplicate case","error":"Conflict"}`, 1, kyconnect.ErrConflict, "Duplicate case", nil},
		{"422", 422, `{"statusCode":422,"message":["risk score must be reviewed first"],"error":"Unprocessable Entity"}`, 1, kyconnect.ErrBusinessRule, "risk score must be reviewed first", nil},
		// Rule: a business rule's message names no field, even when it
		// reads like class-validator's ("Applicant must …").
		{"422 string", 422, `{"statusCode":422,"message":"Applicant must be at least 18 years old","error":"Unprocessable Entity"}`, 1, kyconnect.ErrBusinessRule, "Applicant must be at least 18 years old", nil},
		{"500 after retries", 500, `{"statusCode":500,"message":"Internal server error"}`, 4, kyconnect.ErrServer, "Internal server error", nil},
		{"not JSON", 502, `<html>bad gateway</html>`, 4, kyconnect.ErrServer, "", nil},
		{"401 twice", 401, `{"statusCode":401,"message":"Token has been revoked"}`, 2, providers.ErrUnauthorized, "Token has been revoked", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			_, err := e.me(t) // log in first
			require.NoError(t, err)
			e.srv.FailNext(kyconnect.MePath, tc.times, tc.status, []byte(tc.body))
			_, err = e.me(t)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.NotErrorIs(t, err, providers.ErrInvalidCredentials, "only logins refuse credentials")
			var pe *providers.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.status, pe.StatusCode)
			assert.Equal(t, "me", pe.Operation)
			assert.Equal(t, tc.message, pe.Message)
			assert.Equal(t, tc.fields, pe.Fields)
			if tc.message != "" {
				assert.NotContains(t, err.Error(), tc.message, "bodies stay out of Error()")
			}
			leakcheck.NoSecrets(t, []string{string(e.srv.Password()), "jane@example.com"}, err)
		})
	}
}

func TestRateLimitedBeyondMaxRetryWait(t *testing.T) {
	e := newEnv(t, nil, nil, providers.WithRetryPolicy(providers.RetryPolicy{MaxRetryWait: time.Minute}))
	_, err := e.me(t)
	require.NoError(t, err)
	e.srv.RateLimitNext(kyconnect.MePath, 1, "600")
	_, err = e.me(t)
	assertRateLimited(t, err, 10*time.Minute)
}

func TestInvalidCredentialsAreFinal(t *testing.T) {
	e := newEnv(t, nil, func(c *kyconnect.Config) { c.Password = "wrong-password" })
	_, err := e.me(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, providers.ErrInvalidCredentials)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "login", pe.Operation)
	assert.Equal(t, http.StatusUnauthorized, pe.StatusCode)

	e.clk.Advance(time.Hour)
	_, err = e.me(t)
	assert.ErrorIs(t, err, providers.ErrInvalidCredentials)
	assert.Equal(t, 1, e.srv.LoginAttempts(), "never tried again")
}

func TestLoginValidationErrorIsFinal(t *testing.T) {
	// "admin@localhost" passes the client's check but not class-validator's.
	e := newEnv(t, nil, func(c *kyconnect.Config) { c.Email = "admin@localhost" })
	_, err := e.me(t)
	assert.ErrorIs(t, err, providers.ErrValidation)
	assert.ErrorIs(t, err, providers.ErrInvalidCredentials)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"email"}, pe.Fields)
	assert.Equal(t, "unikyc: kyconnect login: 400 Bad Request fields: email", err.Error())
}

func TestNoSecretLeaks(t *testing.T) {
	logs := &leakcheck.Log{}
	e := newEnv(t, []kyconnecttest.Option{kyconnecttest.WithMFA(totpSecret)}, nil, providers.WithLogger(logs.Logger()))
	_, err := e.me(t)
	require.NoError(t, err)
	tok, err := e.c.TokenSource().Token(context.Background())
	require.NoError(t, err)
	e.srv.ExpireAccessTokens()
	_, err = e.me(t)
	require.NoError(t, err)

	var errs []any
	collect := func(err error) {
		require.Error(t, err)
		errs = append(errs, err)
	}
	for _, status := range []int{400, 403, 404, 409, 422, 500} {
		e.srv.FailNext(kyconnect.MePath, 4, status, nil)
		_, err := e.me(t)
		collect(err)
		e.srv.ClearFaults()
	}
	bad := e.srv.Config()
	bad.Password = "not-the-password-1234"
	bc, err := kyconnect.New(bad, providers.WithClock(e.clk), providers.WithLogger(logs.Logger()))
	require.NoError(t, err)
	defer bc.Close()
	_, err = bc.Me(context.Background())
	collect(err)
	mfaBad := e.srv.Config()
	mfaBad.MFACode = func(context.Context) (string, error) { return "", errors.New("no code") }
	mc, err := kyconnect.New(mfaBad, providers.WithClock(e.clk))
	require.NoError(t, err)
	defer mc.Close()
	_, err = mc.Me(context.Background())
	collect(err)
	_, err = kyconnect.TOTP("!!"+totpSecret, e.clk)(context.Background())
	collect(err)
	key := e.srv.APIKeyConfig()
	key.APIKey += "x"
	kc, err := kyconnect.New(key, providers.WithClock(e.clk))
	require.NoError(t, err)
	defer kc.Close()
	_, err = kc.Me(context.Background())
	collect(err)

	secrets := []string{string(e.srv.Password()), string(bad.Password), string(totpSecret), string(e.srv.APIKey()),
		string(key.APIKey), tok.AccessToken, tok.RefreshToken}
	values := append([]any{e.srv.Config(), bad, e.srv.APIKeyConfig(), e.c, bc, kc, *tok, tok, e.srv}, errs...)
	leakcheck.NoSecrets(t, secrets, values...)
	for _, s := range secrets {
		assert.NotContains(t, logs.String(), s)
	}
	assert.Contains(t, logs.String(), "logged in", "the debug log was captured")
}
