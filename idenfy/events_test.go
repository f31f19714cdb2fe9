package idenfy_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// docKYCResult is the request sample of the identificationExpired webhook
// (https://documentation.idenfy.com/api-reference/webhooks/identification-expired),
// abridged after data.mothersMaidenName, with the required keys of the
// IdentificationWebhook schema (kyc.yaml `webhooks:`) after it. fileUrls
// values are typed "any" by that schema: one here is not a string.
const docKYCResult = `{
  "final": true,
  "platform": "PC",
  "status": {
    "overall": "APPROVED",
    "fraudTags": [
      "FACE_IN_BLACKLIST"
    ],
    "mismatchTags": [
      "NAME"
    ],
    "autoFace": "FACE_MATCH",
    "manualFace": "FACE_MATCH",
    "autoDocument": "DOC_VALIDATED",
    "manualDocument": "DOC_VALIDATED",
    "additionalSteps": "VALID"
  },
  "data": {
    "docFirstName": "<string>",
    "docLastName": "<string>",
    "docNumber": "<string>",
    "docPersonalCode": "<string>",
    "docExpiry": "<string>",
    "docDob": "<string>",
    "docDateOfIssue": "<string>",
    "docType": "ID_CARD",
    "docSex": "MALE",
    "docNationality": "<string>",
    "docIssuingCountry": "<string>",
    "manuallyDataChanged": true,
    "fullName": "<string>",
    "selectedCountry": "<string>",
    "orgFirstName": "<string>",
    "orgLastName": "<string>",
    "orgNationality": "<string>",
    "orgBirthPlace": "<string>",
    "orgAuthority": "<string>",
    "orgAddress": "<string>",
    "orgTemporaryAddress": "<string>",
    "orgMothersMaidenName": "<string>",
    "orgPatronymic": "<string>",
    "orgBirthName": "<string>",
    "ageEstimate": "UNDER_13",
    "clientIpProxyRiskLevel": "VERY_LOW",
    "duplicateFaces": [
      "<string>"
    ],
    "duplicateDocFaces": [
      "<string>"
    ],
    "birthPlace": "<string>",
    "authority": "<string>",
    "address": "<string>",
    "docTemporaryAddress": "<string>",
    "mothersMaidenName": "<string>"
  },
  "fileUrls": {"FRONT": "https://s3.example/front.png", "FACE": null, "VIDEO": {"url": "https://s3.example/v.mp4"}},
  "AML": null,
  "amlCheck": {"id": "<string>", "overallStatus": "NO_FLAGS", "statusSetBy": null, "statusSetAt": null, "adverseMedia": [], "amlCheck": []},
  "scanRef": "<string>",
  "clientId": "<string>",
  "companyId": "<string>",
  "beneficiaryId": "<string>",
  "startTime": 1554726960,
  "finishTime": 1554727002,
  "clientIp": "<string>",
  "clientIpCountry": "LT",
  "clientLocation": "<string>"
}`

// docDocumentExpiration is the request sample of
// https://documentation.idenfy.com/api-reference/webhooks/document-expiration.
const docDocumentExpiration = `{
  "scanRef": "<string>",
  "clientId": "<string>",
  "expirationThreshold": "DOCUMENT_EXPIRES_WITHIN_30_DAYS",
  "documentExpiration": "<string>"
}`

// docCompanyInfoRequest is the request sample of
// https://documentation.idenfy.com/api-reference/webhooks/company-info-request.
const docCompanyInfoRequest = `{
  "companyId": "<string>",
  "token": "<string>",
  "date": "2023-11-07T05:31:56Z",
  "email": "jsmith@example.com",
  "manager": {
    "name": "<string>",
    "surname": "<string>",
    "email": "jsmith@example.com"
  },
  "status": "REQUESTED"
}`

// docCompanySubmit is the request sample of
// https://documentation.idenfy.com/api-reference/webhooks/company-submit.
const docCompanySubmit = `{
  "clientId": "<string>",
  "submissionTime": "2023-11-07T05:31:56Z",
  "soleProprietor": true,
  "externalRef": "<string>"
}`

// docCompanyExpiration is the request sample of
// https://documentation.idenfy.com/api-reference/webhooks/company-expiration.
const docCompanyExpiration = `{
  "expirationStatus": "PENDING"
}`

// docCompanyAMLReview is the request sample of
// https://documentation.idenfy.com/api-reference/webhooks/company-aml-review.
const docCompanyAMLReview = `{
  "amlReviewSubjectType": "COMPANY",
  "id": "<string>",
  "companyId": "<string>",
  "clientId": "<string>",
  "externalRef": "<string>",
  "negativeNewsComment": "<string>",
  "negativeNewsStatus": "NOT_CHECKED",
  "newsStatusSetAt": "2023-11-07T05:31:56Z",
  "amlComment": "<string>",
  "pepsCheckStatus": "NOT_CHECKED",
  "pepsStatusSetAt": "2023-11-07T05:31:56Z",
  "sanctionsCheckStatus": "NOT_CHECKED",
  "sanctionsStatusSetAt": "2023-11-07T05:31:56Z",
  "overallStatus": "NOT_CHECKED",
  "statusSetAt": "2023-11-07T05:31:56Z"
}`

// docCompanyReview is the request sample of
// https://documentation.idenfy.com/api-reference/webhooks/company-review,
// abridged: its beneficiaries list is cut to [].
const docCompanyReview = `{
  "companyName": "<string>",
  "statusChangedBy": {
    "username": "<string>",
    "email": "jsmith@example.com",
    "name": "<string>",
    "surname": "<string>"
  },
  "sanctionsStatusSetBy": {
    "username": "<string>",
    "email": "jsmith@example.com",
    "name": "<string>",
    "surname": "<string>"
  },
  "amlCheck": {
    "overallStatus": "NOT_CHECKED",
    "statusSetAt": "2023-11-07T05:31:56Z",
    "adverseMedia": [
      {
        "title": "<string>",
        "url": "<string>",
        "text": "<string>",
        "score": "<string>",
        "type": "<string>",
        "publishDate": "<string>",
        "status": "<string>"
      }
    ],
    "amlCheck": [
      {
        "resourceId": "<string>",
        "score": 123,
        "match": "<string>",
        "name": "<string>",
        "addresses": [
          {
            "geography": "<string>",
            "city": "<string>"
          }
        ],
        "datasets": [
          "PEP"
        ],
        "currentSanBodyIds": [
          123
        ],
        "formerSanBodyIds": [
          123
        ],
        "version": 123
      }
    ]
  },
  "beneficiaries": []
}`

// The pages of COMPANY_DELETE, GOV_ORDERED_DOCUMENT and SOS_REPORT show no
// sample; these bodies hold the keys of their schemas in kyb.yaml
// (CompanyDeleteWebhook, GovPartnerOrderedDocument, SosReportWebhook).
const (
	docCompanyDelete = `{"date": "2023-11-07T05:31:56Z", "manager": {"id": 1, "name": "<string>", "surname": "<string>", "email": "jsmith@example.com"}, "companyId": "<string>"}`
	docGovOrdered    = `{"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "title": null, "documentFormat": "PDF", "productKey": "<string>", "expectedDeliveryTime": "2023-11-07T05:31:56Z", "price": 1.5, "deliveredAt": null, "status": "FINISHED", "file": "https://s3.example/doc.pdf"}`
	docSOSReport     = `{"id": "<string>", "companyName": "<string>", "entityType": "LLC", "formationDate": "2020-01-01", "status": "FINISHED", "reportFile": "https://s3.example/r.pdf", "dataFile": null, "watchlistHitsCount": 0}`
)

var hookKeys = []auth.Secret{"first-signing-key", "second-signing-key"}

func verifier(t *testing.T) *idenfy.WebhookVerifier {
	t.Helper()
	v, err := idenfy.Webhooks(hookKeys...)
	require.NoError(t, err)
	return v
}

func signed(body, eventType string, key auth.Secret) http.Header {
	h := http.Header{}
	h.Set("Idenfy-Signature", sign([]byte(body), string(key)))
	if eventType != "" {
		h.Set("Idenfy-Event-Type", eventType)
	}
	return h
}

// deliver verifies and decodes one delivery, as a webhook.Receiver does.
func deliver(t *testing.T, v webhook.Provider, h http.Header, body string) (webhook.Event, error) {
	t.Helper()
	if err := v.Verify(h, []byte(body)); err != nil {
		return nil, err
	}
	return v.Decode(h, []byte(body))
}

// Rule: the six documented IDENTIFICATION* event types carry a KYC result
// (kyc.yaml webhooks identification, identificationAutoFinished, …).
func TestWebhookIdentificationEventTypes(t *testing.T) {
	v := verifier(t)
	for _, typ := range []string{"IDENTIFICATION", "IDENTIFICATION_AUTO_FINISHED", "IDENTIFICATION_MANUAL_FINISHED",
		"IDENTIFICATION_EXPIRED", "IDENTIFICATION_CANCELLED", "IDENTIFICATION_RESUBMITTED"} {
		t.Run(typ, func(t *testing.T) {
			ev, err := deliver(t, v, signed(docKYCResult, typ, hookKeys[1]), docKYCResult)
			require.NoError(t, err)
			k, ok := ev.(*idenfy.KYCResultEvent)
			require.True(t, ok, "%T", ev)
			assert.Equal(t, typ, ev.Type())
			assert.Equal(t, "idenfy", ev.Provider())
			assert.True(t, k.Final)
			assert.Equal(t, idenfy.StatusApproved, k.Status.Overall)
			assert.Equal(t, []string{"FACE_IN_BLACKLIST"}, k.Status.FraudTags)
			assert.Equal(t, "ID_CARD", k.Data.DocType)
			assert.Equal(t, "<string>", k.ScanRef)
			assert.Equal(t, int64(1554727002), k.FinishTime)
			front, ok := k.FileURL("FRONT")
			assert.True(t, ok)
			assert.Equal(t, "https://s3.example/front.png", front)
			_, ok = k.FileURL("VIDEO")
			assert.False(t, ok, "a non-string fileUrls value is kept, not read as a link")
			assert.Equal(t, map[string]any{"url": "https://s3.example/v.mp4"}, k.FileURLs["VIDEO"])
			require.NotNil(t, k.AMLCheck, "amlCheck is AML v3")
			assert.Equal(t, "NO_FLAGS", k.AMLCheck.OverallStatus)
			assert.True(t, idenfy.IsKYCResult(typ))
		})
	}
}

// Rule: each documented event body decodes into its own type.
func TestWebhookDocumentedBodies(t *testing.T) {
	v := verifier(t)
	for _, tt := range []struct {
		typ, body string
		check     func(t *testing.T, ev webhook.Event)
	}{
		{"DOCUMENT_EXPIRATION", docDocumentExpiration, func(t *testing.T, ev webhook.Event) {
			d := ev.(*idenfy.DocumentExpirationEvent)
			assert.Equal(t, "DOCUMENT_EXPIRES_WITHIN_30_DAYS", d.ExpirationThreshold)
			assert.Equal(t, "<string>", d.ScanRef)
		}},
		{"COMPANY_INFO_REQUEST", docCompanyInfoRequest, func(t *testing.T, ev webhook.Event) {
			c := ev.(*idenfy.CompanyInfoRequestEvent)
			assert.Equal(t, "REQUESTED", c.Status)
			assert.False(t, c.TokenExpired())
			assert.Equal(t, "jsmith@example.com", c.Manager.Email)
		}},
		{"COMPANY_INFO_REQUEST", strings.Replace(docCompanyInfoRequest, "REQUESTED", "EXPIRED", 1), func(t *testing.T, ev webhook.Event) {
			c := ev.(*idenfy.CompanyInfoRequestEvent)
			assert.True(t, c.TokenExpired(), "form-token expiry arrives as COMPANY_INFO_REQUEST, status EXPIRED")
			c.Token = "form-token-value"
			assert.NotContains(t, fmt.Sprintf("%v %+v %#v", c, c.CompanyInfoRequest, c.Token), "form-token-value", "the form token is a secret")
		}},
		{"COMPANY_SUBMIT", docCompanySubmit, func(t *testing.T, ev webhook.Event) {
			c := ev.(*idenfy.CompanySubmitEvent)
			assert.True(t, c.SoleProprietor)
			assert.Equal(t, "2023-11-07T05:31:56Z", c.SubmissionTime)
		}},
		{"COMPANY_EXPIRATION", docCompanyExpiration, func(t *testing.T, ev webhook.Event) {
			assert.Equal(t, "PENDING", ev.(*idenfy.CompanyExpirationEvent).ExpirationStatus)
		}},
		{"COMPANY_AML_REVIEW", docCompanyAMLReview, func(t *testing.T, ev webhook.Event) {
			c := ev.(*idenfy.CompanyAMLReviewEvent)
			assert.Equal(t, "COMPANY", c.AMLReviewSubjectType)
			assert.Equal(t, "NOT_CHECKED", c.OverallStatus)
		}},
		{"COMPANY_REVIEW", docCompanyReview, func(t *testing.T, ev webhook.Event) {
			c := ev.(*idenfy.CompanyReviewEvent)
			require.NotNil(t, c.AMLCheck)
			require.Len(t, c.AMLCheck.Matches, 1)
			assert.Equal(t, []int{123}, c.AMLCheck.Matches[0].CurrentSanBodyIDs)
			assert.Equal(t, "jsmith@example.com", c.StatusChangedBy.Email)
		}},
		{"COMPANY_DELETE", docCompanyDelete, func(t *testing.T, ev webhook.Event) {
			assert.Equal(t, "<string>", ev.(*idenfy.CompanyDeleteEvent).CompanyID)
		}},
		{"GOV_ORDERED_DOCUMENT", docGovOrdered, func(t *testing.T, ev webhook.Event) {
			g := ev.(*idenfy.GovOrderedDocumentEvent)
			assert.Equal(t, "FINISHED", g.Status)
			assert.InDelta(t, 1.5, g.Price, 0)
		}},
		{"SOS_REPORT", docSOSReport, func(t *testing.T, ev webhook.Event) {
			s := ev.(*idenfy.SOSReportEvent)
			assert.Equal(t, "LLC", s.EntityType)
			require.NotNil(t, s.WatchlistHitsCount)
		}},
		{"VIDEO_CALL_FINISHED", `{"scanRef":"<string>"}`, func(t *testing.T, ev webhook.Event) {
			assert.JSONEq(t, `{"scanRef":"<string>"}`, string(ev.(*idenfy.VideoCallFinishedEvent).Raw))
		}},
		{"AGE_ESTIMATION", `{"scanRef":"<string>","status":"COMPLETED","occurredAt":"2023-11-07T05:31:56Z"}`, func(t *testing.T, ev webhook.Event) {
			u := ev.(*idenfy.UnknownEvent)
			assert.Contains(t, string(u.Raw), "occurredAt", "an unknown type is kept raw")
		}},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			ev, err := deliver(t, v, signed(tt.body, tt.typ, hookKeys[0]), tt.body)
			require.NoError(t, err)
			assert.Equal(t, tt.typ, ev.Type())
			assert.False(t, idenfy.IsKYCResult(tt.typ))
			tt.check(t, ev)
			var r *http.Request
			_, perr := idenfy.ParseWebhook(r0(t, tt.body, tt.typ, r), hookKeys[0])
			assert.ErrorIs(t, perr, idenfy.ErrNotKYCResult)
		})
	}
}

func r0(t *testing.T, body, typ string, _ *http.Request) *http.Request {
	t.Helper()
	r := webhookRequest([]byte(body), sign([]byte(body), string(hookKeys[0])))
	if typ != "" {
		r.Header.Set("Idenfy-Event-Type", typ)
	}
	return r
}

// Rule: Idenfy-Event-Type is not signed. Where the signed body says what it
// is, the body decides, and a header that contradicts it is refused.
func TestWebhookUnsignedHeaderCannotRetypeTheBody(t *testing.T) {
	v := verifier(t)
	for _, tt := range []struct{ body, header string }{
		{docDocumentExpiration, "IDENTIFICATION_AUTO_FINISHED"},
		{docDocumentExpiration, "IDENTIFICATION"},
		{docCompanyInfoRequest, "IDENTIFICATION_MANUAL_FINISHED"},
		{docCompanyAMLReview, "COMPANY_REVIEW"},
		{docKYCResult, "DOCUMENT_EXPIRATION"},
		{docKYCResult, "COMPANY_INFO_REQUEST"},
		{docKYCResult, "SOMETHING_NEW"},
		{docCompanyReview, "COMPANY_SUBMIT"},
	} {
		t.Run(tt.header, func(t *testing.T) {
			ev, err := deliver(t, v, signed(tt.body, tt.header, hookKeys[0]), tt.body)
			assert.Nil(t, ev)
			require.ErrorIs(t, err, idenfy.ErrEventTypeMismatch)
			assert.NotContains(t, err.Error(), "<string>")
		})
	}
	// Without the header the body decides alone.
	ev, err := deliver(t, v, signed(docDocumentExpiration, "", hookKeys[0]), docDocumentExpiration)
	require.NoError(t, err)
	assert.Equal(t, "DOCUMENT_EXPIRATION", ev.Type())
	ev, err = deliver(t, v, signed(docKYCResult, "", hookKeys[0]), docKYCResult)
	require.NoError(t, err)
	assert.Equal(t, "IDENTIFICATION", ev.Type(), "a header-less result is the legacy event")
	_, err = deliver(t, v, signed(docKYCResult, "identification", hookKeys[0]), docKYCResult)
	assert.Error(t, err, "a malformed type")
}

// Rule: a blank signing key is refused when the verifier is made.
func TestWebhooksRefusesBlankKeys(t *testing.T) {
	for _, keys := range [][]auth.Secret{nil, {""}, {"  \t"}, {"good", ""}} {
		v, err := idenfy.Webhooks(keys...)
		assert.Nil(t, v)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, "%q", keys)
		assert.Contains(t, ve.Field, "keys")
	}
}

// Rule: iDenfy sets a signing key per notification; several keys are valid
// at once, any of them verifies, none of the others does.
func TestWebhookKeyRotation(t *testing.T) {
	v := verifier(t)
	for _, k := range hookKeys {
		_, err := deliver(t, v, signed(docKYCResult, "IDENTIFICATION_AUTO_FINISHED", k), docKYCResult)
		assert.NoError(t, err)
	}
	_, err := deliver(t, v, signed(docKYCResult, "IDENTIFICATION_AUTO_FINISHED", "third-key"), docKYCResult)
	assert.ErrorIs(t, err, idenfy.ErrBadSignature)
	assert.ErrorIs(t, err, webhook.ErrBadSignature)
}

// Twenty signatures that are almost right: each is refused as a bad
// signature, the body is never decoded, and no error names the key.
func TestWebhookSignatureNearMisses(t *testing.T) {
	v := verifier(t)
	body := []byte(docKYCResult)
	key := string(hookKeys[0])
	good := sign(body, key)
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	raw, _ := hex.DecodeString(good)
	plain := sha256.Sum256(body)
	misses := map[string]string{
		"empty":                     "",
		"blank":                     "   ",
		"truncated":                 good[:63],
		"one hex digit more":        good + "0",
		"first digit flipped":       flip(0),
		"last digit flipped":        flip(63),
		"middle digit flipped":      flip(31),
		"sha256= prefix":            "sha256=" + good,
		"0x prefix":                 "0x" + good,
		"base64 of the digest":      base64.StdEncoding.EncodeToString(raw),
		"body with a newline":       sign(append(append([]byte(nil), body...), '\n'), key),
		"key with a trailing space": sign(body, key+" "),
		"key prefix":                sign(body, key[:len(key)-1]),
		"empty body's signature":    sign(nil, key),
		"another event's signature": sign([]byte(docDocumentExpiration), key),
		"two signatures":            good + "," + good,
		"NUL appended":              good + "\x00",
		"plain SHA-256 of the body": hex.EncodeToString(plain[:]),
		"the key itself":            key,
		"signature doubled":         good + good,
	}
	require.Len(t, misses, 20)
	for name, sig := range misses {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Idenfy-Signature", sig)
			h.Set("Idenfy-Event-Type", "IDENTIFICATION_AUTO_FINISHED")
			err := v.Verify(h, body)
			require.ErrorIs(t, err, idenfy.ErrBadSignature)
			assert.NotContains(t, err.Error(), key)
			assert.NotContains(t, err.Error(), good)
		})
	}
	// Upper-case hex of the right digest is the same signature.
	h := http.Header{}
	h.Set("Idenfy-Signature", strings.ToUpper(good))
	assert.NoError(t, v.Verify(h, body))
}

// Rule: the dedupe key is the event: scanRef, type and finality. The
// automatic result with final false and the manual one are two events; a
// redelivery of either is the same event.
func TestWebhookDedupeKey(t *testing.T) {
	v := verifier(t)
	auto := strings.Replace(docKYCResult, `"final": true`, `"final": false`, 1)
	keyOf := func(typ, body string) string {
		ev, err := deliver(t, v, signed(body, typ, hookKeys[0]), body)
		require.NoError(t, err)
		return ev.DedupeKey()
	}
	a1 := keyOf("IDENTIFICATION_AUTO_FINISHED", auto)
	a2 := keyOf("IDENTIFICATION_AUTO_FINISHED", auto)
	m := keyOf("IDENTIFICATION_MANUAL_FINISHED", docKYCResult)
	autoFinal := keyOf("IDENTIFICATION_AUTO_FINISHED", docKYCResult)
	other := keyOf("IDENTIFICATION_AUTO_FINISHED", strings.Replace(auto, `"scanRef": "<string>"`, `"scanRef": "other"`, 1))
	assert.Equal(t, a1, a2, "a redelivery is the same event")
	assert.NotEqual(t, a1, m)
	assert.NotEqual(t, a1, autoFinal)
	assert.NotEqual(t, a1, other)
	d1 := keyOf("DOCUMENT_EXPIRATION", docDocumentExpiration)
	d7 := keyOf("DOCUMENT_EXPIRATION", strings.Replace(docDocumentExpiration, "30_DAYS", "7_DAYS", 1))
	assert.NotEqual(t, d1, d7)
	assert.Equal(t, d1, keyOf("DOCUMENT_EXPIRATION", docDocumentExpiration))
}

func TestWebhookDelivery(t *testing.T) {
	d := verifier(t).Delivery()
	assert.Equal(t, 10*time.Second, d.Deadline, "iDenfy waits 10 s")
	assert.Equal(t, int64(idenfy.MaxWebhookBody), d.MaxBody)
	assert.Equal(t, -1, d.Retries, "retried on non-2xx, count undocumented")
	assert.Equal(t, "idenfy", verifier(t).Name())
}

// The verifier never prints its keys.
func TestWebhookVerifierPrintsNoKeys(t *testing.T) {
	v := verifier(t)
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, v), fmt.Sprintf(verb, *v))
	}
	j, err := json.Marshal(map[string]any{"v": v})
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
	out = append(out, string(j), buf.String())
	for _, s := range out {
		for _, k := range hookKeys {
			assert.NotContains(t, s, string(k))
			assert.NotContains(t, s, hex.EncodeToString([]byte(k)))
		}
	}
}

func TestWebhookMalformedBodies(t *testing.T) {
	v := verifier(t)
	for _, body := range []string{`[]`, `null`, `"x"`, `{"final":true,"status":{"overall":5}}`} {
		_, err := deliver(t, v, signed(body, "IDENTIFICATION_AUTO_FINISHED", hookKeys[0]), body)
		require.Error(t, err, body)
		assert.False(t, errors.Is(err, idenfy.ErrBadSignature))
	}
}
