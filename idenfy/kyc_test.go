package idenfy_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

func TestVerificationLifecycle(t *testing.T) {
	srv, c, _ := setup(t, nil)
	tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{
		ClientID: "user-123", FirstName: "John", LastName: "Doe", DateOfBirth: "1990-05-15",
		GenerateDigitString: true, ExternalRef: "order-7",
	})
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AuthToken)
	assert.NotEmpty(t, tok.ScanRef)
	assert.Equal(t, "JOHN", tok.FirstName)
	assert.Len(t, tok.DigitString, 8)
	assert.Equal(t, 3600, tok.ExpiryTime)
	assert.Equal(t, c.RedirectURL(tok.AuthToken), tok.RedirectURL, "RedirectURL builds what iDenfy returns")
	assert.Equal(t, 1, srv.Calls(idenfytest.PathKYCToken))

	v, err := c.Status(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.Equal(t, idenfy.StatusActive, v.Status)
	assert.Equal(t, "user-123", v.ClientID)

	require.True(t, srv.SetStatus(tok.ScanRef, idenfy.StatusApproved))
	v, err = c.Status(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.Equal(t, idenfy.StatusApproved, v.Status)
	assert.Equal(t, "FACE_MATCH", v.AutoFace)

	require.NoError(t, c.DeleteVerification(ctx(t), tok.ScanRef))
	v, err = c.Status(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.Equal(t, idenfy.StatusDeleted, v.Status)
}

func TestVerificationExpiresOnTheClock(t *testing.T) {
	_, c, clk := setup(t, nil)
	tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u", ExpiryTime: 60})
	require.NoError(t, err)
	clk.Advance(59 * time.Second)
	v, err := c.Status(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.Equal(t, idenfy.StatusActive, v.Status)
	clk.Advance(time.Second)
	v, err = c.Status(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.Equal(t, idenfy.StatusExpired, v.Status)
}

func TestUnknownScanRefIsNotFound(t *testing.T) {
	_, c, _ := setup(t, nil)
	_, err := c.Status(ctx(t), "no-such-scan")
	assert.ErrorIs(t, err, providers.ErrNotFound)
	assert.ErrorIs(t, c.DeleteVerification(ctx(t), "no-such-scan"), providers.ErrNotFound)
}

func TestCreateVerificationTokenRejectsBeforeSending(t *testing.T) {
	srv, c, _ := setup(t, nil)
	for _, tt := range []struct {
		edit  func(*idenfy.CreateVerificationTokenParams)
		field string
	}{
		{func(p *idenfy.CreateVerificationTokenParams) { p.ClientID = "" }, "clientId"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.ClientID = strings.Repeat("c", 101) }, "clientId"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.FirstName = strings.Repeat("f", 101) }, "firstName"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.LastName = strings.Repeat("l", 101) }, "lastName"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.DateOfBirth = "15.05.1990" }, "dateOfBirth"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.ExpiryTime = idenfy.MaxExpiryTime + 1 }, "expiryTime"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.ExpiryTime = -1 }, "expiryTime"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.SessionLength = -1 }, "sessionLength"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.ExternalRef = strings.Repeat("e", 41) }, "externalRef"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.CallbackURL = "/relative" }, "callbackUrl"},
		{func(p *idenfy.CreateVerificationTokenParams) { p.SuccessURL = "ftp://x" }, "successUrl"},
	} {
		p := idenfy.CreateVerificationTokenParams{ClientID: "u"}
		tt.edit(&p)
		_, err := c.CreateVerificationToken(ctx(t), p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, tt.field)
		assert.Equal(t, tt.field, ve.Field)
	}
	_, err := c.Status(ctx(t), "")
	assert.ErrorIs(t, err, providers.ErrValidation)
	assert.ErrorIs(t, c.DeleteVerification(ctx(t), ""), providers.ErrValidation)
	assert.Zero(t, srv.Requests())
}

func TestRedirectURL(t *testing.T) {
	c, err := idenfy.New(idenfy.Config{APIKey: "k", APISecret: "s"})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "https://ivs.idenfy.com/api/v2/redirect?authToken=abc", c.RedirectURL("abc"))
	got := c.RedirectURL("a&b=c d+/")
	u, err := url.Parse(got)
	require.NoError(t, err)
	assert.Equal(t, "a&b=c d+/", u.Query().Get("authToken"), "query-escaped")

	c2, err := idenfy.New(idenfy.Config{BaseURL: "https://proxy.example.com/idenfy/", APIKey: "k", APISecret: "s"})
	require.NoError(t, err)
	defer c2.Close()
	assert.Equal(t, "https://proxy.example.com/idenfy/api/v2/redirect?authToken=abc", c2.RedirectURL("abc"))
}

// Rule: every credential field is checked in New (control characters in
// the key or secret included).
func TestNewRejectsBadConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg   idenfy.Config
		field string
	}{
		{idenfy.Config{APISecret: "s"}, "APIKey"},
		{idenfy.Config{APIKey: "k:x", APISecret: "s"}, "APIKey"},
		{idenfy.Config{APIKey: "k"}, "APISecret"},
		{idenfy.Config{BaseURL: "ftp://x", APIKey: "k", APISecret: "s"}, "BaseURL"},
		{idenfy.Config{BaseURL: "https://u:p@x", APIKey: "k", APISecret: "s"}, "BaseURL"},
		{idenfy.Config{APIKey: "k\n", APISecret: "s"}, "APIKey"},
		{idenfy.Config{APIKey: "k", APISecret: "s\r\n"}, "APISecret"},
		{idenfy.Config{APIKey: "k\x00", APISecret: "s"}, "APIKey"},
		{idenfy.Config{APIKey: "k", APISecret: "s\x00"}, "APISecret"},
	} {
		c, err := idenfy.New(tt.cfg)
		assert.Nil(t, c)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, tt.field, ve.Field)
	}
	c, err := idenfy.New(idenfy.Config{APIKey: "k", APISecret: "s"})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, idenfy.DefaultBaseURL, c.BaseURL().String())
}

// Rule: the token answer comes in two documented shapes; both decode, and
// an answer with neither token is an error, never an empty token.
func TestVerificationTokenAnswerShapes(t *testing.T) {
	for _, tc := range []struct {
		name, body      string
		token, url, ref string
	}{
		// https://documentation.idenfy.com/kyc/generate-token, "Response".
		{"guides: authToken and redirectUrl", `{
  "message": "Token created successfully",
  "authToken": "pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC",
  "scanRef": "ec6a7108-8c26-11e9-9758-309c231b1bac",
  "clientId": "user-123",
  "firstName": "JOHN",
  "lastName": "DOE",
  "redirectUrl": "https://ivs.idenfy.com/api/v2/redirect?authToken=pgYQX0z2T8...",
  "digitString": null,
  "expiryTime": 3600,
  "sessionLength": 600
}`, "pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC", "https://ivs.idenfy.com/api/v2/redirect?authToken=pgYQX0z2T8...", "ec6a7108-8c26-11e9-9758-309c231b1bac"},
		// https://documentation.idenfy.com/api-reference/kyc-token/generate-kyc-token:
		// the answer's fields tokenString, scanRef, isValid, expiration,
		// sessionUrl (values are placeholders).
		{"reference: tokenString and sessionUrl", `{"tokenString": "<string>", "scanRef": "<scanRef>", "isValid": true,
  "expiration": "2023-11-07T05:31:56Z", "sessionUrl": "https://ui.idenfy.com/session"}`, "<string>", "https://ui.idenfy.com/session", "<scanRef>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := setup(t, nil)
			srv.AnswerNext(idenfytest.PathKYCToken, 1, http.StatusCreated, http.Header{"Content-Type": {"application/json"}}, []byte(tc.body))
			tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "user-123"})
			require.NoError(t, err)
			assert.Equal(t, tc.token, tok.AuthToken)
			assert.Equal(t, tc.url, tok.RedirectURL)
			assert.Equal(t, tc.ref, tok.ScanRef)
		})
	}
	for _, body := range []string{`{"scanRef": "s1", "redirectUrl": "https://x"}`, `{}`, `{"authToken": "", "tokenString": ""}`} {
		srv, c, _ := setup(t, nil)
		srv.AnswerNext(idenfytest.PathKYCToken, 1, http.StatusCreated, http.Header{"Content-Type": {"application/json"}}, []byte(body))
		tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "user-123"})
		assert.Nil(t, tok, body)
		var de *providers.DecodeError
		require.ErrorAs(t, err, &de, body)
		assert.ErrorIs(t, err, idenfy.ErrNoToken)
	}
}

// Rule: the nested request of the API reference is sent as set, with
// nothing of the flat shape; mixing a flat field with its nested form is
// refused and nothing is sent.
func TestVerificationTokenNestedRequest(t *testing.T) {
	srv, c, _ := setup(t, nil)
	_, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{
		ClientID:         "user-123",
		Client:           &idenfy.KYCClient{FirstName: "John", LastName: "Doe", DateOfBirth: "1990-05-15"},
		URLs:             &idenfy.KYCURLs{SuccessURL: "https://yourapp.com/verified", FailURL: "https://yourapp.com/failed", WebhookURL: "https://yourapp.com/webhook"},
		Settings:         map[string]any{"checkAml": true},
		Lifetime:         idenfy.Int(3600),
		AllowedCountries: []string{"US", "GB"},
		AllowedDocuments: []string{"PASSPORT", "ID_CARD"},
	})
	require.NoError(t, err)
	var sent map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(srv.LastBody(idenfytest.PathKYCToken), &sent))
	assert.JSONEq(t, `{"firstName":"John","lastName":"Doe","dateOfBirth":"1990-05-15"}`, string(sent["client"]))
	assert.JSONEq(t, `{"successUrl":"https://yourapp.com/verified","failUrl":"https://yourapp.com/failed","webhookUrl":"https://yourapp.com/webhook"}`, string(sent["urls"]))
	assert.JSONEq(t, `{"checkAml":true}`, string(sent["settings"]))
	assert.Equal(t, "3600", string(sent["lifetime"]))
	assert.JSONEq(t, `["US","GB"]`, string(sent["allowedCountries"]))
	assert.JSONEq(t, `["PASSPORT","ID_CARD"]`, string(sent["allowedDocuments"]))
	for _, flat := range []string{"firstName", "successUrl", "callbackUrl", "expiryTime", "country", "documents"} {
		assert.NotContains(t, sent, flat)
	}

	before := srv.Requests()
	for _, p := range []idenfy.CreateVerificationTokenParams{
		{ClientID: "u", FirstName: "Ann", Client: &idenfy.KYCClient{FirstName: "Ann"}},
		{ClientID: "u", CallbackURL: "https://a.example/h", URLs: &idenfy.KYCURLs{WebhookURL: "https://a.example/h"}},
		{ClientID: "u", ExpiryTime: 60, Lifetime: idenfy.Int(60)},
		{ClientID: "u", URLs: &idenfy.KYCURLs{WebhookURL: "not a url"}},
		{ClientID: "u", Lifetime: idenfy.Int(idenfy.MaxExpiryTime + 1)},
		{ClientID: "u", Client: &idenfy.KYCClient{LastName: "D0e"}},
	} {
		_, err := c.CreateVerificationToken(ctx(t), p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve)
	}
	assert.Equal(t, before, srv.Requests(), "nothing sent")
}
