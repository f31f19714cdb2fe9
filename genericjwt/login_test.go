package genericjwt_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
)

func TestLoginThenMe(t *testing.T) {
	_, srv, c := setup(t, nil)
	ctx := context.Background()

	u, err := c.Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, genericjwttest.DefaultUsername, u.Email)
	assert.True(t, u.IsActive)
	assert.True(t, u.IsVerified)
	assert.False(t, u.IsSuperuser)
	assert.Len(t, string(u.ID), 36, "a UUID")
	assert.Contains(t, string(u.Raw), `"email"`)

	// The token is reused: one login for many calls.
	for range 5 {
		_, err := c.Me(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, srv.Logins())
	assert.Equal(t, 6, srv.Calls(genericjwt.DefaultMePath))
	assert.Zero(t, srv.Rejected())

	tok, err := c.TokenSource().Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.Type())
	assert.True(t, t0.Add(time.Hour).Equal(tok.Expiry), "expiry read from the JWT's exp: %v", tok.Expiry)
	assert.Empty(t, tok.RefreshToken, "FastAPI-Users has no refresh token")
	st := c.Stats()
	assert.EqualValues(t, 1, st.Logins)
	assert.Zero(t, st.Refreshes)
}

func TestOtherRoutesThroughConn(t *testing.T) {
	_, srv, c := setup(t, nil)
	ctx := context.Background()

	req, err := c.NewRequest(ctx, http.MethodGet, genericjwttest.ResourcePath, nil)
	require.NoError(t, err)
	var out struct {
		Resource, Owner string
	}
	require.NoError(t, c.Do(req, "resource", &out))
	assert.Equal(t, "ok", out.Resource)
	assert.Equal(t, genericjwttest.DefaultUsername, out.Owner)

	// HTTPClient authenticates too.
	resp, err := c.HTTPClient().Get(srv.URL + genericjwttest.ResourcePath)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, srv.Logins())
}

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	_, srv, c := setup(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := c.Me(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, srv.LoginAttempts())
	assert.Equal(t, 50, srv.Calls(genericjwt.DefaultMePath))
}

// A 401 drops the token, logs in once and replays the request: the caller
// sees only the answer.
func TestUnauthorizedLogsInAgainOnce(t *testing.T) {
	for name, knock := range map[string]func(*genericjwttest.Server){
		"expired early": (*genericjwttest.Server).ExpireTokens,
		"revoked":       (*genericjwttest.Server).RevokeTokens,
	} {
		t.Run(name, func(t *testing.T) {
			_, srv, c := setup(t, nil)
			ctx := context.Background()
			_, err := c.Me(ctx)
			require.NoError(t, err)
			first := currentToken(t, c)

			knock(srv)
			req, err := c.NewRequest(ctx, http.MethodGet, genericjwttest.ResourcePath, nil)
			require.NoError(t, err)
			require.NoError(t, c.Do(req, "resource", nil))

			assert.Equal(t, 2, srv.Logins())
			assert.Equal(t, 1, srv.Unauthorized())
			assert.EqualValues(t, 1, c.Stats().Invalidations)
			assert.NotEqual(t, first, currentToken(t, c))
			assert.Equal(t, 2, srv.Calls(genericjwttest.ResourcePath), "the request was replayed once")
		})
	}
}

// A second 401 after a fresh login is the account's problem, not the
// token's: it is returned, with no further login.
func TestSecondUnauthorizedIsReturned(t *testing.T) {
	_, srv, c := setup(t, nil)
	ctx := context.Background()
	require.NoError(t, c.CheckAuth(ctx))

	srv.FailNext(genericjwt.DefaultMePath, 2, http.StatusUnauthorized, []byte(`{"detail":"Unauthorized"}`))
	_, err := c.Me(ctx)
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	assert.NotErrorIs(t, err, providers.ErrInvalidCredentials)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, http.StatusUnauthorized, pe.StatusCode)
	assert.Equal(t, "Unauthorized", pe.Message)
	assert.Equal(t, "me", pe.Operation)
	assert.Equal(t, 2, srv.Logins(), "one login for the replay, none after")

	// The refused token of the replay is never sent again (issue #24 item
	// 1): within the backoff the next call fails at once, sending nothing.
	calls := srv.Calls(genericjwt.DefaultMePath)
	require.ErrorIs(t, c.CheckAuth(ctx), providers.ErrUnauthorized)
	assert.Equal(t, calls, srv.Calls(genericjwt.DefaultMePath), "nothing sent while the account is refused")
	assert.Equal(t, 2, srv.Logins())
}

func TestServerErrorsAreRetried(t *testing.T) {
	_, srv, c := setup(t, nil)
	ctx := context.Background()

	srv.FailNext(genericjwt.DefaultLoginPath, 2, http.StatusServiceUnavailable, nil)
	srv.FailNext(genericjwt.DefaultMePath, 1, http.StatusBadGateway, nil)
	u, err := c.Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, genericjwttest.DefaultUsername, u.Email)
	assert.Equal(t, 3, srv.Calls(genericjwt.DefaultLoginPath), "login is a token call: retried")
	assert.Equal(t, 1, srv.Logins())
	assert.Equal(t, 2, srv.Calls(genericjwt.DefaultMePath))
	assert.EqualValues(t, 3, c.Stats().Retries)
}

// A 429 pauses the client for Retry-After on the injected clock, then the
// call goes through.
func TestRateLimitWaitsOnTheClock(t *testing.T) {
	clk, srv, c := setup(t, nil)
	ctx := context.Background()
	require.NoError(t, c.CheckAuth(ctx))

	srv.RateLimitNext(genericjwt.DefaultMePath, 1, "30")
	done := make(chan error, 1)
	go func() { _, err := c.Me(ctx); done <- err }()
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.True(t, clk.WaitForTimers(1, wait.Done()), "the call parks on the cool-down")
	clk.Advance(30 * time.Second)
	require.NoError(t, <-done)
	assert.Equal(t, 3, srv.Calls(genericjwt.DefaultMePath))
	assert.EqualValues(t, 1, c.Stats().RateLimited)
}

// A JWT without exp and a documented lifetime: the client logs in again
// ahead of the documented expiry, though the server would still accept
// the token.
func TestDocumentedLifetimeForTokensWithoutExp(t *testing.T) {
	clk, srv, _ := setup(t, []genericjwttest.Option{genericjwttest.WithTokenLifetime(0)})
	cfg := srv.Config()
	cfg.TokenLifetime = 30 * time.Minute
	c := newClient(t, cfg, providers.WithClock(clk))

	require.NoError(t, c.CheckAuth(context.Background()))
	tok, err := c.TokenSource().Token(context.Background())
	require.NoError(t, err)
	assert.True(t, t0.Add(30*time.Minute).Equal(tok.Expiry), "documented lifetime: %v", tok.Expiry)

	clk.Advance(31 * time.Minute)
	require.NoError(t, c.CheckAuth(context.Background()))
	assert.Equal(t, 2, srv.Logins())
	assert.Zero(t, srv.Unauthorized())
}

// recorder keeps the login requests the client sends.
type recorder struct {
	mu    sync.Mutex
	forms []url.Values
	types []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == genericjwt.DefaultLoginPath {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.forms = append(r.forms, form)
		r.types = append(r.types, req.Header.Get("Content-Type"))
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestLoginWireFormat(t *testing.T) {
	rec := &recorder{}
	_, srv, c := setup(t, nil, providers.WithTransport(rec))
	require.NoError(t, c.CheckAuth(context.Background()))

	require.Len(t, rec.forms, 1)
	assert.Equal(t, "application/x-www-form-urlencoded", rec.types[0])
	assert.Equal(t, url.Values{
		"username":   {genericjwttest.DefaultUsername},
		"password":   {genericjwttest.DefaultPassword},
		"grant_type": {"password"},
	}, rec.forms[0])
	assert.Equal(t, 1, srv.Logins())
}
