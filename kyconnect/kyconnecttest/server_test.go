package kyconnecttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, srv *kyconnecttest.Server, method, path, contentType, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.BaseURL()+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(data, &a.body)
	return a
}

func login(t *testing.T, srv *kyconnecttest.Server, extra string) answer {
	t.Helper()
	body := `{"email":"` + srv.Email() + `","password":"` + string(srv.Password()) + `"` + extra + `}`
	return call(t, srv, "POST", "/auth/login", "application/json", body)
}

func newServer(t *testing.T, opts ...kyconnecttest.Option) (*clock.Fake, *kyconnecttest.Server) {
	clk := clock.NewFake(start)
	srv := kyconnecttest.NewServer(append([]kyconnecttest.Option{kyconnecttest.WithClock(clk)}, opts...)...)
	t.Cleanup(srv.Close)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return clk, srv
}

func TestLoginRefreshMe(t *testing.T) {
	clk, srv := newServer(t)
	a := login(t, srv, "")
	require.Equal(t, http.StatusCreated, a.status)
	assert.EqualValues(t, 900, a.body["expires_in"])
	access, refresh := a.body["access_token"].(string), a.body["refresh_token"].(string)

	me := call(t, srv, "GET", "/auth/me", "", "", "Authorization", "Bearer "+access)
	require.Equal(t, http.StatusOK, me.status)
	assert.Equal(t, srv.Email(), me.body["email"])

	r := call(t, srv, "POST", "/auth/refresh", "application/json", `{"refresh_token":"`+refresh+`"}`)
	require.Equal(t, http.StatusCreated, r.status)
	assert.NotEqual(t, refresh, r.body["refresh_token"], "rotated")
	again := call(t, srv, "POST", "/auth/refresh", "application/json", `{"refresh_token":"`+refresh+`"}`)
	assert.Equal(t, http.StatusUnauthorized, again.status, "an old refresh token is refused")
	assert.Equal(t, "Invalid refresh token", again.body["message"])

	clk.Advance(15 * time.Minute)
	expired := call(t, srv, "GET", "/auth/me", "", "", "Authorization", "Bearer "+access)
	assert.Equal(t, http.StatusUnauthorized, expired.status, "15-minute access tokens")
	assert.Equal(t, 1, srv.Logins())
	assert.Equal(t, 1, srv.Refreshes())
	assert.Equal(t, 2, srv.Rejected())
}

func TestRefreshSessionEnds(t *testing.T) {
	clk, srv := newServer(t, kyconnecttest.WithRefreshLifetime(time.Hour))
	refresh := login(t, srv, "").body["refresh_token"].(string)
	clk.Advance(50 * time.Minute)
	r := call(t, srv, "POST", "/auth/refresh", "application/json", `{"refresh_token":"`+refresh+`"}`)
	require.Equal(t, http.StatusCreated, r.status)
	clk.Advance(10 * time.Minute)
	r = call(t, srv, "POST", "/auth/refresh", "application/json", `{"refresh_token":"`+r.body["refresh_token"].(string)+`"}`)
	assert.Equal(t, http.StatusUnauthorized, r.status, "a rotated token keeps its session's end")

	clk2, sliding := newServer(t, kyconnecttest.WithRefreshLifetime(time.Hour), kyconnecttest.WithSlidingRefresh())
	refresh = login(t, sliding, "").body["refresh_token"].(string)
	clk2.Advance(50 * time.Minute)
	r = call(t, sliding, "POST", "/auth/refresh", "application/json", `{"refresh_token":"`+refresh+`"}`)
	clk2.Advance(50 * time.Minute)
	r = call(t, sliding, "POST", "/auth/refresh", "application/json", `{"refresh_token":"`+r.body["refresh_token"].(string)+`"}`)
	assert.Equal(t, http.StatusCreated, r.status)
}

func TestValidationLikeNestJS(t *testing.T) {
	_, srv := newServer(t)
	form := call(t, srv, "POST", "/auth/login", "application/x-www-form-urlencoded", "email=a@b.co&password=x")
	assert.Equal(t, http.StatusBadRequest, form.status, "only JSON is read")
	assert.Equal(t, []any{"email must be an email", "password should not be empty", "password must be a string"}, form.body["message"])
	assert.Equal(t, "Bad Request", form.body["error"])

	extra := call(t, srv, "POST", "/auth/login", "application/json", `{"email":"a@b.co","password":"x","otp":"1"}`)
	assert.Equal(t, []any{"property otp should not exist"}, extra.body["message"])

	wrong := call(t, srv, "POST", "/auth/login", "application/json", `{"email":"a@b.co","password":"x"}`)
	assert.Equal(t, http.StatusUnauthorized, wrong.status)
	assert.Equal(t, "Invalid credentials", wrong.body["message"])

	nf := call(t, srv, "GET", "/cases", "", "")
	assert.Equal(t, http.StatusNotFound, nf.status)
	assert.Equal(t, "Cannot GET /api/v1/cases", nf.body["message"])
	assert.Equal(t, 4, srv.Rejected())
}

func TestMFA(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	clk, srv := newServer(t, kyconnecttest.WithMFA(secret))
	assert.Equal(t, "MFA code required", login(t, srv, "").body["message"])
	assert.Equal(t, "Invalid MFA code", login(t, srv, `,"mfa_code":"abcdef"`).body["message"])
	code, err := totp.GenerateCode(secret, clk.Now())
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, login(t, srv, `,"mfa_code":"`+code+`"`).status)
	clk.Advance(2 * time.Minute)
	assert.Equal(t, http.StatusUnauthorized, login(t, srv, `,"mfa_code":"`+code+`"`).status, "checked on the server's clock")
	assert.Equal(t, 3, srv.MFAChecks())
	assert.Equal(t, 1, srv.Logins())
	assert.Equal(t, 4, srv.LoginAttempts())
}

// Rule: @nestjs/throttler keys every limit by route and client IP and
// blocks from the first refused request for the block duration.
func TestRateLimits(t *testing.T) {
	clk, srv := newServer(t)
	for range 10 {
		require.Equal(t, http.StatusCreated, login(t, srv, "").status)
		clk.Advance(time.Minute)
	}
	over := login(t, srv, "")
	assert.Equal(t, http.StatusTooManyRequests, over.status)
	assert.Equal(t, "3600", over.header.Get("Retry-After"), "blocked for the block duration from the refusal")
	clk.Advance(50 * time.Minute)
	assert.Equal(t, http.StatusTooManyRequests, login(t, srv, "").status, "the first attempt left the hour; the block holds")
	clk.Advance(10 * time.Minute)
	assert.Equal(t, http.StatusCreated, login(t, srv, "").status)

	for range 10 {
		require.Equal(t, http.StatusCreated, call(t, srv, "POST", "/auth/forgot-password", "application/json", `{"email":"x@y.co"}`).status)
	}
	assert.Equal(t, http.StatusTooManyRequests, call(t, srv, "POST", "/auth/forgot-password", "application/json", `{"email":"x@y.co"}`).status)

	for range 100 {
		require.Equal(t, http.StatusOK, call(t, srv, "GET", "/health", "", "").status)
	}
	h := call(t, srv, "GET", "/health", "", "")
	assert.Equal(t, http.StatusTooManyRequests, h.status)
	assert.Equal(t, "60", h.header.Get("Retry-After"))
	assert.Equal(t, "ThrottlerException: Too Many Requests", h.body["message"])
	assert.Equal(t, http.StatusUnauthorized, call(t, srv, "GET", "/auth/me", "", "").status, "another route has its own count")
	assert.Equal(t, 4, srv.RateLimited())
	assert.Equal(t, 11, srv.LoginAttempts(), "refused logins never reach the handler")
}

// Rule: the throttler runs before validation, so a bad body spends quota.
func TestThrottlerRunsBeforeValidation(t *testing.T) {
	_, srv := newServer(t)
	for range 10 {
		require.Equal(t, http.StatusBadRequest, call(t, srv, "POST", "/auth/login", "application/json", `{}`).status)
	}
	assert.Equal(t, http.StatusTooManyRequests, login(t, srv, "").status)
}

// Rule: named throttlers suffix their headers and send no plain
// Retry-After; with setHeaders: false a 429 has none at all.
func TestThrottlerHeaders(t *testing.T) {
	_, named := newServer(t, kyconnecttest.WithNamedThrottlers())
	for range 10 {
		login(t, named, "")
	}
	a := login(t, named, "")
	require.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "3600", a.header.Get("Retry-After-login"))
	assert.Empty(t, a.header.Get("Retry-After"))

	_, bare := newServer(t, kyconnecttest.WithoutThrottlerHeaders())
	for range 10 {
		login(t, bare, "")
	}
	b := login(t, bare, "")
	require.Equal(t, http.StatusTooManyRequests, b.status)
	for k := range b.header {
		assert.NotContains(t, k, "Retry-After")
	}
}

// Rule: NestJS entities carry numeric ids; a login may answer 200.
func TestNumericIDsAndTokenStatus(t *testing.T) {
	_, srv := newServer(t, kyconnecttest.WithTokenStatus(http.StatusOK))
	a := login(t, srv, "")
	require.Equal(t, http.StatusOK, a.status)
	me := call(t, srv, "GET", "/auth/me", "", "", "Authorization", "Bearer "+a.body["access_token"].(string))
	assert.Equal(t, float64(1), me.body["id"])
	assert.Equal(t, float64(1), me.body["firmId"])
}

func TestAPIKeyAndTokenFields(t *testing.T) {
	_, srv := newServer(t, kyconnecttest.WithAPIKeyHeader("X-Kyc-Key"), kyconnecttest.WithTokenFields(kyconnecttest.CamelCase))
	ok := call(t, srv, "GET", "/auth/me", "", "", "X-Kyc-Key", string(srv.APIKey()))
	assert.Equal(t, http.StatusOK, ok.status)
	bad := call(t, srv, "GET", "/auth/me", "", "", "X-Kyc-Key", "nope")
	assert.Equal(t, http.StatusUnauthorized, bad.status)
	assert.Equal(t, "X-Kyc-Key", srv.APIKeyConfig().APIKeyHeader)

	a := login(t, srv, "")
	assert.NotEmpty(t, a.body["accessToken"])
	assert.NotEmpty(t, a.body["refreshToken"])
	assert.NotContains(t, a.body, "expires_in")
}

func TestKnobs(t *testing.T) {
	_, srv := newServer(t)
	srv.FailNext("/auth/me", 1, http.StatusConflict, nil)
	a := call(t, srv, "GET", "/auth/me", "", "")
	assert.Equal(t, http.StatusConflict, a.status)
	assert.Equal(t, "Conflict", a.body["message"])
	srv.RateLimitNext("", 1, "7")
	assert.Equal(t, "7", call(t, srv, "GET", "/health", "", "").header.Get("Retry-After"))
	assert.Zero(t, srv.Rejected(), "injected faults are not the server's own refusals")

	access := login(t, srv, "").body["access_token"].(string)
	srv.RevokeTokens()
	assert.Equal(t, http.StatusUnauthorized, call(t, srv, "GET", "/auth/me", "", "", "Authorization", "Bearer "+access).status)
	assert.Equal(t, 2, srv.Calls("/auth/me"))
	assert.Equal(t, 4, srv.Requests())
	srv.ResetCounts()
	assert.Zero(t, srv.Requests())
}
