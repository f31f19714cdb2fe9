package providers_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

func answer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"X-Request-Id": {"req-1"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

func TestErrorNeverShowsBodyOrMessage(t *testing.T) {
	e := providers.NewError("icomply", "login", answer(400, `{"detail":"jane.doe@example.com DOB 1990-01-01"}`),
		func(e *providers.Error) { e.Code, e.Message = "BAD", "jane.doe@example.com" })
	assert.Equal(t, "unikyc: icomply login: 400 Bad Request (BAD)", e.Error())
	assert.Equal(t, "req-1", e.RequestID)
	assert.Contains(t, string(e.Body), "jane.doe", "the body is kept for those who ask")
	leakcheck.NoSecrets(t, []string{"jane.doe", "1990-01-01"}, e, error(e))
}

func TestStatusesMatchSentinels(t *testing.T) {
	cases := map[int]error{401: providers.ErrUnauthorized, 404: providers.ErrNotFound,
		429: providers.ErrRateLimited, 422: providers.ErrValidation}
	for status, want := range cases {
		err := error(providers.NewError("p", "op", answer(status, ""), nil))
		assert.ErrorIs(t, err, want, status)
		for _, other := range cases {
			if other != want {
				assert.NotErrorIs(t, err, other)
			}
		}
	}
}

// Rule: a 422 is a validation error unless the provider's decoder says
// what else it is (KYConnect: a business rule).
func TestDecoderTellsWhatA422Is(t *testing.T) {
	rule := errors.New("business rule")
	e := providers.NewError("p", "op", answer(422, ""), func(e *providers.Error) { e.Err = rule })
	assert.ErrorIs(t, e, rule)
	assert.NotErrorIs(t, e, providers.ErrValidation)
	plain := providers.NewError("p", "op", answer(422, ""), func(*providers.Error) {})
	assert.ErrorIs(t, plain, providers.ErrValidation)
}

func TestDecoderRunsOnEmptyBody(t *testing.T) {
	e := providers.NewError("p", "login", answer(401, ""), func(e *providers.Error) {
		e.Err = providers.ErrInvalidCredentials
	})
	assert.ErrorIs(t, e, providers.ErrInvalidCredentials)
	assert.ErrorIs(t, e, providers.ErrUnauthorized)
}

func TestErrorBodyIsCapped(t *testing.T) {
	e := providers.NewError("p", "op", answer(500, strings.Repeat("x", 1<<20)), nil)
	assert.Len(t, e.Body, 64<<10)
}

func TestValidationError(t *testing.T) {
	err := providers.Invalid("tags[2]", "must not contain a comma")
	assert.ErrorIs(t, err, providers.ErrValidation)
	var ve *providers.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "tags[2]", ve.Field)
	assert.Equal(t, "unikyc: invalid tags[2]: must not contain a comma", err.Error())
}

func TestBuildRejectsBadBaseURLs(t *testing.T) {
	for raw, want := range map[string]string{
		"":                            "is required",
		"ftp://x.example.com":         "must start with https://",
		"https://":                    "has no host",
		"https://u:p@x.example.com":   "must not contain user info",
		"https://x.example.com?a=1":   "must not have a query",
		"http://x.example.com":        "plain http",
		"::not a url":                 "",
		"https://x.example.com:99999": "port outside 1-65535",
		"https://x.example.com:0":     "port outside 1-65535",
		"https://" + strings.Repeat("a", 70<<10) + ".example.com": "longer than 253",
	} {
		_, err := providers.ParseBaseURL("p", raw, false)
		require.Error(t, err, raw)
		assert.Contains(t, err.Error(), want, raw)
		assert.NotContains(t, err.Error(), ":p@", "user info never echoed")
	}
	u, err := providers.ParseBaseURL("p", "https://api.example.com/v1/", false)
	require.NoError(t, err)
	assert.Equal(t, "https://api.example.com/v1", u.String())
	_, err = providers.ParseBaseURL("p", "http://x.example.com", true)
	require.NoError(t, err, "allowed when insecure http is explicitly allowed")
}

func TestNewRequestKeepsEscapesAndJoinsBasePath(t *testing.T) {
	e := setup(t)
	req, err := e.conn.NewRequest(context.Background(), http.MethodGet, "/kyb/tokens/a%2Fb/?x=1", nil)
	require.NoError(t, err)
	assert.Equal(t, e.fake.srv.URL+"/kyb/tokens/a%2Fb/?x=1", req.URL.String())
	assert.NotNil(t, req.Header.Get("User-Agent"))
}

func TestMarkIdempotentRetriesAPost(t *testing.T) {
	e := setup(t)
	e.fake.then(status(502))
	req, err := e.conn.NewRequest(context.Background(), http.MethodPost, "/api", map[string]string{"scanRef": "s"})
	require.NoError(t, err)
	resp, err := e.conn.HTTPClient().Do(providers.MarkIdempotent(req))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.EqualValues(t, 2, e.fake.calls.Load())
	assert.Equal(t, []string{"", ""}, e.fake.keys, "no header was added")
}

func TestDoDecodesAndTypesErrors(t *testing.T) {
	e := setup(t)
	req, err := e.conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
	require.NoError(t, err)
	var out struct{ OK bool }
	require.NoError(t, e.conn.Do(req, "Ping", &out))
	assert.True(t, out.OK)

	e.fake.then(status(404))
	req, _ = e.conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
	err = e.conn.Do(req, "Ping", &out)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "Ping", pe.Operation)
	assert.ErrorIs(t, err, providers.ErrNotFound)
	assert.NotContains(t, err.Error(), "jane")
}
