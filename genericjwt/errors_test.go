package genericjwt_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// checkError asserts err is a *providers.Error for op and status whose
// Error() holds neither a secret nor the answer's body.
func checkError(t *testing.T, err error, op string, status int, secrets ...string) *providers.Error {
	t.Helper()
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, op, pe.Operation)
	assert.Equal(t, status, pe.StatusCode)
	require.NotEmpty(t, pe.Body)
	msg := err.Error()
	assert.NotContains(t, msg, string(pe.Body))
	assert.NotContains(t, msg, "detail")
	if pe.Message != "" && pe.Message != http.StatusText(status) {
		assert.NotContains(t, msg, pe.Message)
	}
	leakcheck.NoSecrets(t, append(secrets, genericjwttest.DefaultPassword), err)
	return pe
}

func TestBadCredentialsAreFinal(t *testing.T) {
	_, srv, _ := setup(t, nil)
	cfg := srv.Config()
	cfg.Password = "not-the-password-42"
	c := newClient(t, cfg)

	for range 3 {
		_, err := c.Me(context.Background())
		require.ErrorIs(t, err, providers.ErrInvalidCredentials)
		assert.NotErrorIs(t, err, genericjwt.ErrUserNotVerified)
		pe := checkError(t, err, "login", http.StatusBadRequest, "not-the-password-42")
		assert.Equal(t, genericjwt.CodeBadCredentials, pe.Code)
		assert.Contains(t, err.Error(), genericjwt.CodeBadCredentials)
	}
	assert.Equal(t, 1, srv.LoginAttempts(), "refused credentials are never sent again")
	assert.Zero(t, srv.Logins())
	assert.Zero(t, srv.Calls(genericjwt.DefaultMePath))
}

func TestInactiveUserIsBadCredentials(t *testing.T) {
	_, srv, _ := setup(t, []genericjwttest.Option{genericjwttest.WithInactiveUser("gone@example.com", "old-password-1")})
	cfg := srv.Config()
	cfg.Username, cfg.Password = "gone@example.com", "old-password-1"
	_, err := newClient(t, cfg).Me(context.Background())
	require.ErrorIs(t, err, providers.ErrInvalidCredentials)
	checkError(t, err, "login", http.StatusBadRequest, "old-password-1")
	assert.Equal(t, 1, srv.LoginAttempts())
}

func TestUnverifiedUserIsFinal(t *testing.T) {
	_, srv, _ := setup(t, []genericjwttest.Option{genericjwttest.WithUnverifiedUser("new@example.com", "fresh-password-7")})
	cfg := srv.Config()
	cfg.Username, cfg.Password = "new@example.com", "fresh-password-7"
	c := newClient(t, cfg)

	for range 2 {
		_, err := c.Me(context.Background())
		require.ErrorIs(t, err, genericjwt.ErrUserNotVerified)
		require.ErrorIs(t, err, providers.ErrInvalidCredentials)
		pe := checkError(t, err, "login", http.StatusBadRequest, "fresh-password-7")
		assert.Equal(t, genericjwt.CodeUserNotVerified, pe.Code)
	}
	assert.Equal(t, 1, srv.LoginAttempts())
	assert.NotErrorIs(t, providers.ErrInvalidCredentials, genericjwt.ErrUserNotVerified, "only one direction")
}

func TestLoginValidationError(t *testing.T) {
	clk, srv, c := setup(t, nil)
	body := `{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":"echoed-secret-99"}]}`
	srv.FailNext(genericjwt.DefaultLoginPath, 1, http.StatusUnprocessableEntity, []byte(body))

	_, err := c.Me(context.Background())
	require.ErrorIs(t, err, providers.ErrValidation)
	assert.NotErrorIs(t, err, providers.ErrInvalidCredentials)
	pe := checkError(t, err, "login", http.StatusUnprocessableEntity, "echoed-secret-99")
	assert.Equal(t, []string{"body.username"}, pe.Fields)
	assert.Equal(t, "Field required", pe.Message)
	assert.Contains(t, err.Error(), "body.username")

	// Not final: the next call after the token cache's backoff logs in.
	clk.Advance(time.Second)
	require.NoError(t, c.CheckAuth(context.Background()))
	assert.Equal(t, 1, srv.Logins())
}

// Rule: a 422 loc never puts a submitted value into Error(), even an
// identifier-like password the input field does not echo.
func TestLoginValidationLocNeverEchoesCredentials(t *testing.T) {
	_, srv, c := setup(t, nil)
	body := `{"detail":[{"type":"value_error","loc":["body","password","` + genericjwttest.DefaultUsername + `"],"msg":"bad"},` +
		`{"loc":["body","` + genericjwttest.DefaultPassword + `"],"msg":"bad","type":"value_error"}]}`
	srv.FailNext(genericjwt.DefaultLoginPath, 1, http.StatusUnprocessableEntity, []byte(body))
	_, err := c.Me(context.Background())
	pe := checkError(t, err, "login", http.StatusUnprocessableEntity, genericjwttest.DefaultUsername)
	assert.Equal(t, []string{"body.password.?", "body.?"}, pe.Fields)
}

// The fake answers the pydantic v1 shape on request; it decodes the same.
func TestPydanticV1ValidationShape(t *testing.T) {
	_, _, c := setup(t, []genericjwttest.Option{genericjwttest.WithPydanticV1()})
	req, err := c.NewRequest(context.Background(), http.MethodPost, genericjwt.DefaultLoginPath, map[string]string{})
	require.NoError(t, err)
	err = c.Do(req, "json-login", nil)
	require.ErrorIs(t, err, providers.ErrValidation)
	pe := checkError(t, err, "json-login", http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"body.username", "body.password"}, pe.Fields)
	assert.Equal(t, "field required; field required", pe.Message)
}

// The fake enforces the form: a JSON login gets FastAPI's 422 list, which
// decodes field by field.
func TestJSONLoginIsRefusedByTheFake(t *testing.T) {
	_, srv, c := setup(t, nil)
	req, err := c.NewRequest(context.Background(), http.MethodPost, genericjwt.DefaultLoginPath,
		map[string]string{"username": genericjwttest.DefaultUsername, "password": genericjwttest.DefaultPassword})
	require.NoError(t, err)
	err = c.Do(req, "json-login", nil)
	require.ErrorIs(t, err, providers.ErrValidation)
	pe := checkError(t, err, "json-login", http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"body.username", "body.password"}, pe.Fields)
	assert.Equal(t, "Field required; Field required", pe.Message)
	assert.Equal(t, 1, srv.Logins(), "the client's own (form) login before the request")
}

func TestNotFound(t *testing.T) {
	_, srv, _ := setup(t, nil)
	cfg := srv.Config()
	cfg.MePath = "/users/self"
	_, err := newClient(t, cfg).Me(context.Background())
	require.ErrorIs(t, err, providers.ErrNotFound)
	pe := checkError(t, err, "me", http.StatusNotFound)
	assert.Equal(t, "Not Found", pe.Message)
}

func TestRateLimitLongerThanPolicy(t *testing.T) {
	_, srv, c := setup(t, nil)
	srv.RateLimitNext(genericjwt.DefaultLoginPath, 1, "3600")
	_, err := c.Me(context.Background())
	require.ErrorIs(t, err, providers.ErrRateLimited)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter)
	checkError(t, err, "login", http.StatusTooManyRequests)
}

func TestServerErrorAfterRetries(t *testing.T) {
	_, srv, c := setup(t, nil)
	require.NoError(t, c.CheckAuth(context.Background()))
	srv.FailNext(genericjwt.DefaultMePath, 10, http.StatusServiceUnavailable, []byte(`{"detail":{"code":"MAINTENANCE","reason":"down for jane@example.com"}}`))
	_, err := c.Me(context.Background())
	require.Error(t, err)
	for _, s := range []error{providers.ErrUnauthorized, providers.ErrInvalidCredentials, providers.ErrValidation, providers.ErrNotFound} {
		assert.NotErrorIs(t, err, s)
	}
	pe := checkError(t, err, "me", http.StatusServiceUnavailable)
	assert.Equal(t, "MAINTENANCE", pe.Code)
	assert.Equal(t, "down for jane@example.com", pe.Message)
	assert.NotContains(t, err.Error(), "jane@example.com")
	assert.Equal(t, 1+4, srv.Calls(genericjwt.DefaultMePath), "CheckAuth, then a first attempt and three retries")
}

func TestLoginAnswerWithoutToken(t *testing.T) {
	clk, srv, c := setup(t, nil)
	srv.FailNext(genericjwt.DefaultLoginPath, 1, http.StatusOK, []byte(`{"token_type":"bearer"}`))
	_, err := c.Me(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no access_token")
	assert.False(t, errors.Is(err, providers.ErrInvalidCredentials))
	clk.Advance(time.Second) // the token cache's backoff after a failed login
	require.NoError(t, c.CheckAuth(context.Background()), "not final")
}

func TestCanceledContext(t *testing.T) {
	_, srv, c := setup(t, nil)
	srv.DelayNext(genericjwt.DefaultLoginPath, 1, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Me(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	leakcheck.NoSecrets(t, []string{genericjwttest.DefaultPassword}, err)
	assert.False(t, strings.Contains(err.Error(), "password"))
}

// Rule: /users/me answers 403 when the users router requires a verified
// user (fastapi_users v15.0.5, authentication/authenticator.py: an
// authenticated user failing verified=True gets HTTPException(403), which
// FastAPI writes as {"detail":"Forbidden"}).
func TestMeForbiddenForUnverifiedUser(t *testing.T) {
	_, srv, _ := setup(t, []genericjwttest.Option{
		genericjwttest.WithVerifiedUsersRouter(),
		genericjwttest.WithUnverifiedUser("new@example.com", "fresh-password-7"),
	})
	cfg := srv.Config()
	cfg.Username, cfg.Password = "new@example.com", "fresh-password-7"
	c := newClient(t, cfg)

	_, err := c.Me(context.Background())
	require.ErrorIs(t, err, genericjwt.ErrUserNotVerified)
	require.ErrorIs(t, err, genericjwt.ErrForbidden)
	assert.NotErrorIs(t, err, providers.ErrInvalidCredentials, "the login was accepted")
	assert.NotErrorIs(t, err, providers.ErrUnauthorized)
	pe := checkError(t, err, "me", http.StatusForbidden, "fresh-password-7")
	assert.JSONEq(t, `{"detail":"Forbidden"}`, string(pe.Body))
	assert.Equal(t, 1, srv.Logins(), "the unverified user logged in")

	// The verified default user gets through the same router.
	_, err = newClient(t, srv.Config()).Me(context.Background())
	require.NoError(t, err)
}
