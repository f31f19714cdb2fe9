package idenfy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// SignatureHeader carries a webhook's signature: the lower-case hex
// HMAC-SHA256 of the raw body under the notification's signing key.
const SignatureHeader = "Idenfy-Signature"

// EventTypeHeader names a webhook's event, e.g. "IDENTIFICATION_AUTO_FINISHED".
// It is not covered by the signature: the signed body decides what an event
// is, and a header that contradicts it is refused ([ErrEventTypeMismatch]).
const EventTypeHeader = "Idenfy-Event-Type"

// MaxWebhookBody caps the webhook body read by [ParseEvent] and by a
// webhook.Receiver using [Webhooks]. (I) iDenfy documents no size; result
// bodies carry AML hits, adverse-media texts and questionnaire answers, so
// the cap leaves room for them.
const MaxWebhookBody = 4 << 20

// WebhookDeadline is how long iDenfy waits for your answer before it counts a
// delivery as failed and retries it: 10 s (C, webhooks overview page).
const WebhookDeadline = 10 * time.Second

// ErrBadSignature matches a webhook whose signature is missing, malformed
// or wrong under every key; it also matches webhook.ErrBadSignature.
// Answer such a request with 401 and ignore its body.
var ErrBadSignature error = badSignature{}

type badSignature struct{}

func (badSignature) Error() string        { return "unikyc: idenfy: bad webhook signature" }
func (badSignature) Is(target error) bool { return target == webhook.ErrBadSignature }

// ErrEventTypeMismatch is returned for a correctly signed webhook whose
// unsigned Idenfy-Event-Type header names another kind of event than the
// signed body is (e.g. a DOCUMENT_EXPIRATION body sent as a KYC result).
var ErrEventTypeMismatch = errors.New("unikyc: idenfy: webhook event type header contradicts the signed body")

// ErrNotKYCResult is returned by ParseWebhook for a verified webhook that
// is not a KYC result: use ParseEvent, or a webhook.Receiver, to read it.
var ErrNotKYCResult = errors.New("unikyc: idenfy: webhook is not a KYC result")

// errNoKey is a configuration error: a webhook cannot be checked without
// the signing key.
var errNoKey = errors.New("unikyc: idenfy: webhook signing key is empty")

// SignWebhook returns the Idenfy-Signature value for body: the lower-case
// hex HMAC-SHA256 of the raw bytes under key. Useful in tests.
func SignWebhook(body []byte, key auth.Secret) string {
	return hex.EncodeToString(mac(body, []byte(key)))
}

func mac(body, key []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)
}

// WebhookVerifier checks and decodes iDenfy's webhooks. It implements
// webhook.Provider, so a webhook.Receiver can serve iDenfy with it, and is
// safe for concurrent use. Make one with [Webhooks]. It prints as a short
// summary, never its keys.
type WebhookVerifier struct {
	keys [][]byte
}

var _ webhook.Provider = (*WebhookVerifier)(nil)

// Webhooks returns the verifier for the given signing keys. iDenfy sets a
// signing key per webhook notification (C, system notifications page), so
// one endpoint may receive webhooks signed with several keys: a delivery is
// accepted when its signature matches any of them, which also lets you
// rotate a key without dropping deliveries. No key, or a blank one, is a
// *providers.ValidationError naming "keys[i]".
func Webhooks(keys ...auth.Secret) (*WebhookVerifier, error) {
	if len(keys) == 0 {
		return nil, providers.Named(Name, providers.Invalid("keys", "at least one webhook signing key is required"))
	}
	v := &WebhookVerifier{keys: make([][]byte, len(keys))}
	for i, k := range keys {
		if strings.TrimSpace(string(k)) == "" {
			return nil, providers.Named(Name, providers.Invalid(fmt.Sprintf("keys[%d]", i), "must not be blank"))
		}
		v.keys[i] = []byte(k)
	}
	return v, nil
}

var _ webhook.KeyChecker = (*WebhookVerifier)(nil)

// CheckKeys reports a verifier without a key (a zero value not made by
// Webhooks), so that webhook.NewReceiver refuses it when the service
// starts. Such a verifier verifies nothing.
func (v *WebhookVerifier) CheckKeys() error {
	if v == nil || len(v.keys) == 0 {
		return providers.Named(Name, providers.Invalid("keys", "at least one webhook signing key is required; make the verifier with idenfy.Webhooks"))
	}
	return nil
}

// Name returns "idenfy".
func (v *WebhookVerifier) Name() string { return Name }

// Delivery is iDenfy's delivery contract: bodies up to [MaxWebhookBody],
// an answer within 10 s, and deliveries retried after a non-2xx answer (C;
// how many times is not documented, so Retries is -1).
func (v *WebhookVerifier) Delivery() webhook.Delivery {
	return webhook.Delivery{MaxBody: MaxWebhookBody, Deadline: WebhookDeadline, Retries: -1}
}

// Verify checks the Idenfy-Signature header over the raw body against
// every key, in constant time for each. It never decodes body.
func (v *WebhookVerifier) Verify(header http.Header, body []byte) error {
	vals := header.Values(SignatureHeader)
	if len(vals) > 1 {
		return fmt.Errorf("%w: %s sent more than once", ErrBadSignature, SignatureHeader)
	}
	sig := strings.TrimSpace(header.Get(SignatureHeader))
	if sig == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, SignatureHeader)
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: not a hex SHA-256 digest", ErrBadSignature)
	}
	ok := false
	for _, k := range v.keys { // every key, so timing does not tell which matched
		if hmac.Equal(got, mac(body, k)) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// Decode turns a verified body into its typed event. The body decides: a
// body that is recognisably one kind of event is decoded as that kind, and
// an Idenfy-Event-Type header naming another kind is [ErrEventTypeMismatch].
// A body that says nothing about its kind is decoded as the header names;
// an unknown event type is returned as an [UnknownEvent] with the raw body.
func (v *WebhookVerifier) Decode(header http.Header, body []byte) (webhook.Event, error) {
	if len(header.Values(EventTypeHeader)) > 1 {
		return nil, errors.New("unikyc: idenfy: webhook event type sent more than once")
	}
	return decodeEvent(strings.TrimSpace(header.Get(EventTypeHeader)), body)
}

func (v WebhookVerifier) summary() string {
	return fmt.Sprintf("idenfy.WebhookVerifier{keys: %d, redacted}", len(v.keys))
}

// String, GoString, Format, LogValue and the encoders print a summary
// without the keys.
func (v WebhookVerifier) String() string               { return v.summary() }
func (v WebhookVerifier) GoString() string             { return v.summary() }
func (v WebhookVerifier) Format(f fmt.State, _ rune)   { _, _ = fmt.Fprint(f, v.summary()) }
func (v WebhookVerifier) LogValue() slog.Value         { return slog.StringValue(v.summary()) }
func (v WebhookVerifier) MarshalJSON() ([]byte, error) { return json.Marshal(v.summary()) }
func (v WebhookVerifier) MarshalText() ([]byte, error) { return []byte(v.summary()), nil }
func (v WebhookVerifier) GobEncode() ([]byte, error)   { return []byte(v.summary()), nil }
func (v WebhookVerifier) MarshalYAML() (any, error)    { return v.summary(), nil }
func (v *WebhookVerifier) UnmarshalJSON([]byte) error {
	return errors.New("unikyc: idenfy: a WebhookVerifier is made with Webhooks")
}

// VerifyWebhook checks signatureHeader against the raw body under key, in
// constant time. It returns nil, an error matching ErrBadSignature, or an
// error for an empty key.
func VerifyWebhook(body []byte, signatureHeader string, key auth.Secret) error {
	if strings.TrimSpace(string(key)) == "" {
		return errNoKey
	}
	v := &WebhookVerifier{keys: [][]byte{[]byte(key)}}
	return v.Verify(http.Header{SignatureHeader: {signatureHeader}}, body)
}

// ParseEvent reads r's body (at most MaxWebhookBody bytes), verifies its
// Idenfy-Signature under key, then decodes the typed event as
// WebhookVerifier.Decode does. On any failure it returns a nil Event; a
// signature failure matches ErrBadSignature. A service with several keys,
// deduplication and deadlines uses webhook.Receiver with [Webhooks].
func ParseEvent(r *http.Request, key auth.Secret) (webhook.Event, error) {
	if strings.TrimSpace(string(key)) == "" {
		return nil, errNoKey
	}
	if r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrBadSignature)
	}
	body, err := httpbody.Read(r.Body, MaxWebhookBody)
	if errors.Is(err, httpbody.ErrTooLarge) {
		// ErrTooLarge's text carries its own prefix and speaks of responses.
		return nil, fmt.Errorf("unikyc: idenfy: webhook body over %d bytes", MaxWebhookBody)
	}
	if err != nil {
		return nil, errors.New("unikyc: idenfy: reading webhook: body too large or unreadable")
	}
	v := &WebhookVerifier{keys: [][]byte{[]byte(key)}}
	if err := v.Verify(r.Header, body); err != nil {
		return nil, err
	}
	return v.Decode(r.Header, body)
}

// ParseWebhook is ParseEvent for KYC results only: it returns the decoded
// result, or ErrNotKYCResult for a verified webhook of another kind (never
// a result decoded from another event's body).
func ParseWebhook(r *http.Request, key auth.Secret) (*KYCResult, error) {
	ev, err := ParseEvent(r, key)
	if err != nil {
		return nil, err
	}
	k, ok := ev.(*KYCResultEvent)
	if !ok {
		return nil, ErrNotKYCResult
	}
	return &k.KYCResult, nil
}
