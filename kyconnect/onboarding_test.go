package kyconnect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

func ada(email string) kyconnect.Individual {
	return kyconnect.Individual{Email: email, FirstName: "Ada", LastName: "Lovelace",
		DateOfBirth: "1990-12-10", Country: "GB", ExternalRef: "crm-1815"}
}

func (e *env) onboard(t *testing.T, in kyconnect.Individual) (*kyconnect.Case, error) {
	t.Helper()
	var (
		c   *kyconnect.Case
		err error
	)
	drive(e.clk, func() { c, err = e.c.OnboardIndividual(context.Background(), in) })
	return c, err
}

func TestOnboardIndividualValidatesBeforeSending(t *testing.T) {
	e := newEnv(t, nil, nil)
	for field, edit := range map[string]func(*kyconnect.Individual){
		"Email":       func(in *kyconnect.Individual) { in.Email = "ada" },
		"FirstName":   func(in *kyconnect.Individual) { in.FirstName = "" },
		"LastName":    func(in *kyconnect.Individual) { in.LastName = " " },
		"Country":     func(in *kyconnect.Individual) { in.Country = "GBR" },
		"DateOfBirth": func(in *kyconnect.Individual) { in.DateOfBirth = "10/12/1990" },
		"ExternalRef": func(in *kyconnect.Individual) { in.ExternalRef = string(make([]byte, 101)) },
	} {
		in := ada("ada@example.com")
		edit(&in)
		_, err := e.onboard(t, in)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
		assert.Equal(t, kyconnect.Name, ve.Provider)
	}
	assert.Zero(t, e.srv.Requests(), "nothing sent, not even a login")
}

func TestOnboardIndividual(t *testing.T) {
	e := newEnv(t, nil, nil)
	c, err := e.onboard(t, ada("ada@example.com"))
	require.NoError(t, err)
	assert.Equal(t, "1", string(c.ID), "NestJS numbers its rows")
	assert.Equal(t, "pending", c.Status)
	assert.Equal(t, "Lovelace", c.LastName)
	assert.Equal(t, "pending", e.srv.CaseStatus("ADA@example.com"))
	assert.Equal(t, 1, e.srv.Onboardings())
}

// The error table of the developer page, with NestJS's exception bodies:
// 403 insufficient role or scope, 409 conflict, 422 business rule.
func TestOnboardingErrors(t *testing.T) {
	t.Run("403", func(t *testing.T) {
		e := newEnv(t, []kyconnecttest.Option{kyconnecttest.WithRole("viewer")}, nil)
		_, err := e.onboard(t, ada("ada@example.com"))
		require.ErrorIs(t, err, kyconnect.ErrForbidden)
		var pe *providers.Error
		require.ErrorAs(t, err, &pe)
		assert.JSONEq(t, `{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}`, string(pe.Body))
		assert.NotErrorIs(t, err, providers.ErrValidation)
	})
	t.Run("409", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		_, err := e.onboard(t, ada("ada@example.com"))
		require.NoError(t, err)
		_, err = e.onboard(t, ada("ada@example.com"))
		require.ErrorIs(t, err, kyconnect.ErrConflict)
		var pe *providers.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "An onboarding case for this email already exists", pe.Message)
		assert.NotContains(t, err.Error(), pe.Message)
	})
	t.Run("422", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		in := ada("young@example.com")
		in.DateOfBirth = start.AddDate(-17, 0, 0).Format(time.DateOnly)
		_, err := e.onboard(t, in)
		require.ErrorIs(t, err, kyconnect.ErrBusinessRule)
		var pe *providers.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, http.StatusUnprocessableEntity, pe.StatusCode)
		assert.JSONEq(t, `{"statusCode":422,"message":"Applicant must be at least 18 years old","error":"Unprocessable Entity"}`, string(pe.Body))
		assert.Empty(t, pe.Fields, "a business rule names no field")
		assert.NotErrorIs(t, err, providers.ErrValidation, "not an input error")
		assert.NotErrorIs(t, err, kyconnect.ErrConflict)
	})
}

// Rule: at most 5 individual onboardings per 2 hours per email. The sixth
// for one email is not sent (RateLimitError naming the budget, with the
// wait until the first leaves the window); other emails go through; after
// the window the email may go again.
func TestOnboardingBudgetPerEmail(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, err := e.onboard(t, ada("ada@example.com"))
	require.NoError(t, err)
	for range 4 {
		e.clk.Advance(10 * time.Minute)
		_, err = e.onboard(t, ada("Ada@Example.com")) // one email, whatever its case
		require.ErrorIs(t, err, kyconnect.ErrConflict, "sent, and refused by KYConnect: it counts")
	}
	require.Equal(t, 5, e.srv.Onboardings())

	_, err = e.onboard(t, ada("ada@example.com"))
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.ErrorIs(t, err, providers.ErrRateLimited)
	assert.Equal(t, "onboarding-individual", rl.Budget)
	assert.Equal(t, 2*time.Hour+72*time.Second-40*time.Minute, rl.RetryAfter, "the window and a 1 % margin")
	assert.Contains(t, err.Error(), "onboarding-individual")
	assert.NotContains(t, err.Error(), "ada@example.com")
	assert.Equal(t, 5, e.srv.Onboardings(), "the sixth is not sent")
	assert.Zero(t, e.srv.RateLimited())

	_, err = e.onboard(t, ada("grace@example.com"))
	require.NoError(t, err, "another email goes through")

	e.clk.Advance(rl.RetryAfter)
	_, err = e.onboard(t, ada("ada@example.com"))
	require.ErrorIs(t, err, kyconnect.ErrConflict, "sent again once the first left the window")
	assert.Equal(t, 7, e.srv.Onboardings())
	assert.Zero(t, e.srv.RateLimited(), "the client never drew the throttler's 429")
}

// The fake throttles as @nestjs/throttler with a tracker keyed by the
// body's email: the sixth request for one email within 2 hours gets 429
// with Retry-After, before validation and authentication; other emails
// are not affected.
func TestFakeThrottlesOnboardingPerEmail(t *testing.T) {
	e := newEnv(t, nil, nil)
	hc := e.srv.Client()
	post := func(email string) *http.Response {
		b, _ := json.Marshal(map[string]string{"email": email, "first_name": "Ada", "last_name": "Lovelace"})
		req, _ := http.NewRequest(http.MethodPost, e.srv.BaseURL()+kyconnect.OnboardIndividualPath, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(kyconnect.DefaultAPIKeyHeader, string(e.srv.APIKey()))
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	assert.Equal(t, http.StatusCreated, post("ada@example.com").StatusCode)
	for range 4 {
		assert.Equal(t, http.StatusConflict, post("ada@example.com").StatusCode)
	}
	resp := post("ADA@example.com")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "7200", resp.Header.Get("Retry-After"))
	assert.Equal(t, http.StatusCreated, post("grace@example.com").StatusCode)
	assert.Equal(t, 1, e.srv.RateLimited())
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, nil, nil)
	var (
		routes []kyconnect.Route
		err    error
	)
	drive(e.clk, func() { routes, err = e.c.Routes(context.Background()) })
	require.NoError(t, err)
	require.Len(t, routes, 96, "the real collection's count")
	cats := map[string]int{}
	for _, r := range routes {
		cats[r.Category]++
	}
	assert.Len(t, cats, 15)
	find := func(method, path string) kyconnect.Route {
		for _, r := range routes {
			if r.Method == method && r.Path == path {
				return r
			}
		}
		t.Fatalf("no %s %s", method, path)
		return kyconnect.Route{}
	}
	login := find(http.MethodPost, "/auth/login")
	assert.Equal(t, kyconnect.Route{Category: "Authentication", Name: "Login", Method: "POST", Path: "/auth/login",
		Auth: kyconnect.AuthNone, Budgets: []string{"requests", "login"}}, login)
	onboard := find(http.MethodPost, kyconnect.OnboardIndividualPath)
	assert.Equal(t, kyconnect.AuthBearer, onboard.Auth)
	assert.Equal(t, []string{"requests", "onboarding-route", "onboarding-individual"}, onboard.Budgets)
	assert.Equal(t, []string{"requests"}, find(http.MethodGet, "/auth/me").Budgets)
	assert.Equal(t, kyconnect.AuthAPIKey, find(http.MethodGet, "/verification/sessions/:id").Auth, "the folder's auth")
	assert.Equal(t, kyconnect.AuthNone, find(http.MethodPost, "/verification/webhooks/:provider").Auth, "the request's own")
	assert.Equal(t, kyconnect.AuthNone, find(http.MethodGet, kyconnect.PostmanCollectionPath).Auth)
}

func TestFetchRoutesSendsNoCredential(t *testing.T) {
	srv := kyconnecttest.NewServer()
	t.Cleanup(srv.Close)
	routes, err := kyconnect.FetchRoutes(context.Background(), srv.Client(), srv.BaseURL()+"/")
	require.NoError(t, err)
	assert.Len(t, routes, 96)
	assert.Zero(t, srv.LoginAttempts())
	for _, h := range srv.Hits() {
		assert.Equal(t, "/api/v1/health/postman-collection", h.Path)
	}

	srv.FailNext(kyconnect.PostmanCollectionPath, 1, http.StatusServiceUnavailable, nil)
	_, err = kyconnect.FetchRoutes(context.Background(), srv.Client(), srv.BaseURL())
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, http.StatusServiceUnavailable, pe.StatusCode)
	_, err = kyconnect.FetchRoutes(context.Background(), nil, "http://kyc.example.com/api/v1")
	require.Error(t, err, "plain http to a remote host is refused")
}

func TestParseRoutes(t *testing.T) {
	// Postman collection v2.1 allows a request to be a bare URL and folders
	// to nest; the category is the top-level folder.
	col := `{"info":{"name":"x","schema":"https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
	"auth":{"type":"apikey"},
	"item":[{"name":"Cases","item":[
		{"name":"Sub","auth":{"type":"noauth"},"item":[{"name":"Open","request":"https://kyc.example.com/api/v1/cases/open?x=1"}]},
		{"name":"Get","request":{"method":"get","auth":{"type":"inherit"},"url":{"raw":"{{KYCONNECT_BASE_URL}}/api/v1/cases/:id","path":"api/v1/cases/:id"}}},
		{"name":"Raw only","request":{"method":"DELETE","url":"{{KYCONNECT_BASE_URL}}/api/v1/cases/:id"}}]},
	{"name":"Top level request","request":{"url":{"raw":"{{KYCONNECT_BASE_URL}}/other"}}}]}`
	routes, err := kyconnect.ParseRoutes([]byte(col), "/api/v1")
	require.NoError(t, err)
	general := []string{"requests"}
	assert.Equal(t, []kyconnect.Route{
		{Category: "Cases", Name: "Open", Method: "GET", Path: "/cases/open", Auth: kyconnect.AuthNone, Budgets: general},
		{Category: "Cases", Name: "Get", Method: "GET", Path: "/cases/:id", Auth: kyconnect.AuthAPIKey, Budgets: general},
		{Category: "Cases", Name: "Raw only", Method: "DELETE", Path: "/cases/:id", Auth: kyconnect.AuthAPIKey, Budgets: general},
		{Category: "", Name: "Top level request", Method: "GET", Path: "/other", Auth: kyconnect.AuthAPIKey, Budgets: general},
	}, routes)

	for _, bad := range []string{`{}`, `[]`, `nope`, `{"info":{"schema":"https://schema.getpostman.com/json/collection/v1.0.0/collection.json"}}`} {
		_, err := kyconnect.ParseRoutes([]byte(bad), "")
		assert.ErrorIs(t, err, kyconnect.ErrNotCollection, bad)
	}
}

// The whole flow on a fake clock: discover the deployment's routes, log in,
// onboard two people, hit the per-email budget, wait it out.
func TestOnboardingFlow(t *testing.T) {
	e := newEnv(t, nil, nil)
	routes, err := kyconnect.FetchRoutes(context.Background(), e.srv.Client(), e.srv.BaseURL())
	require.NoError(t, err)
	var onboarding *kyconnect.Route
	for i, r := range routes {
		if r.Method == http.MethodPost && r.Path == kyconnect.OnboardIndividualPath {
			onboarding = &routes[i]
		}
	}
	require.NotNil(t, onboarding, "the deployment offers individual onboarding")
	require.NotEqual(t, kyconnect.AuthNone, onboarding.Auth)

	for i := range 5 {
		c, err := e.onboard(t, ada(fmt.Sprintf("person%d@example.com", i)))
		require.NoError(t, err)
		assert.Equal(t, "pending", c.Status)
		e.clk.Advance(20 * time.Minute) // past an access token's 15 minutes
	}
	assert.Equal(t, 5, e.srv.Onboardings())
	assert.LessOrEqual(t, e.srv.Logins(), 1, "refreshed, not logged in again")
	for i := range 5 {
		assert.Equal(t, "pending", e.srv.CaseStatus(fmt.Sprintf("person%d@example.com", i)))
	}
	_, err = e.onboard(t, ada("person0@example.com"))
	require.ErrorIs(t, err, kyconnect.ErrConflict)
	var rl *providers.RateLimitError
	assert.False(t, errors.As(err, &rl))
}

// Rule: many goroutines onboarding one email at once send 5, not more.
func TestOnboardingBudgetUnderConcurrency(t *testing.T) {
	e := newEnv(t, nil, nil, providers.WithLimiter(nil))
	const n = 40
	errs := make(chan error, n)
	drive(e.clk, func() {
		done := make(chan struct{})
		for i := range n {
			go func() {
				email := "same@example.com"
				if i%4 == 0 {
					email = fmt.Sprintf("other%d@example.com", i)
				}
				_, err := e.c.OnboardIndividual(context.Background(), ada(email))
				errs <- err
				done <- struct{}{}
			}()
		}
		for range n {
			<-done
		}
	})
	close(errs)
	limited := 0
	for err := range errs {
		if errors.Is(err, providers.ErrRateLimited) {
			limited++
		}
	}
	assert.Equal(t, 30-5, limited, "30 calls for one email: 5 sent")
	assert.Equal(t, 5+10, e.srv.Onboardings())
	assert.Zero(t, e.srv.RateLimited())
}

// Rule: a 429 on onboarding (the email's quota spent elsewhere) pauses
// onboarding only, for the throttler's Retry-After; the account's other
// calls go on.
func TestOnboarding429PausesOnlyOnboarding(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, err := e.me(t)
	require.NoError(t, err)
	// Another process spends ada's quota.
	for range 5 {
		b, _ := json.Marshal(map[string]string{"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
		req, _ := http.NewRequest(http.MethodPost, e.srv.BaseURL()+kyconnect.OnboardIndividualPath, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(kyconnect.DefaultAPIKeyHeader, string(e.srv.APIKey()))
		resp, err := e.srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	_, err = e.onboard(t, ada("ada@example.com"))
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 2*time.Hour, rl.RetryAfter, "KYConnect's Retry-After: 7200")
	assert.Equal(t, 1, e.srv.RateLimited())

	_, err = e.me(t)
	require.NoError(t, err, "the account is not paused")
	_, err = e.onboard(t, ada("grace@example.com"))
	require.ErrorIs(t, err, providers.ErrRateLimited, "onboarding is, for every email, until the pause ends")
	assert.Equal(t, 1, e.srv.RateLimited(), "held back, not sent")
}
