package icomply_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// pii stands for personal data in an error body: it may reach
// providers.Error.Message and Body, never Error().
const pii = "Jane Roe 1980-07-02"

func TestErrorPathsDecode(t *testing.T) {
	listAll := func(e *env) error {
		_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
		return err
	}
	createAML := func(e *env) error {
		_, err := e.c.CreateAMLSearch(ctx, icomply.AMLSearchParams{SearchTerm: icomply.AMLSearchTerm{Name: "Jane Roe"}})
		return err
	}
	cases := []struct {
		name    string
		mode    func(*icomplytest.Server) icomply.Config
		edit    func(*icomply.Config)
		arrange func(*icomplytest.Server)
		call    func(*env) error
		is      []error
		not     []error
		status  int
		op      string
		message string
		fields  []string
	}{
		{name: "login refused", mode: tokenMode, edit: func(c *icomply.Config) { c.Password = "wrong-" + icomplytest.Password },
			call: listAll, status: 401, op: "login",
			is: []error{providers.ErrInvalidCredentials, providers.ErrUnauthorized}},
		{name: "login wrong content type", mode: tokenMode, call: listAll, status: 415, op: "login",
			arrange: func(s *icomplytest.Server) {
				s.FailNext(icomply.TokenPath, 1, 415, []byte(`{"title":"Unsupported Media Type","status":415}`))
			},
			is: []error{providers.ErrValidation}, not: []error{providers.ErrInvalidCredentials}, message: "Unsupported Media Type"},
		{name: "login problem details", mode: tokenMode, call: listAll, status: 400, op: "login",
			arrange: func(s *icomplytest.Server) {
				s.FailNext(icomply.TokenPath, 1, 400, []byte(`{"title":"One or more validation errors occurred.",`+
					`"errors":{"Username":["The Username field is required."],"Password":["`+pii+`"]}}`))
			},
			is: []error{providers.ErrValidation}, message: "One or more validation errors occurred.",
			fields: []string{"Password", "Username"}},
		{name: "aml 400 spelt messsage", mode: keyMode, call: createAML, status: 400, op: "create aml search",
			arrange: func(s *icomplytest.Server) {
				s.FailNext(icomply.AMLPath, 1, 400, []byte(`{"code":400,"status":"failure","messsage":"you need to provide 'name' for `+pii+`","data":null}`))
			},
			is: []error{providers.ErrValidation}, message: "you need to provide 'name' for " + pii},
		{name: "errors list", mode: keyMode, call: listAll, status: 400, op: "list entities",
			arrange: func(s *icomplytest.Server) {
				s.FailNext(icomply.EntitiesPath, 1, 400, []byte(`{"code":400,"status":"failure","message":"",`+
					`"errors":[{"field":"limit","message":"limit is `+pii+`"}]}`))
			},
			is: []error{providers.ErrValidation}, message: "limit is " + pii, fields: []string{"limit"}},
		{name: "not found", mode: tokenMode, status: 404, op: "get aml search",
			call: func(e *env) error { _, err := e.c.GetAMLSearch(ctx, "404"); return err },
			is:   []error{providers.ErrNotFound}, message: "there is no aml search with given id"},
		{name: "unprocessable", mode: keyMode, call: createAML, status: 422, op: "create aml search",
			arrange: func(s *icomplytest.Server) {
				s.FailNext(icomply.AMLPath, 1, 422, []byte(`{"code":422,"status":"failure","message":"`+pii+`"}`))
			},
			is: []error{providers.ErrValidation}, message: pii},
		{name: "server error after retries", mode: tokenMode, call: listAll, status: 500, op: "list entities",
			arrange: func(s *icomplytest.Server) {
				s.FailNext(icomply.EntitiesPath, 4, 500, []byte(`{"code":500,"status":"failure","message":"`+pii+`"}`))
			},
			not: []error{providers.ErrValidation, providers.ErrUnauthorized}, message: pii},
		{name: "api key refused", mode: keyMode, edit: func(c *icomply.Config) { c.APIKey = "wrong-" + icomplytest.APIKey },
			call: listAll, status: 401, op: "list entities",
			is: []error{providers.ErrUnauthorized, providers.ErrInvalidCredentials}},
		{name: "token refused after replay", mode: tokenMode, call: listAll, status: 401, op: "list entities",
			arrange: func(s *icomplytest.Server) { s.FailNext(icomply.EntitiesPath, 2, 401, []byte(pii)) },
			is:      []error{providers.ErrUnauthorized}, not: []error{providers.ErrInvalidCredentials}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mode, tc.edit)
			if tc.arrange != nil {
				tc.arrange(e.srv)
			}
			err := tc.call(e)
			require.Error(t, err)
			for _, target := range tc.is {
				assert.ErrorIs(t, err, target)
			}
			for _, target := range tc.not {
				assert.NotErrorIs(t, err, target)
			}
			var pe *providers.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.status, pe.StatusCode)
			assert.Equal(t, tc.op, pe.Operation)
			assert.Equal(t, tc.message, pe.Message)
			assert.Equal(t, tc.fields, pe.Fields)
			assert.Equal(t, icomply.Name, pe.Provider)
			assertClean(t, e, err)
		})
	}
}

func TestRateLimitedBeyondMaxWait(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	e.srv.RateLimitNext(icomply.EntitiesPath, 1, "3600")
	_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.ErrorIs(t, err, providers.ErrRateLimited)
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter)
	assertClean(t, e, err)

	// The cool-down holds back the next call without sending it.
	_, err = e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	assert.ErrorIs(t, err, providers.ErrRateLimited)
	assert.Equal(t, 1, e.srv.Calls(icomply.EntitiesPath))
}

func TestRateLimitWaitsOnTheClock(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	e.srv.RateLimitNext(icomply.EntitiesPath, 1, "30")
	done := make(chan error, 1)
	go func() {
		_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
		done <- err
	}()
	stop := make(chan struct{})
	defer close(stop)
	require.True(t, e.clk.WaitForTimers(1, stop))
	e.clk.Advance(30 * time.Second)
	require.NoError(t, <-done)
	assert.Equal(t, 2, e.srv.Calls(icomply.EntitiesPath))
}

func TestDebugLogHoldsNoSecret(t *testing.T) {
	var log leakcheck.Log
	e := newEnv(t, tokenMode, nil, providers.WithLogger(log.Logger()))
	_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.NoError(t, err)
	e.srv.ExpireTokens() // a 401 and a new login
	e.srv.FailNext(icomply.EntitiesPath, 1, http.StatusServiceUnavailable, []byte(pii))
	_, err = e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.NoError(t, err)
	e.clk.Advance(25 * time.Minute) // expired: a login on the next call
	_, err = e.c.GetNaturalPerson(ctx, icomplytest.PersonApproved)
	require.NoError(t, err)
	require.Equal(t, 3, e.srv.Logins())

	out := log.String()
	require.NotEmpty(t, out, "the debug log was written")
	for _, s := range append(e.rec.secrets(), pii) {
		assert.NotContains(t, out, s)
	}
	tok, err := e.c.TokenSource().Token(ctx)
	require.NoError(t, err)
	leakcheck.NoSecrets(t, e.rec.secrets(), tok, *tok, e.c, *e.c)
}

// assertClean checks that err shows no credential in any rendering and
// no part of the answer's body in Error().
func assertClean(t *testing.T, e *env, err error) {
	t.Helper()
	leakcheck.NoSecrets(t, e.rec.secrets(), err)
	msg := err.Error()
	assert.NotContains(t, msg, pii)
	var pe *providers.Error
	if errors.As(err, &pe) {
		if pe.Message != "" && pe.Message != http.StatusText(pe.StatusCode) {
			assert.NotContains(t, msg, pe.Message)
		}
		if body := strings.TrimSpace(string(pe.Body)); len(body) > 2 {
			assert.NotContains(t, msg, body)
		}
	}
}
