package idenfy_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// No secret shows in the Config, the Client, any error or the debug log,
// across success, validation, 401, 429, 5xx and webhook failures.
func TestNothingSecretLeaks(t *testing.T) {
	var log leakcheck.Log
	srv, c, clk := setup(t, nil, providers.WithLogger(log.Logger()))
	cfg := srv.Config()

	var values []any
	values = append(values, cfg, &cfg, c, *c)

	tok, err := c.CreateKYBToken(ctx(t), validKYB())
	require.NoError(t, err)
	_, err = c.CreateKYBToken(ctx(t), idenfy.CreateKYBTokenParams{TokenType: "X"})
	values = append(values, err)

	srv.FailNext("", 1, http.StatusBadGateway, nil) // a PATCH is not retried: the caller gets the 502
	_, err = c.UpdateKYBToken(ctx(t), tok.TokenString, idenfy.UpdateKYBTokenParams{Tags: []string{"a"}})
	require.Error(t, err)
	values = append(values, err)

	srv.RateLimitNext("", 1, "86400") // logged as a warning
	_, err = c.Status(ctx(t), "x")
	require.ErrorIs(t, err, providers.ErrRateLimited)
	values = append(values, err)
	clk.Advance(86400e9)

	srv.FailNextWith("", 1, 400, idenfy.CodeBadValue, "bad")
	_, err = c.Status(ctx(t), "x")
	values = append(values, err)

	wrong := cfg
	wrong.APISecret = "wrong-secret-value"
	c2, err := idenfy.New(wrong, providers.WithLogger(log.Logger()), providers.WithLimiter(nil))
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.Status(ctx(t), "x")
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	values = append(values, err, wrong, c2)

	err = idenfy.VerifyWebhook([]byte("{}"), "00", srv.WebhookKey())
	values = append(values, err, srv.WebhookKey())

	secrets := []string{idenfytest.APIKey, idenfytest.APISecret, idenfytest.WebhookKey, "wrong-secret-value"}
	leakcheck.NoSecrets(t, secrets, values...)
	assert.NotEmpty(t, log.String(), "the 429 was logged")
	for _, s := range secrets {
		assert.NotContains(t, log.String(), s)
	}

	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.JSONEq(t, `{"BaseURL":"`+srv.URL+`","APIKey":"REDACTED","APISecret":"REDACTED","StatusGuard":0}`, string(b))
}
