package compliancely

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// SignatureHeader carries a webhook's signature: HMAC-SHA256 of the raw
// body under the account's webhook secret (C, the webhooks page).
const SignatureHeader = "Compliancely-Signature"

// Webhook delivery facts.
const (
	// WebhookRetries is how many more times Compliancely delivers a webhook
	// answered non-2xx (C: "retries for another 2 attempts").
	WebhookRetries = 2
	// MaxWebhookBody caps a webhook body (I: not documented; a result
	// record is well under a kilobyte).
	MaxWebhookBody = 1 << 20
)

// Webhooks verifies and decodes Compliancely's webhooks: give it to
// webhook.NewReceiver. It holds the account's webhook secrets (several
// during a rotation; any one verifies) and never prints them.
//
// The signature is HMAC-SHA256(secret, raw body) (C). Whether it is sent
// in hex or base64 is not documented (I), so both are accepted — 64 hex
// digits in either case, or 44 characters of padded standard base64 —
// with or without a "sha256=" prefix; nothing else.
type Webhooks struct {
	// keys sits behind a pointer: fmt and reflection-based encoders that
	// walk a struct stop at a nested pointer, so even a Webhooks inside
	// another value prints no secret.
	keys *keyring
}

type keyring struct{ secrets [][]byte }

// NewWebhooks returns the verifier for the given secrets. None, or a blank
// one, is a *providers.ValidationError: a webhook that cannot be verified
// must be refused when the service starts, not when a result arrives.
func NewWebhooks(secrets ...auth.Secret) (*Webhooks, error) {
	if len(secrets) == 0 {
		return nil, &providers.ValidationError{Provider: Name, Field: "webhook secret", Reason: "is required"}
	}
	for i, s := range secrets {
		if strings.TrimSpace(string(s)) == "" {
			return nil, &providers.ValidationError{Provider: Name, Field: "webhook secret[" + strconv.Itoa(i) + "]", Reason: "is blank"}
		}
	}
	k := &keyring{}
	for _, s := range secrets {
		k.secrets = append(k.secrets, []byte(s))
	}
	return &Webhooks{keys: k}, nil
}

// SignWebhook returns the Compliancely-Signature value for body under
// secret, in lower-case hex. For tests and fakes.
func SignWebhook(body []byte, secret auth.Secret) string {
	return hex.EncodeToString(webhookMAC(body, []byte(secret)))
}

func webhookMAC(body, secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	return h.Sum(nil)
}

// Name is "compliancely".
func (w *Webhooks) Name() string { return Name }

// Delivery is Compliancely's delivery contract: retried twice after a
// non-2xx answer (C). The answer deadline is not documented (I): the
// Receiver's default of 10 s applies.
func (w *Webhooks) Delivery() webhook.Delivery {
	return webhook.Delivery{MaxBody: MaxWebhookBody, Retries: WebhookRetries}
}

// Verify checks the Compliancely-Signature header against body under
// each secret, in constant time. It never decodes body.
func (w *Webhooks) Verify(h http.Header, body []byte) error {
	v, err := webhook.SignatureValue(h, SignatureHeader)
	if err != nil {
		return err
	}
	got, ok := decodeSignature(v)
	if !ok {
		return fmt.Errorf("%w: %s is not an HMAC-SHA256 in hex or base64", webhook.ErrBadSignature, SignatureHeader)
	}
	for _, s := range w.keys.secrets {
		if hmac.Equal(got, webhookMAC(body, s)) {
			return nil
		}
	}
	return webhook.ErrBadSignature
}

// decodeSignature reads 32 bytes from hex (64 digits, either case) or
// padded standard base64 (44 characters, strict: no stray bits), after
// at most one "sha256=" prefix.
func decodeSignature(v string) ([]byte, bool) {
	v = strings.TrimPrefix(v, "sha256=")
	var b []byte
	var err error
	switch len(v) {
	case 2 * sha256.Size:
		b, err = hex.DecodeString(v)
	case base64.StdEncoding.EncodedLen(sha256.Size):
		b, err = base64.StdEncoding.Strict().DecodeString(v)
	default:
		return nil, false
	}
	return b, err == nil && len(b) == sha256.Size
}

// Decode reads a verified body as the result it carries. Compliancely
// sends no event name: the body's shape decides (I, from the documented
// records). A record with "input_file_url" is a bulk upload, one with
// "irs_code" a TIN match ("the same response object format of the POST /
// GET API call is sent in the body of the webhook request", C, TIN Match
// sandbox page), any other record with an "id" a tax-exempt check (I: its
// webhook body is not documented; the tax-exempt record is assumed). A
// body wrapped in the v2 envelope {"success_message","data","success"} is
// unwrapped first.
func (w *Webhooks) Decode(_ http.Header, body []byte) (webhook.Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, errNotWebhook
	}
	if data, ok := top["data"]; ok && (top["success"] != nil || top["success_message"] != nil) {
		body = data
		top = nil
		if err := json.Unmarshal(body, &top); err != nil || top == nil {
			return nil, errNotWebhook
		}
	}
	var (
		ev  webhook.Event
		id  providers.ID
		err error
	)
	switch {
	case top["input_file_url"] != nil || top["original_file_name"] != nil:
		e := &BulkUploadEvent{}
		err = json.Unmarshal(body, &e.BulkUpload)
		ev, id = e, e.ID
	case top["irs_code"] != nil:
		e := &TINMatchEvent{}
		err = json.Unmarshal(body, &e.TINMatch)
		ev, id = e, e.ID
	case top["id"] != nil:
		e := &TaxExemptEvent{}
		err = json.Unmarshal(body, &e.TaxExempt)
		ev, id = e, e.ID
	default:
		return nil, errNotWebhook
	}
	switch {
	case err != nil:
		// A JSON error may quote the body: keep only its kind.
		return nil, errNotWebhook
	case id == "":
		return nil, errNoID
	}
	return ev, nil
}

var (
	errNotWebhook = errors.New("unikyc: " + Name + ": webhook body is not a Compliancely result")
	errNoID       = errors.New("unikyc: " + Name + ": webhook result has no id")
)

// String describes the verifier without its secrets.
func (w Webhooks) String() string {
	n := 0
	if w.keys != nil {
		n = len(w.keys.secrets)
	}
	return "compliancely.Webhooks(" + strconv.Itoa(n) + " secrets)"
}

// GoString is String, for %#v.
func (w Webhooks) GoString() string { return w.String() }

// Format prints String for every verb.
func (w Webhooks) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }

// LogValue implements slog.LogValuer.
func (w Webhooks) LogValue() slog.Value { return slog.StringValue(w.String()) }

// MarshalText writes String (JSON, XML and YAML use it): the secrets never
// leave.
func (w Webhooks) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// Event types: Compliancely names none, these are this package's.
const (
	EventTINMatch   = "tin_match"
	EventTaxExempt  = "tax_exempt"
	EventBulkUpload = "bulk_upload"
)

// TINMatchEvent is a TIN match result delivered by webhook. It holds
// personal data (a TIN and a name): do not log it.
type TINMatchEvent struct{ TINMatch }

func (*TINMatchEvent) Provider() string { return Name }
func (*TINMatchEvent) Type() string     { return EventTINMatch }

// DedupeKey is the submission, its status and IRS code: each change of a
// submission is its own event, a retry of one the same.
func (e *TINMatchEvent) DedupeKey() string {
	return dedupeKey(EventTINMatch, string(e.ID), e.Status, strconv.Itoa(int(e.IRSCode)))
}

// TaxExemptEvent is a tax-exempt check result delivered by webhook.
type TaxExemptEvent struct{ TaxExempt }

func (*TaxExemptEvent) Provider() string { return Name }
func (*TaxExemptEvent) Type() string     { return EventTaxExempt }

// DedupeKey is the check and its status.
func (e *TaxExemptEvent) DedupeKey() string {
	return dedupeKey(EventTaxExempt, string(e.ID), e.Status)
}

// BulkUploadEvent is a bulk TIN upload's status delivered by webhook.
type BulkUploadEvent struct{ BulkUpload }

func (*BulkUploadEvent) Provider() string { return Name }
func (*BulkUploadEvent) Type() string     { return EventBulkUpload }

// DedupeKey is the upload and its status.
func (e *BulkUploadEvent) DedupeKey() string {
	return dedupeKey(EventBulkUpload, string(e.ID), e.Status)
}

func dedupeKey(parts ...string) string {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(strconv.Quote(p)) // quoted: a "/" in a value cannot forge another key
	}
	return b.String()
}
