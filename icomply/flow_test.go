package icomply_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// inbox is the user's webhook handler: it keeps the events the shared
// receiver hands it.
type inbox struct {
	mu     sync.Mutex
	events []webhook.Event
}

func (b *inbox) handle(_ context.Context, ev webhook.Event) error {
	b.mu.Lock()
	b.events = append(b.events, ev)
	b.mu.Unlock()
	return nil
}

func (b *inbox) got() []webhook.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]webhook.Event(nil), b.events...)
}

// receiver serves the shared webhook.Receiver for iComply at a callback
// URL, on clk; refused deliveries are counted.
func receiver(t *testing.T, clk clock.Clock, secrets ...auth.Secret) (*inbox, *atomic.Int32, string) {
	t.Helper()
	hooks, err := icomply.NewWebhooks(icomply.WebhookConfig{Secrets: secrets})
	require.NoError(t, err)
	box, refused := &inbox{}, &atomic.Int32{}
	recv, err := webhook.NewReceiver(hooks, box.handle, webhook.WithClock(clk),
		webhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		webhook.WithOnError(func(*webhook.Error) { refused.Add(1) }))
	require.NoError(t, err)
	cb := httptest.NewServer(recv)
	t.Cleanup(func() {
		cb.Close()
		require.NoError(t, recv.Close(context.Background()))
	})
	return box, refused, cb.URL
}

// The whole verification on a fake clock: add the person with KYC
// services → the person submits (NaturalPersonPending) → uploads
// supporting documents (begun, completed: two SupportingDocumentEvents) →
// the portal approves (NaturalPersonAutoApproved), each a webhook carrying
// the secret to the shared webhook.Receiver (a redelivery is dropped) →
// the result is fetched, 40 minutes and two token lifetimes later.
func TestVerificationFlow(t *testing.T) {
	clk := clock.NewFake(start)
	box, refused, url := receiver(t, clk, hookSecret)
	srv := icomplytest.NewServer(icomplytest.WithClock(clk), icomplytest.WithWebhook(url, hookSecret))
	t.Cleanup(srv.Close)
	c, err := icomply.New(srv.Config(), providers.WithClock(clk))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	np, err := c.AddNaturalPerson(ctx, jane())
	require.NoError(t, err)
	id := np.KYCMetaData.EntityID

	clk.Advance(15 * time.Minute)
	require.NoError(t, srv.SubmitPersonalInfo(ctx, id))
	clk.Advance(5 * time.Minute)
	require.NoError(t, srv.BeginSupportingDocuments(ctx, id))
	clk.Advance(5 * time.Minute)
	require.NoError(t, srv.CompleteSupportingDocuments(ctx, id))
	clk.Advance(15 * time.Minute)
	require.NoError(t, srv.Complete(ctx, id, icomplytest.AutoApproved))

	require.NoError(t, srv.RedeliverLast(ctx), "a duplicate is answered 200")
	evs := box.got()
	require.Len(t, evs, 4, "the duplicate is dropped")
	pending, ok := evs[0].(*icomply.NaturalPersonPendingEvent)
	require.True(t, ok, "%T", evs[0])
	assert.Equal(t, id, pending.EntityID)
	assert.Equal(t, "jdoe@outlook.com", pending.Email)
	assert.Equal(t, start.Add(15*time.Minute), pending.Created, "dated on the fake's clock")
	for i, want := range []string{icomplytest.EventSupportingDocumentBegun, icomplytest.EventSupportingDocumentCompleted} {
		doc, ok := evs[1+i].(*icomply.SupportingDocumentEvent)
		require.True(t, ok, "%T", evs[1+i])
		assert.Equal(t, want, doc.Type())
		assert.Equal(t, id, doc.EntityID)
		assert.Equal(t, start.Add(time.Duration(20+5*i)*time.Minute), doc.Created)
		var data struct{ SessionID string }
		require.NoError(t, json.Unmarshal(doc.Data, &data), string(doc.Data))
		assert.Equal(t, pending.SessionID, data.SessionID, "the portal session of the submission")
		assert.NotContains(t, string(doc.Data), hookSecret, "the secret is not in data")
	}
	approved, ok := evs[3].(*icomply.NaturalPersonApprovedEvent)
	require.True(t, ok, "%T", evs[3])
	assert.False(t, approved.Manual)
	assert.Equal(t, id, approved.EntityID)
	assert.NotEqual(t, pending.DedupeKey(), approved.DedupeKey())
	assert.NotEqual(t, evs[1].DedupeKey(), evs[2].DedupeKey(), "begun and completed are two events")

	// The result, found by your own ID.
	found, err := c.SearchNaturalPersons(ctx, icomply.NaturalPersonQuery{ExternalID: "crm-4711"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	got, err := c.GetNaturalPerson(ctx, found[0].EntityID)
	require.NoError(t, err)
	assert.Equal(t, icomply.KYCStatusApproved, got.KYCMetaData.Current())
	assert.Zero(t, srv.RejectedExpired(), "no request went out with an expired token")
	assert.Equal(t, 5, srv.Deliveries())
	assert.Zero(t, srv.FailedDeliveries())
	assert.Zero(t, refused.Load())
}

// The fake's supporting-document events reach a user's webhook.Receiver as
// typed *icomply.SupportingDocumentEvent values, verified by the secret in
// the payload like every iComply webhook; with the wrong secret they are
// refused.
func TestSupportingDocumentEventsReachTheReceiver(t *testing.T) {
	box, refused, url := receiver(t, nil, hookSecret)
	srv := icomplytest.NewServer(icomplytest.WithWebhook(url, hookSecret))
	t.Cleanup(srv.Close)

	require.NoError(t, srv.BeginSupportingDocuments(ctx, icomplytest.PersonPending))
	require.NoError(t, srv.CompleteSupportingDocuments(ctx, icomplytest.PersonPending))
	evs := box.got()
	require.Len(t, evs, 2)
	for i, want := range []string{icomplytest.EventSupportingDocumentBegun, icomplytest.EventSupportingDocumentCompleted} {
		doc, ok := evs[i].(*icomply.SupportingDocumentEvent)
		require.True(t, ok, "%T", evs[i])
		assert.Equal(t, want, doc.Event)
		assert.Equal(t, icomplytest.PersonPending, doc.EntityID)
		assert.Equal(t, "icomply", doc.Provider())
		assert.NotContains(t, fmt.Sprintf("%+v", doc), hookSecret)
	}

	srv.SetWebhook(url, "whs_someone_else")
	require.ErrorContains(t, srv.BeginSupportingDocuments(ctx, icomplytest.PersonPending), "401")
	assert.Len(t, box.got(), 2)
	assert.Equal(t, int32(1), refused.Load())
}

// Rule: a delivery with the wrong secret is refused by the receiver (401),
// its handler never runs, and
// the fake reports the failed delivery.
func TestWrongSecretIsRefused(t *testing.T) {
	box, refused, url := receiver(t, nil, hookSecret)
	srv := icomplytest.NewServer(icomplytest.WithWebhook(url, "whs_someone_else"))
	t.Cleanup(srv.Close)

	err := srv.Complete(ctx, icomplytest.PersonPending, icomplytest.ManuallyApproved)
	require.ErrorContains(t, err, "401")
	assert.Empty(t, box.got())
	assert.Equal(t, int32(1), refused.Load())
	assert.Equal(t, 1, srv.FailedDeliveries())

	quiet := icomplytest.NewServer()
	t.Cleanup(quiet.Close)
	assert.ErrorIs(t, quiet.Complete(ctx, icomplytest.PersonPending, icomplytest.AutoApproved), icomplytest.ErrNoWebhook)
}
