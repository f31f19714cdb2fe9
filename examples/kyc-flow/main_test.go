package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// flow is the service wired to the fake, everything on one fake clock.
type flow struct {
	clk   *clock.Fake
	fake  *idenfytest.Server
	store *Store
	web   *httptest.Server
}

func newFlow(t *testing.T) *flow {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	f := &flow{clk: clk, store: NewStore()}
	f.fake = idenfytest.NewServer(idenfytest.WithClock(clk))
	t.Cleanup(f.fake.Close)
	client, err := idenfy.New(f.fake.Config(), providers.WithClock(clk), providers.WithLimiter(nil))
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	var svc *Service
	f.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { svc.ServeHTTP(w, r) }))
	t.Cleanup(f.web.Close)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err = NewService(client, []auth.Secret{"an-older-key", f.fake.WebhookKey()}, f.store, f.web.URL,
		webhook.WithClock(clk), webhook.WithLogger(quiet))
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return f
}

func (f *flow) start(t *testing.T, user string) string {
	t.Helper()
	resp, err := http.Post(f.web.URL+"/verifications", "application/json", strings.NewReader(`{"userId":"`+user+`"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct{ ScanRef, RedirectURL string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.NotEmpty(t, out.RedirectURL)
	return out.ScanRef
}

func (f *flow) outcome(t *testing.T, scanRef string) Outcome {
	t.Helper()
	resp, err := http.Get(f.web.URL + "/verifications/" + scanRef)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var o Outcome
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&o))
	return o
}

// The whole verification: create → the person is approved (automatic
// result, then the reviewer's) → webhooks → full result → stored outcome.
// The test measures how long that takes on the fake clock.
func TestVerificationEndToEnd(t *testing.T) {
	f := newFlow(t)
	began, fakeBegan := time.Now(), f.clk.Now()
	ref := f.start(t, "user-42")
	assert.Equal(t, idenfy.StatusActive, f.outcome(t, ref).Status)
	require.NoError(t, f.fake.Complete(ref, idenfytest.Approved))
	o := f.outcome(t, ref)
	took := time.Since(began)
	t.Logf("create → complete → webhook → fetch: %v wall time, %v of fake time", took, f.clk.Now().Sub(fakeBegan))

	assert.Equal(t, Outcome{ScanRef: ref, ClientID: "user-42", Status: idenfy.StatusApproved, Final: true,
		Event: "IDENTIFICATION_MANUAL_FINISHED"}, o)
	d := f.fake.Deliveries()
	require.Len(t, d, 2)
	assert.Equal(t, "IDENTIFICATION_AUTO_FINISHED", d[0].EventType)
	assert.Equal(t, "IDENTIFICATION_MANUAL_FINISHED", d[1].EventType)
	for _, x := range d {
		assert.Equal(t, http.StatusOK, x.Status)
	}
	assert.Equal(t, 1, f.fake.Count("path "+idenfytest.PathFull), "the final result fetched once")
	assert.Less(t, took, 5*time.Second)
}

// Rule: iDenfy retries a delivery answered non-2xx; the receiver answers
// 500 when the handler fails and gives the event back, so the retry runs
// the handler again.
func TestFailedHandlerIsDeliveredAgain(t *testing.T) {
	f := newFlow(t)
	ref := f.start(t, "user-7")
	f.fake.FailNextWith(idenfytest.PathFull, 1, http.StatusBadRequest, "INTERNAL_ERROR", "try later")
	require.NoError(t, f.fake.Complete(ref, idenfytest.Denied, idenfytest.AutoOnly()))
	d := f.fake.Deliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusInternalServerError, d[0].Status)
	assert.False(t, f.outcome(t, ref).Final)

	f.clk.Advance(idenfytest.DefaultWebhookRetries[0])
	d = f.fake.Deliveries()
	require.Len(t, d, 2)
	assert.Equal(t, http.StatusOK, d[1].Status)
	o := f.outcome(t, ref)
	assert.True(t, o.Final)
	assert.Equal(t, idenfy.StatusDenied, o.Status)
}

// Rule: a delivery seen before is answered 200 without acting again; a
// forged or unsigned one is refused.
func TestDuplicatesAndForgeries(t *testing.T) {
	f := newFlow(t)
	ref := f.start(t, "user-9")
	require.NoError(t, f.fake.Complete(ref, idenfytest.Expired))
	assert.Equal(t, idenfy.StatusExpired, f.outcome(t, ref).Status)
	fetched := f.fake.Count("path " + idenfytest.PathFull)

	body, ok := f.fake.Callback(ref)
	require.True(t, ok)
	require.NoError(t, f.fake.SendEvent(context.Background(), f.web.URL+"/webhooks/idenfy", "IDENTIFICATION_EXPIRED", body))
	assert.Equal(t, fetched, f.fake.Count("path "+idenfytest.PathFull), "a duplicate does not run the handler")

	forged := bytes.Replace(body, []byte(`"EXPIRED"`), []byte(`"APPROVED"`), 1)
	req, _ := http.NewRequest(http.MethodPost, f.web.URL+"/webhooks/idenfy", bytes.NewReader(forged))
	req.Header.Set("Idenfy-Signature", f.fake.SignWebhook(body))
	req.Header.Set("Idenfy-Event-Type", "IDENTIFICATION_MANUAL_FINISHED")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, idenfy.StatusExpired, f.outcome(t, ref).Status)
}

func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, demo(&out))
	assert.Contains(t, out.String(), "outcome: APPROVED (final true, from IDENTIFICATION_MANUAL_FINISHED)")
}

// Rule: one event delivered 100 times at once is acted on once.
func TestConcurrentDuplicateDeliveries(t *testing.T) {
	f := newFlow(t)
	ref := f.start(t, "user-100")
	require.True(t, f.fake.SetStatus(ref, idenfy.StatusApproved))
	body, ok := f.fake.Callback(ref)
	require.True(t, ok)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.fake.SendEvent(context.Background(), f.web.URL+"/webhooks/idenfy", "IDENTIFICATION_MANUAL_FINISHED", body)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, 1, f.fake.Count("path "+idenfytest.PathFull), "the handler ran once")
	assert.Equal(t, idenfy.StatusApproved, f.outcome(t, ref).Status)
}
