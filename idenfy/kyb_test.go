package idenfy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

const uuid = "3c90c3cc-0d44-4b50-8888-8dd25736052a"

// Every rule of the KYB schema is caught before sending: the fake sees
// nothing, and the error names the field.
func TestCreateKYBTokenRejectsEachRuleBeforeSending(t *testing.T) {
	srv, c, _ := setup(t, nil)
	tests := []struct {
		name  string
		edit  func(*idenfy.CreateKYBTokenParams)
		field string
	}{
		{"tokenType missing", func(p *idenfy.CreateKYBTokenParams) { p.TokenType = "" }, "tokenType"},
		{"tokenType unknown", func(p *idenfy.CreateKYBTokenParams) { p.TokenType = "GOV3" }, "tokenType"},
		{"tokenType wrong case", func(p *idenfy.CreateKYBTokenParams) { p.TokenType = "form" }, "tokenType"},
		{"clientId missing", func(p *idenfy.CreateKYBTokenParams) { p.ClientID = "" }, "clientId"},
		{"clientId 101 chars", func(p *idenfy.CreateKYBTokenParams) { p.ClientID = strings.Repeat("c", 101) }, "clientId"},
		{"clientId not UTF-8", func(p *idenfy.CreateKYBTokenParams) { p.ClientID = "\xff" }, "clientId"},
		{"lifetime negative", func(p *idenfy.CreateKYBTokenParams) { p.Lifetime = idenfy.Int(-1) }, "lifetime"},
		{"lifetime over 30 days", func(p *idenfy.CreateKYBTokenParams) { p.Lifetime = idenfy.Int(idenfy.MaxKYBLifetime + 1) }, "lifetime"},
		{"externalRef 41 chars", func(p *idenfy.CreateKYBTokenParams) { p.ExternalRef = idenfy.Value(strings.Repeat("e", 41)) }, "externalRef"},
		{"locale unknown", func(p *idenfy.CreateKYBTokenParams) { p.Locale = "xx" }, "locale"},
		{"locale upper case", func(p *idenfy.CreateKYBTokenParams) { p.Locale = "EN" }, "locale"},
		{"flow not a UUID", func(p *idenfy.CreateKYBTokenParams) { p.Flow = idenfy.Value("flow-1") }, "flow"},
		{"flow UUID without dashes", func(p *idenfy.CreateKYBTokenParams) { p.Flow = idenfy.Value(strings.ReplaceAll(uuid, "-", "")) }, "flow"},
		{"theme not a UUID", func(p *idenfy.CreateKYBTokenParams) { p.Theme = idenfy.Value(uuid + "0") }, "theme"},
		{"questionnaire empty", func(p *idenfy.CreateKYBTokenParams) { p.Questionnaire = idenfy.Value("") }, "questionnaire"},
		{"six tags", func(p *idenfy.CreateKYBTokenParams) { p.Tags = []string{"a", "b", "c", "d", "e", "f"} }, "tags"},
		{"tag empty", func(p *idenfy.CreateKYBTokenParams) { p.Tags = []string{"a", ""} }, "tags[1]"},
		{"tag 33 chars", func(p *idenfy.CreateKYBTokenParams) { p.Tags = []string{strings.Repeat("t", 33)} }, "tags[0]"},
		{"tag with comma", func(p *idenfy.CreateKYBTokenParams) { p.Tags = []string{"a", "b", "c,d"} }, "tags[2]"},
		{"scanRef empty", func(p *idenfy.CreateKYBTokenParams) { p.ScanRefs = idenfy.Value([]string{""}) }, "scanRefs[0]"},
		{"scanRef 41 chars", func(p *idenfy.CreateKYBTokenParams) {
			p.ScanRefs = idenfy.Value([]string{"ok", strings.Repeat("s", 41)})
		}, "scanRefs[1]"},
		{"scanRef with comma", func(p *idenfy.CreateKYBTokenParams) { p.ScanRefs = idenfy.Value([]string{"a,b"}) }, "scanRefs[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validKYB()
			tt.edit(&p)
			tok, err := c.CreateKYBToken(ctx(t), p)
			require.Error(t, err)
			assert.Nil(t, tok)
			var ve *providers.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.ErrorIs(t, err, providers.ErrValidation)
		})
	}
	assert.Zero(t, srv.Requests(), "a request reached the fake")
	assert.Zero(t, c.Stats().Requests)
}

// The bounds themselves are accepted, by the client and by the fake.
func TestCreateKYBTokenAcceptsBounds(t *testing.T) {
	_, c, clk := setup(t, nil)
	p := idenfy.CreateKYBTokenParams{
		TokenType: idenfy.KYBTokenGOV2, ClientID: strings.Repeat("c", 100), Lifetime: idenfy.Int(idenfy.MaxKYBLifetime),
		ExternalRef: idenfy.Value(strings.Repeat("é", 40)), Locale: "pt", Flow: idenfy.Value(uuid), Theme: idenfy.Value(strings.ToUpper(uuid)),
		Questionnaire: idenfy.Value("q"), QuestionnaireRequired: idenfy.Bool(false),
		Tags:     []string{"a", "b", "c", "d", strings.Repeat("t", 32)},
		ScanRefs: idenfy.Value([]string{strings.Repeat("s", 40)}),
	}
	tok, err := c.CreateKYBToken(ctx(t), p)
	require.NoError(t, err)
	assert.Equal(t, idenfy.KYBTokenGOV2, tok.TokenType)
	assert.NotEmpty(t, tok.TokenString)
	assert.Equal(t, clk.Now().Add(idenfy.MaxKYBLifetime*time.Second), tok.Expiration)
	assert.True(t, tok.IsActive)
	assert.True(t, tok.IsValid)
	assert.Equal(t, p.ClientID, tok.ClientID)
	assert.Equal(t, p.ExternalRef, tok.ExternalRef)
	assert.Equal(t, idenfy.Locale("pt"), tok.Locale)
	assert.Equal(t, idenfy.Value(uuid), tok.Flow)
	assert.Equal(t, p.Tags, tok.Tags)
	sent, _ := p.ScanRefs.Get()
	assert.Equal(t, sent, tok.ScanRefs)
	assert.True(t, tok.CompanyID.IsNull(), "companyId is null until a company fills the form")
	assert.Empty(t, tok.Undecoded)
}

func TestCreateKYBTokenDefaultsAndExpiration(t *testing.T) {
	srv, c, clk := setup(t, nil)
	tok, err := c.CreateKYBToken(ctx(t), validKYB())
	require.NoError(t, err)
	assert.Equal(t, epoch.Add(time.Hour), tok.Expiration, "default lifetime is 3600 s")
	assert.Equal(t, 1, srv.Calls(idenfytest.PathKYBTokens))

	var sent map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(srv.LastBody(idenfytest.PathKYBTokens), &sent))
	assert.Equal(t, map[string]json.RawMessage{"tokenType": json.RawMessage(`"FORM"`), "clientId": json.RawMessage(`"company-42"`)}, sent,
		"empty optional fields are not sent")

	clk.Advance(time.Hour)
	got, ok := srv.KYBToken(tok.TokenString)
	require.True(t, ok)
	assert.False(t, got.IsValid, "expired on the fake's clock")
}

// The three meanings of questionnaire reach the wire as three different
// bodies.
func TestQuestionnaireAbsentNullValueOnTheWire(t *testing.T) {
	srv, c, _ := setup(t, nil)
	for _, tt := range []struct {
		name  string
		q     idenfy.Nullable[string]
		key   bool   // "questionnaire" present in the body
		raw   string // its raw JSON
		isNul bool
	}{
		{"absent", idenfy.Nullable[string]{}, false, "", false},
		{"null", idenfy.Null[string](), true, "null", true},
		{"value", idenfy.Value("kyb-basic"), true, `"kyb-basic"`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := validKYB()
			p.Questionnaire = tt.q
			tok, err := c.CreateKYBToken(ctx(t), p)
			require.NoError(t, err)

			var sent map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(srv.LastBody(idenfytest.PathKYBTokens), &sent))
			raw, ok := sent["questionnaire"]
			require.Equal(t, tt.key, ok)
			assert.Equal(t, tt.raw, string(raw))

			got, ok := srv.KYBQuestionnaire(tok.TokenString)
			require.True(t, ok)
			assert.Equal(t, tt.q, got, "the fake decoded the same meaning")
			assert.Equal(t, tt.isNul, got.IsNull())
		})
	}
}

func TestUpdateKYBToken(t *testing.T) {
	srv, c, _ := setup(t, nil)
	p := validKYB()
	p.Tags = []string{"old"}
	p.ScanRefs = idenfy.Value([]string{"scan-1"})
	tok, err := c.CreateKYBToken(ctx(t), p)
	require.NoError(t, err)
	path := idenfytest.PathKYBTokens + tok.TokenString + "/"

	// Only tags: scanRefs is not sent and is kept.
	got, err := c.UpdateKYBToken(ctx(t), tok.TokenString, idenfy.UpdateKYBTokenParams{Tags: []string{"new", "vip"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"tags":["new","vip"]}`, string(srv.LastBody(path)))
	assert.Equal(t, []string{"new", "vip"}, got.Tags)
	assert.Equal(t, []string{"scan-1"}, got.ScanRefs)

	// An empty, non-nil slice clears.
	got, err = c.UpdateKYBToken(ctx(t), tok.TokenString, idenfy.UpdateKYBTokenParams{ScanRefs: []string{}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"scanRefs":[]}`, string(srv.LastBody(path)))
	assert.Empty(t, got.ScanRefs)
	assert.Equal(t, []string{"new", "vip"}, got.Tags)
	assert.Equal(t, 2, srv.Calls(path))
}

func TestUpdateKYBTokenRejectsBeforeSending(t *testing.T) {
	srv, c, _ := setup(t, nil)
	for _, tt := range []struct {
		token string
		p     idenfy.UpdateKYBTokenParams
		field string
	}{
		{"", idenfy.UpdateKYBTokenParams{}, "tokenString"},
		{"a/b", idenfy.UpdateKYBTokenParams{}, "tokenString"},
		{"..", idenfy.UpdateKYBTokenParams{}, "tokenString"},
		{"a?b", idenfy.UpdateKYBTokenParams{}, "tokenString"},
		{"tok", idenfy.UpdateKYBTokenParams{Tags: []string{"1", "2", "3", "4", "5", "6"}}, "tags"},
		{"tok", idenfy.UpdateKYBTokenParams{Tags: []string{"x,y"}}, "tags[0]"},
		{"tok", idenfy.UpdateKYBTokenParams{Tags: []string{strings.Repeat("t", 33)}}, "tags[0]"},
		{"tok", idenfy.UpdateKYBTokenParams{ScanRefs: []string{"ok", ""}}, "scanRefs[1]"},
		{"tok", idenfy.UpdateKYBTokenParams{ScanRefs: []string{strings.Repeat("s", 41)}}, "scanRefs[0]"},
		{"tok", idenfy.UpdateKYBTokenParams{ScanRefs: []string{"s,1"}}, "scanRefs[0]"},
	} {
		_, err := c.UpdateKYBToken(ctx(t), tt.token, tt.p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, tt.field)
		assert.Equal(t, tt.field, ve.Field)
	}
	assert.Zero(t, srv.Requests())
}

func TestUpdateKYBTokenInvalidAndUnknown(t *testing.T) {
	srv, c, _ := setup(t, nil)
	tok, err := c.CreateKYBToken(ctx(t), validKYB())
	require.NoError(t, err)

	srv.ExpireTokens()
	_, err = c.UpdateKYBToken(ctx(t), tok.TokenString, idenfy.UpdateKYBTokenParams{Tags: []string{"x"}})
	require.ErrorIs(t, err, idenfy.ErrTokenNotValid)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, idenfy.CodeTokenNotValid, pe.Code)
	assert.Equal(t, 400, pe.StatusCode)

	tok2, err := c.CreateKYBToken(ctx(t), validKYB())
	require.NoError(t, err)
	require.True(t, srv.DeactivateKYBToken(tok2.TokenString))
	_, err = c.UpdateKYBToken(ctx(t), tok2.TokenString, idenfy.UpdateKYBTokenParams{Tags: []string{"x"}})
	require.ErrorIs(t, err, idenfy.ErrTokenNotValid)
	got, _ := srv.KYBToken(tok2.TokenString)
	assert.False(t, got.IsActive)

	_, err = c.UpdateKYBToken(ctx(t), "no-such-token", idenfy.UpdateKYBTokenParams{Tags: []string{"x"}})
	assert.ErrorIs(t, err, providers.ErrNotFound)
	assert.False(t, errors.Is(err, idenfy.ErrTokenNotValid))
}
