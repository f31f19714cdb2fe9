package genericjwt_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// Nothing the client prints, logs, marshals or returns holds the password
// or a token, across logins, 401 replays, retries and failures.
func TestNoSecretLeaks(t *testing.T) {
	clk := clock.NewFake(t0)
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk))
	defer srv.Close()
	var log leakcheck.Log
	cfg := srv.Config()
	c, err := genericjwt.New(cfg, providers.WithClock(clk), providers.WithLogger(log.Logger()), fastRetries)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	ctx := context.Background()

	var values []any
	note := func(err error) {
		if err != nil {
			values = append(values, err)
		}
	}
	var tokens []string
	keepToken := func() {
		tok, err := c.TokenSource().Token(ctx)
		require.NoError(t, err)
		tokens = append(tokens, tok.AccessToken)
		values = append(values, tok, *tok)
	}

	require.NoError(t, c.CheckAuth(ctx))
	keepToken()
	srv.RevokeTokens() // 401, new login, replay
	require.NoError(t, c.CheckAuth(ctx))
	keepToken()
	clk.Advance(2 * time.Hour) // expired: login again
	require.NoError(t, c.CheckAuth(ctx))
	keepToken()
	srv.FailNext(genericjwt.DefaultMePath, 2, http.StatusUnauthorized, nil)
	note(c.CheckAuth(ctx))
	clk.Advance(time.Second) // the refused account's backoff (issue #24 item 1): a new login
	keepToken()
	srv.FailNext(genericjwt.DefaultMePath, 4, http.StatusServiceUnavailable, nil)
	note(c.CheckAuth(ctx))
	srv.RateLimitNext(genericjwt.DefaultMePath, 1, "86400")
	note(c.CheckAuth(ctx))
	srv.FailNext(genericjwt.DefaultMePath, 1, http.StatusUnprocessableEntity,
		[]byte(`{"detail":[{"type":"x","loc":["query","q"],"msg":"bad","input":"`+cfg.Password+`"}]}`))
	note(c.CheckAuth(ctx))
	require.Len(t, values, 4*2+4, "four tokens (pointer and value) and four errors")

	// Refused credentials, with the wrong password as a secret too.
	bad := cfg
	bad.Password = "wrong-password-for-leak-test"
	bc, err := genericjwt.New(bad, providers.WithClock(clk), providers.WithLogger(log.Logger()))
	require.NoError(t, err)
	defer func() { _ = bc.Close() }()
	note(bc.CheckAuth(ctx))
	_, err = genericjwt.New(genericjwt.Config{BaseURL: srv.URL, Username: cfg.Username, Password: cfg.Password, LoginPath: "x"})
	note(err)

	secrets := append([]string{string(cfg.Password), string(bad.Password)}, tokens...)
	leakcheck.NoSecrets(t, secrets, append(values, cfg, &cfg, bad, c, *c, bc)...)

	logged := log.String()
	assert.Contains(t, logged, "logged in", "the debug log is being captured")
	for _, s := range secrets {
		assert.False(t, strings.Contains(logged, s), "the log holds a secret")
	}
}
