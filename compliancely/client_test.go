package compliancely_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// Rule: every credential field is checked in New (AuthScheme must be an
// HTTP auth scheme).
func TestNewRejectsBadConfig(t *testing.T) {
	good := compliancely.Config{Username: "u", Password: "p"}
	for _, tc := range []struct {
		field string
		edit  func(*compliancely.Config)
	}{
		{"Username", func(c *compliancely.Config) { c.Username = " " }},
		{"Password", func(c *compliancely.Config) { c.Password = "" }},
		{"LoginPath", func(c *compliancely.Config) { c.LoginPath = "api/v2/token/" }},
		{"RefreshPath", func(c *compliancely.Config) { c.RefreshPath = "/x?y=1" }},
		{"BaseURL", func(c *compliancely.Config) { c.BaseURL = "ftp://example.com" }},
		{"AuthScheme", func(c *compliancely.Config) { c.AuthScheme = "Bearer\r\nX-Evil: 1" }},
		{"AuthScheme", func(c *compliancely.Config) { c.AuthScheme = "JWT\x00" }},
		{"AuthScheme", func(c *compliancely.Config) { c.AuthScheme = "Two words" }},
	} {
		cfg := good
		tc.edit(&cfg)
		_, err := compliancely.New(cfg)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, tc.field)
		assert.Equal(t, tc.field, ve.Field)
		assert.ErrorIs(t, err, providers.ErrValidation)
	}
	c, err := compliancely.New(good)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, compliancely.DefaultBaseURL, c.BaseURL().String())
}

func TestLoginPathCreate(t *testing.T) {
	e := setup(t, nil)
	cfg := e.srv.Config()
	cfg.LoginPath = compliancely.AltLoginPath
	c, err := compliancely.New(cfg, providers.WithClock(e.clk), providers.WithTransport(e.rt))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, e.call(createSub(c)))
	assert.Equal(t, 1, e.srv.Calls(compliancely.AltLoginPath))
	assert.Equal(t, 1, e.srv.Logins())
}

// Both refresh answer spellings decode, with or without lifetimes; the
// lifetime then comes from the JWT "exp".
func TestRefreshAnswerShapes(t *testing.T) {
	for name, a := range map[string]compliancelytest.RefreshAnswer{
		"new_*":                      compliancelytest.NewTokens,
		"new_* with expiry":          compliancelytest.NewTokensWithExpiry,
		"access/refresh":             compliancelytest.AccessRefresh,
		"access/refresh with expiry": compliancelytest.AccessRefreshWithExpiry,
	} {
		t.Run(name, func(t *testing.T) {
			e := loggedIn(t, compliancelytest.WithRefreshAnswer(a), compliancelytest.WithTokenLifetime(30*time.Minute), compliancelytest.WithRefreshLifetime(2*time.Hour))
			e.clk.Advance(31 * time.Minute)
			require.NoError(t, e.call(createSub(e.c)))
			assert.Equal(t, calls{Logins: 1, Refreshes: 1, API: 2}, e.calls())
			tok, err := e.c.TokenSource().Token(context.Background())
			require.NoError(t, err)
			refreshedAt := e.srv.Hits()[2].At
			assert.WithinDuration(t, refreshedAt.Add(30*time.Minute), tok.Expiry, time.Second)
			assert.WithinDuration(t, refreshedAt.Add(2*time.Hour), tok.RefreshExpiry, time.Second)
		})
	}
}

// Rule: Simple JWT's verify view answers a valid token with 200 {}; a 2xx
// without a verdict field means valid.
func TestValidateTokenStockVerify(t *testing.T) {
	e := setup(t, nil)
	var st *compliancely.TokenStatus
	require.NoError(t, e.call(func(ctx context.Context) (err error) { st, err = e.c.ValidateToken(ctx); return }))
	assert.True(t, st.Valid)
	assert.Equal(t, "valid", st.Status)
	assert.Equal(t, 1, e.srv.Validations())
	assert.Zero(t, e.srv.Refreshes(), "a good token is kept")
}

// Rule: stock verify's 401 token_not_valid is the verdict on the token in
// the body: one request, no refresh, no replay, and the token is kept.
func TestValidateTokenRefusedIsOneRequest(t *testing.T) {
	e := setup(t, nil)
	require.NoError(t, e.call(func(ctx context.Context) error { _, err := e.c.ValidateToken(ctx); return err }))
	held, err := e.c.TokenSource().Token(context.Background())
	require.NoError(t, err)
	e.srv.RevokeAccessTokens()
	e.srv.ResetCounts()
	var st *compliancely.TokenStatus
	require.NoError(t, e.call(func(ctx context.Context) (err error) { st, err = e.c.ValidateToken(ctx); return }))
	assert.False(t, st.Valid)
	assert.Equal(t, "invalid", st.Status)
	assert.Equal(t, 1, e.srv.Requests(), "one validate, nothing else")
	assert.Zero(t, e.srv.Refreshes())
	now, err := e.c.TokenSource().Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, held.AccessToken, now.AccessToken)
}

func TestValidateToken(t *testing.T) {
	e := setup(t, []compliancelytest.Option{compliancelytest.WithValidateAnswer(compliancelytest.StatusAnswer)})
	var st *compliancely.TokenStatus
	require.NoError(t, e.call(func(ctx context.Context) (err error) { st, err = e.c.ValidateToken(ctx); return }))
	assert.True(t, st.Valid)
	assert.Equal(t, "valid", st.Status)
	assert.Equal(t, "access", st.TokenType)
	assert.Equal(t, time.Hour, st.Remaining, "validated at once: the budget has room for a burst")
	assert.Equal(t, start.Add(time.Hour), st.ExpiresAt)

	e.srv.RevokeAccessTokens()
	require.NoError(t, e.call(func(ctx context.Context) (err error) { st, err = e.c.ValidateToken(ctx); return }))
	assert.False(t, st.Valid)
	assert.Equal(t, "revoked", st.Status)
	assert.Zero(t, st.Remaining)
	assert.Equal(t, 2, e.srv.Calls(compliancely.DefaultValidatePath))
}

// Rule: the documented v2 call is POST /api/v2/taxexempt/; its answer is
// unwrapped from {success_message, data, success} and its errors
// {"errors":[{"code","message"}]} decode to field names and a message.
func TestTaxExempt(t *testing.T) {
	e := setup(t, nil)
	var got *compliancely.TaxExempt
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		got, err = e.c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "111232312", WebhookURLs: []string{}})
		return err
	}))
	assert.Equal(t, compliancely.StatusPending, got.Status)
	assert.Equal(t, providers.ID("1"), got.ID, "a numeric id")
	assert.Equal(t, "111232312", got.TIN)
	assert.Equal(t, 1, e.srv.TaxExempts())

	// The fake's own refusal, past the client's checks (a 9-digit TIN with
	// a name the fake refuses is impossible, so inject the documented one).
	e.srv.FailNext(apiPath, 1, http.StatusBadRequest,
		[]byte(`{"errors":[{"code":"tin","message":"Please enter valid TIN/EIN"}],"data":null,"success":false}`))
	err := e.call(func(ctx context.Context) error {
		_, err := e.c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "111232312"})
		return err
	})
	require.ErrorIs(t, err, providers.ErrValidation)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"tin"}, pe.Fields)
	assert.Equal(t, "Please enter valid TIN/EIN", pe.Message)

	// Credit errors in both documented spellings.
	e.srv.SetCredits(0)
	err = e.call(createSub(e.c))
	assert.ErrorIs(t, err, compliancely.ErrCreditLimit)
	e.srv.FailNext(apiPath, 1, http.StatusForbidden, []byte(`{"detail":"Credit limit reached! For assistance, please contact the support"}`))
	err = e.call(createSub(e.c))
	assert.ErrorIs(t, err, compliancely.ErrCreditLimit)

	// Bad input is refused before anything is sent.
	before := e.srv.Requests()
	for _, r := range []compliancely.TaxExemptRequest{
		{}, {TIN: "12-3456789"}, {TIN: "12345678"}, {Name: "Acme <Holdings>"}, {Name: "Acme;"},
	} {
		_, err := e.c.CreateTaxExempt(context.Background(), &r)
		assert.ErrorIs(t, err, providers.ErrValidation, "%+v", r)
	}
	assert.Equal(t, before, e.srv.Requests())
	e.srv.SetCredits(-1)
	err = e.call(func(ctx context.Context) error {
		_, err := e.c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{Name: `O'Brien & Co. (US), "Inc" 50% @ 1/2 *`})
		return err
	})
	assert.NoError(t, err, "every documented character is accepted, by the client and the fake")
}

// Secrets never show: not in the Config, the Client, any error, nor the
// debug log of a run through every failure path.
func TestNoSecretsLeak(t *testing.T) {
	var log leakcheck.Log
	var tokens []string
	e := setup(t, nil, providers.WithLogger(log.Logger()),
		providers.WithTokenCacheOptions(tokencache.OnRefresh(func(t *auth.Token) { tokens = append(tokens, t.AccessToken, t.RefreshToken) })))
	var errs []any

	require.NoError(t, e.call(createSub(e.c)))
	e.srv.RevokeAccessTokens() // 401, refresh
	require.NoError(t, e.call(createSub(e.c)))
	e.srv.FailNext(apiPath, 2, http.StatusUnauthorized, tokenNotValid) // 401 twice
	errs = append(errs, e.call(createSub(e.c)))
	e.srv.RateLimitNext(apiPath, 1, "") // 429, caller cannot wait
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	errs = append(errs, e.call(func(context.Context) error { return createSub(e.c)(short) }))
	e.clk.Advance(11 * time.Minute)
	e.srv.RevokeTokens() // refused refresh, login again
	require.NoError(t, e.call(createSub(e.c)))
	e.srv.RevokeTokens()
	e.srv.SetPassword(compliancelytest.Username, "changed") // login refused
	errs = append(errs, e.call(createSub(e.c)))
	_, verr := e.c.CreateTaxExempt(context.Background(), &compliancely.TaxExemptRequest{TIN: "123456789", Name: "a;b"})
	errs = append(errs, verr)

	for _, err := range errs {
		require.Error(t, err.(error))
	}
	require.GreaterOrEqual(t, len(tokens), 6)
	secrets := append([]string{compliancelytest.Password}, tokens...)
	leakcheck.NoSecrets(t, secrets, e.srv.Config(), e.c, *e.c, e.c.Stats())
	leakcheck.NoSecrets(t, secrets, errs...)
	for _, err := range errs {
		for u := errors.Unwrap(err.(error)); u != nil; u = errors.Unwrap(u) {
			leakcheck.NoSecrets(t, secrets, u)
		}
	}
	logged := log.String()
	require.Contains(t, logged, "refresh")
	leakcheck.NoSecrets(t, secrets, logged)
}
