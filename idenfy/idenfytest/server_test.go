package idenfytest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
)

// raw sends a request straight to the fake, bypassing the client's own
// checks, and returns the status and the decoded iDenfy error (if any).
func raw(t *testing.T, srv *idenfytest.Server, method, path, contentType, body string, creds ...string) (int, idenfy.APIError, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	key, secret := idenfytest.APIKey, idenfytest.APISecret
	if len(creds) == 2 {
		key, secret = creds[0], creds[1]
	}
	if key != "" {
		req.SetBasicAuth(key, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var e idenfy.APIError
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e, b
}

func newServer(t *testing.T, opts ...idenfytest.Option) (*idenfytest.Server, *clock.Fake) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := idenfytest.NewServer(append([]idenfytest.Option{idenfytest.WithClock(clk)}, opts...)...)
	t.Cleanup(srv.Close)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return srv, clk
}

const okKYB = `{"tokenType":"FORM","clientId":"c"}`

func TestAuthentication(t *testing.T) {
	srv, _ := newServer(t)
	for _, creds := range [][]string{{"", ""}, {idenfytest.APIKey, "wrong"}, {"wrong", idenfytest.APISecret}, {idenfytest.APISecret, idenfytest.APIKey}} {
		status, e, _ := raw(t, srv, http.MethodPost, "/kyb/tokens/", "application/json", okKYB, creds...)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, "UNAUTHORIZED", e.Identifier)
	}
	status, _, _ := raw(t, srv, http.MethodPost, "/kyb/tokens/", "application/json", okKYB)
	assert.Equal(t, http.StatusCreated, status)
	assert.Equal(t, 4, srv.Rejected())
	// iDenfy has no login: the key pair goes with every request, so a
	// refused key pair is a rejected request, not a login attempt.
	assert.Zero(t, srv.LoginAttempts())
	assert.Zero(t, srv.Logins())

	custom, _ := newServer(t, idenfytest.WithCredentials("k2", "s2"))
	status, _, _ = raw(t, custom, http.MethodPost, "/kyb/tokens/", "application/json", okKYB, "k2", "s2")
	assert.Equal(t, http.StatusCreated, status)
	assert.Equal(t, "k2", string(custom.Config().APIKey))
}

func TestProtocolRules(t *testing.T) {
	srv, _ := newServer(t)
	for _, tt := range []struct {
		method, path, ctype, body string
		status                    int
		identifier                string
	}{
		{"POST", "/kyb/tokens/", "application/x-www-form-urlencoded", "tokenType=FORM", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"POST", "/kyb/tokens/", "", okKYB, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"POST", "/kyb/tokens/", "application/json; charset=utf-8", okKYB, 201, ""},
		{"POST", "/kyb/tokens", "application/json", okKYB, 404, "NOT_FOUND"},
		{"GET", "/kyb/tokens/", "application/json", "", 405, "METHOD_NOT_ALLOWED"},
		{"POST", "/kyb/tokens/abc/", "application/json", `{}`, 405, "METHOD_NOT_ALLOWED"},
		{"POST", "/api/v2/token", "application/json", `{`, 400, "JSON_ERROR"},
		{"POST", "/api/v2/token", "application/json", `[]`, 400, "JSON_ERROR"},
		{"POST", "/api/v2/token", "application/json", `{"clientId":7}`, 400, "BAD_VALUE"},
		{"POST", "/api/v2/token", "application/json", `{}`, 400, "MISSING_VALUE"},
		{"POST", "/api/v2/status", "application/json", `{}`, 400, "MISSING_VALUE"},
		{"POST", "/api/v2/status", "application/json", `{"scanRef":"nope"}`, 404, "NOT_FOUND"},
		{"POST", "/api/v2/delete", "text/plain", `{"scanRef":"nope"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"PATCH", "/kyb/tokens/unknown/", "application/json", `{"tags":["a"]}`, 404, "NOT_FOUND"},
	} {
		status, e, _ := raw(t, srv, tt.method, tt.path, tt.ctype, tt.body)
		assert.Equal(t, tt.status, status, "%s %s %s", tt.method, tt.path, tt.body)
		assert.Equal(t, tt.identifier, e.Identifier, "%s %s %s", tt.method, tt.path, tt.body)
	}
}

// The fake enforces the KYB field rules itself, for clients that do not
// validate.
func TestKYBRulesEnforcedServerSide(t *testing.T) {
	srv, _ := newServer(t)
	for _, tt := range []struct {
		body, identifier, field string
	}{
		{`{"clientId":"c"}`, "MISSING_VALUE", "tokenType"},
		{`{"tokenType":"FORM"}`, "MISSING_VALUE", "clientId"},
		{`{"tokenType":"KYC","clientId":"c"}`, "BAD_VALUE", "tokenType"},
		{`{"tokenType":"FORM","clientId":"` + strings.Repeat("c", 101) + `"}`, "BAD_VALUE", "clientId"},
		{`{"tokenType":"FORM","clientId":"c","lifetime":2592001}`, "BAD_VALUE", "lifetime"},
		{`{"tokenType":"FORM","clientId":"c","lifetime":-5}`, "BAD_VALUE", "lifetime"},
		{`{"tokenType":"FORM","clientId":"c","externalRef":"` + strings.Repeat("e", 41) + `"}`, "BAD_VALUE", "externalRef"},
		{`{"tokenType":"FORM","clientId":"c","locale":"zz"}`, "BAD_VALUE", "locale"},
		{`{"tokenType":"FORM","clientId":"c","flow":"x"}`, "BAD_VALUE", "flow"},
		{`{"tokenType":"FORM","clientId":"c","theme":"x"}`, "BAD_VALUE", "theme"},
		{`{"tokenType":"FORM","clientId":"c","questionnaire":""}`, "BAD_VALUE", "questionnaire"},
		{`{"tokenType":"FORM","clientId":"c","tags":["1","2","3","4","5","6"]}`, "BAD_VALUE", "tags"},
		{`{"tokenType":"FORM","clientId":"c","tags":["a,b"]}`, "BAD_VALUE", "tags[0]"},
		{`{"tokenType":"FORM","clientId":"c","tags":["` + strings.Repeat("t", 33) + `"]}`, "BAD_VALUE", "tags[0]"},
		{`{"tokenType":"FORM","clientId":"c","scanRefs":["ok",""]}`, "BAD_VALUE", "scanRefs[1]"},
		{`{"tokenType":"FORM","clientId":"c","scanRefs":["a,b"]}`, "BAD_VALUE", "scanRefs[0]"},
	} {
		status, e, _ := raw(t, srv, "POST", "/kyb/tokens/", "application/json", tt.body)
		assert.Equal(t, http.StatusBadRequest, status, tt.body)
		assert.Equal(t, tt.identifier, e.Identifier, tt.body)
		assert.True(t, strings.HasPrefix(e.Message, tt.field+":"), "%s: %q", tt.body, e.Message)
	}
	assert.Equal(t, 16, srv.Rejected())
	assert.Equal(t, 16, srv.Calls(idenfytest.PathKYBTokens))

	// null where the schema allows it is accepted.
	status, _, b := raw(t, srv, "POST", "/kyb/tokens/", "application/json",
		`{"tokenType":"FORM","clientId":"c","externalRef":null,"flow":null,"theme":null,"questionnaire":null,"scanRefs":null}`)
	assert.Equal(t, http.StatusCreated, status, string(b))
}

func TestKYBTokenLifetimeOnTheClock(t *testing.T) {
	srv, clk := newServer(t, idenfytest.WithTokenLifetime(10*time.Minute))
	status, _, b := raw(t, srv, "POST", "/kyb/tokens/", "application/json", okKYB)
	require.Equal(t, http.StatusCreated, status)
	var tok idenfy.KYBToken
	require.NoError(t, json.Unmarshal(b, &tok))
	assert.Equal(t, clk.Now().Add(10*time.Minute), tok.Expiration)
	assert.True(t, tok.IsValid)
	assert.Contains(t, string(b), `"expiration":"2026-01-01T00:10:00Z"`, "RFC 3339 on the wire")
	assert.Equal(t, 2, strings.Count(tok.TokenString, "."), "a JWT")

	path := "/kyb/tokens/" + tok.TokenString + "/"
	clk.Advance(10*time.Minute - time.Second)
	status, _, _ = raw(t, srv, "PATCH", path, "application/json", `{"tags":["a"]}`)
	assert.Equal(t, http.StatusOK, status)
	clk.Advance(time.Second)
	status, e, _ := raw(t, srv, "PATCH", path, "application/json", `{"tags":["b"]}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "TOKEN_NOT_VALID", e.Identifier)

	// An explicit lifetime of 0 is born expired.
	status, _, b = raw(t, srv, "POST", "/kyb/tokens/", "application/json", `{"tokenType":"FORM","clientId":"c","lifetime":0}`)
	require.Equal(t, http.StatusCreated, status)
	require.NoError(t, json.Unmarshal(b, &tok))
	assert.False(t, tok.IsValid)
}

func TestRateLimitWindow(t *testing.T) {
	srv, clk := newServer(t, idenfytest.WithRateLimit(3, time.Minute, 0))
	for range 3 {
		status, _, _ := raw(t, srv, "POST", "/api/v2/status", "application/json", `{"scanRef":"x"}`)
		assert.Equal(t, http.StatusNotFound, status)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v2/status", bytes.NewReader([]byte(`{"scanRef":"x"}`)))
	req.SetBasicAuth(idenfytest.APIKey, idenfytest.APISecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "60", resp.Header.Get("Retry-After"))

	clk.Advance(time.Minute)
	status, _, _ := raw(t, srv, "POST", "/api/v2/status", "application/json", `{"scanRef":"x"}`)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestFaultKnobsAndCounters(t *testing.T) {
	srv, _ := newServer(t)
	srv.FailNext("", 1, http.StatusServiceUnavailable, nil)
	status, e, _ := raw(t, srv, "POST", "/kyb/tokens/", "application/json", okKYB)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "INJECTED_FAULT", e.Identifier)

	srv.FailNext(idenfytest.PathStatus, 1, http.StatusBadGateway, nil)
	status, _, _ = raw(t, srv, "POST", "/kyb/tokens/", "application/json", okKYB)
	assert.Equal(t, http.StatusCreated, status, "a fault for another path does not apply")
	status, _, _ = raw(t, srv, "POST", "/api/v2/status", "application/json", `{"scanRef":"x"}`)
	assert.Equal(t, http.StatusBadGateway, status)

	srv.RateLimitNext("", 1, "7")
	status, e, _ = raw(t, srv, "POST", "/kyb/tokens/", "application/json", okKYB)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "TOO_MANY_REQUESTS", e.Identifier)

	srv.FailNext("", 5, 500, nil)
	srv.ClearFaults()
	status, _, _ = raw(t, srv, "POST", "/kyb/tokens/", "application/json", okKYB)
	assert.Equal(t, http.StatusCreated, status)

	assert.Equal(t, 5, srv.Requests())
	assert.Equal(t, 3, srv.Faults())
	assert.Equal(t, 4, srv.Calls(idenfytest.PathKYBTokens))
	assert.Zero(t, srv.Rejected())
	srv.ResetCounts()
	assert.Zero(t, srv.Requests())
}

func TestKYCStateAndCallback(t *testing.T) {
	srv, clk := newServer(t)
	status, _, b := raw(t, srv, "POST", "/api/v2/token", "application/json", `{"clientId":"u1","firstName":"Ann","expiryTime":120}`)
	require.Equal(t, http.StatusCreated, status)
	var tok idenfy.VerificationToken
	require.NoError(t, json.Unmarshal(b, &tok))
	assert.Equal(t, 120, tok.ExpiryTime)
	assert.Contains(t, tok.RedirectURL, srv.URL+"/api/v2/redirect?authToken=")

	v, ok := srv.Verification(tok.ScanRef)
	require.True(t, ok)
	assert.Equal(t, "ACTIVE", v.Status)
	clk.Advance(2 * time.Minute)
	v, _ = srv.Verification(tok.ScanRef)
	assert.Equal(t, "EXPIRED", v.Status)

	require.True(t, srv.SetStatus(tok.ScanRef, idenfy.StatusSuspected))
	cbBody, ok := srv.Callback(tok.ScanRef)
	require.True(t, ok)
	var cb struct {
		Final  bool `json:"final"`
		Status struct {
			Overall string `json:"overall"`
		} `json:"status"`
		Data struct {
			DocFirstName string `json:"docFirstName"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(cbBody, &cb))
	assert.Equal(t, "SUSPECTED", cb.Status.Overall)
	assert.True(t, cb.Final)
	assert.Equal(t, "ANN", cb.Data.DocFirstName)
	assert.False(t, srv.SetStatus("nope", idenfy.StatusApproved))
	_, ok = srv.Callback("nope")
	assert.False(t, ok)

	status, _, b = raw(t, srv, "POST", "/api/v2/delete", "application/json", `{"scanRef":"`+tok.ScanRef+`"}`)
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, b, "delete answers an empty body")
	v, _ = srv.Verification(tok.ScanRef)
	assert.Equal(t, "DELETED", v.Status)
}

func TestSignWebhook(t *testing.T) {
	srv, _ := newServer(t, idenfytest.WithWebhookKey("k"))
	body := []byte(`{"a":1}`)
	// HMAC-SHA256("k", `{"a":1}`), computed with openssl dgst -sha256 -hmac k.
	assert.Equal(t, "c3a92ff9e274cdcce27a58c15a78ec6dcbbdbd0038a87e7a11baef2028fd8bff", srv.SignWebhook(body))
	assert.NoError(t, idenfy.VerifyWebhook(body, srv.SignWebhook(body), srv.WebhookKey()))
}

func TestOptionsAndAccessors(t *testing.T) {
	hc := &http.Client{Timeout: time.Second}
	srv, clk := newServer(t, idenfytest.WithWebhookClient(hc), idenfytest.WithRateLimit(0, 0, 0))
	assert.Equal(t, clk.Now(), srv.Clock().Now())
	assert.Equal(t, srv.URL, srv.Config().BaseURL)
	for range 20 {
		status, _, _ := raw(t, srv, "POST", "/api/v2/status", "application/json", `{"scanRef":"x"}`)
		require.Equal(t, http.StatusNotFound, status, "no rate limit")
	}
}
