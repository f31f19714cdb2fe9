package genericjwttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// call sends a raw request and returns the status and the decoded body.
func call(t *testing.T, method, u, contentType, body, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out), string(data))
	return resp.StatusCode, out
}

const form = "application/x-www-form-urlencoded"

func loginForm(user, pass string, extra ...string) string {
	v := url.Values{"username": {user}, "password": {pass}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v.Encode()
}

func login(t *testing.T, srv *genericjwttest.Server) string {
	t.Helper()
	st, out := call(t, http.MethodPost, srv.URL+genericjwt.DefaultLoginPath, form,
		loginForm(genericjwttest.DefaultUsername, genericjwttest.DefaultPassword, "grant_type", "password"), "")
	require.Equal(t, http.StatusOK, st, out)
	assert.Equal(t, "bearer", out["token_type"])
	return out["access_token"].(string)
}

func claims(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(tok, c)
	require.NoError(t, err)
	return c
}

func TestLoginIssuesJWTWithLifetimeOnTheClock(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk), genericjwttest.WithTokenLifetime(20*time.Minute))
	defer srv.Close()

	tok := login(t, srv)
	exp, err := claims(t, tok).GetExpirationTime()
	require.NoError(t, err)
	assert.True(t, t0.Add(20*time.Minute).Equal(exp.Time))
	assert.Equal(t, 1, srv.Logins())
	assert.Equal(t, 1, srv.LiveTokens())

	st, me := call(t, http.MethodGet, srv.URL+"/users/me", "", "", tok)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, genericjwttest.DefaultUsername, me["email"])
	assert.Equal(t, claims(t, tok)["sub"], me["id"])
	for _, k := range []string{"is_active", "is_verified"} {
		assert.Equal(t, true, me[k], k)
	}

	clk.Advance(20 * time.Minute)
	st, out := call(t, http.MethodGet, srv.URL+"/users/me", "", "", tok)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, "Unauthorized", out["detail"])
	assert.Equal(t, 1, srv.ExpiredRejections())
	assert.Equal(t, 1, srv.Unauthorized())
	assert.Zero(t, srv.LiveTokens())
}

func TestLifetimeZeroIssuesTokensWithoutExp(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk), genericjwttest.WithTokenLifetime(0))
	defer srv.Close()
	tok := login(t, srv)
	_, hasExp := claims(t, tok)["exp"]
	assert.False(t, hasExp)

	clk.Advance(365 * 24 * time.Hour)
	st, _ := call(t, http.MethodGet, srv.URL+"/users/me", "", "", tok)
	assert.Equal(t, http.StatusOK, st, "valid until revoked")

	srv.RevokeTokens()
	st, _ = call(t, http.MethodGet, srv.URL+"/users/me", "", "", tok)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Zero(t, srv.ExpiredRejections(), "revoked, not expired")
}

func TestLoginRules(t *testing.T) {
	srv := genericjwttest.NewServer(
		genericjwttest.WithUnverifiedUser("new@example.com", "pw-new"),
		genericjwttest.WithInactiveUser("gone@example.com", "pw-gone"),
	)
	defer srv.Close()
	u := srv.URL + genericjwt.DefaultLoginPath
	jsonBody := `{"username":"` + genericjwttest.DefaultUsername + `","password":"` + genericjwttest.DefaultPassword + `"}`

	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		detail                  any
	}{
		{"wrong password", form, loginForm(genericjwttest.DefaultUsername, "nope"), 400, genericjwt.CodeBadCredentials},
		{"unknown user", form, loginForm("who@example.com", "nope"), 400, genericjwt.CodeBadCredentials},
		{"inactive user", form, loginForm("gone@example.com", "pw-gone"), 400, genericjwt.CodeBadCredentials},
		{"unverified, wrong password", form, loginForm("new@example.com", "nope"), 400, genericjwt.CodeBadCredentials},
		{"unverified", form, loginForm("new@example.com", "pw-new"), 400, genericjwt.CodeUserNotVerified},
		{"JSON body", "application/json", jsonBody, 422, []any{
			map[string]any{"type": "missing", "loc": []any{"body", "username"}, "msg": "Field required", "input": nil},
			map[string]any{"type": "missing", "loc": []any{"body", "password"}, "msg": "Field required", "input": nil},
		}},
		{"no content type", "", loginForm(genericjwttest.DefaultUsername, genericjwttest.DefaultPassword), 422, nil},
		{"multipart", "multipart/form-data; boundary=x", "--x--", 422, nil},
		{"empty password", form, loginForm(genericjwttest.DefaultUsername, ""), 422, []any{
			map[string]any{"type": "missing", "loc": []any{"body", "password"}, "msg": "Field required", "input": nil},
		}},
		{"bad grant_type", form, loginForm(genericjwttest.DefaultUsername, genericjwttest.DefaultPassword, "grant_type", "client_credentials"), 422, []any{
			map[string]any{"type": "string_pattern_mismatch", "loc": []any{"body", "grant_type"},
				"msg": "String should match pattern '^password$'", "input": "client_credentials", "ctx": map[string]any{"pattern": "^password$"}},
		}},
	} {
		st, out := call(t, http.MethodPost, u, tc.contentType, tc.body, "")
		assert.Equal(t, tc.status, st, tc.name)
		if tc.detail != nil {
			assert.Equal(t, tc.detail, out["detail"], tc.name)
		}
	}
	assert.Zero(t, srv.Logins())
	assert.Equal(t, 10, srv.LoginAttempts())
	assert.Equal(t, 10, srv.Rejected())

	// No grant_type and a charset parameter are fine.
	st, _ := call(t, http.MethodPost, u, form+"; charset=utf-8", loginForm(genericjwttest.DefaultUsername, genericjwttest.DefaultPassword), "")
	assert.Equal(t, http.StatusOK, st)
	assert.Equal(t, 1, srv.Logins())
}

func TestProtectedRoutes(t *testing.T) {
	clk := clock.NewFake(t0)
	var seen string
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk),
		genericjwttest.WithHandler("POST /api/v1/cases/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = genericjwttest.Username(r) + " " + r.PathValue("id")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true}`))
		})))
	defer srv.Close()
	tok := login(t, srv)
	forged := tok[:len(tok)-2] + "xx"

	for _, p := range []string{"/users/me", genericjwttest.ResourcePath} {
		for _, bad := range []string{"", "not-a-jwt", forged} {
			st, out := call(t, http.MethodGet, srv.URL+p, "", "", bad)
			assert.Equal(t, http.StatusUnauthorized, st, p)
			assert.Equal(t, "Unauthorized", out["detail"])
		}
		st, _ := call(t, http.MethodGet, srv.URL+p, "", "", tok)
		assert.Equal(t, http.StatusOK, st, p)
		st, out := call(t, http.MethodDelete, srv.URL+p, "", "", tok)
		assert.Equal(t, http.StatusMethodNotAllowed, st, p)
		assert.Equal(t, "Method Not Allowed", out["detail"])
	}
	assert.Equal(t, 6, srv.Unauthorized())

	st, _ := call(t, http.MethodPost, srv.URL+"/api/v1/cases/c-7", "", "", "")
	assert.Equal(t, http.StatusUnauthorized, st, "user routes are protected")
	assert.Empty(t, seen)
	st, out := call(t, http.MethodPost, srv.URL+"/api/v1/cases/c-7", "", "", tok)
	assert.Equal(t, http.StatusOK, st)
	assert.Equal(t, true, out["ok"])
	assert.Equal(t, genericjwttest.DefaultUsername+" c-7", seen)

	st, out = call(t, http.MethodGet, srv.URL+"/nowhere", "", "", tok)
	assert.Equal(t, http.StatusNotFound, st)
	assert.Equal(t, "Not Found", out["detail"])
	st, _ = call(t, http.MethodGet, srv.URL+genericjwt.DefaultLoginPath, "", "", "")
	assert.Equal(t, http.StatusMethodNotAllowed, st)
	assert.Equal(t, 1, srv.LoginAttempts(), "a GET on the login route is not a login attempt")

	srv.ExpireTokens()
	st, _ = call(t, http.MethodGet, srv.URL+"/users/me", "", "", tok)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, 1, srv.ExpiredRejections())
}

func TestKnobsAndCounters(t *testing.T) {
	srv := genericjwttest.NewServer(genericjwttest.WithLoginPath("/login"), genericjwttest.WithMePath("/me"))
	defer srv.Close()
	cfg := srv.Config()
	assert.Equal(t, srv.URL, cfg.BaseURL)
	assert.Equal(t, "/login", cfg.LoginPath)
	assert.Equal(t, "/me", cfg.MePath)
	assert.Equal(t, genericjwttest.DefaultUsername, cfg.Username)
	assert.Equal(t, genericjwttest.DefaultPassword, string(cfg.Password))

	srv.FailNext("/me", 1, http.StatusServiceUnavailable, nil)
	st, out := call(t, http.MethodGet, srv.URL+"/me", "", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, st, "faults answer before the token check")
	assert.Equal(t, "Service Unavailable", out["detail"], "FastAPI's HTTPException body")
	srv.RateLimitNext("", 1, "7")
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/anything", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "7", resp.Header.Get("Retry-After"))

	srv.DelayNext("/me", 1, 30*time.Millisecond)
	start := time.Now()
	st, _ = call(t, http.MethodGet, srv.URL+"/me", "", "", "")
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)

	assert.Equal(t, 3, srv.Requests())
	assert.Equal(t, 2, srv.Calls("/me"))
	assert.Equal(t, 2, srv.Faults())
	assert.Equal(t, 1, srv.Rejected())
	srv.FailNext("", 5, http.StatusInternalServerError, nil)
	srv.ClearFaults()
	st, _ = call(t, http.MethodGet, srv.URL+"/me", "", "", "")
	assert.Equal(t, http.StatusUnauthorized, st, "faults cleared")
	srv.ResetCounts()
	assert.Zero(t, srv.Requests())
}

// Rule: Starlette redirects a path with the wrong trailing slash with 307
// (the client keeps method and body); nothing is judged there.
func TestWrongTrailingSlashRedirects(t *testing.T) {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Post(srv.URL+genericjwt.DefaultLoginPath+"/?x=1", form,
		strings.NewReader(loginForm(genericjwttest.DefaultUsername, genericjwttest.DefaultPassword)))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode)
	assert.Equal(t, genericjwt.DefaultLoginPath+"?x=1", resp.Header.Get("Location"))
	assert.Zero(t, srv.LoginAttempts())
	c.CloseIdleConnections()
}

func TestPydanticV1Shape(t *testing.T) {
	srv := genericjwttest.NewServer(genericjwttest.WithPydanticV1())
	defer srv.Close()
	st, out := call(t, http.MethodPost, srv.URL+genericjwt.DefaultLoginPath, "application/json", `{}`, "")
	require.Equal(t, http.StatusUnprocessableEntity, st)
	item := out["detail"].([]any)[0].(map[string]any)
	assert.Equal(t, "value_error.missing", item["type"])
	assert.NotContains(t, item, "input", "v1 has no input")
}

// A fake made WithInMemory and its Transport run inside a synctest bubble:
// a token's hour passes in no real time.
func TestInMemoryInsideSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := genericjwttest.NewServer(genericjwttest.WithInMemory())
		defer srv.Close()
		hc := srv.Client()
		post := func() int {
			resp, err := hc.Post(srv.URL+genericjwt.DefaultLoginPath, form,
				strings.NewReader(loginForm(genericjwttest.DefaultUsername, genericjwttest.DefaultPassword)))
			require.NoError(t, err)
			defer resp.Body.Close()
			var out map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			tok, _ := out["access_token"].(string)
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/users/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			time.Sleep(time.Hour) // the default lifetime
			me, err := hc.Do(req)
			require.NoError(t, err)
			_ = me.Body.Close()
			return me.StatusCode
		}
		assert.Equal(t, http.StatusUnauthorized, post(), "expired on the bubble's clock")
		assert.Equal(t, 1, srv.Logins())
		assert.Equal(t, 1, srv.ExpiredRejections())
	})
}
