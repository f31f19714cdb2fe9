package compliancelytest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providertest"
)

// The fake's rules, checked with plain HTTP.

type fake struct {
	t   *testing.T
	clk *clock.Fake
	srv *compliancelytest.Server
	hc  *http.Client
}

func newFake(t *testing.T, opts ...compliancelytest.Option) *fake {
	// A call left waiting on the clock outside Drive fails within seconds.
	clk := providertest.NewClock(t, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 0)
	srv := compliancelytest.NewServer(append([]compliancelytest.Option{compliancelytest.WithClock(clk)}, opts...)...)
	tr := &http.Transport{}
	t.Cleanup(func() { srv.Close(); tr.CloseIdleConnections() })
	return &fake{t: t, clk: clk, srv: srv, hc: &http.Client{Transport: tr}}
}

// do sends body as JSON (a string is sent as is, with contentType) and
// returns the status, decoded answer and headers.
func (f *fake) do(method, path, contentType string, body any, bearer string) (int, map[string]any, http.Header) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	require.NoError(f.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := f.hc.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

func (f *fake) post(path string, body any) (int, map[string]any) {
	st, out, _ := f.do(http.MethodPost, path, "application/json", body, "")
	return st, out
}

func (f *fake) login() (access, refresh string) {
	st, out := f.post("/api/v2/token/", map[string]string{"username": compliancelytest.Username, "password": compliancelytest.Password})
	require.Equal(f.t, http.StatusOK, st)
	assert.EqualValues(f.t, 3600, out["access_expiry_seconds"])
	assert.EqualValues(f.t, 86400, out["refresh_expiry_seconds"])
	return out["access"].(string), out["refresh"].(string)
}

func TestLoginRules(t *testing.T) {
	f := newFake(t)
	f.login()
	st, out := f.post("/api/v2/token/create/", map[string]string{"username": compliancelytest.Username, "password": "nope"})
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, "no_active_account", out["code"])
	st, out = f.post("/api/v2/token/", map[string]string{"username": compliancelytest.Username})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, []any{"This field is required."}, out["password"])
	st, _, _ = f.do(http.MethodPost, "/api/v2/token/", "application/x-www-form-urlencoded", "username=a&password=b", "")
	assert.Equal(t, http.StatusUnsupportedMediaType, st)
	st, _, _ = f.do(http.MethodGet, "/api/v2/token/", "", nil, "")
	assert.Equal(t, http.StatusMethodNotAllowed, st)
	st, _, _ = f.do(http.MethodPost, "/api/v1/token/", "application/json", map[string]string{}, "")
	assert.Equal(t, http.StatusGone, st, "v1 authentication is retired")
	assert.Equal(t, 1, f.srv.Logins())
	assert.Equal(t, 4, f.srv.Calls("/api/v2/token/"))
	assert.Equal(t, 1, f.srv.Calls("/api/v2/token/create/"))
	assert.Equal(t, 5, f.srv.Rejected())
}

// Rule: LoginAttempts counts every login the fake judged, refused or not:
// a good one, a wrong password, a missing field, a body that is not JSON.
// A GET is no attempt, a login the rate limit refused is counted by
// RateLimited, and an injected fault never reaches the fake's rules.
func TestLoginAttemptsCountsRefusedLogins(t *testing.T) {
	f := newFake(t, compliancelytest.WithRateLimit(4, time.Minute, time.Minute))
	f.login()
	st, _ := f.post("/api/v2/token/create/", map[string]string{"username": compliancelytest.Username, "password": "nope"})
	require.Equal(t, http.StatusUnauthorized, st)
	st, _ = f.post("/api/v2/token/", map[string]string{"username": compliancelytest.Username})
	require.Equal(t, http.StatusBadRequest, st)
	st, _, _ = f.do(http.MethodPost, "/api/v2/token/", "text/plain", "username=a", "")
	require.Equal(t, http.StatusUnsupportedMediaType, st)
	st, _, _ = f.do(http.MethodGet, "/api/v2/token/", "", nil, "")
	require.Equal(t, http.StatusMethodNotAllowed, st)
	assert.Equal(t, 4, f.srv.LoginAttempts())
	assert.Equal(t, 1, f.srv.Logins())

	f.srv.FailNext("/api/v2/token/", 1, http.StatusBadGateway, nil)
	st, _ = f.post("/api/v2/token/", map[string]string{"username": compliancelytest.Username, "password": compliancelytest.Password})
	require.Equal(t, http.StatusBadGateway, st)
	assert.Equal(t, 4, f.srv.LoginAttempts(), "an injected fault is not a login the fake judged")

	f.post("/api/v2/token/", map[string]string{"username": compliancelytest.Username, "password": compliancelytest.Password})
	st, _ = f.post("/api/v2/token/", map[string]string{"username": compliancelytest.Username, "password": compliancelytest.Password})
	require.Equal(t, http.StatusTooManyRequests, st)
	assert.Equal(t, 5, f.srv.LoginAttempts(), "the 429 is counted by RateLimited")
	assert.Equal(t, 1, f.srv.RateLimited())
	assert.Equal(t, 2, f.srv.Logins())
}

// Rule: Django routes the trailing-slash form only; a POST without it is a
// 404 page, never a redirect and never a login.
func TestPathsNeedTheTrailingSlash(t *testing.T) {
	f := newFake(t)
	creds := map[string]string{"username": compliancelytest.Username, "password": compliancelytest.Password}
	for _, p := range []string{"/api/v2/token", "/api/v2/token/create", "/api/v2/token/refresh", "/api/v2/token/validate"} {
		st, _, h := f.do(http.MethodPost, p, "application/json", creds, "")
		assert.Equal(t, http.StatusNotFound, st, p)
		assert.Contains(t, h.Get("Content-Type"), "text/html", p)
	}
	assert.Zero(t, f.srv.Logins())
}

func TestTokenLifetimesAndRotation(t *testing.T) {
	f := newFake(t)
	access, refresh := f.login()
	api := func(tok string) int {
		st, _, _ := f.do(http.MethodGet, "/api/v2/taxexempt/", "", nil, tok)
		return st
	}
	assert.Equal(t, http.StatusMethodNotAllowed, api(access), "authenticated; the call is a POST")
	assert.Equal(t, http.StatusUnauthorized, api(""))
	assert.Equal(t, http.StatusUnauthorized, api(refresh), "a refresh token is not an access token")

	st, out := f.post("/api/v2/token/refresh/", map[string]string{"refresh": refresh})
	require.Equal(t, http.StatusOK, st)
	newRefresh := out["new_refresh_token"].(string)
	require.NotEmpty(t, out["new_access_token"])
	st, out = f.post("/api/v2/token/refresh/", map[string]string{"refresh": refresh})
	assert.Equal(t, http.StatusUnauthorized, st, "the rotated refresh token is refused")
	assert.Equal(t, "token_not_valid", out["code"])

	f.clk.Advance(time.Hour)
	assert.Equal(t, http.StatusUnauthorized, api(access), "access tokens live 1 hour")
	f.clk.Advance(23*time.Hour - time.Second)
	st, _ = f.post("/api/v2/token/refresh/", map[string]string{"refresh": newRefresh})
	assert.Equal(t, http.StatusOK, st, "refresh tokens live 24 hours")
	assert.Equal(t, 2, f.srv.Refreshes())
}

// Rule: Simple JWT's verify view answers 200 {} for a valid token and 401
// token_not_valid otherwise.
func TestValidateEndpoint(t *testing.T) {
	f := newFake(t)
	access, refresh := f.login()
	st, out := f.post("/api/v2/token/validate/", map[string]string{"token": access})
	require.Equal(t, http.StatusOK, st)
	assert.Empty(t, out)
	st, _ = f.post("/api/v2/token/validate/", map[string]string{"token": refresh})
	assert.Equal(t, http.StatusOK, st, "verify accepts any valid token")
	f.srv.ExpireAccessTokens()
	st, out = f.post("/api/v2/token/validate/", map[string]string{"token": access})
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, "token_not_valid", out["code"])
	st, _ = f.post("/api/v2/token/validate/", map[string]string{"token": "garbage"})
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, 4, f.srv.Validations())
}

func TestValidateStatusAnswer(t *testing.T) {
	f := newFake(t, compliancelytest.WithValidateAnswer(compliancelytest.StatusAnswer))
	access, _ := f.login()
	f.clk.Advance(10 * time.Minute)
	st, out := f.post("/api/v2/token/validate/", map[string]string{"token": access})
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, true, out["valid"])
	assert.EqualValues(t, 50*60, out["remaining_seconds"])
	f.srv.ExpireAccessTokens()
	_, out = f.post("/api/v2/token/validate/", map[string]string{"token": access})
	assert.Equal(t, "expired", out["status"])
	_, out = f.post("/api/v2/token/validate/", map[string]string{"token": "garbage"})
	assert.Equal(t, "invalid", out["status"])
}

// 10 requests a minute per account, then 429 with the seed's body for 10
// minutes; login and refresh count.
func TestRateLimitWindow(t *testing.T) {
	f := newFake(t)
	access, refresh := f.login()
	st, _ := f.post("/api/v2/token/refresh/", map[string]string{"refresh": refresh})
	require.Equal(t, http.StatusOK, st)
	for i := range 8 {
		f.clk.Advance(time.Second)
		st, _, _ := f.do(http.MethodGet, "/api/v2/taxexempt/", "", nil, access)
		require.Equal(t, http.StatusMethodNotAllowed, st, "request %d", i+3)
	}
	st, out, h := f.do(http.MethodGet, "/api/v2/taxexempt/", "", nil, access)
	assert.Equal(t, http.StatusTooManyRequests, st)
	assert.Equal(t, map[string]any{"detail": compliancelytest.ThrottledDetail}, out)
	assert.Equal(t, "600", h.Get("Retry-After"), "the fake's own 429 says when it accepts again")

	f.clk.Advance(9*time.Minute + 59*time.Second)
	st, _, _ = f.do(http.MethodGet, "/api/v2/taxexempt/", "", nil, access)
	assert.Equal(t, http.StatusTooManyRequests, st, "still inside the 10 minutes")
	f.clk.Advance(time.Second)
	st, _, _ = f.do(http.MethodGet, "/api/v2/taxexempt/", "", nil, access)
	assert.Equal(t, http.StatusMethodNotAllowed, st, "10 minutes later")
	assert.Equal(t, 2, f.srv.RateLimited())

	// Another account has its own window.
	g := newFake(t, compliancelytest.WithAccount("a", "pa"), compliancelytest.WithAccount("b", "pb"))
	for range 10 {
		st, _ := g.post("/api/v2/token/", map[string]string{"username": "a", "password": "pa"})
		require.Equal(t, http.StatusOK, st)
	}
	st, _ = g.post("/api/v2/token/", map[string]string{"username": "a", "password": "pa"})
	assert.Equal(t, http.StatusTooManyRequests, st)
	st, _ = g.post("/api/v2/token/", map[string]string{"username": "b", "password": "pb"})
	assert.Equal(t, http.StatusOK, st)
	assert.Equal(t, "a", g.srv.Config().Username)
}

// Rule: DRF's window counts both ends, so a request exactly one window
// after the first of ten is refused.
func TestRateLimitCountsBothEnds(t *testing.T) {
	f := newFake(t, compliancelytest.WithRateLimit(10, time.Minute, 0))
	for range 10 {
		st, _ := f.post("/api/v2/token/validate/", map[string]string{"token": "x"})
		require.Equal(t, http.StatusUnauthorized, st)
		f.clk.Advance(6 * time.Second)
	}
	st, _, h := f.do(http.MethodPost, "/api/v2/token/validate/", "application/json", map[string]string{"token": "x"}, "")
	assert.Equal(t, http.StatusTooManyRequests, st, "paced at exactly 10 a minute")
	assert.Equal(t, "1", h.Get("Retry-After"))
	f.clk.Advance(time.Millisecond)
	st, _ = f.post("/api/v2/token/validate/", map[string]string{"token": "x"})
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, 11, f.srv.MaxRequestsIn("", time.Minute))
}

// Rule: POST /api/v2/taxexempt/ takes tin or name and answers the v2
// envelope; errors come as {"errors":[{"code","message"}]}.
func TestTaxExemptRules(t *testing.T) {
	f := newFake(t)
	access, _ := f.login()
	st, out, _ := f.do(http.MethodPost, "/api/v2/taxexempt/", "application/json", map[string]any{"tin": "111232312", "webhook_urls": []string{}}, access)
	require.Equal(t, http.StatusCreated, st)
	assert.Equal(t, true, out["success"])
	assert.Equal(t, "Created new TAX Exempt record", out["success_message"])
	data := out["data"].(map[string]any)
	assert.Equal(t, float64(1), data["id"])
	assert.Equal(t, "Pending", data["status"])
	st, out, _ = f.do(http.MethodPost, "/api/v2/taxexempt/", "application/json", map[string]string{"tin": "1112"}, access)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, false, out["success"])
	assert.Nil(t, out["data"])
	assert.Equal(t, []any{map[string]any{"code": "tin", "message": "Please enter valid TIN/EIN"}}, out["errors"])
	st, _, _ = f.do(http.MethodPost, "/api/v2/taxexempt", "application/json", map[string]string{"tin": "111232312"}, access)
	assert.Equal(t, http.StatusNotFound, st, "no trailing slash")
	f.srv.SetCredits(0)
	st, out, _ = f.do(http.MethodPost, "/api/v2/taxexempt/", "application/json", map[string]string{"name": "Acme"}, access)
	assert.Equal(t, http.StatusForbidden, st)
	assert.Equal(t, "credit_message", out["code"])
	assert.Equal(t, 1, f.srv.TaxExempts())
}
