package idenfy_test

import (
	"bytes"
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
	require.NoError(t, json.Unmarshal(srv.LastBody("/kyb/tokens/"), &sent))
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
	require.NoError(t, json.Unmarshal(srv.LastBody("/api/v2/token"), &sent))
	assert.Equal(t, "null", string(sent["questionnaire"]), "null disables the questionnaire")
}

// Rule: iDenfy documents 402, 403 and PARTNER_CONTRACT_ERROR; each matches
// a sentinel, and TOO_MANY_REQUESTS matches ErrRateLimited even as a 400.
func TestDocumentedErrorSentinels(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(*idenfytest.Server)
		is    error
	}{
		{"402", func(s *idenfytest.Server) { s.FailNext("", 1, http.StatusPaymentRequired, nil) }, idenfy.ErrLackOfFunds},
		{"403", func(s *idenfytest.Server) { s.FailNext("", 1, http.StatusForbidden, nil) }, idenfy.ErrPartnerInactive},
		{"token limit", func(s *idenfytest.Server) {
			s.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodePartnerContract, "Partner reached token limit")
		}, idenfy.ErrTokenLimit},
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

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
