package idenfy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// Rule: a KYB token string is a credential for the company's session: no
// log line holds it, not even the debug line of a retried 429, which names
// the operation instead of the path.
func TestKYBTokenStringNeverLogged(t *testing.T) {
	var log leakcheck.Log
	srv, c, clk := setup(t, nil, providers.WithLogger(log.Logger()))
	tok, err := c.CreateKYBToken(ctx(t), validKYB())
	require.NoError(t, err)
	path := idenfytest.PathKYBTokens + tok.TokenString + "/"
	srv.RateLimitNext(path, 1, "1")
	done := make(chan error, 1)
	go func() {
		_, err := c.UpdateKYBToken(ctx(t), tok.TokenString, idenfy.UpdateKYBTokenParams{Tags: []string{"a"}})
		done <- err
	}()
	for {
		select {
		case err := <-done:
			require.NoError(t, err, "the PATCH is retried after the 429")
			assert.Equal(t, 2, srv.Calls(path))
			assert.NotContains(t, log.String(), tok.TokenString)
			return
		case <-time.After(time.Millisecond):
			clk.Advance(time.Second)
		}
	}
}
