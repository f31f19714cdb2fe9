package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// Rule: which clients of one process share an account state. Same
// provider, base URL, principal, Config and clock: shared; any of them
// different, an option that makes the account state itself, or
// WithPrivateAccount: private.
func TestWhichClientsShareAnAccount(t *testing.T) {
	type config struct{ User, Password string }
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	spec := func(base, user, password string) providers.Spec {
		return providers.Spec{Name: "acct", BaseURL: base, Account: user, Config: config{user, password},
			Login: func(context.Context, *providers.Sender) (*auth.Token, error) {
				return &auth.Token{AccessToken: "t", Expiry: clk.Now().Add(time.Hour)}, nil
			},
			Budgets: []ratelimit.Budget{{Name: "requests", Limit: 10, Window: time.Minute}}}
	}
	build := func(s providers.Spec, opts ...providers.Option) *providers.Core {
		c, err := providers.Build(s, append([]providers.Option{providers.WithClock(clk)}, opts...)...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	base := "http://127.0.0.1:1"
	first := build(spec(base, "u", "p"))
	shares := func(c *providers.Core) bool { return c.TokenSource() == first.TokenSource() }

	assert.True(t, shares(build(spec(base, "u", "p"))), "same account")
	assert.False(t, shares(build(spec("http://127.0.0.1:2", "u", "p"))), "another base URL")
	assert.False(t, shares(build(spec(base, "v", "p"))), "another principal")
	assert.False(t, shares(build(spec(base, "u", "q"))), "another password: its own logins")
	other := clock.NewFake(clk.Now())
	c, err := providers.Build(spec(base, "u", "p"), providers.WithClock(other))
	require.NoError(t, err)
	assert.False(t, c.TokenSource() == first.TokenSource(), "another clock")
	require.NoError(t, c.Close())
	for name, opt := range map[string]providers.Option{
		"WithPrivateAccount": providers.WithPrivateAccount(),
		"WithLimiter":        providers.WithLimiter(ratelimit.NewWindowLimiter(ratelimit.Budget{Name: "r", Limit: 1, Window: time.Second}, clk)),
		"WithCoolDown":       providers.WithCoolDown(&ratelimit.LocalCoolDown{}),
	} {
		assert.False(t, shares(build(spec(base, "u", "p"), opt)), name)
	}

	// Reference counting: the account outlives the client that opened it.
	second := build(spec(base, "u", "p"))
	require.NoError(t, first.Close())
	third := build(spec(base, "u", "p"))
	assert.True(t, third.TokenSource() == second.TokenSource(), "still open: joined")
	_, err = second.TokenSource().Token(context.Background())
	require.NoError(t, err, "the account's token cache works after its first client closed")
}
