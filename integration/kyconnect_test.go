//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/providers"
)

// KYConnect's documented limits, scaled: 100 a minute becomes 20 in 2 s,
// 10 logins an hour 3 in 6 s; the 15-minute access token lives 3 s.
const (
	kcLimit       = 20
	kcWindow      = 2 * time.Second
	kcLoginLimit  = 3
	kcLoginWindow = 6 * time.Second
	kcAccess      = 3 * time.Second
)

const (
	kcLogin   = "/api/v1/auth/login"
	kcRefresh = "/api/v1/auth/refresh"
	kcMe      = "/api/v1/auth/me"
	// The seed accounts of kyconnect/server.js.
	kcAdmin      = "admin@yourfirm.com" // MFA
	kcAdminPass  = "yourpassword"
	kcTOTPSecret = "JBSWY3DPEHPK3PXP"
	kcAnalyst    = "analyst@yourfirm.com" // no MFA
	kcAnalystPwd = "analystpass"
	kcAPIKey     = "kyc_test_key_0123456789"
)

func kyconnectServer(t *testing.T) *server {
	t.Helper()
	dir := here(t, "kyconnect")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@nestjs", "core")); err != nil {
		t.Fatalf("run `npm ci` in integration/kyconnect first (make integration does): %v", err)
	}
	s := startOnce(t, "kyconnect (NestJS)", dir, []string{
		"KC_GENERAL_LIMIT=" + itoa(kcLimit), "KC_GENERAL_TTL_MS=" + itoa(int(kcWindow/time.Millisecond)),
		"KC_LOGIN_LIMIT=" + itoa(kcLoginLimit), "KC_LOGIN_TTL_MS=" + itoa(int(kcLoginWindow/time.Millisecond)),
		"KC_ACCESS_SECONDS=" + secs(kcAccess), "KC_REFRESH_SECONDS=60",
	}, "node", "server.js")
	s.reset(t)
	return s
}

// newKYConnect is a client with the scaled budgets (opts may replace them).
func newKYConnect(t *testing.T, s *server, cfg kyconnect.Config, opts ...providers.Option) *kyconnect.Client {
	t.Helper()
	cfg.BaseURL = s.base + "/api/v1"
	c, err := kyconnect.New(cfg, append(append(scaled(0),
		withBudget(kcLimit, kcWindow), withLoginBudget(kcLoginLimit, kcLoginWindow)), opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func analyst() kyconnect.Config {
	return kyconnect.Config{Email: kcAnalyst, Password: kcAnalystPwd}
}

// kcCall is GET /auth/me read without kyconnect.User, so that the tests
// about tokens and limits do not depend on how Me decodes ids.
func kcCall(ctx context.Context, c *kyconnect.Client) error {
	req, err := c.NewRequest(ctx, http.MethodGet, kyconnect.MePath, nil)
	if err != nil {
		return err
	}
	var out struct {
		Email string `json:"email"`
	}
	return c.Do(req, "me", &out)
}

func TestKYConnectMFALoginAndMeNumericID(t *testing.T) {
	t.Log("Rule: log in with email, password and the current TOTP code; Me decodes NestJS's numeric ids")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, kyconnect.Config{Email: kcAdmin, Password: kcAdminPass,
		MFACode: kyconnect.TOTP(kcTOTPSecret, nil)})
	u, err := c.Me(ctxFor(t, 20*time.Second))
	got := s.counts(t)
	require.NoError(t, err, "server: %v", got)
	assert.Equal(t, "1", fmt.Sprint(u.ID)) // a string type either way
	assert.Equal(t, "7", fmt.Sprint(u.FirmID))
	assert.Equal(t, kcAdmin, u.Email)
	assert.True(t, u.MFAEnabled)
	assert.Equal(t, 1, got.n("POST", kcLogin, 201), "server: %v", got)
	assert.Equal(t, 1, got.n("GET", kcMe, 200), "server: %v", got)
}

func TestKYConnectAPIKeyMode(t *testing.T) {
	t.Log("Rule: API-key mode sends X-API-Key on every call and never logs in; CheckAuth works on a good key")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, kyconnect.Config{APIKey: kcAPIKey})
	ctx := ctxFor(t, 20*time.Second)
	u, err := c.Me(ctx)
	if assert.NoError(t, err) {
		assert.Equal(t, "2", fmt.Sprint(u.ID))
	}
	assert.NoError(t, c.CheckAuth(ctx))
	got := s.counts(t)
	assert.Equal(t, 2, got.n("GET", kcMe, 200), "server: %v", got)
	assert.Zero(t, got.n("POST", kcLogin, 0), "server: %v", got)

	s.reset(t)
	bad := newKYConnect(t, s, kyconnect.Config{APIKey: auth.Secret("kyc_wrong_key")})
	err = bad.CheckAuth(ctx)
	assert.ErrorIs(t, err, providers.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "kyc_wrong_key")
	got = s.counts(t)
	assert.Equal(t, 1, got.n("GET", kcMe, 401), "a refused key is not replayed: %v", got)
}

func TestKYConnectMFAErrors(t *testing.T) {
	t.Log("Rule: a login without the MFA code, or with a wrong one, says so (UnauthorizedException with a message)")
	s := kyconnectServer(t)
	ctx := ctxFor(t, 20*time.Second)
	noCode := newKYConnect(t, s, kyconnect.Config{Email: kcAdmin, Password: kcAdminPass})
	assert.ErrorIs(t, kcCall(ctx, noCode), kyconnect.ErrMFARequired)
	wrong := newKYConnect(t, s, kyconnect.Config{Email: kcAdmin, Password: kcAdminPass,
		MFACode: func(context.Context) (string, error) { return "000000", nil }})
	assert.ErrorIs(t, kcCall(ctx, wrong), kyconnect.ErrInvalidMFACode)
	got := s.counts(t)
	assert.Equal(t, 2, got.n("POST", kcLogin, 401), "server: %v", got)
	assert.Zero(t, got.n("GET", kcMe, 0), "server: %v", got)
}

func TestKYConnectValidationPipe400(t *testing.T) {
	t.Log("Rule: a ValidationPipe 400 lists its messages; the field is named, the login not retried")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, kyconnect.Config{Email: kcAdmin, Password: kcAdminPass,
		MFACode: func(context.Context) (string, error) { return "12ab", nil }})
	ctx := ctxFor(t, 20*time.Second)
	err := kcCall(ctx, c)
	require.Error(t, err)
	assert.ErrorIs(t, err, providers.ErrValidation)
	var pe *providers.Error
	if assert.ErrorAs(t, err, &pe) {
		assert.Equal(t, http.StatusBadRequest, pe.StatusCode)
		assert.Contains(t, pe.Fields, "mfa_code")
	}
	assert.Error(t, kcCall(ctx, c))
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", kcLogin, 400), "the same body would be refused again: %v", got)
}

func TestKYConnectWrongPasswordIsFinal(t *testing.T) {
	t.Log("Rule: never log in more than needed (10 an hour): a refused password is not tried again")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, kyconnect.Config{Email: kcAnalyst, Password: "not-the-password"})
	ctx := ctxFor(t, 20*time.Second)
	for i := range 3 {
		err := kcCall(ctx, c)
		assert.ErrorIs(t, err, providers.ErrInvalidCredentials, "call %d", i)
	}
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", kcLogin, 401), "server: %v", got)
	assert.Equal(t, 1, got.total(), "server: %v", got)
}

func TestKYConnectConcurrentCallsShareOneLogin(t *testing.T) {
	t.Log("Rule: share the token: concurrent callers cost one login")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, analyst())
	ctx := ctxFor(t, 30*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, 15)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = kcCall(ctx, c) }()
	}
	wg.Wait()
	got := s.counts(t)
	for i, err := range errs {
		assert.NoError(t, err, "call %d; server: %v", i, got)
	}
	assert.Equal(t, 1, got.n("POST", kcLogin, 0), "server: %v", got)
	assert.Equal(t, 15, got.n("GET", kcMe, 200), "server: %v", got)
	assert.Zero(t, got.status(429), "server: %v", got)
}

func TestKYConnectRefreshRotates(t *testing.T) {
	t.Log("Rule: refresh the 15-minute token with the refresh token, which rotates on every use")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, analyst())
	ctx := ctxFor(t, 60*time.Second)
	calls := 0
	for end := time.Now().Add(3 * kcAccess); time.Now().Before(end); calls++ {
		require.NoError(t, kcCall(ctx, c), "call %d", calls)
		time.Sleep(300 * time.Millisecond)
	}
	got := s.counts(t)
	assert.Equal(t, 1, got.n("POST", kcLogin, 0), "one login: %v", got)
	assert.GreaterOrEqual(t, got.n("POST", kcRefresh, 201), 2, "server: %v", got)
	assert.Zero(t, got.n("POST", kcRefresh, 401), "a spent refresh token sent again: %v", got)
	assert.Zero(t, got.n("GET", kcMe, 401), "a call with an expired token: %v", got)
	assert.Equal(t, calls, got.n("GET", kcMe, 200), "server: %v", got)
}

func TestKYConnectRevokedSessionLogsInAgain(t *testing.T) {
	t.Log("Rule: a 401 on a call drops that token; a refused refresh logs in again; the call is replayed once")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, analyst())
	ctx := ctxFor(t, 30*time.Second)
	require.NoError(t, kcCall(ctx, c))
	s.hook(t, http.MethodPost, "/_test/revoke", nil) // every access and refresh token
	err := kcCall(ctx, c)
	got := s.counts(t)
	assert.NoError(t, err, "server: %v", got)
	assert.Equal(t, 1, got.n("GET", kcMe, 401), "server: %v", got)
	assert.LessOrEqual(t, got.n("POST", kcRefresh, 401), 1, "server: %v", got)
	assert.Equal(t, 2, got.n("POST", kcLogin, 201), "server: %v", got)
	assert.Equal(t, 2, got.n("GET", kcMe, 200), "server: %v", got)
}

func TestKYConnectPacedCallsDrawNo429(t *testing.T) {
	t.Log("Rule: 100 requests a minute per IP: calls at the client's pace draw no 429 from @nestjs/throttler")
	s := kyconnectServer(t)
	c := newKYConnect(t, s, analyst())
	ctx := ctxFor(t, 60*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, kcLimit+5)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = kcCall(ctx, c) }()
	}
	wg.Wait()
	got := s.counts(t)
	for i, err := range errs {
		assert.NoError(t, err, "call %d; server: %v", i, got)
	}
	assert.Zero(t, got.status(429), "429s from the throttler: %v", got)
	assert.Equal(t, kcLimit+5, got.n("GET", kcMe, 200), "server: %v", got)
}

func TestKYConnectLoginThrottleRetryAfterLogin(t *testing.T) {
	t.Log("Rule: a login 429 from a named throttler carries Retry-After-login: wait that long, then log in")
	s := kyconnectServer(t)
	ctx := ctxFor(t, 3*kcLoginWindow)
	// Separate clients (separate services on one IP), no client-side login
	// budget: the fourth login inside the window is refused.
	for i := range kcLoginLimit {
		c := newKYConnect(t, s, analyst(), providers.WithLoginLimiter(nil))
		require.NoError(t, kcCall(ctx, c), "login %d", i)
	}
	c := newKYConnect(t, s, analyst(), providers.WithLoginLimiter(nil))
	start := time.Now()
	err := kcCall(ctx, c)
	elapsed := time.Since(start)
	got := s.counts(t)
	assert.NoError(t, err, "after %s; server: %v", elapsed.Round(time.Millisecond), got)
	assert.Equal(t, 1, got.n("POST", kcLogin, 429), "server: %v", got)
	assert.Equal(t, kcLoginLimit+1, got.n("POST", kcLogin, 201), "server: %v", got)
	assert.GreaterOrEqual(t, elapsed, kcLoginWindow-time.Second, "waited out the login block")
}
