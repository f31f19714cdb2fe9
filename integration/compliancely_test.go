//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// Compliancely's documented numbers, scaled: 10 requests a minute becomes
// 10 in 3 s, the 10-minute pause 4 s (longer than the window, as 10
// minutes is longer than a minute), the access hour 4 s.
const (
	clLimit   = 10
	clWindow  = 3 * time.Second
	clPenalty = 4 * time.Second
	clAccess  = 4 * time.Second
)

const (
	clLogin    = "/api/v2/token/"
	clRefresh  = "/api/v2/token/refresh/"
	clValidate = "/api/v2/token/validate/"
	clPing     = "/api/v2/ping/"
)

// compliancelyServer is the DRF server, its counts and throttle reset.
func compliancelyServer(t *testing.T) *server {
	t.Helper()
	db := scratchFile(t, "compliancely.sqlite3")
	s := startOnce(t, "compliancely (DRF)", here(t, "compliancely"), []string{
		"CL_DB=" + db,
		"CL_ACCESS_SECONDS=" + secs(clAccess),
		"CL_REFRESH_SECONDS=60",
		fmt.Sprintf("CL_THROTTLE=%d/%s", clLimit, secs(clWindow)),
		"CL_PENALTY_SECONDS=" + secs(clPenalty),
	}, python(), "server.py")
	s.reset(t)
	return s
}

// newCompliancely is a client for alice (unless cfg says otherwise) with
// the scaled budget (unless opts replace it).
func newCompliancely(t *testing.T, s *server, edit func(*compliancely.Config), opts ...providers.Option) *compliancely.Client {
	t.Helper()
	cfg := compliancely.Config{BaseURL: s.base, Username: "alice", Password: "wonderland-1"}
	if edit != nil {
		edit(&cfg)
	}
	c, err := compliancely.New(cfg, append(append(scaled(clPenalty), withBudget(clLimit, clWindow)), opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// clPingCall is a protected DRF view (JWT auth, IsAuthenticated, the
// throttle), called through the client's pipeline.
func clPingCall(ctx context.Context, c *compliancely.Client) error {
	req, err := c.NewRequest(ctx, http.MethodGet, clPing, nil)
	if err != nil {
		return err
	}
	var out struct {
		Success bool `json:"success"`
	}
	return c.Do(req, "ping", &out)
}

func TestCompliancelyLoginOnceForManyCalls(t *testing.T) {
	t.Log("Rule: log in once and send the access token as Bearer on every call")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, nil)
	ctx := ctxFor(t, 20*time.Second)
	for range 3 {
		require.NoError(t, clPingCall(ctx, c))
	}
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", clLogin, 200), "logins: %v", got)
	assert.Equal(t, 3, got.n("GET", clPing, 200), "calls: %v", got)
	assert.Equal(t, 4, got.total(), "nothing else sent: %v", got)
}

func TestCompliancelyValidateTokenStockVerify(t *testing.T) {
	t.Log("Rule: SimpleJWT's verify view answers 200 {} for a valid token: ValidateToken says valid")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, nil)
	st, err := c.ValidateToken(ctxFor(t, 20*time.Second))
	require.NoError(t, err)
	got := s.counts(t)
	assert.True(t, st.Valid, "ValidateToken on a token the server just verified (status %q); server: %v", st.Status, got)
	assert.Equal(t, 1, got.n("POST", clValidate, 200), "server: %v", got)
}

func TestCompliancelyCheckAuthWorkingAccount(t *testing.T) {
	t.Log("Rule: CheckAuth on working credentials succeeds with a login and one validate")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, nil)
	err := c.CheckAuth(ctxFor(t, 30*time.Second))
	got := s.counts(t)
	assert.NoError(t, err, "server: %v", got)
	assert.Equal(t, 1, got.n("POST", clLogin, 200), "server: %v", got)
	assert.Equal(t, 1, got.n("POST", clValidate, 0), "server: %v", got)
	assert.Zero(t, got.n("POST", clRefresh, 0), "no refresh for a good token: %v", got)
}

func TestCompliancelyAltLoginPathHasTrailingSlash(t *testing.T) {
	t.Log("Rule: every Compliancely path ends in / (Django routes /create/; without the slash CommonMiddleware answers 301)")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, func(cfg *compliancely.Config) { cfg.LoginPath = compliancely.AltLoginPath })
	err := clPingCall(ctxFor(t, 20*time.Second), c)
	got := s.counts(t)
	assert.NoError(t, err, "server: %v", got)
	assert.Equal(t, 1, got.n("POST", "/api/v2/token/create/", 200), "server: %v", got)
	assert.Zero(t, got.n("POST", "/api/v2/token/create", 0), "slashless login path: %v", got)
}

func TestCompliancelyRefreshRotatesBeforeExpiry(t *testing.T) {
	t.Log("Rule: refresh before the access token expires and replace both tokens (rotation with blacklisting)")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, nil)
	ctx := ctxFor(t, 60*time.Second)
	calls := 0
	for end := time.Now().Add(3 * clAccess); time.Now().Before(end); calls++ {
		require.NoError(t, clPingCall(ctx, c), "call %d", calls)
		time.Sleep(500 * time.Millisecond)
	}
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", clLogin, 200), "one login: %v", got)
	assert.GreaterOrEqual(t, got.n("POST", clRefresh, 200), 2, "refreshes over three lifetimes: %v", got)
	assert.Zero(t, got.n("POST", clRefresh, 401), "a rotated (blacklisted) refresh token sent again: %v", got)
	assert.Zero(t, got.n("GET", clPing, 401), "a call sent with an expired token: %v", got)
	assert.Equal(t, calls, got.n("GET", clPing, 200), "server: %v", got)
	assert.Zero(t, got.status(429), "server: %v", got)
}

func TestCompliancelyRevokedRefreshTokenLogsInAgain(t *testing.T) {
	t.Log("Rule: a refused refresh discards both tokens and logs in again; the call still succeeds")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, nil)
	ctx := ctxFor(t, 60*time.Second)
	require.NoError(t, clPingCall(ctx, c))
	s.hook(t, http.MethodPost, "/_test/revoke", nil) // blacklists every refresh token
	for end := time.Now().Add(clAccess + time.Second); time.Now().Before(end); {
		require.NoError(t, clPingCall(ctx, c))
		time.Sleep(500 * time.Millisecond)
	}
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", clRefresh, 401), "one refused refresh: %v", got)
	assert.Equal(t, 2, got.n("POST", clLogin, 200), "then one login: %v", got)
	assert.Zero(t, got.n("GET", clPing, 401), "server: %v", got)
}

func TestCompliancelyRejectedTokenRefreshOnce(t *testing.T) {
	t.Log("Rule: on an auth failure attempt a token refresh once; a refresh refused with a 4xx logs in again")
	s := compliancelyServer(t)
	// A pair the server never issued, as a restarted service might load
	// from a store whose tokens the provider no longer accepts.
	forged := &auth.Token{AccessToken: "not.a.jwt", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour),
		RefreshToken: "not.a.refresh", RefreshExpiry: time.Now().Add(24 * time.Hour)}
	c := newCompliancely(t, s, nil, providers.WithTokenCacheOptions(tokencache.WithToken(forged)))
	err := clPingCall(ctxFor(t, 30*time.Second), c)
	got := s.counts(t)
	assert.NoError(t, err, "server: %v", got)
	assert.Equal(t, 1, got.n("GET", clPing, 401), "the forged token, once: %v", got)
	assert.LessOrEqual(t, got.n("POST", clRefresh, 0), 1, "at most one refresh: %v", got)
	assert.Equal(t, 1, got.n("POST", clLogin, 200), "then a login: %v", got)
	assert.Equal(t, 1, got.n("GET", clPing, 200), "and the call replayed: %v", got)
}

func TestCompliancelyInvalidCredentialsAreFinal(t *testing.T) {
	t.Log("Rule: do not automatically retry errors caused by invalid credentials")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, func(cfg *compliancely.Config) { cfg.Password = "wrong" })
	ctx := ctxFor(t, 20*time.Second)
	for i := range 3 {
		err := clPingCall(ctx, c)
		require.Error(t, err, "call %d", i)
		assert.ErrorIs(t, err, providers.ErrInvalidCredentials, "call %d", i)
		assert.NotContains(t, err.Error(), "wrong", "the password in an error")
		if i == 0 {
			var pe *providers.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, http.StatusUnauthorized, pe.StatusCode) // SimpleJWT: no_active_account
		}
	}
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", clLogin, 401), "one refused login, never retried: %v", got)
	assert.Equal(t, 1, got.total(), "nothing else sent: %v", got)
}

func TestCompliancelyDeactivatedAccountStops(t *testing.T) {
	t.Log("Rule: if logging in again fails, surface the error and stop retrying")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, func(cfg *compliancely.Config) { cfg.Username, cfg.Password = "bob", "builder-2" })
	ctx := ctxFor(t, 30*time.Second)
	require.NoError(t, clPingCall(ctx, c))
	s.hook(t, http.MethodPost, "/_test/deactivate?user=bob", nil)
	before := s.counts(t)
	var last error
	for range 3 { // back to back, inside the cache's 1 s minimum backoff
		last = clPingCall(ctx, c)
		require.Error(t, last)
	}
	got := s.counts(t)
	refused := errors.Is(last, providers.ErrUnauthorized) || errors.Is(last, providers.ErrInvalidCredentials)
	assert.True(t, refused, "the refusal surfaces: %v", last)
	tokens := got.n("POST", clLogin, 0) + got.n("POST", clRefresh, 0) -
		before.n("POST", clLogin, 0) - before.n("POST", clRefresh, 0)
	assert.LessOrEqual(t, tokens, 1, "new tokens for a refused account, faster than the backoff: %v", got)
}

func TestCompliancelyPacedCallsDrawNo429(t *testing.T) {
	t.Log("Rule: at most 10 requests a minute, login and refresh included: 12 calls at the client's pace draw no 429")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, nil)
	ctx := ctxFor(t, 60*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = clPingCall(ctx, c) }()
	}
	wg.Wait()
	got := s.counts(t)
	for i, err := range errs {
		assert.NoError(t, err, "call %d; server: %v", i, got)
	}
	assert.Zero(t, got.status(429), "429s from DRF: %v", got)
	assert.Equal(t, 12, got.n("GET", clPing, 200), "server: %v", got)
	assert.Equal(t, 1, got.n("POST", clLogin, 200), "server: %v", got)
}

func TestCompliancely429PausesForWhatItAsks(t *testing.T) {
	t.Log("Rule: after a 429 wait what the server asks (Retry-After; Compliancely: 10 minutes) before sending again")
	s := compliancelyServer(t)
	c := newCompliancely(t, s, nil, noBudget())
	ctx := ctxFor(t, 60*time.Second)
	start := time.Now()
	for i := range clLimit + 4 {
		require.NoError(t, clPingCall(ctx, c), "call %d", i)
	}
	elapsed := time.Since(start)
	got := s.counts(t)
	assert.Equal(t, 1, got.status(429), "one 429, then the client paused: %v", got)
	assert.Equal(t, clLimit+4, got.n("GET", clPing, 200), "server: %v", got)
	assert.GreaterOrEqual(t, elapsed, clPenalty, "paused for Retry-After")

	// A call that cannot wait out the pause is refused at once, unsent.
	s.reset(t)
	for i := 0; ; i++ {
		short, cancel := context.WithTimeout(context.Background(), time.Second)
		err := clPingCall(short, c)
		cancel()
		if err != nil {
			assert.ErrorIs(t, err, providers.ErrRateLimited, "call %d", i)
			break
		}
		require.Less(t, i, 2*clLimit, "no 429 after %d calls", i)
	}
	before := s.counts(t)
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	t0 := time.Now()
	err := clPingCall(short, c)
	assert.ErrorIs(t, err, providers.ErrRateLimited)
	var rl *providers.RateLimitError
	if assert.True(t, errors.As(err, &rl), "a *providers.RateLimitError: %v", err) {
		assert.Greater(t, rl.RetryAfter, time.Duration(0))
	}
	assert.Less(t, time.Since(t0), 500*time.Millisecond, "refused at once")
	assert.Equal(t, before.total(), s.counts(t).total(), "nothing sent during the pause")
}
