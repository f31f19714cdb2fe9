package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/webhook"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// counting wraps a provider and counts its Verify and Decode calls.
type counting struct {
	webhook.Provider
	verified, decoded atomic.Int32
}

func (c *counting) Verify(h http.Header, b []byte) error {
	c.verified.Add(1)
	return c.Provider.Verify(h, b)
}

func (c *counting) Decode(h http.Header, b []byte) (webhook.Event, error) {
	c.decoded.Add(1)
	return c.Provider.Decode(h, b)
}

func TestNewReceiverRefusesNilProviderOrHandler(t *testing.T) {
	fn := func(context.Context, webhook.Event) error { return nil }
	_, err := webhook.NewReceiver(nil, fn)
	require.ErrorContains(t, err, "nil Provider")
	_, err = webhook.NewReceiver(newTestProvider(key1), nil)
	require.ErrorContains(t, err, "nil HandlerFunc")
	_, err = webhook.NewReceiver(newTestProvider(key1), fn, webhook.WithAnswerWithin(10*time.Second))
	require.ErrorContains(t, err, "not under the provider's 10s deadline")
	for _, err := range []error{err} {
		assert.Equal(t, 1, strings.Count(err.Error(), "unikyc:"))
	}
}

func TestAnswerWithinLeavesAMargin(t *testing.T) {
	fn := func(context.Context, webhook.Event) error { return nil }
	for deadline, want := range map[time.Duration]time.Duration{
		10 * time.Second: 8 * time.Second,         // iDenfy
		0:                8 * time.Second,         // not documented: 10 s assumed
		time.Minute:      55 * time.Second,        // margin capped at 5 s
		2 * time.Second:  1500 * time.Millisecond, // margin at least 500 ms
		time.Second:      500 * time.Millisecond,
	} {
		p := newTestProvider(key1)
		p.delivery.Deadline = deadline
		r := newReceiver(t, p, fn)
		assert.Equal(t, want, r.AnswerWithin(), "deadline %v", deadline)
	}
}

// Rule: a replayed delivery is answered 200 and the handler runs once.
func TestReplayedDeliveryRunsHandlerOnce(t *testing.T) {
	var calls atomic.Int32
	var got webhook.Event
	r := newReceiver(t, newTestProvider(key1), func(_ context.Context, ev webhook.Event) error {
		calls.Add(1)
		got = ev
		return nil
	})
	for range 3 {
		assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	}
	assert.Equal(t, int32(1), calls.Load())
	require.IsType(t, &testEvent{}, got)
	assert.Equal(t, "IDENTIFICATION_AUTO_FINISHED", got.Type())
}

// Rule: an automatic result and the manual one that follows it for the
// same scan are two events: the handler runs for each.
func TestAutoThenManualRunHandlerTwice(t *testing.T) {
	var types []string
	var mu sync.Mutex
	r := newReceiver(t, newTestProvider(key1), func(_ context.Context, ev webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		types = append(types, ev.Type())
		return nil
	})
	for _, b := range [][]byte{autoBody, manualBody, autoBody, manualBody} {
		assert.Equal(t, http.StatusOK, deliver(r, sign(key1, b), b))
	}
	assert.Equal(t, []string{"IDENTIFICATION_AUTO_FINISHED", "IDENTIFICATION_MANUAL_FINISHED"}, types)
}

// Rule: several keys may be valid at once (rotation).
func TestEveryCurrentKeyVerifies(t *testing.T) {
	var calls atomic.Int32
	r := newReceiver(t, newTestProvider("old-key", "new-key"), func(context.Context, webhook.Event) error {
		calls.Add(1)
		return nil
	}, webhook.WithLogger(slog.New(slog.DiscardHandler)))
	assert.Equal(t, http.StatusOK, deliver(r, sign("old-key", autoBody), autoBody))
	assert.Equal(t, http.StatusOK, deliver(r, sign("new-key", manualBody), manualBody))
	assert.Equal(t, http.StatusUnauthorized, deliver(r, sign("retired-key", manualBody), manualBody))
	assert.Equal(t, int32(2), calls.Load())
}

// Rule: a bad signature is answered 401; the body is neither decoded nor
// logged, the handler not called.
func TestBadSignatureIsNotDecoded(t *testing.T) {
	var log bytes.Buffer
	var fails failures
	p := &counting{Provider: newTestProvider(key1)}
	var calls atomic.Int32
	r := newReceiver(t, p, func(context.Context, webhook.Event) error { calls.Add(1); return nil },
		webhook.WithLogger(slog.New(slog.NewTextHandler(&log, nil))), webhook.WithOnError(fails.hook))
	body := []byte(`{"ref":"scan-secret-person","type":"IDENTIFICATION","final":true}`)
	assert.Equal(t, http.StatusUnauthorized, deliver(r, sign("other-key", body), body))
	assert.Equal(t, http.StatusUnauthorized, deliver(r, nil, body))
	assert.Equal(t, int32(2), p.verified.Load())
	assert.Zero(t, p.decoded.Load())
	assert.Zero(t, calls.Load())
	assert.NotContains(t, log.String(), "scan-secret-person")
	assert.Contains(t, log.String(), "provider=testprov")
	errs := fails.all()
	require.Len(t, errs, 2)
	for _, e := range errs {
		require.ErrorIs(t, e, webhook.ErrBadSignature)
		assert.Equal(t, webhook.StageVerify, e.Stage)
		assert.Nil(t, e.Event)
		assert.Equal(t, 1, strings.Count(e.Error(), "unikyc:"), e.Error())
	}
	assert.Equal(t, "unikyc: webhook: testprov: verify: bad signature: no X-Test-Signature header", errs[1].Error())
}

// Rule: a signed body that does not decode is answered 400 (the provider
// keeps the delivery failed and retries), and the handler is not called.
func TestSignedUndecodableBodyIs400(t *testing.T) {
	var fails failures
	var calls atomic.Int32
	r := newReceiver(t, newTestProvider(key1), func(context.Context, webhook.Event) error { calls.Add(1); return nil },
		webhook.WithOnError(fails.hook), webhook.WithLogger(slog.New(slog.DiscardHandler)))
	body := []byte(`not json at all`)
	assert.Equal(t, http.StatusBadRequest, deliver(r, sign(key1, body), body))
	assert.Zero(t, calls.Load())
	errs := fails.all()
	require.Len(t, errs, 1)
	assert.Equal(t, "unikyc: webhook: testprov: decode: testprov: webhook body is not an event", errs[0].Error())
}

// An event whose provider gives no dedupe key cannot be told from its
// duplicates: refused as undecodable.
func TestEventWithoutDedupeKeyIs400(t *testing.T) {
	p := noKeyProvider{newTestProvider(key1)}
	var calls atomic.Int32
	r := newReceiver(t, p, func(context.Context, webhook.Event) error { calls.Add(1); return nil },
		webhook.WithLogger(slog.New(slog.DiscardHandler)))
	assert.Equal(t, http.StatusBadRequest, deliver(r, sign(key1, autoBody), autoBody))
	assert.Zero(t, calls.Load())
}

type noKeyProvider struct{ *testProvider }

type noKeyEvent struct{ *testEvent }

func (noKeyEvent) DedupeKey() string { return "" }

func (p noKeyProvider) Decode(h http.Header, b []byte) (webhook.Event, error) {
	ev, err := p.testProvider.Decode(h, b)
	if err != nil {
		return nil, err
	}
	return noKeyEvent{ev.(*testEvent)}, nil
}

// Rule: only POST.
func TestOnlyPOST(t *testing.T) {
	r := newReceiver(t, newTestProvider(key1), func(context.Context, webhook.Event) error { return nil },
		webhook.WithLogger(slog.New(slog.DiscardHandler)))
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(m, "/", strings.NewReader(string(autoBody))))
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code, m)
		assert.Equal(t, "POST", w.Header().Get("Allow"))
	}
}

// Rule: a body over the provider's cap (here 10 MiB against 1 MiB) is
// answered 413 and nothing of it is verified; the error carries one
// "unikyc:" prefix. With and without a Content-Length.
func TestTenMiBBodyIs413Unverified(t *testing.T) {
	var fails failures
	p := &counting{Provider: newTestProvider(key1)}
	r := newReceiver(t, p, func(context.Context, webhook.Event) error { t.Error("handler called"); return nil },
		webhook.WithOnError(fails.hook), webhook.WithLogger(slog.New(slog.DiscardHandler)))
	big := bytes.Repeat([]byte("a"), 10<<20)
	h := sign(key1, big)

	assert.Equal(t, http.StatusRequestEntityTooLarge, deliver(r, h, big)) // Content-Length set

	req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(big))) // length unknown
	req.ContentLength = -1
	req.Header = h
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)

	assert.Zero(t, p.verified.Load())
	assert.Zero(t, p.decoded.Load())
	errs := fails.all()
	require.Len(t, errs, 2)
	for _, e := range errs {
		assert.Equal(t, "unikyc: webhook: testprov: read: body too large: over 1048576 bytes", e.Error())
	}
}

// A body exactly at the cap is accepted.
func TestBodyAtTheCapIsRead(t *testing.T) {
	p := newTestProvider(key1)
	p.delivery.MaxBody = int64(len(autoBody))
	var calls atomic.Int32
	r := newReceiver(t, p, func(context.Context, webhook.Event) error { calls.Add(1); return nil })
	assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, int32(1), calls.Load())
}

// Rule: a handler error is answered 500 and its claim given back, so the
// provider's retry runs the handler again.
func TestFailedHandlerIsRetried(t *testing.T) {
	var calls atomic.Int32
	var fails failures
	r := newReceiver(t, newTestProvider(key1), func(context.Context, webhook.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("database down")
		}
		return nil
	}, webhook.WithOnError(fails.hook), webhook.WithLogger(slog.New(slog.DiscardHandler)))
	assert.Equal(t, http.StatusInternalServerError, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, int32(2), calls.Load())
	errs := fails.all()
	require.Len(t, errs, 1)
	assert.Equal(t, "unikyc: webhook: testprov: handler: database down", errs[0].Error())
	assert.False(t, errs[0].Late)
	assert.Equal(t, http.StatusInternalServerError, errs[0].Status)
	assert.NotNil(t, errs[0].Event)
}

// Rule: a handler that panics is answered 500 like an error, and the panic
// value (which may hold the event) is neither printed nor logged.
func TestPanickingHandlerIsRetried(t *testing.T) {
	var calls atomic.Int32
	var fails failures
	var log bytes.Buffer
	r := newReceiver(t, newTestProvider(key1), func(_ context.Context, ev webhook.Event) error {
		if calls.Add(1) == 1 {
			panic("cannot handle " + ev.(*testEvent).Ref)
		}
		return nil
	}, webhook.WithOnError(fails.hook), webhook.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))))
	assert.Equal(t, http.StatusInternalServerError, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, int32(2), calls.Load())
	errs := fails.all()
	require.Len(t, errs, 1)
	var pe *webhook.PanicError
	require.ErrorAs(t, errs[0], &pe)
	assert.Equal(t, "cannot handle scan-1", pe.Value)
	assert.NotEmpty(t, pe.Stack)
	assert.Equal(t, "unikyc: webhook: testprov: handler: handler panicked", errs[0].Error())
	assert.NotContains(t, log.String(), "scan-1")
	assert.Contains(t, log.String(), `"provider":"testprov"`)
}

// Rule: a handler that outlasts the answer deadline does not make the
// provider retry a delivered event: the delivery is answered 200 at the
// deadline (on the receiver's clock), the handler goes on, and a later
// failure gives the claim back and is reported as Late.
func TestSlowHandlerIsAnsweredBeforeTheDeadline(t *testing.T) {
	clk := clock.NewFake(t0)
	var fails failures
	release := make(chan error)
	started := make(chan context.Context, 1)
	var calls atomic.Int32
	r := newReceiver(t, newTestProvider(key1), func(ctx context.Context, ev webhook.Event) error {
		if calls.Add(1) > 1 {
			return nil
		}
		started <- ctx
		return <-release
	}, webhook.WithClock(clk), webhook.WithOnError(fails.hook), webhook.WithLogger(slog.New(slog.DiscardHandler)))

	status := make(chan int, 1)
	go func() { status <- deliver(r, sign(key1, autoBody), autoBody) }()
	hctx := <-started
	deadline, ok := hctx.Deadline()
	require.True(t, ok)
	assert.Equal(t, t0.Add(8*time.Second), deadline, "the handler's context ends when the answer is due")
	require.True(t, clk.WaitForTimers(1, nil)) // the answer timer
	clk.Advance(8*time.Second - time.Nanosecond)
	select {
	case s := <-status:
		t.Fatalf("answered %d before the deadline", s)
	default:
	}
	clk.Advance(time.Nanosecond)
	assert.Equal(t, http.StatusOK, <-status, "answered at 8 s of iDenfy's 10, handler still running")
	<-hctx.Done()
	assert.ErrorIs(t, hctx.Err(), context.DeadlineExceeded)
	assert.Empty(t, fails.all())

	// A duplicate meanwhile is answered 200 without a second call.
	assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, int32(1), calls.Load())

	release <- errors.New("gave up")
	require.Eventually(t, func() bool { return len(fails.all()) == 1 }, 10*time.Second, time.Millisecond)
	e := fails.all()[0]
	assert.True(t, e.Late)
	assert.Equal(t, http.StatusOK, e.Status)
	assert.Equal(t, "unikyc: webhook: testprov: handler (after the answer): gave up", e.Error())
	require.NotNil(t, e.Event, "the event is handed over: no retry will come by itself")

	// The claim was given back: a later delivery runs the handler again.
	assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	assert.Equal(t, int32(2), calls.Load())
}

// WithHandlerTimeout lets a handler run past the answer with a live
// context; Close waits for it.
func TestHandlerTimeoutAndCloseWaitsForBackgroundHandler(t *testing.T) {
	clk := clock.NewFake(t0)
	release := make(chan struct{})
	started := make(chan context.Context, 1)
	finished := make(chan struct{})
	r, err := webhook.NewReceiver(newTestProvider(key1), func(ctx context.Context, ev webhook.Event) error {
		if ev.Type() != "IDENTIFICATION_AUTO_FINISHED" {
			return nil // a delivery that beat Close to it
		}
		defer close(finished)
		started <- ctx
		<-release
		return nil
	}, webhook.WithClock(clk), webhook.WithHandlerTimeout(time.Minute))
	require.NoError(t, err)

	status := make(chan int, 1)
	go func() { status <- deliver(r, sign(key1, autoBody), autoBody) }()
	hctx := <-started
	require.True(t, clk.WaitForTimers(1, nil))
	clk.Advance(8 * time.Second)
	assert.Equal(t, http.StatusOK, <-status)
	deadline, _ := hctx.Deadline()
	assert.Equal(t, t0.Add(time.Minute), deadline)
	assert.NoError(t, hctx.Err(), "still running after the answer")

	closed := make(chan error, 1)
	go func() { closed <- r.Close(context.Background()) }()
	assert.Eventually(t, func() bool {
		return deliver(r, sign(key1, manualBody), manualBody) == http.StatusServiceUnavailable
	}, 10*time.Second, time.Millisecond, "a closing receiver answers 503")
	select {
	case <-closed:
		t.Fatal("Close returned while a handler runs")
	default:
	}
	close(release)
	require.NoError(t, <-closed)
	<-finished
}

// Close with an expired context cancels the handlers' contexts.
func TestCloseGivesUpAndCancelsHandlers(t *testing.T) {
	started := make(chan struct{})
	finished := make(chan error, 1)
	r, err := webhook.NewReceiver(newTestProvider(key1), func(ctx context.Context, ev webhook.Event) error {
		close(started)
		<-ctx.Done()
		finished <- context.Cause(ctx)
		return ctx.Err()
	}, webhook.WithHandlerTimeout(time.Hour), webhook.WithAnswerWithin(time.Millisecond),
		webhook.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, deliver(r, sign(key1, autoBody), autoBody))
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, r.Close(ctx), context.Canceled)
	require.ErrorIs(t, <-finished, webhook.ErrClosed)
	require.NoError(t, r.Close(context.Background()), "returns once the handler is gone")
}

// Rule: 100 concurrent deliveries of one event run the handler once.
func TestConcurrentDuplicatesRunHandlerOnce(t *testing.T) {
	var calls atomic.Int32
	r := newReceiver(t, newTestProvider(key1), func(context.Context, webhook.Event) error {
		calls.Add(1)
		return nil
	})
	h := sign(key1, autoBody)
	var wg sync.WaitGroup
	var ok atomic.Int32
	start := make(chan struct{})
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if deliver(r, h, autoBody) == http.StatusOK {
				ok.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	assert.Equal(t, int32(100), ok.Load())
}

// Rule: when the dedupe store fails the delivery is answered 503 (the
// provider delivers again) and the handler is not called.
func TestStoreFailureIs503(t *testing.T) {
	var calls atomic.Int32
	var fails failures
	r := newReceiver(t, newTestProvider(key1), func(context.Context, webhook.Event) error { calls.Add(1); return nil },
		webhook.WithStore(brokenStore{}), webhook.WithOnError(fails.hook), webhook.WithLogger(slog.New(slog.DiscardHandler)))
	assert.Equal(t, http.StatusServiceUnavailable, deliver(r, sign(key1, autoBody), autoBody))
	assert.Zero(t, calls.Load())
	require.Len(t, fails.all(), 1)
	assert.Equal(t, webhook.StageDedupe, fails.all()[0].Stage)
}

type brokenStore struct{}

func (brokenStore) Claim(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("unikyc: store: connection refused")
}
func (brokenStore) Release(context.Context, string) error { return nil }

// The handler's context keeps the request's values.
func TestHandlerContextKeepsRequestValues(t *testing.T) {
	type ctxKey struct{}
	got := make(chan any, 1)
	r := newReceiver(t, newTestProvider(key1), func(ctx context.Context, ev webhook.Event) error {
		got <- ctx.Value(ctxKey{})
		return nil
	})
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(autoBody))
	req.Header = sign(key1, autoBody)
	req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, "trace-1"))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "trace-1", <-got)
}
