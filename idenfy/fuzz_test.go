package idenfy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/providers"
)

// FuzzDecodeError feeds iDenfy's error decoder any body: it must not
// panic, must leave the body alone, must keep Error() one bounded
// printable line and may only set the sentinels it documents.
// Seeds: testdata/fuzz/FuzzDecodeError.
func FuzzDecodeError(f *testing.F) {
	f.Add(400, uint8(2), []byte(`{"identifier":"BAD_VALUE","message":"tags[0] must not contain a comma"}`))
	f.Fuzz(func(t *testing.T, status int, op uint8, body []byte) {
		e := faulttest.FuzzedError(Name, status, op, body)
		decodeError(e)
		faulttest.CheckDecoded(t, e, body, providers.ErrUnauthorized, providers.ErrRateLimited, providers.ErrValidation, ErrTokenNotValid)
	})
}

// FuzzKYBValidate checks the KYB validators against an independent
// statement of iDenfy's schema: Validate accepts exactly the params the
// schema allows, and a refusal is a *providers.ValidationError that names
// a field and never quotes a value.
// Seeds: testdata/fuzz/FuzzKYBValidate.
func FuzzKYBValidate(f *testing.F) {
	f.Add("FORM", "company-42", 3600, "ref-1", "en", "", "", uint8(0), "", "tag-a", "tag,b", "SCAN1")
	f.Fuzz(func(t *testing.T, tokenType, clientID string, lifetime int, externalRef, locale, flow, theme string,
		qState uint8, questionnaire, tag1, tag2, scanRef string) {
		p := CreateKYBTokenParams{TokenType: KYBTokenType(tokenType), ClientID: clientID, Lifetime: Int(lifetime),
			Locale: Locale(locale), Tags: nonEmpty(tag1, tag2)}
		for _, f := range []struct {
			dst *Nullable[string]
			v   string
		}{{&p.ExternalRef, externalRef}, {&p.Flow, flow}, {&p.Theme, theme}} {
			if f.v != "" {
				*f.dst = Value(f.v)
			}
		}
		scanRefs := nonEmpty(scanRef)
		if scanRefs != nil {
			p.ScanRefs = Value(scanRefs)
		}
		switch qState % 3 {
		case 1:
			p.Questionnaire = Null[string]()
		case 2:
			p.Questionnaire = Value(questionnaire)
		}
		q, hasQ := p.Questionnaire.Get()
		want := oneOf(tokenType, "FORM", "GOV1", "GOV2") &&
			runes(clientID, 1, MaxClientIDLen) &&
			lifetime >= 0 && lifetime <= MaxKYBLifetime &&
			(externalRef == "" || runes(externalRef, 1, MaxExternalRefLen)) &&
			(locale == "" || oneOf(locale, "en", "es", "fr", "ru", "de", "it", "pl", "lt", "lv", "et", "cs", "ro", "hu", "ja", "bg", "nl", "pt")) &&
			(flow == "" || isUUID(flow)) && (theme == "" || isUUID(theme)) &&
			(!hasQ || runes(q, 1, 1<<30)) &&
			listOK(p.Tags, MaxKYBTags, MaxTagLen) && listOK(scanRefs, 1<<30, MaxScanRefLen)
		err := p.Validate()
		checkVerdict(t, want, err, tokenType, clientID, externalRef, locale, flow, theme, q, tag1, tag2, scanRef)

		u := UpdateKYBTokenParams{Tags: p.Tags, ScanRefs: scanRefs}
		want = listOK(u.Tags, MaxKYBTags, MaxTagLen) && listOK(u.ScanRefs, 1<<30, MaxScanRefLen)
		checkVerdict(t, want, u.Validate(), tag1, tag2, scanRef)
	})
}

// FuzzVerifyWebhook checks the webhook signature check: the signature
// SignWebhook makes is accepted (in either hex case, with spaces around),
// any other header is refused with ErrBadSignature, no payload comes back
// from ParseWebhook without a valid signature, and no error holds the key.
// Seeds: testdata/fuzz/FuzzVerifyWebhook.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(`{"final":true,"scanRef":"abc"}`), "00ff", "webhook-signing-key")
	f.Fuzz(func(t *testing.T, body []byte, header, key string) {
		k := auth.Secret(key)
		err := VerifyWebhook(body, header, k)
		if strings.TrimSpace(key) == "" {
			if err == nil || errors.Is(err, ErrBadSignature) {
				t.Fatalf("an empty key is a configuration error, got %v", err)
			}
			return
		}
		m := hmac.New(sha256.New, []byte(key))
		m.Write(body)
		got, herr := hex.DecodeString(strings.TrimSpace(header))
		valid := herr == nil && hmac.Equal(got, m.Sum(nil))
		if valid != (err == nil) {
			t.Fatalf("VerifyWebhook(%q) = %v, want valid=%v", header, err, valid)
		}
		if err != nil && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("refusal does not match ErrBadSignature: %v", err)
		}
		good := SignWebhook(body, k)
		for _, h := range []string{good, strings.ToUpper(good), " " + good + "\t"} {
			if err := VerifyWebhook(body, h, k); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		}
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set(SignatureHeader, header)
		cb, perr := ParseWebhook(req, k)
		if (cb == nil) == (perr == nil) {
			t.Fatalf("ParseWebhook returned payload %v and error %v", cb != nil, perr)
		}
		if !valid && cb != nil {
			t.Fatal("a payload without a valid signature")
		}
		for _, e := range []error{err, perr} {
			if e != nil && len(key) >= 4 && strings.Contains(e.Error(), key) && !strings.Contains(webhookErrorText, key) {
				t.Fatalf("error holds the key: %v", e)
			}
		}
	})
}

// webhookErrorText is every word a webhook error may hold by itself: a
// key that is one of them is not leaked by being there.
var webhookErrorText = ErrBadSignature.Error() + ": no " + SignatureHeader + " header: not a hex SHA-256 digest " +
	errNoKey.Error() + " " + ErrNotKYCResult.Error() + " " + ErrEventTypeMismatch.Error() +
	" unikyc: idenfy: reading webhook: body too large or unreadable unikyc: idenfy: webhook body is not a JSON object" +
	" unikyc: idenfy: webhook event type is malformed unikyc: idenfy: webhook body does not match the schema"

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func runes(s string, lo, hi int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= lo && n <= hi
}

func listOK(items []string, maxItems, maxLen int) bool {
	if len(items) > maxItems {
		return false
	}
	for _, it := range items {
		if !runes(it, 1, maxLen) || strings.Contains(it, ",") {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// checkVerdict compares Validate's verdict with the schema's and checks
// that a refusal names a field without quoting any value.
func checkVerdict(t *testing.T, want bool, err error, values ...string) {
	t.Helper()
	if want != (err == nil) {
		t.Fatalf("schema says valid=%v, Validate says %v", want, err)
	}
	if err == nil {
		return
	}
	var ve *providers.ValidationError
	if !errors.As(err, &ve) || ve.Field == "" {
		t.Fatalf("not a *providers.ValidationError naming a field: %v", err)
	}
	for _, v := range values {
		if len(v) >= 4 && strings.Contains(err.Error(), v) && !strings.Contains(ruleText, v) {
			t.Fatalf("error quotes a value %q: %v", v, err)
		}
	}
}

// ruleText is every word a validation message may hold by itself.
const ruleText = "tokenType clientId lifetime externalRef locale flow theme questionnaire tags scanRefs " +
	"is required must be at least at most characters between and valid UTF-8 one of FORM, GOV1, GOV2 " +
	"en, es, fr, ru, de, it, pl, lt, lv, et, cs, ro, hu, ja, bg, nl, pt a UUID (8-4-4-4-12 hex digits) have items not contain a comma"
