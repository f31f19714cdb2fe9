package icomplytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
)

type fake struct {
	t   *testing.T
	clk *clock.Fake
	srv *icomplytest.Server
	hc  *http.Client
}

func newFake(t *testing.T, opts ...icomplytest.Option) *fake {
	clk := clock.NewFake(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	srv := icomplytest.NewServer(append([]icomplytest.Option{icomplytest.WithClock(clk)}, opts...)...)
	t.Cleanup(srv.Close)
	return &fake{t: t, clk: clk, srv: srv, hc: srv.Client()}
}

// do sends a request and returns status, headers and body.
func (f *fake) do(method, path, contentType string, body []byte, header map[string]string) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	require.NoError(f.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := f.hc.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, resp.Header, b
}

func multipartBody(t *testing.T, fields map[string]string) (string, []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, w.WriteField(k, v))
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), buf.Bytes()
}

// login returns a token from gettoken.
func (f *fake) login() string {
	ct, body := multipartBody(f.t, map[string]string{"Username": icomplytest.Username, "Password": icomplytest.Password})
	status, _, b := f.do(http.MethodPost, icomply.TokenPath, ct, body, nil)
	require.Equal(f.t, http.StatusOK, status, string(b))
	var ans struct{ Token string }
	require.NoError(f.t, json.Unmarshal(b, &ans))
	require.NotEmpty(f.t, ans.Token)
	return ans.Token
}

func TestGetTokenTakesOnlyMultipart(t *testing.T) {
	f := newFake(t)
	form := url.Values{"Username": {icomplytest.Username}, "Password": {icomplytest.Password}}
	for ct, body := range map[string][]byte{
		"application/x-www-form-urlencoded": []byte(form.Encode()),
		"application/json":                  []byte(`{"Username":"fake-user","Password":"fake-password"}`),
		"":                                  nil,
	} {
		status, _, b := f.do(http.MethodPost, icomply.TokenPath, ct, body, nil)
		assert.Equal(t, http.StatusUnsupportedMediaType, status, ct)
		assert.Contains(t, string(b), `"title":"Unsupported Media Type"`)
	}
	assert.Equal(t, 3, f.srv.Rejected())
	assert.Zero(t, f.srv.Logins())

	f.login()
	assert.Equal(t, 1, f.srv.Logins())
	assert.Equal(t, 4, f.srv.Calls(icomply.TokenPath))

	status, _, _ := f.do(http.MethodGet, icomply.TokenPath, "", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

func TestGetTokenRules(t *testing.T) {
	f := newFake(t)
	ct, body := multipartBody(t, map[string]string{"Password": icomplytest.Password})
	status, _, b := f.do(http.MethodPost, icomply.TokenPath, ct, body, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(b), `"Username":["The Username field is required."]`)

	ct, body = multipartBody(t, map[string]string{"Username": icomplytest.Username, "Password": "nope"})
	status, _, b = f.do(http.MethodPost, icomply.TokenPath, ct, body, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Empty(t, b)

	ct, body = multipartBody(t, map[string]string{"username": icomplytest.Username, "password": icomplytest.Password})
	status, _, _ = f.do(http.MethodPost, icomply.TokenPath, ct, body, nil)
	assert.Equal(t, http.StatusBadRequest, status, "field names as documented: Username, Password")
	assert.Equal(t, 3, f.srv.Rejected())
	assert.Zero(t, f.srv.Logins())
}

func TestTokensLiveTwentyMinutesOnTheClock(t *testing.T) {
	f := newFake(t)
	tok := f.login()
	valid := func(h string) int {
		status, _, _ := f.do(http.MethodGet, icomply.TokenValidPath, "", nil, map[string]string{"Authorization": h})
		return status
	}
	assert.Equal(t, http.StatusOK, valid("Bearer "+tok))
	assert.Equal(t, http.StatusUnauthorized, valid(tok), "Rule: the token is sent as a Bearer token; a bare one is refused")
	f.clk.Advance(20*time.Minute - time.Second)
	status, _, b := f.do(http.MethodGet, icomply.TokenValidPath, "", nil, map[string]string{"Authorization": "Bearer " + tok})
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"isTokenValid":true}`, string(b))
	assert.Equal(t, 1, f.srv.LiveTokens())

	f.clk.Advance(time.Second)
	status, h, _ := f.do(http.MethodGet, icomply.EntitiesPath, "", nil, map[string]string{"Authorization": "Bearer " + tok})
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, h.Get("WWW-Authenticate"), "invalid_token")
	assert.Equal(t, 1, f.srv.RejectedExpired())
	assert.Zero(t, f.srv.LiveTokens())
	assert.Equal(t, http.StatusUnauthorized, valid("Bearer not-a-token"))
	assert.Equal(t, http.StatusUnauthorized, valid(""))
	assert.Equal(t, 1, f.srv.RejectedExpired(), "only expired tokens count there")
}

func TestKnobs(t *testing.T) {
	f := newFake(t, icomplytest.WithTokenLifetime(5*time.Minute), icomplytest.WithCredentials("u", "p"))
	assert.Equal(t, "u", f.srv.Config().Username)
	ct, body := multipartBody(t, map[string]string{"Username": "u", "Password": "p"})
	status, _, _ := f.do(http.MethodPost, icomply.TokenPath, ct, body, nil)
	require.Equal(t, http.StatusOK, status)
	f.clk.Advance(5 * time.Minute)
	assert.Zero(t, f.srv.LiveTokens(), "the lifetime option applies")

	status, _, b := f.do(http.MethodPost, icomply.TokenPath, ct, body, nil)
	require.Equal(t, http.StatusOK, status)
	var ans struct{ Token string }
	require.NoError(t, json.Unmarshal(b, &ans))
	auth := map[string]string{"Authorization": "Bearer " + ans.Token}
	f.srv.RevokeTokens()
	status, _, _ = f.do(http.MethodGet, icomply.EntitiesPath, "", nil, auth)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Zero(t, f.srv.RejectedExpired(), "revoked, not expired")

	key := map[string]string{icomply.DefaultAPIKeyHeader: icomplytest.APIKey}
	f.srv.FailNext(icomply.EntitiesPath, 1, http.StatusBadGateway, nil)
	f.srv.RateLimitNext("", 1, "7")
	status, _, _ = f.do(http.MethodGet, icomply.EntitiesPath, "", nil, key)
	assert.Equal(t, http.StatusBadGateway, status)
	status, h, _ := f.do(http.MethodGet, icomply.EntitiesPath, "", nil, key)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "7", h.Get("Retry-After"))
	f.srv.FailNext("", 5, http.StatusInternalServerError, nil)
	f.srv.ClearFaults()
	status, _, _ = f.do(http.MethodGet, icomply.EntitiesPath, "", nil, key)
	assert.Equal(t, http.StatusOK, status)

	assert.Equal(t, 6, f.srv.Requests())
	f.srv.ResetCounts()
	assert.Zero(t, f.srv.Requests())
}

func TestV2Rules(t *testing.T) {
	f := newFake(t)
	key := map[string]string{icomply.DefaultAPIKeyHeader: icomplytest.APIKey}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "start=-1", "type=people", "descending=maybe"} {
		status, _, b := f.do(http.MethodGet, icomply.EntitiesPath+"?"+q, "", nil, key)
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.Contains(t, string(b), `"status":"failure"`, q)
	}
	status, _, b := f.do(http.MethodGet, icomply.EntitiesPath+"?limit=100&type=legal-entities", "", nil, key)
	assert.Equal(t, http.StatusOK, status)
	var env struct {
		Code   int
		Status string
		Data   []icomply.Entity
	}
	require.NoError(t, json.Unmarshal(b, &env))
	assert.Equal(t, 200, env.Code)
	assert.Len(t, env.Data, 2)

	status, _, _ = f.do(http.MethodGet, icomply.EntitiesPath, "", nil, map[string]string{icomply.DefaultAPIKeyHeader: "wrong"})
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = f.do(http.MethodGet, icomply.EntitiesPath, "", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)

	status, _, _ = f.do(http.MethodPost, icomply.AMLPath, "application/x-www-form-urlencoded", []byte("name=x"), key)
	assert.Equal(t, http.StatusUnsupportedMediaType, status)
	status, _, b = f.do(http.MethodPost, icomply.AMLPath, "application/json", []byte(`{"searchTerm":{}}`), key)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(b), `"messsage":"you need to provide 'name' (string) under AML search term object"`)
	status, _, b = f.do(http.MethodPost, icomply.AMLPath, "application/json", []byte(`{"searchTerm":{"name":"A"}}`), key)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"code":201,"status":"success","message":"","data":{"id":"591"},"errors":[]}`, string(b))
	status, _, b = f.do(http.MethodGet, icomply.AMLPath+"/591", "", nil, key)
	assert.Equal(t, http.StatusOK, status)
	assert.True(t, strings.Contains(string(b), `"id":591`), "a number here, as documented: %s", b)
	status, _, _ = f.do(http.MethodGet, icomply.AMLPath+"/592", "", nil, key)
	assert.Equal(t, http.StatusNotFound, status)

	assert.Equal(t, 10, f.srv.Rejected(), "6 bad queries, 2 bad credentials, 415, 400; not the 404")
}

// LoginAttempts counts every login the fake judged, refused or not;
// injected faults are not judged.
func TestLoginAttemptsCountsRefusedLogins(t *testing.T) {
	f := newFake(t)
	ct, good := multipartBody(t, map[string]string{"Username": icomplytest.Username, "Password": icomplytest.Password})
	badCT, bad := multipartBody(t, map[string]string{"Username": icomplytest.Username, "Password": "wrong"})
	status, _, _ := f.do(http.MethodPost, icomply.TokenPath, badCT, bad, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = f.do(http.MethodPost, icomply.TokenPath, "application/json", []byte(`{}`), nil)
	require.Equal(t, http.StatusUnsupportedMediaType, status)
	status, _, _ = f.do(http.MethodPost, icomply.TokenPath, ct, good, nil)
	require.Equal(t, http.StatusOK, status)
	f.srv.FailNext(icomply.TokenPath, 1, http.StatusServiceUnavailable, nil)
	status, _, _ = f.do(http.MethodPost, icomply.TokenPath, ct, good, nil)
	require.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, 3, f.srv.LoginAttempts())
	assert.Equal(t, 1, f.srv.Logins())
}

// The fake answers Add Natural Person with the v2 envelope, HTTP 200 and
// "code": 201, as iComply answers creations.
func TestAddNaturalPersonAnswer(t *testing.T) {
	f := newFake(t)
	status, _, body := f.do(http.MethodPost, "/api/v2/entities/natural-persons", "application/json",
		[]byte(`{"personalInformation":{"firstName":"John","lastName":"Doe","email":"jdoe@outlook.com"},"kycServices":{"RequestIDV":true}}`),
		map[string]string{icomply.DefaultAPIKeyHeader: icomplytest.APIKey})
	require.Equal(t, http.StatusOK, status, string(body))
	var env struct {
		Code int `json:"code"`
		Data struct {
			KYCMetaData map[string]any `json:"kycMetaData"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	assert.Equal(t, 201, env.Code)
	assert.Equal(t, "New", env.Data.KYCMetaData["kycStatus"])

	status, _, body = f.do(http.MethodPost, "/api/v2/entities/natural-persons", "application/json",
		[]byte(`{"personalInformation":{"firstName":"John","lastName":"Doe"},"kycServices":{"RequestKYB":true}}`),
		map[string]string{icomply.DefaultAPIKeyHeader: icomplytest.APIKey})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), "kycServices.RequestKYB")
}

// The supporting-document events are delivered as the documented ones are
// (the Webhooks page's payload shape, {"id","event","eventType","data",
// "creationTimeUtc"}, with the secret in the payload); their names and
// "data" are inferred (see EventSupportingDocumentBegun).
func TestSupportingDocumentWebhooks(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&v) != nil {
			http.Error(w, "bad delivery", http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, v)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	f := newFake(t, icomplytest.WithWebhook(hook.URL, "whs_test"))

	require.NoError(t, f.srv.SubmitPersonalInfo(context.Background(), icomplytest.PersonPending))
	f.clk.Advance(3 * time.Minute)
	require.NoError(t, f.srv.BeginSupportingDocuments(context.Background(), icomplytest.PersonPending))
	f.clk.Advance(2 * time.Minute)
	require.NoError(t, f.srv.CompleteSupportingDocuments(context.Background(), icomplytest.PersonPending))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 3)
	session := bodies[0]["data"].(map[string]any)["sessionId"]
	require.NotEmpty(t, session)
	for i, want := range []struct{ event, eventType, message string }{
		{icomplytest.EventSupportingDocumentBegun, "natural-person-supporting-document-upload-begun",
			"Jane Roe has begun uploading supporting documents"},
		{icomplytest.EventSupportingDocumentCompleted, "natural-person-supporting-document-upload-completed",
			"Jane Roe has completed uploading supporting documents"},
	} {
		b := bodies[i+1]
		assert.Equal(t, want.event, b["event"])
		assert.Equal(t, want.eventType, b["eventType"])
		assert.Equal(t, "whs_test", b["secret"], "the secret travels in the payload, as with every event")
		assert.NotEmpty(t, b["id"])
		assert.Equal(t, time.Date(2026, 3, 2, 8, 3+2*i, 0, 0, time.UTC).Format(time.RFC3339Nano), b["creationTimeUtc"])
		assert.Equal(t, map[string]any{"entity": "Jane Roe", "entityId": icomplytest.PersonPending,
			"email": "Jane@example.com", "sessionId": session, "message": want.message}, b["data"])
	}
	assert.Equal(t, 3, f.srv.Deliveries())

	// The status is the person's, untouched; an unknown person delivers nothing.
	status, _, body := f.do(http.MethodGet, icomply.NaturalPersonPath+icomplytest.PersonPending, "", nil,
		map[string]string{"Authorization": "Bearer " + f.login()})
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Contains(t, string(body), `"kycStatus":"Pending"`)
	require.Error(t, f.srv.BeginSupportingDocuments(context.Background(), "no-such-person"))
	assert.Equal(t, 3, f.srv.Deliveries())
}
