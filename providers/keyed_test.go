package providers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// Rule: a budget counted per value of a body field is a capability of
// the shared budget code: a provider declares it in its Spec (KYConnect's
// 5 onboardings per 2 hours per email), and every request to the route —
// typed or through NewRequest — counts under its body's value. The sixth
// for one value within the window fails with a RateLimitError naming the
// budget and is not sent; other values go through.
func TestBudgetPerBodyField(t *testing.T) {
	var (
		mu   sync.Mutex
		sent = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Email string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		sent[body.Email]++
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	perEmail := ratelimit.Budget{Name: "onboarding-individual", Limit: 5, Window: 2 * time.Hour,
		Method: http.MethodPost, Path: "/onboarding/individual", PerField: "email"}
	c, err := providers.Build(providers.Spec{Name: "keyed", BaseURL: srv.URL,
		Credential: auth.APIKey("X-API-Key", "k"), Budgets: []ratelimit.Budget{perEmail}}, providers.WithClock(clk))
	require.NoError(t, err)
	defer c.Close()
	var declared []ratelimit.Budget
	for _, st := range c.Budgets() {
		declared = append(declared, st.Budget)
	}
	assert.Contains(t, declared, perEmail, "listed with the client's budgets")

	post := func(email string) error {
		req, err := c.NewRequest(context.Background(), http.MethodPost, "/onboarding/individual",
			map[string]string{"email": email, "first_name": "Ada"})
		require.NoError(t, err)
		return c.Do(req, "onboard", nil)
	}
	for range 5 {
		require.NoError(t, post("ada@example.com"))
		clk.Advance(time.Minute)
	}
	err = post("ADA@example.com")
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, "onboarding-individual", rl.Budget)
	assert.Equal(t, perEmail.Span()-5*time.Minute, rl.RetryAfter)
	assert.NotContains(t, err.Error(), "ada@example.com")
	require.NoError(t, post("grace@example.com"), "another email goes through")
	mu.Lock()
	assert.Equal(t, map[string]int{"ada@example.com": 5, "grace@example.com": 1}, sent, "the sixth is not sent")
	mu.Unlock()

	// Other routes are not counted per email.
	req, err := c.NewRequest(context.Background(), http.MethodPost, "/other", map[string]string{"email": "ada@example.com"})
	require.NoError(t, err)
	require.NoError(t, c.Do(req, "other", nil))
}
