package compliancely_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
	"github.com/unikyc/unikyc/webhook/webhooktest"
)

// Payloads copied verbatim from Compliancely's pages.
var (
	// TIN Match Sandbox Documentation, "To simulate irs_code as 3"; the
	// page says webhooks carry "the same response object format of POST /
	// GET API call".
	docTINDidNotMatch = []byte(`{
    "id": 4989258,
    "name": "Zenwork",
    "tin": "111232312",
    "status": "Did Not Match",
    "created_by": "compliancely",
    "irs_code": 3,
    "irs_reason": "TIN and Name combination does not match IRS records.",
    "irs_service_status": "RUNNING",
    "last_irs_check_date": "2023-02-20T18:02:33Z",
    "created_date": "2023-02-20T18:02:33Z",
    "updated_date": "2023-02-20T18:02:33Z"
}`)
	// Same page, "To simulate irs_code as -1".
	docTINPending = []byte(`{
    "id": 4989260,
    "name": "Media Zenwork",
    "tin": "111232314",
    "status": "Pending",
    "created_by": "compliancely",
    "irs_code": -1,
    "irs_reason": "",
    "irs_service_status": "THE IRS TIN MATCHING SERVICE IS SLOW OR CURRENTLY EXPERIENCING AN OUTAGE",
    "last_irs_check_date": "2023-02-06T09:10:45Z",
    "created_date": "2023-02-06T09:10:45Z",
    "updated_date": "2023-02-06T09:10:45Z"
}`)
	// api_v2_taxexempt_create, the sample answer (the tax-exempt webhook
	// body is not documented: I, the record or this envelope).
	docTaxExemptAnswer = []byte(`{
"success_message": "Created new TAX Exempt record",
"data": {
"id": 297,
"tin": "123456789",
"name": "",
"status": "Pending",
"created_at": "2024-07-08T12:36:56.401518Z",
"created_by": "compliancely",
"webhook_urls": []
},
"success": true
}`)
)

const secret = auth.Secret("whsec-compliancely-test-0123456789")

func hmacOf(key auth.Secret, b []byte) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(b)
	return h.Sum(nil)
}

func newHooks(t *testing.T, secrets ...auth.Secret) *compliancely.Webhooks {
	t.Helper()
	w, err := compliancely.NewWebhooks(secrets...)
	require.NoError(t, err)
	return w
}

// Rule: Compliancely-Signature = HMAC-SHA256(secret, raw body). The
// encoding is not documented, so hex and base64, with or without
// "sha256=", each pass the shared conformance check (30+ near misses).
func TestWebhookSignatureConformance(t *testing.T) {
	hooks := newHooks(t, secret, "rotated-secret")
	for name, enc := range map[string]func([]byte) string{
		"hex":            hex.EncodeToString,
		"base64":         base64.StdEncoding.EncodeToString,
		"sha256= hex":    func(b []byte) string { return "sha256=" + hex.EncodeToString(b) },
		"sha256= base64": func(b []byte) string { return "sha256=" + base64.StdEncoding.EncodeToString(b) },
	} {
		t.Run(name, func(t *testing.T) {
			webhooktest.CheckSignatures(t, webhooktest.Signatures{
				Provider:  hooks,
				Header:    compliancely.SignatureHeader,
				Sign:      func(b []byte) string { return enc(hmacOf(secret, b)) },
				SignOther: func(b []byte) string { return enc(hmacOf("not-our-secret", b)) },
				Body:      docTINDidNotMatch,
			})
		})
	}
}

// Rule: several secrets may be valid at once; any verifies.
func TestWebhookSecretsRotate(t *testing.T) {
	hooks := newHooks(t, "old-secret", "new-secret")
	for _, s := range []auth.Secret{"old-secret", "new-secret"} {
		h := http.Header{compliancely.SignatureHeader: {compliancely.SignWebhook(docTINPending, s)}}
		assert.NoError(t, hooks.Verify(h, docTINPending))
	}
	h := http.Header{compliancely.SignatureHeader: {compliancely.SignWebhook(docTINPending, "retired")}}
	assert.ErrorIs(t, hooks.Verify(h, docTINPending), webhook.ErrBadSignature)
}

// Rule: a blank secret is refused when the verifier is made.
func TestNewWebhooksRefusesBlankSecrets(t *testing.T) {
	for _, secrets := range [][]auth.Secret{nil, {""}, {"ok", "  "}} {
		_, err := compliancely.NewWebhooks(secrets...)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "compliancely", ve.Provider)
		assert.Contains(t, ve.Field, "webhook secret")
	}
	_, err := compliancely.NewWebhooks("ok", "  ")
	assert.Equal(t, "unikyc: compliancely: invalid webhook secret[1]: is blank", err.Error())
}

func TestWebhooksDelivery(t *testing.T) {
	d := newHooks(t, secret).Delivery()
	assert.Equal(t, 2, d.Retries, "retried for another 2 attempts")
	assert.Equal(t, int64(compliancely.MaxWebhookBody), d.MaxBody)
	assert.Equal(t, "compliancely", newHooks(t, secret).Name())
}

// Rule: the documented TIN match records decode as TIN match events; the
// pending one (-1) and the result are two events, a repeat the same.
func TestDecodeDocumentedTINMatch(t *testing.T) {
	hooks := newHooks(t, secret)
	ev, err := hooks.Decode(nil, docTINDidNotMatch)
	require.NoError(t, err)
	m, ok := ev.(*compliancely.TINMatchEvent)
	require.True(t, ok, "%T", ev)
	assert.Equal(t, providers.ID("4989258"), m.ID)
	assert.Equal(t, compliancely.TINDidNotMatch, m.Status)
	assert.Equal(t, compliancely.IRSCode(3), m.IRSCode)
	assert.Equal(t, "TIN and Name combination does not match IRS records.", m.IRSReason)
	assert.Equal(t, "RUNNING", m.IRSServiceStatus)
	assert.Equal(t, "tin_match", ev.Type())
	assert.Equal(t, "compliancely", ev.Provider())

	pending, err := hooks.Decode(nil, docTINPending)
	require.NoError(t, err)
	assert.Equal(t, compliancely.IRSPending, pending.(*compliancely.TINMatchEvent).IRSCode)
	assert.Equal(t, compliancely.TINPending, pending.(*compliancely.TINMatchEvent).Status)

	// The same submission, pending then done: two keys.
	done := strings.Replace(strings.Replace(string(docTINPending), `"Pending"`, `"TIN Matched"`, 1), `"irs_code": -1`, `"irs_code": 7`, 1)
	doneEv, err := hooks.Decode(nil, []byte(done))
	require.NoError(t, err)
	assert.NotEqual(t, pending.DedupeKey(), doneEv.DedupeKey())
	again, _ := hooks.Decode(nil, docTINPending)
	assert.Equal(t, pending.DedupeKey(), again.DedupeKey())
}

// A null irs_code is "no result" (-1), never 0 ("matched").
func TestIRSCodeNullIsPending(t *testing.T) {
	var m compliancely.TINMatch
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"irs_code":null,"status":"Pending"}`), &m))
	assert.Equal(t, compliancely.IRSPending, m.IRSCode)
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"status":"Pending"}`), &m))
	assert.Equal(t, compliancely.IRSPending, m.IRSCode)
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"irs_code":"0"}`), &m))
	assert.Equal(t, compliancely.IRSCode(0), m.IRSCode)
}

// Rule: a tax-exempt result decodes as a typed event, bare or in the v2
// envelope the documented answer uses.
func TestDecodeTaxExemptResult(t *testing.T) {
	hooks := newHooks(t, secret)
	ev, err := hooks.Decode(nil, docTaxExemptAnswer)
	require.NoError(t, err)
	te, ok := ev.(*compliancely.TaxExemptEvent)
	require.True(t, ok, "%T", ev)
	assert.Equal(t, providers.ID("297"), te.ID)
	assert.Equal(t, "123456789", te.TIN)
	assert.Equal(t, "Pending", te.Status)
	assert.Equal(t, "tax_exempt", ev.Type())

	var env struct{ Data json.RawMessage }
	require.NoError(t, json.Unmarshal(docTaxExemptAnswer, &env))
	bare, err := hooks.Decode(nil, env.Data)
	require.NoError(t, err)
	assert.Equal(t, ev.DedupeKey(), bare.DedupeKey(), "bare or wrapped: one event")
}

// A bulk upload status decodes by its documented keys (the reference
// shows the keys with type placeholders only; values here are ours).
func TestDecodeBulkUploadStatus(t *testing.T) {
	body := []byte(`{"success_message":"","data":{"id":12,"input_file_url":"https://x/in.csv","regular_file_url":null,
		"result_file_url":"https://x/out.csv","error_file_url":null,"duplicate_record_file_results":[],
		"original_file_name":"vendors-priority-2.csv","status":"Completed","priority":2,
		"result_updated_at":"2026-06-01T08:00:00Z","created_by":"compliancely","created_at":"2026-06-01T08:00:00Z",
		"updated_at":"2026-06-01T08:00:00Z"},"success":true}`)
	ev, err := newHooks(t, secret).Decode(nil, body)
	require.NoError(t, err)
	b, ok := ev.(*compliancely.BulkUploadEvent)
	require.True(t, ok, "%T", ev)
	assert.Equal(t, providers.ID("12"), b.ID)
	assert.Equal(t, "https://x/out.csv", b.ResultFileURL)
	assert.Equal(t, 2, b.Priority)
	assert.Equal(t, "bulk_upload", ev.Type())
}

// Bodies that are no result are decode errors that quote nothing.
func TestDecodeRefusesOtherBodies(t *testing.T) {
	hooks := newHooks(t, secret)
	for _, b := range []string{`not json`, `[]`, `{}`, `{"name":"Zenwork"}`, `{"id":null,"irs_code":3}`,
		`{"id":"4989258","irs_code":"three"}`, `{"data":"x","success":true}`} {
		_, err := hooks.Decode(nil, []byte(b))
		require.Error(t, err, b)
		assert.Equal(t, 1, strings.Count(err.Error(), "unikyc:"))
		assert.NotContains(t, err.Error(), "Zenwork")
		assert.NotContains(t, err.Error(), "three")
	}
}

// No secret shows in the verifier or its errors, whatever prints them.
func TestWebhookSecretsNeverPrint(t *testing.T) {
	hooks := newHooks(t, secret, "second-secret-value")
	err := hooks.Verify(http.Header{compliancely.SignatureHeader: {"00"}}, docTINPending)
	_, nerr := compliancely.NewWebhooks("x", "")
	leakcheck.NoSecrets(t, []string{string(secret), "second-secret-value"}, hooks, *hooks, err, nerr)
	assert.Equal(t, "compliancely.Webhooks(2 secrets)", hooks.String())
}
