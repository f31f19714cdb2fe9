// Package webhook receives providers' webhooks: one [http.Handler] for every
// provider that caps the body, verifies the signature over the raw bytes
// before anything is decoded, decodes the provider's typed event (the signed
// body decides what it is, never an unsigned header), drops duplicates,
// answers within the provider's deadline and hands the event to your
// function.
//
// A provider package supplies a [Provider] (for example idenfy.Webhooks);
// this package holds every rule that is the same for all of them:
//
//	recv, err := webhook.NewReceiver(hooks, handle) // hooks: a provider's Provider
//	mux.Handle("POST /webhooks/idenfy", recv)
//	defer recv.Close(ctx)                           // waits for running handlers
//
// [Receiver] documents each answer (200, 401, 400, 413, 500, 503) and why.
// Duplicates are dropped through a [DedupeStore]: [MemoryStore] (the
// default, one process), [FileStore] (the processes of one host) or
// webhook/redisdedupe (a fleet: one `SET NX PX` per claim).
//
// Provider packages test their verification with webhook/webhooktest,
// which runs thirty signature near misses against a Provider, and can use
// [SignatureValue] to read the signature header.
//
// Facts and choices:
//   - Answer deadline: the provider's Delivery.Deadline less a margin of a
//     fifth (at least 500 ms, at most 5 s); 10 s assumed when a provider
//     documents none (iDenfy's 10 s is confirmed on its webhook page; the
//     assumption is ours).
//   - A delivery answered non-2xx is delivered again by iDenfy (retries, no
//     published schedule) and Compliancely (2 more times): confirmed on
//     their webhook pages; hence 500 on a failed handler.
//   - Handled events are remembered DefaultTTL (72 h), our choice: longer
//     than any retry schedule we know.
package webhook

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// ErrBadSignature matches a delivery whose signature is missing, malformed
// or wrong under every key. Its body is never decoded.
var ErrBadSignature = errors.New("unikyc: webhook: bad signature")

// Provider tells a [Receiver] how one provider signs, shapes and delivers its
// webhooks. Provider packages implement it; its methods are safe for
// concurrent use.
type Provider interface {
	// Name is the provider's short name, as in errors: "idenfy".
	Name() string
	// Verify checks the signature that header carries over the raw body, in
	// constant time, against each of the provider's current keys (several
	// may be valid at once). It returns nil or an error matching
	// ErrBadSignature, and never decodes body.
	Verify(header http.Header, body []byte) error
	// Decode turns a verified body into an Event. Where the body says what
	// it is, the body decides, and a header that contradicts it is an error.
	Decode(header http.Header, body []byte) (Event, error)
	// Delivery is the provider's documented delivery contract.
	Delivery() Delivery
}

// Delivery is how a provider delivers webhooks.
type Delivery struct {
	// MaxBody is the largest body accepted, in bytes; a larger one is
	// answered 413 without being verified.
	MaxBody int64
	// Deadline is how long the provider waits for an answer before it
	// counts the delivery as failed (iDenfy: 10 s).
	Deadline time.Duration
	// Retries reports whether the provider delivers again after a non-2xx
	// answer (and how many more times, where documented; -1: unbounded or
	// not documented).
	Retries int
}

// Event is a verified, decoded webhook. Provider packages return their own
// concrete types (idenfy.KYCResultEvent, …); a type switch picks them out.
// Events hold personal data: do not log them.
type Event interface {
	// Provider is the provider's short name.
	Provider() string
	// Type is the provider's event name, e.g. "IDENTIFICATION_AUTO_FINISHED".
	Type() string
	// DedupeKey identifies the event for dropping duplicate deliveries: two
	// deliveries with the same key are the same event. It is derived from
	// the signed body (iDenfy: scanRef, event type and finality, since an
	// automatic result may precede the manual one).
	DedupeKey() string
}

// HandlerFunc is your code: it acts on one event. A nil error means the
// event is handled; an error (or a panic) makes the Receiver answer so that
// the provider delivers it again.
type HandlerFunc func(ctx context.Context, ev Event) error

// DedupeStore remembers which events were handled, so a repeated delivery
// is answered 200 without calling the handler again. Implementations: the
// memory store (default), a file store for one host, Redis for a fleet.
type DedupeStore interface {
	// Claim records key as taken for ttl and reports whether it was free.
	// Of concurrent callers with one key, exactly one gets true.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Release frees a claimed key, so that a later delivery of a failed
	// event runs the handler again.
	Release(ctx context.Context, key string) error
}
