package idenfy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

// Rule: every value iDenfy's KYB schema allows can be sent: lifetime 0,
// an explicit "tags": [], and null for externalRef, flow, theme and
// scanRefs.
func TestKYBAllowedValuesReachTheWire(t *testing.T) {
	srv, c, clk := setup(t, nil)
	p := validKYB()
	p.Lifetime = idenfy.Int(0)
	p.Tags = []string{}
	p.ExternalRef, p.Flow, p.Theme = idenfy.Null[string](), idenfy.Null[string](), idenfy.Null[string]()
	p.ScanRefs = idenfy.Null[[]string]()
	tok, err := c.CreateKYBToken(ctx(t), p)
	require.NoError(t, err)
	var sent map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(srv.LastBody(idenfytest.PathKYBTokens), &sent))
	for key, want := range map[string]string{"lifetime": "0", "tags": "[]", "externalRef": "null", "flow": "null", "theme": "null", "scanRefs": "null"} {
		assert.Equal(t, want, string(sent[key]), key)
	}
	assert.Equal(t, clk.Now(), tok.Expiration, "lifetime 0 is 0, not the default")
	assert.True(t, tok.CompanyID.IsNull(), "null companyId is not \"\"")
	assert.True(t, tok.ExternalRef.IsNull())
	assert.Nil(t, tok.ScanRefs)
}

// Rule: a token iDenfy created reaches the caller even when a field does
// not decode: an expiration without a time zone is read as UTC, and a
// field of the wrong type is named in Undecoded.
func TestKYBTokenDecodesLeniently(t *testing.T) {
	srv, c, clk := setup(t, []idenfytest.Option{idenfytest.WithNaiveTimes()})
	tok, err := c.CreateKYBToken(ctx(t), validKYB())
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(time.Hour), tok.Expiration)
	assert.Empty(t, tok.Undecoded)
	_ = srv

	var odd idenfy.KYBToken
	require.NoError(t, json.Unmarshal([]byte(`{"tokenString":"tok-1","expiration":"tomorrow","isValid":"yes","companyId":7,"tags":["a"]}`), &odd))
	assert.Equal(t, "tok-1", odd.TokenString, "the token survives")
	assert.Equal(t, []string{"a"}, odd.Tags)
	assert.Equal(t, []string{"companyId", "expiration", "isValid"}, odd.Undecoded)
}

// Rule: the fake reads keys in iDenfy's exact case, as Django REST
// Framework does; upper-cased keys are unknown, so the required ones are
// missing.
func TestFakeKeysAreCaseSensitive(t *testing.T) {
	srv, _, _ := setup(t, nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/kyb/tokens/", strings.NewReader(`{"TOKENTYPE":"FORM","CLIENTID":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(idenfytest.APIKey, idenfytest.APISecret)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var e idenfy.APIError
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, idenfy.CodeMissingValue, e.Identifier)
	assert.Equal(t, "tokenType: This field is required.", e.Message)
}

// Rule: PATCH /kyb/tokens/{token}/ answers only {scanRefs, tags}; the
// client returns what the provider returns.
func TestUpdateKYBTokenReturnsTheLists(t *testing.T) {
	srv, c, _ := setup(t, nil)
	tok, err := c.CreateKYBToken(ctx(t), validKYB())
	require.NoError(t, err)
	up, err := c.UpdateKYBToken(ctx(t), tok.TokenString, idenfy.UpdateKYBTokenParams{Tags: []string{"vip"}})
	require.NoError(t, err)
	assert.Equal(t, &idenfy.KYBTokenUpdate{ScanRefs: []string{}, Tags: []string{"vip"}}, up)
	got, _ := srv.KYBToken(tok.TokenString)
	assert.Equal(t, []string{"vip"}, got.Tags)
}

// Rule: control characters in a KYB token string are refused before
// sending, with a ValidationError that does not quote the token.
func TestKYBTokenStringControlCharacters(t *testing.T) {
	srv, c, _ := setup(t, nil)
	for _, bad := range []string{"Zq9\x00sec", "Zq9\nsec", "Zq9\rsec", "Zq9\x7fsec", "Zq9\u0085sec", "Zq9 sec"} {
		_, err := c.UpdateKYBToken(ctx(t), bad, idenfy.UpdateKYBTokenParams{Tags: []string{"a"}})
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, "%q", bad)
		assert.Equal(t, "tokenString", ve.Field)
		assert.NotContains(t, err.Error(), "Zq9")
	}
	assert.Zero(t, srv.Requests())
}

// Rule: KYC tokens: sessionLength 60–3600, questionnaire nullable, names
// without digits or iDenfy's forbidden characters, clientId ASCII.
func TestKYCTokenRules(t *testing.T) {
	srv, c, _ := setup(t, nil)
	for field, p := range map[string]idenfy.CreateVerificationTokenParams{
		"sessionLength": {ClientID: "u", SessionLength: 59},
		"firstName":     {ClientID: "u", FirstName: "R2D2"},
		"lastName":      {ClientID: "u", LastName: "O'Neil<script>"},
		"clientId":      {ClientID: "ünï"},
	} {
		_, err := c.CreateVerificationToken(ctx(t), p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	{
		p := idenfy.CreateVerificationTokenParams{ClientID: "u", SessionLength: 3601}
		_, err := c.CreateVerificationToken(ctx(t), p)
		assert.ErrorIs(t, err, providers.ErrValidation)
	}
	assert.Zero(t, srv.Requests(), "nothing sent")

	ok := idenfy.CreateVerificationTokenParams{ClientID: "u", FirstName: "Anne-Marie", LastName: "O'Neil",
		SessionLength: 60, Questionnaire: idenfy.Null[string]()}
	tok, err := c.CreateVerificationToken(ctx(t), ok)
	require.NoError(t, err)
	assert.Equal(t, 60, tok.SessionLength)
	var sent map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(srv.LastBody(idenfytest.PathKYCToken), &sent))
	assert.Equal(t, "null", string(sent["questionnaire"]), "null disables the questionnaire")
}

// Rule: iDenfy documents 402, 403, PERMISSIONS_ERROR and
// PARTNER_CONTRACT_ERROR; each matches
// a sentinel, and TOO_MANY_REQUESTS matches ErrRateLimited even as a 400.
func TestDocumentedErrorSentinels(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(*idenfytest.Server)
		is    error
	}{
		{"402", func(s *idenfytest.Server) { s.FailNext("", 1, http.StatusPaymentRequired, nil) }, idenfy.ErrLackOfFunds},
		{"403", func(s *idenfytest.Server) { s.FailNext("", 1, http.StatusForbidden, nil) }, idenfy.ErrPartnerInactive},
		{"contract", func(s *idenfytest.Server) {
			s.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodePartnerContract, "Not permitted.")
		}, idenfy.ErrContractNotPermitted},
		{"another PERMISSIONS_ERROR", func(s *idenfytest.Server) {
			s.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodePermissions, "Insufficient permissions.")
		}, idenfy.ErrPartnerInactive},
		{"400 TOO_MANY_REQUESTS", func(s *idenfytest.Server) {
			s.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodeTooManyRequests, "Too many requests.")
		}, providers.ErrRateLimited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := setup(t, nil)
			tc.fault(srv)
			_, err := c.CreateKYBToken(ctx(t), validKYB())
			assert.ErrorIs(t, err, tc.is)
		})
	}
}

// Rule: the documented error answers map to their own sentinels, read from
// the bodies iDenfy's pages show.
func TestDocumentedErrorAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		call   func(c *idenfy.Client) error
		is     error
		not    error
	}{
		// https://documentation.idenfy.com/extra/StandardErrorMessages: "400 Bad
		// Request with a message "Partner reached token limit." And identifier
		// "PERMISSIONS_ERROR"": out of verification credits.
		{"token limit", 400, `{"identifier": "PERMISSIONS_ERROR", "message": "Partner reached token limit."}`,
			createKYC, idenfy.ErrTokenLimit, idenfy.ErrPartnerInactive},
		// https://documentation.idenfy.com/resources/error-messages:
		// PARTNER_CONTRACT_ERROR, "Your account contract does not permit this
		// operation" (message inferred).
		{"contract", 400, `{"identifier": "PARTNER_CONTRACT_ERROR", "message": "Partner can not do this action."}`,
			createKYC, idenfy.ErrContractNotPermitted, idenfy.ErrTokenLimit},
		// https://documentation.idenfy.com/guides/error-handling: "409 Conflict
		// — 'Client ID already exists'", a clientId with an active session
		// (body shape inferred: iDenfy's error format).
		{"active session", 409, `{"identifier": "BAD_VALUE", "message": "Client ID already exists"}`,
			createKYC, idenfy.ErrActiveSession, nil},
		{"active session, no body", 409, ``, createKYC, idenfy.ErrActiveSession, nil},
		// The deletion page: deleting while the token is active is refused
		// with {"identifier": "PARTNER_ERROR", "message": "Token has not expired yet."}.
		{"delete refused", 400, `{"identifier": "PARTNER_ERROR", "message": "Token has not expired yet."}`,
			func(c *idenfy.Client) error { return c.DeleteVerification(context.Background(), "scan-1") },
			idenfy.ErrTokenStillActive, nil},
		{"another PARTNER_ERROR", 400, `{"identifier": "PARTNER_ERROR", "message": "Something else."}`,
			func(c *idenfy.Client) error { return c.DeleteVerification(context.Background(), "scan-1") },
			nil, idenfy.ErrTokenStillActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := setup(t, nil)
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			srv.AnswerNext("", 1, tc.status, http.Header{"Content-Type": {"application/json"}}, body)
			err := tc.call(c)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			if tc.not != nil {
				assert.NotErrorIs(t, err, tc.not)
			}
			var pe *providers.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.status, pe.StatusCode)
			assert.NotContains(t, err.Error(), "Client ID already exists", "the body stays out of Error()")
		})
	}
}

func createKYC(c *idenfy.Client) error {
	_, err := c.CreateVerificationToken(context.Background(), idenfy.CreateVerificationTokenParams{ClientID: "user-123"})
	return err
}
