//go:build integration

package integration

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/providers"
)

// boLifetime is the JWT lifetime the back office signs ("exp").
const boLifetime = 3 * time.Second

const (
	boLogin = "/auth/jwt/login"
	boMe    = "/users/me"
)

func backofficeServer(t *testing.T) *server {
	t.Helper()
	s := startOnce(t, "back office (FastAPI)", here(t, "backoffice"),
		[]string{"BO_TOKEN_SECONDS=" + secs(boLifetime)}, python(), "server.py")
	s.reset(t)
	return s
}

func newBackoffice(t *testing.T, s *server, user, password string) *genericjwt.Client {
	t.Helper()
	c, err := genericjwt.New(genericjwt.Config{BaseURL: s.base, Username: user, Password: auth.Secret(password)}, scaled(0)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestBackofficeLoginFormAndMe(t *testing.T) {
	t.Log("Rule: log in with the urlencoded password form, then send the token as Bearer")
	s := backofficeServer(t)
	c := newBackoffice(t, s, "ada@example.com", "lovelace-1")
	u, err := c.Me(ctxFor(t, 10*time.Second))
	got := s.counts(t)
	require.NoError(t, err, "server: %v", got)
	assert.Equal(t, "ada@example.com", u.Email)
	assert.NotEmpty(t, u.ID)
	assert.True(t, u.IsVerified)
	assert.Equal(t, 1, got.n("POST", boLogin, 200), "server: %v", got)
	assert.Equal(t, 1, got.n("GET", boMe, 200), "server: %v", got)
	assert.Zero(t, got.status(422), "the form was accepted: %v", got)
}

func TestBackofficeConcurrentCallsShareOneLogin(t *testing.T) {
	t.Log("Rule: one login serves every concurrent caller")
	s := backofficeServer(t)
	c := newBackoffice(t, s, "ada@example.com", "lovelace-1")
	ctx := ctxFor(t, 20*time.Second)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := c.Me(ctx); assert.NoError(t, err) }()
	}
	wg.Wait()
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", boLogin, 0), "server: %v", got)
	assert.Equal(t, 20, got.n("GET", boMe, 200), "server: %v", got)
}

func TestBackofficeExpiredTokenLogsInAgain(t *testing.T) {
	t.Log("Rule: no refresh token: when the JWT's exp nears, log in again before a call is refused")
	s := backofficeServer(t)
	c := newBackoffice(t, s, "ada@example.com", "lovelace-1")
	ctx := ctxFor(t, 30*time.Second)
	calls := 0
	for end := time.Now().Add(2*boLifetime + time.Second); time.Now().Before(end); calls++ {
		_, err := c.Me(ctx)
		require.NoError(t, err, "call %d", calls)
		time.Sleep(300 * time.Millisecond)
	}
	got := s.counts(t)
	assert.GreaterOrEqual(t, got.n("POST", boLogin, 200), 3, "a login per lifetime: %v", got)
	// The cache renews at half the lifetime at the latest: about one
	// login per 1.5 s here, far from one per call.
	assert.Less(t, got.n("POST", boLogin, 200), calls/2, "not a login per call: %v", got)
	assert.Zero(t, got.n("GET", boMe, 401), "a call sent with an expired token: %v", got)
	assert.Equal(t, calls, got.n("GET", boMe, 200), "server: %v", got)
}

func TestBackofficeRevokedTokenLogsInOnce(t *testing.T) {
	t.Log("Rule: a 401 {\"detail\":\"Unauthorized\"} drops that token, logs in once and replays the call")
	s := backofficeServer(t)
	c := newBackoffice(t, s, "ada@example.com", "lovelace-1")
	ctx := ctxFor(t, 20*time.Second)
	_, err := c.Me(ctx)
	require.NoError(t, err)
	s.hook(t, http.MethodPost, "/_test/revoke", nil)
	_, err = c.Me(ctx)
	got := s.counts(t)
	assert.NoError(t, err, "server: %v", got)
	assert.Equal(t, 1, got.n("GET", boMe, 401), "server: %v", got)
	assert.Equal(t, 2, got.n("POST", boLogin, 200), "server: %v", got)
	assert.Equal(t, 2, got.n("GET", boMe, 200), "server: %v", got)
}

func TestBackofficeBadCredentialsAreFinal(t *testing.T) {
	t.Log("Rule: 400 LOGIN_BAD_CREDENTIALS (wrong password or inactive user) is final: never logged in again")
	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", "ada@example.com", "not-her-password"},
		{"inactive user", "zed@example.com", "inactive-3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := backofficeServer(t)
			c := newBackoffice(t, s, tc.user, tc.password)
			ctx := ctxFor(t, 10*time.Second)
			for i := range 3 {
				_, err := c.Me(ctx)
				require.Error(t, err)
				assert.ErrorIs(t, err, providers.ErrInvalidCredentials, "call %d", i)
				var pe *providers.Error
				if i == 0 && assert.ErrorAs(t, err, &pe) {
					assert.Equal(t, http.StatusBadRequest, pe.StatusCode)
					assert.Equal(t, genericjwt.CodeBadCredentials, pe.Code)
				}
				assert.NotContains(t, err.Error(), tc.password)
			}
			got := s.counts(t)
			assert.Equal(t, 1, got.n("POST", boLogin, 400), "server: %v", got)
			assert.Equal(t, 1, got.total(), "server: %v", got)
		})
	}
}

func TestBackofficeUserNotVerified(t *testing.T) {
	t.Log("Rule: 400 LOGIN_USER_NOT_VERIFIED is its own error, and final")
	s := backofficeServer(t)
	c := newBackoffice(t, s, "eve@example.com", "unverified-2")
	ctx := ctxFor(t, 10*time.Second)
	for range 2 {
		_, err := c.Me(ctx)
		assert.ErrorIs(t, err, genericjwt.ErrUserNotVerified)
	}
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", boLogin, 400), "server: %v", got)
	assert.Equal(t, 1, got.total(), "server: %v", got)
}

func TestBackofficeJSONLoginIsARealPydantic422(t *testing.T) {
	t.Log("Rule: the login is a form; JSON gets FastAPI's 422 whose detail list names the fields")
	s := backofficeServer(t)
	c := newBackoffice(t, s, "ada@example.com", "lovelace-1")
	ctx := ctxFor(t, 10*time.Second)
	req, err := c.NewRequest(ctx, http.MethodPost, boLogin,
		map[string]string{"username": "ada@example.com", "password": "lovelace-1"})
	require.NoError(t, err)
	err = c.Do(req, "login as JSON", &struct{}{})
	require.Error(t, err)
	assert.ErrorIs(t, err, providers.ErrValidation)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, http.StatusUnprocessableEntity, pe.StatusCode)
	assert.ElementsMatch(t, []string{"body.username", "body.password"}, pe.Fields)
	assert.NotContains(t, err.Error(), "lovelace-1")
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", boLogin, 422), "server: %v", got)
}
