package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/webhook"
)

// testProvider is a small HMAC provider for the receiver's tests: header
// X-Test-Signature = hex(HMAC-SHA256(key, body)) under any of its keys; the
// body {"ref","type","final"} says what it is.
type testProvider struct {
	keys     [][]byte
	delivery webhook.Delivery
}

const sigHeader = "X-Test-Signature"

func newTestProvider(keys ...string) *testProvider {
	p := &testProvider{delivery: webhook.Delivery{MaxBody: 1 << 20, Deadline: 10 * time.Second, Retries: -1}}
	for _, k := range keys {
		p.keys = append(p.keys, []byte(k))
	}
	return p
}

func (p *testProvider) Name() string               { return "testprov" }
func (p *testProvider) Delivery() webhook.Delivery { return p.delivery }

func (p *testProvider) Verify(h http.Header, body []byte) error {
	v, err := webhook.SignatureValue(h, sigHeader)
	if err != nil {
		return err
	}
	got, err := hex.DecodeString(v)
	if err != nil {
		return fmt.Errorf("%w: not hex", webhook.ErrBadSignature)
	}
	for _, k := range p.keys {
		if hmac.Equal(got, mac(k, body)) {
			return nil
		}
	}
	return webhook.ErrBadSignature
}

type testEvent struct {
	Ref   string `json:"ref"`
	Kind  string `json:"type"`
	Final bool   `json:"final"`
}

func (e *testEvent) Provider() string { return "testprov" }
func (e *testEvent) Type() string     { return e.Kind }
func (e *testEvent) DedupeKey() string {
	return fmt.Sprintf("%s/%s/%t", e.Ref, e.Kind, e.Final)
}

func (p *testProvider) Decode(_ http.Header, body []byte) (webhook.Event, error) {
	var ev testEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, errors.New("unikyc: testprov: webhook body is not an event")
	}
	return &ev, nil
}

func mac(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)
}

func sign(key string, body []byte) http.Header {
	return http.Header{sigHeader: {hex.EncodeToString(mac([]byte(key), body))}}
}

const key1 = "whsec-test-key-one"

// autoBody and manualBody are an automatic result and the manual one that
// follows it for one scan.
var (
	autoBody   = []byte(`{"ref":"scan-1","type":"IDENTIFICATION_AUTO_FINISHED","final":false}`)
	manualBody = []byte(`{"ref":"scan-1","type":"IDENTIFICATION_MANUAL_FINISHED","final":true}`)
)

// deliver POSTs body with h to r and returns the status.
func deliver(r http.Handler, h http.Header, body []byte) int {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/testprov", bytes.NewReader(body))
	for k, vs := range h {
		req.Header[k] = vs
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w.Code
}

// failures collects what the OnError hook receives.
type failures struct {
	mu   sync.Mutex
	errs []*webhook.Error
}

func (f *failures) hook(e *webhook.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, e)
}

func (f *failures) all() []*webhook.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*webhook.Error(nil), f.errs...)
}

// newReceiver makes a receiver closed at the end of the test.
func newReceiver(t testing.TB, p webhook.Provider, fn webhook.HandlerFunc, opts ...webhook.Option) *webhook.Receiver {
	t.Helper()
	r, err := webhook.NewReceiver(p, fn, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, r.Close(ctx))
	})
	return r
}

// laxProvider reads the first signature header only.
type laxProvider struct{ *testProvider }

func (p *laxProvider) Verify(h http.Header, body []byte) error {
	got, err := hex.DecodeString(h.Get(sigHeader))
	if err != nil || !hmac.Equal(got, mac(p.keys[0], body)) {
		return webhook.ErrBadSignature
	}
	return nil
}

// recordingTB records Errorf calls instead of failing the test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
