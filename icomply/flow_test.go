package icomply_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
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

// hookSink is a callback URL that verifies and decodes each delivery with
// a webhook.Provider, as the shared receiver does, and keeps the events.
type hookSink struct {
	p      webhook.Provider
	mu     sync.Mutex
	events []webhook.Event
	bad    int
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.p.Delivery().MaxBody))
	if err != nil {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	if err := h.p.Verify(r.Header, body); err != nil {
		h.mu.Lock()
		h.bad++
		h.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	ev, err := h.p.Decode(r.Header, body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *hookSink) got() []webhook.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]webhook.Event(nil), h.events...)
}

// The whole verification on a fake clock: add the person with KYC
// services → the person submits (NaturalPersonPending) → the portal
// approves (NaturalPersonAutoApproved), each a webhook carrying the secret
// → the result is fetched, 40 minutes and two token lifetimes later.
func TestVerificationFlow(t *testing.T) {
	clk := clock.NewFake(start)
	hooks, err := icomply.NewWebhooks(icomply.WebhookConfig{Secrets: []auth.Secret{hookSecret}})
	require.NoError(t, err)
	sink := &hookSink{p: hooks}
	cb := httptest.NewServer(sink)
	t.Cleanup(cb.Close)
	srv := icomplytest.NewServer(icomplytest.WithClock(clk), icomplytest.WithWebhook(cb.URL, hookSecret))
	t.Cleanup(srv.Close)
	c, err := icomply.New(srv.Config(), providers.WithClock(clk))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	np, err := c.AddNaturalPerson(ctx, jane())
	require.NoError(t, err)
	id := np.KYCMetaData.EntityID

	clk.Advance(15 * time.Minute)
	require.NoError(t, srv.SubmitPersonalInfo(ctx, id))
	clk.Advance(25 * time.Minute)
	require.NoError(t, srv.Complete(ctx, id, icomplytest.AutoApproved))

	evs := sink.got()
	require.Len(t, evs, 2)
	pending, ok := evs[0].(*icomply.NaturalPersonPendingEvent)
	require.True(t, ok, "%T", evs[0])
	assert.Equal(t, id, pending.EntityID)
	assert.Equal(t, "jdoe@outlook.com", pending.Email)
	assert.Equal(t, start.Add(15*time.Minute), pending.Created, "dated on the fake's clock")
	approved, ok := evs[1].(*icomply.NaturalPersonApprovedEvent)
	require.True(t, ok, "%T", evs[1])
	assert.False(t, approved.Manual)
	assert.Equal(t, id, approved.EntityID)
	assert.NotEqual(t, pending.DedupeKey(), approved.DedupeKey())

	// The result, found by your own ID.
	found, err := c.SearchNaturalPersons(ctx, icomply.NaturalPersonQuery{ExternalID: "crm-4711"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	got, err := c.GetNaturalPerson(ctx, found[0].EntityID)
	require.NoError(t, err)
	assert.Equal(t, icomply.KYCStatusApproved, got.KYCMetaData.Current())
	assert.Zero(t, srv.RejectedExpired(), "no request went out with an expired token")
	assert.Equal(t, 2, srv.Deliveries())
	assert.Zero(t, srv.FailedDeliveries())
	assert.Zero(t, sink.bad)
}

// Rule: a delivery with the wrong secret is refused by the receiver, and
// the fake reports the failed delivery.
func TestWrongSecretIsRefused(t *testing.T) {
	hooks, err := icomply.NewWebhooks(icomply.WebhookConfig{Secrets: []auth.Secret{hookSecret}})
	require.NoError(t, err)
	sink := &hookSink{p: hooks}
	cb := httptest.NewServer(sink)
	t.Cleanup(cb.Close)
	srv := icomplytest.NewServer(icomplytest.WithWebhook(cb.URL, "whs_someone_else"))
	t.Cleanup(srv.Close)

	err = srv.Complete(ctx, icomplytest.PersonPending, icomplytest.ManuallyApproved)
	require.Error(t, err)
	assert.Empty(t, sink.got())
	assert.Equal(t, 1, sink.bad)
	assert.Equal(t, 1, srv.FailedDeliveries())

	quiet := icomplytest.NewServer()
	t.Cleanup(quiet.Close)
	assert.ErrorIs(t, quiet.Complete(ctx, icomplytest.PersonPending, icomplytest.AutoApproved), icomplytest.ErrNoWebhook)
}
