package compliancely_test

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/webhook"
)

// FuzzWebhook drives Compliancely's Verify and Decode: any signature
// header verifies only when it is the body's HMAC under the secret; any
// body that verifies decodes to a typed event with a key, or to an error
// that quotes nothing of the body. Nothing panics.
func FuzzWebhook(f *testing.F) {
	f.Add(docTINDidNotMatch, "", true)
	f.Add(docTaxExemptAnswer, "", true)
	f.Add(docTINPending, "sha256="+compliancely.SignWebhook(docTINPending, secret), false)
	f.Add([]byte(`{"id":"1","input_file_url":null}`), "", true)
	f.Add([]byte(`{"data":{"id":1},"success":false}`), "", true)
	f.Add([]byte(`{}`), "AAAA", false)
	hooks, err := compliancely.NewWebhooks(secret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig string, signed bool) {
		if signed {
			sig = compliancely.SignWebhook(body, secret)
		}
		h := http.Header{compliancely.SignatureHeader: {sig}}
		err := hooks.Verify(h, body)
		ok := rightSignature(sig, body)
		if err == nil && !ok {
			t.Fatalf("verified a wrong signature %q", sig)
		}
		if err != nil && ok {
			t.Fatalf("refused the right signature: %v", err)
		}
		if err != nil {
			return
		}
		ev, err := hooks.Decode(h, body)
		if err != nil {
			if strings.Count(err.Error(), "unikyc:") != 1 || len(err.Error()) > 512 {
				t.Fatalf("bad error text %q", err)
			}
			return
		}
		if ev.DedupeKey() == "" || ev.Provider() != "compliancely" {
			t.Fatalf("event without key or provider: %T", ev)
		}
		var _ webhook.Event = ev
	})
}

// rightSignature is the documented rule, written out: the body's
// HMAC-SHA256 under the secret, as 64 hex digits (either case) or 44
// characters of padded base64, after at most one "sha256=".
func rightSignature(sig string, body []byte) bool {
	v := strings.TrimPrefix(sig, "sha256=")
	want := hmacOf(secret, body)
	if b, err := hex.DecodeString(v); err == nil && len(v) == 64 {
		return hmac.Equal(b, want)
	}
	if b, err := base64.StdEncoding.Strict().DecodeString(v); err == nil && len(v) == 44 {
		return hmac.Equal(b, want)
	}
	return false
}
