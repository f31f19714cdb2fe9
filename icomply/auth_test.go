package icomply_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
)

var ctx = context.Background()

func TestLoginSharesOneToken(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	for range 5 {
		_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
		require.NoError(t, err)
	}
	// The fake takes only multipart/form-data: a login at all proves it.
	assert.Equal(t, 1, e.srv.Logins())
	assert.Equal(t, 1, e.srv.Calls(icomply.TokenPath))
	assert.Zero(t, e.srv.Rejected())
	tok, err := e.c.TokenSource().Token(ctx)
	require.NoError(t, err)
	assert.True(t, start.Add(20*time.Minute).Equal(tok.Expiry), "expiry from the JWT's exp: %s", tok.Expiry)
}

func TestWrongPasswordIsFinal(t *testing.T) {
	e := newEnv(t, tokenMode, func(c *icomply.Config) { c.Password = "wrong" })
	for range 3 {
		_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
		require.ErrorIs(t, err, providers.ErrInvalidCredentials)
		var pe *providers.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, http.StatusUnauthorized, pe.StatusCode)
		assert.Equal(t, "login", pe.Operation)
	}
	assert.Equal(t, 1, e.srv.Calls(icomply.TokenPath), "refused credentials are never tried again")
	assert.Zero(t, e.srv.Calls(icomply.EntitiesPath))
}

func TestExpiredTokenIsReplacedOnce(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.NoError(t, err)
	e.srv.ExpireTokens() // the provider drops it early: the cache cannot know
	_, err = e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.NoError(t, err)
	assert.Equal(t, 2, e.srv.Logins())
	assert.Equal(t, 1, e.srv.RejectedExpired())
	assert.EqualValues(t, 1, e.c.Stats().Invalidations)
	assert.Equal(t, 3, e.srv.Calls(icomply.EntitiesPath), "one replay")
}

func TestRevokedTokenTwiceIsUnauthorized(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	e.srv.FailNext(icomply.EntitiesPath, 2, http.StatusUnauthorized, []byte{})
	_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	assert.NotErrorIs(t, err, providers.ErrInvalidCredentials, "a refused token is not refused credentials")
	assert.Equal(t, 2, e.srv.Logins(), "a fresh token for the replay, then give up")
}

func TestLoginRetriedAfter503(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	e.srv.FailNext(icomply.TokenPath, 2, http.StatusServiceUnavailable, nil)
	_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.NoError(t, err)
	assert.Equal(t, 3, e.srv.Calls(icomply.TokenPath), "the multipart body is replayed")
	assert.Equal(t, 1, e.srv.Logins())
}

func TestAPIKeyMode(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	got, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.NoError(t, err)
	assert.Len(t, got, 5)
	assert.Zero(t, e.srv.Calls(icomply.TokenPath))
	assert.Contains(t, e.rec.secrets(), icomplytest.APIKey, "sent in X-API-Key")

	ok, err := e.c.CheckToken(ctx)
	assert.ErrorIs(t, err, icomply.ErrNoToken)
	assert.False(t, ok)
	assert.Zero(t, e.srv.Calls(icomply.TokenValidPath))
}

func TestAPIKeyCustomHeader(t *testing.T) {
	srv := icomplytest.NewServer(icomplytest.WithAPIKey("k-123", "Api-Key"))
	defer srv.Close()
	cfg := srv.APIKeyConfig()
	assert.Equal(t, "Api-Key", cfg.APIKeyHeader)
	c, err := icomply.New(cfg)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.GetNaturalPerson(ctx, icomplytest.PersonApproved)
	require.NoError(t, err)

	cfg.APIKeyHeader = "" // the default header: the fake wants Api-Key
	d, err := icomply.New(cfg)
	require.NoError(t, err)
	defer d.Close()
	_, err = d.GetNaturalPerson(ctx, icomplytest.PersonApproved)
	assert.ErrorIs(t, err, providers.ErrUnauthorized)
}

func TestCheckToken(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	ok, err := e.c.CheckToken(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1, e.srv.Logins(), "logs in first when it holds no token")

	// The provider refuses the token: not valid, and no error.
	e.srv.FailNext(icomply.TokenValidPath, 1, http.StatusUnauthorized, nil)
	ok, err = e.c.CheckToken(ctx)
	require.NoError(t, err)
	assert.False(t, ok)

	// A login failure is an error, not a "no".
	w := newEnv(t, tokenMode, func(c *icomply.Config) { c.Password = "wrong" })
	ok, err = w.c.CheckToken(ctx)
	assert.ErrorIs(t, err, providers.ErrInvalidCredentials)
	assert.False(t, ok)
}

// Rule: CheckToken says whether the token it was asked about is valid, in
// one request. After a server-side expiry the wire is one tokenvalid 401:
// no login, no replay with a new token.
func TestCheckTokenReportsTheRejectedToken(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	ok, err := e.c.CheckToken(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	held, err := e.c.TokenSource().Token(ctx)
	require.NoError(t, err)

	e.srv.ExpireTokens()
	e.srv.ResetCounts()
	ok, err = e.c.CheckToken(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "the token asked about has expired")
	assert.Equal(t, 1, e.srv.Requests(), "one request")
	assert.Equal(t, 1, e.srv.RejectedExpired())
	assert.Zero(t, e.srv.Logins(), "no new login behind the caller's back")
	now, err := e.c.TokenSource().Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, held.AccessToken, now.AccessToken, "the token is not dropped by the check")
}
