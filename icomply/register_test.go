package icomply_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

func TestCheckAuthLogsInAndChecksTheToken(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	require.NoError(t, e.c.CheckAuth(context.Background()))
	assert.Equal(t, 1, e.srv.Logins())
	assert.Equal(t, 1, e.srv.Calls(icomply.TokenValidPath))
	assert.Equal(t, 2, e.srv.Requests(), "a login and one check, nothing else")
}

// A token iComply no longer accepts is replaced once, so CheckAuth judges
// the credentials: tokenvalid 401, gettoken, tokenvalid 200.
func TestCheckAuthReplacesARejectedTokenOnce(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	require.NoError(t, e.c.CheckAuth(context.Background()))
	e.srv.ExpireTokens()
	e.srv.ResetCounts()
	require.NoError(t, e.c.CheckAuth(context.Background()))
	assert.Equal(t, 2, e.srv.Calls(icomply.TokenValidPath))
	assert.Equal(t, 1, e.srv.Logins())
	assert.Equal(t, 3, e.srv.Requests())

	e.srv.FailNext(icomply.TokenValidPath, 2, http.StatusUnauthorized, nil)
	err := e.c.CheckAuth(context.Background())
	assert.ErrorIs(t, err, providers.ErrUnauthorized, "a new token refused too")
}

func TestCheckAuthWithAPIKeyListsOneEntity(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	require.NoError(t, e.c.CheckAuth(context.Background()))
	assert.Equal(t, 0, e.srv.Logins())
	assert.Equal(t, 1, e.srv.Calls(icomply.EntitiesPath))
	assert.Equal(t, 1, e.srv.Requests())
}

func TestCheckAuthRefusals(t *testing.T) {
	e := newEnv(t, tokenMode, func(c *icomply.Config) { c.Password += "-wrong" })
	err := e.c.CheckAuth(context.Background())
	require.ErrorIs(t, err, providers.ErrInvalidCredentials)
	leakcheck.NoSecrets(t, append(e.rec.secrets(), icomplytest.Password+"-wrong"), err)

	k := newEnv(t, keyMode, func(c *icomply.Config) { c.APIKey += "-wrong" })
	err = k.c.CheckAuth(context.Background())
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	leakcheck.NoSecrets(t, append(k.rec.secrets(), icomplytest.APIKey+"-wrong"), err)
}

func TestFromEnvAPIKeyHeader(t *testing.T) {
	srv := icomplytest.NewServer(icomplytest.WithAPIKey("key-1", "X-Icomply-Key"))
	defer srv.Close()
	env := map[string]string{
		"UNIKYC_ICOMPLY_BASE_URL":       srv.Config().BaseURL,
		"UNIKYC_ICOMPLY_API_KEY":        "key-1",
		"UNIKYC_ICOMPLY_API_KEY_HEADER": "X-Icomply-Key",
	}
	c, err := providers.FromEnvFunc(icomply.Name, func(k string) string { return env[k] })
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.CheckAuth(context.Background()))
	assert.Equal(t, 1, srv.Calls(icomply.EntitiesPath))
}
