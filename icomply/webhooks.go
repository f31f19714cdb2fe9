package icomply

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/webhook"
)

// Webhook event names ("event" in the payload), as documented. Their
// "eventType" twins are the kebab-case spellings.
const (
	// EventNaturalPersonPending: the person filled in the first two
	// screens of the Natural Person portal.
	EventNaturalPersonPending = "NaturalPersonPending"
	// EventNaturalPersonManuallyApproved: a user of your portal approved
	// the person.
	EventNaturalPersonManuallyApproved = "NaturalPersonManuallyApproved"
	// EventNaturalPersonAutoApproved: the portal's auto-approval settings
	// approved the person.
	EventNaturalPersonAutoApproved = "NaturalPersonAutoApproved"
)

// DefaultSecretField is the top-level payload field that carries the
// webhook secret unless WebhookConfig.SecretField names another (I: the
// documentation says the secret is "part of the payload" but its samples
// and verification code do not show the field).
const DefaultSecretField = "secret"

// WebhookConfig configures [NewWebhooks].
type WebhookConfig struct {
	// Secrets are the webhook secrets your iComply account representative
	// sent ("whs_…"). Several may be valid at once, while one replaces
	// another. At least one is required; none may be blank.
	Secrets []auth.Secret
	// SecretField is the top-level payload field holding the secret
	// (default DefaultSecretField).
	SecretField string
}

// Webhooks verifies and decodes iComply's webhooks: a [webhook.Provider]
// for the shared receiver. It keeps only SHA-256 digests of the secrets,
// so nothing it holds can print one. Safe for concurrent use.
type Webhooks struct {
	digests [][sha256.Size]byte
	field   string
}

// NewWebhooks returns the webhook verifier for cfg. A blank secret, or
// none, is refused: a receiver that accepts anything is never what you
// want.
func NewWebhooks(cfg WebhookConfig) (*Webhooks, error) {
	if len(cfg.Secrets) == 0 {
		return nil, named(invalid("Secrets", "at least one webhook secret is required"))
	}
	w := &Webhooks{field: cfg.SecretField}
	if w.field == "" {
		w.field = DefaultSecretField
	}
	for i, s := range cfg.Secrets {
		if strings.TrimSpace(string(s)) == "" {
			return nil, named(invalid(fmt.Sprintf("Secrets[%d]", i), "must not be blank"))
		}
		w.digests = append(w.digests, sha256.Sum256([]byte(s)))
	}
	return w, nil
}

// Name is "icomply".
func (w *Webhooks) Name() string { return Name }

// Delivery is iComply's delivery contract as far as it is known: nothing
// about deadlines or retries is documented (I), so Deadline is 0 (the
// receiver's default, webhook.DefaultDeadline) and Retries -1: do not
// count on a second delivery. The documented payloads are well under a
// kilobyte; the cap is 1 MiB.
func (w *Webhooks) Delivery() webhook.Delivery {
	return webhook.Delivery{MaxBody: 1 << 20, Retries: -1}
}

// String describes w without its secrets.
func (w *Webhooks) String() string {
	return fmt.Sprintf("icomply.Webhooks{Secrets:%d SecretField:%s}", len(w.digests), w.field)
}

// Format prints String for every verb.
func (w *Webhooks) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, w.String()) }

// LogValue implements slog.LogValuer.
func (w *Webhooks) LogValue() slog.Value { return slog.StringValue(w.String()) }

// badSecret is a delivery whose payload does not carry a valid secret.
type badSecret string

func (e badSecret) Error() string        { return "unikyc: icomply webhook: bad secret: " + string(e) }
func (e badSecret) Is(target error) bool { return target == webhook.ErrBadSignature }

// Verify checks the secret the payload carries in its top-level secret
// field against each configured secret, in constant time (SHA-256 digests
// compared with crypto/subtle, so neither the content nor the length of a
// secret shows in the timing). It reads that one field and skips the rest
// of the body without decoding it. iComply sends the secret itself, not a
// signature over the body: anyone who sees one delivery can forge the
// next, so serve the receiver over HTTPS only and keep bodies out of logs.
func (w *Webhooks) Verify(_ http.Header, body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return badSecret("the payload is not a JSON object")
	}
	found, ok := false, false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return badSecret("the payload is not valid JSON")
		}
		key, _ := t.(string)
		if key != w.field {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return badSecret("the payload is not valid JSON")
			}
			continue
		}
		var got string
		if dec.Decode(&got) != nil {
			return badSecret("the secret field is not a string")
		}
		found = true
		d := sha256.Sum256([]byte(got))
		for i := range w.digests {
			if subtle.ConstantTimeCompare(d[:], w.digests[i][:]) == 1 {
				ok = true
			}
		}
	}
	// The closing brace, then nothing: a body Decode would refuse is
	// refused here too.
	if _, err := dec.Token(); err != nil {
		return badSecret("the payload is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badSecret("the payload is not valid JSON")
	}
	switch {
	case !found:
		return badSecret("the payload carries no secret")
	case !ok:
		return badSecret("the secret matches none of the configured ones")
	}
	return nil
}

// wireEvent is the documented payload (C, the Webhooks page):
// {"id","event","eventType","data":{…},"creationTimeUtc"}.
type wireEvent struct {
	ID        ID              `json:"id"`
	Event     string          `json:"event"`
	EventType string          `json:"eventType"`
	Data      json.RawMessage `json:"data"`
	Created   string          `json:"creationTimeUtc"`
}

// kebab gives the documented eventType of each known event.
var kebab = map[string]string{
	EventNaturalPersonPending:          "natural-person-pending",
	EventNaturalPersonManuallyApproved: "natural-person-manually-approved",
	EventNaturalPersonAutoApproved:     "natural-person-auto-approved",
}

// Decode turns a verified payload into one of [NaturalPersonPendingEvent],
// [NaturalPersonApprovedEvent], [SupportingDocumentEvent] or [OtherEvent].
// "event" decides; an "eventType" that names another known event is an
// error. Decode never keeps the secret.
func (w *Webhooks) Decode(_ http.Header, body []byte) (webhook.Event, error) {
	var ev wireEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, errors.New("unikyc: icomply webhook: the payload does not decode")
	}
	if ev.Event == "" {
		for name, k := range kebab {
			if ev.EventType == k {
				ev.Event = name
			}
		}
	}
	if ev.Event == "" {
		return nil, errors.New("unikyc: icomply webhook: the payload names no event")
	}
	if k, known := kebab[ev.Event]; known && ev.EventType != "" && ev.EventType != k {
		return nil, errors.New("unikyc: icomply webhook: event and eventType disagree")
	}
	base := EventHeader{ID: string(ev.ID), Event: ev.Event, EventType: ev.EventType}
	base.Created, _ = time.Parse(time.RFC3339Nano, ev.Created)
	var d eventData
	if len(ev.Data) > 0 && string(ev.Data) != "null" {
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, errors.New("unikyc: icomply webhook: the payload's data does not decode")
		}
	}
	base.EntityID = string(d.EntityID)
	switch {
	case ev.Event == EventNaturalPersonPending:
		return &NaturalPersonPendingEvent{EventHeader: base, EntityCreated: d.EntityCreated,
			ClientUpdateRequest: d.IsClientUpdateRequest, Name: d.Entity, Email: d.Email,
			SessionID: d.SessionID, Message: d.Message}, nil
	case ev.Event == EventNaturalPersonManuallyApproved || ev.Event == EventNaturalPersonAutoApproved:
		return &NaturalPersonApprovedEvent{EventHeader: base, Manual: ev.Event == EventNaturalPersonManuallyApproved,
			Name: d.Entity, UserName: d.UserName, UserEmail: d.UserEmail, EntityStatus: d.EntityStatus,
			Description: d.Description}, nil
	case isSupportingDocument(ev.Event, ev.EventType):
		return &SupportingDocumentEvent{EventHeader: base, Data: ev.Data}, nil
	}
	return &OtherEvent{EventHeader: base, Data: ev.Data}, nil
}

// isSupportingDocument recognises the supporting-document events by name
// (I: the documentation shows them under "Natural Person Has Begun
// Uploading Supporting Document" and "…has completed uploading
// Supporting Documents" without a readable event name).
func isSupportingDocument(event, eventType string) bool {
	return strings.Contains(strings.ToLower(event), "supportingdocument") ||
		strings.Contains(strings.ToLower(eventType), "supporting-document")
}

// eventData is the union of the documented "data" fields.
type eventData struct {
	EntityCreated         bool   `json:"entityCreated"`
	IsClientUpdateRequest bool   `json:"isClientUpdateRequest"`
	Entity                string `json:"entity"`
	Email                 string `json:"email"`
	SessionID             string `json:"sessionId"`
	EntityID              ID     `json:"entityId"`
	Message               string `json:"message"`
	UserName              string `json:"userName"`
	UserEmail             string `json:"userEmail"`
	EntityStatus          string `json:"entityStatus"`
	Description           string `json:"description"`
}

// EventHeader is what every iComply webhook carries.
type EventHeader struct {
	ID        string    // the delivery's "id" ("254")
	Event     string    // "NaturalPersonPending", …
	EventType string    // "natural-person-pending", …
	EntityID  string    // the entity the event is about ("data.entityId"), when given
	Created   time.Time // "creationTimeUtc"; zero when absent
}

// Provider is "icomply".
func (h *EventHeader) Provider() string { return Name }

// Type is the event's name.
func (h *EventHeader) Type() string { return h.Event }

// DedupeKey is the event name and the delivery's id (the documentation's
// manual and automatic approval samples share one id, so the id alone is
// not unique); without an id, the entity and the creation time.
func (h *EventHeader) DedupeKey() string {
	if h.ID != "" {
		return Name + ":" + h.Event + ":" + h.ID
	}
	return Name + ":" + h.Event + ":" + h.EntityID + ":" + h.Created.Format(time.RFC3339Nano)
}

// NaturalPersonPendingEvent: the person submitted their personal
// information on the portal (NaturalPersonPending). Personal data: do not
// log it.
type NaturalPersonPendingEvent struct {
	EventHeader
	EntityCreated       bool   // the submission created the entity
	ClientUpdateRequest bool   // the submission answers a request for a client update
	Name                string // the person's name ("data.entity")
	Email               string
	SessionID           string
	Message             string
}

// NaturalPersonApprovedEvent: the person was approved, by a user of your
// portal (Manual, NaturalPersonManuallyApproved) or by its auto-approval
// settings (NaturalPersonAutoApproved). Personal data: do not log it.
type NaturalPersonApprovedEvent struct {
	EventHeader
	Manual       bool
	Name         string // the person's name ("data.entity")
	UserName     string // who approved
	UserEmail    string
	EntityStatus string // "approved"
	Description  string
}

// SupportingDocumentEvent: the person began or completed uploading
// supporting documents. Their payloads are not published in a readable
// form (I), so Data keeps "data" as received. Personal data: do not log it.
type SupportingDocumentEvent struct {
	EventHeader
	Data json.RawMessage
}

// OtherEvent is any other event iComply sends; Data keeps "data" as
// received. Personal data: do not log it.
type OtherEvent struct {
	EventHeader
	Data json.RawMessage
}

var (
	_ webhook.Provider = (*Webhooks)(nil)
	_ webhook.Event    = (*NaturalPersonPendingEvent)(nil)
	_ webhook.Event    = (*NaturalPersonApprovedEvent)(nil)
	_ webhook.Event    = (*SupportingDocumentEvent)(nil)
	_ webhook.Event    = (*OtherEvent)(nil)
)
