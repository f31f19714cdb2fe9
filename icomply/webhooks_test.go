package icomply_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// The secret's documented form (docs.icomplyis.com/api-docs/webhooks:
// "similar to: whs_ef0dbc12345c418ab4a1cc4c888dea02").
const hookSecret = "whs_ef0dbc12345c418ab4a1cc4c888dea02"

// The three payloads below are copied from iComply's Webhooks page
// (support.icomplyis.com/webhooks-1, docs.icomplyis.com/api-docs/webhooks).
// The page says the secret is "part of the payload" but its samples do not
// show it: withSecret adds it as the top-level "secret" (I).
const (
	pendingPayload = `{
	"id": "254",
	"event": "NaturalPersonPending",
	"eventType": "natural-person-pending",
	"data": {
		"entityCreated": true,
		"isClientUpdateRequest": false,
		"entity": "John Doe",
		"email": "john.doe@mail.com",
		"sessionId": "8da6eb06-778a-40a4-b2a5-8120cb440982",
		"entityId": "17f86a38-ee24-4686-8b4d-9251019f0009",
		"message": "John Doe submitted personal info"
	},
	"creationTimeUtc": "2022-02-01T15:09:26.1712603Z"
}`
	manualPayload = `{
	"id": "253",
	"event": "NaturalPersonManuallyApproved",
	"eventType": "natural-person-manually-approved",
	"data": {
		"entity": "Jane Doe",
		"entityId": "702a96b1-e145-45fc-99c1-69c2199aa30d",
		"userName": "Milan Doe",
		"userEmail": "milan@testing.com",
		"entityStatus": "approved",
		"description": "Jane Doe was manually approved by Milan"
	},
	"creationTimeUtc": "2022-02-01T15:04:27.0174921Z"
}`
	autoPayload = `{
	"id": "253",
	"event": "NaturalPersonAutoApproved",
	"eventType": "natural-person-auto-approved",
	"data": {
		"entity": "Jane Doe",
		"entityId": "702a96b1-e145-45fc-99c1-69c2199aa30d",
		"userName": "Milan Doe",
		"userEmail": "milan@testing.com",
		"entityStatus": "approved",
		"description": "Jane Doe was manually approved by Milan"
	},
	"creationTimeUtc": "2022-02-01T15:04:27.0174921Z"
}`
)

func withSecret(payload, secret string) []byte {
	return []byte(strings.Replace(payload, "{", `{"secret": `+jsonString(secret)+`,`, 1))
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func newHooks(t *testing.T, secrets ...auth.Secret) *icomply.Webhooks {
	t.Helper()
	w, err := icomply.NewWebhooks(icomply.WebhookConfig{Secrets: secrets})
	require.NoError(t, err)
	return w
}

func TestNewWebhooksRefusesBlankSecrets(t *testing.T) {
	for name, cfg := range map[string]icomply.WebhookConfig{
		"none":  {},
		"blank": {Secrets: []auth.Secret{hookSecret, "  "}},
		"empty": {Secrets: []auth.Secret{""}},
	} {
		_, err := icomply.NewWebhooks(cfg)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, icomply.Name, ve.Provider)
		assert.Contains(t, ve.Field, "Secrets", name)
	}
}

func TestWebhookVerify(t *testing.T) {
	w := newHooks(t, "whs_previous0000000000000000000000", hookSecret)
	assert.NoError(t, w.Verify(nil, withSecret(pendingPayload, hookSecret)))
	assert.NoError(t, w.Verify(nil, withSecret(pendingPayload, "whs_previous0000000000000000000000")), "either key while one replaces the other")

	for name, body := range map[string][]byte{
		"wrong secret":         withSecret(pendingPayload, "whs_ef0dbc12345c418ab4a1cc4c888dea03"),
		"prefix of the secret": withSecret(pendingPayload, hookSecret[:10]),
		"empty secret":         withSecret(pendingPayload, ""),
		"no secret":            []byte(pendingPayload),
		"secret not a string":  []byte(strings.Replace(pendingPayload, "{", `{"secret": ["`+hookSecret+`"],`, 1)),
		"secret nested in data": []byte(strings.Replace(pendingPayload, `"data": {`,
			`"data": {"secret": "`+hookSecret+`",`, 1)),
		"not an object": []byte(`["` + hookSecret + `"]`),
		"broken JSON":   append(withSecret(pendingPayload, hookSecret)[:40], '}'),
		"empty":         nil,
	} {
		err := w.Verify(nil, body)
		require.ErrorIs(t, err, webhook.ErrBadSignature, name)
		assert.NotContains(t, err.Error(), hookSecret, name)
		assert.NotContains(t, err.Error(), "John Doe", name)
	}

	custom, err := icomply.NewWebhooks(icomply.WebhookConfig{Secrets: []auth.Secret{hookSecret}, SecretField: "webhookSecret"})
	require.NoError(t, err)
	assert.ErrorIs(t, custom.Verify(nil, withSecret(pendingPayload, hookSecret)), webhook.ErrBadSignature)
	assert.NoError(t, custom.Verify(nil, []byte(strings.Replace(pendingPayload, "{", `{"webhookSecret": "`+hookSecret+`",`, 1))))
}

func TestWebhooksNeverPrintSecrets(t *testing.T) {
	w := newHooks(t, hookSecret)
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("hooks", "w", w)
	for _, s := range []string{fmt.Sprint(w), fmt.Sprintf("%+v %#v %v %s", w, w, *w, w), b.String()} {
		assert.NotContains(t, s, hookSecret)
		assert.NotContains(t, s, "ef0dbc")
	}
}

func TestWebhookDecode(t *testing.T) {
	w := newHooks(t, hookSecret)

	ev, err := w.Decode(nil, withSecret(pendingPayload, hookSecret))
	require.NoError(t, err)
	p, ok := ev.(*icomply.NaturalPersonPendingEvent)
	require.True(t, ok, "%T", ev)
	assert.Equal(t, icomply.EventNaturalPersonPending, p.Type())
	assert.Equal(t, "icomply", p.Provider())
	assert.Equal(t, "17f86a38-ee24-4686-8b4d-9251019f0009", p.EntityID)
	assert.Equal(t, "8da6eb06-778a-40a4-b2a5-8120cb440982", p.SessionID)
	assert.True(t, p.EntityCreated)
	assert.Equal(t, "John Doe", p.Name)
	assert.Equal(t, time.Date(2022, 2, 1, 15, 9, 26, 171260300, time.UTC), p.Created)

	manual, err := w.Decode(nil, withSecret(manualPayload, hookSecret))
	require.NoError(t, err)
	m := manual.(*icomply.NaturalPersonApprovedEvent)
	assert.True(t, m.Manual)
	assert.Equal(t, "approved", m.EntityStatus)
	assert.Equal(t, "Milan Doe", m.UserName)

	auto, err := w.Decode(nil, withSecret(autoPayload, hookSecret))
	require.NoError(t, err)
	a := auto.(*icomply.NaturalPersonApprovedEvent)
	assert.False(t, a.Manual)
	assert.Equal(t, "702a96b1-e145-45fc-99c1-69c2199aa30d", a.EntityID)
	// The two documented samples share "id": "253".
	assert.NotEqual(t, m.DedupeKey(), a.DedupeKey())
	again, err := w.Decode(nil, []byte(autoPayload))
	require.NoError(t, err)
	assert.Equal(t, a.DedupeKey(), again.DedupeKey(), "a repeated delivery is the same event")

	for _, ev := range []webhook.Event{p, m, a} {
		assert.NotContains(t, fmt.Sprintf("%+v", ev), hookSecret, "events never keep the secret")
	}
}

func TestWebhookDecodeOtherEvents(t *testing.T) {
	w := newHooks(t, hookSecret)
	// (I) a supporting-document event: its name is not readable in the
	// documentation; the fields are those of the other payloads.
	doc := `{"id":"260","event":"NaturalPersonSupportingDocumentUploaded","eventType":"natural-person-supporting-document-uploaded",` +
		`"data":{"entityId":"17f86a38-ee24-4686-8b4d-9251019f0009","documentName":"Proof of Address"},"creationTimeUtc":"2022-02-01T15:19:26Z"}`
	ev, err := w.Decode(nil, []byte(doc))
	require.NoError(t, err)
	sd, ok := ev.(*icomply.SupportingDocumentEvent)
	require.True(t, ok, "%T", ev)
	assert.Equal(t, "17f86a38-ee24-4686-8b4d-9251019f0009", sd.EntityID)
	assert.JSONEq(t, `{"entityId":"17f86a38-ee24-4686-8b4d-9251019f0009","documentName":"Proof of Address"}`, string(sd.Data))

	other, err := w.Decode(nil, []byte(`{"id":261,"event":"LegalEntityPending","data":{"entityId":"d9c66022"}}`))
	require.NoError(t, err)
	o := other.(*icomply.OtherEvent)
	assert.Equal(t, "261", o.ID, "a numeric id reads as text")

	onlyType, err := w.Decode(nil, []byte(`{"id":"1","eventType":"natural-person-auto-approved","data":{}}`))
	require.NoError(t, err)
	assert.Equal(t, icomply.EventNaturalPersonAutoApproved, onlyType.Type())

	for name, body := range map[string]string{
		"disagreeing names": strings.Replace(autoPayload, `"natural-person-auto-approved"`, `"natural-person-pending"`, 1),
		"no event":          `{"id":"1","data":{}}`,
		"not JSON":          `nope`,
		"data not object":   `{"id":"1","event":"NaturalPersonPending","data":"x"}`,
	} {
		_, err := w.Decode(nil, []byte(body))
		assert.Error(t, err, name)
	}
	d := w.Delivery()
	assert.Zero(t, d.Deadline, "not documented: the receiver's default")
	assert.Equal(t, -1, d.Retries)
	assert.Positive(t, d.MaxBody)
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add(withSecret(pendingPayload, hookSecret))
	f.Add([]byte(manualPayload))
	f.Add([]byte(`{"secret":1}`))
	w, err := icomply.NewWebhooks(icomply.WebhookConfig{Secrets: []auth.Secret{hookSecret}})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := w.Verify(nil, body); err != nil {
			require.ErrorIs(t, err, webhook.ErrBadSignature)
			return
		}
		// Accepted: the body holds the secret at its top level.
		var top map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(body, &top))
		_, _ = w.Decode(nil, body)
	})
}
