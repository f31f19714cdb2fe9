package providers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// fake is a scripted provider: a login endpoint and an API whose answers
// the test queues. It counts what it saw.
type fake struct {
	srv    *httptest.Server
	logins atomic.Int64
	calls  atomic.Int64

	mu      sync.Mutex
	script  []func(w http.ResponseWriter) // next answers of /api; empty: 200
	always  func(w http.ResponseWriter)   // the answer once the script is done; nil: 200
	auths   []string                      // Authorization of each /api call
	bodies  []string
	methods []string
	keys    []string
	clk     *clock.Fake // when set, the time of each /api call is kept
	arrived []arrival
}

// arrival is one /api call as the fake saw it: when, and its answer.
type arrival struct {
	at     time.Time
	status int
}

func (f *fake) handle(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		n := f.logins.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token": "tok-" + string(rune('0'+n))})
		return
	}
	f.calls.Add(1)
	f.mu.Lock()
	f.methods = append(f.methods, r.Method)
	f.keys = append(f.keys, r.Header.Get(providers.IdempotencyKeyHeader))
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	body, _ := io.ReadAll(r.Body)
	f.bodies = append(f.bodies, string(body))
	next := f.always
	if len(f.script) > 0 {
		next, f.script = f.script[0], f.script[1:]
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if f.clk != nil {
		defer func(at time.Time) {
			f.mu.Lock()
			f.arrived = append(f.arrived, arrival{at: at, status: rec.status})
			f.mu.Unlock()
		}(f.clk.Now())
	}
	f.mu.Unlock()
	if next != nil {
		next(rec)
		return
	}
	_, _ = rec.Write([]byte(`{"ok":true}`))
}

// waitForTimers waits until n timers wait on clk, and fails the test when
// they do not within 10 s of real time (a call that was sent instead of
// parking would leave it waiting for ever).
func waitForTimers(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	stop := make(chan struct{})
	timer := time.AfterFunc(10*time.Second, func() { close(stop) })
	defer timer.Stop()
	require.True(t, clk.WaitForTimers(n, stop), "%d timers waiting on the clock within 10 s", n)
}

// statusRecorder keeps the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// arrivals returns the /api calls seen so far (with f.clk set).
func (f *fake) arrivals() []arrival {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]arrival(nil), f.arrived...)
}

func (f *fake) then(answers ...func(w http.ResponseWriter)) {
	f.mu.Lock()
	f.script = append(f.script, answers...)
	f.mu.Unlock()
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"detail":"personal data of jane@example.com"}`))
	}
}

type env struct {
	fake *fake
	conn *providers.Core
	clk  *clock.Fake
}

// newFake starts a fake provider; it is closed by t.Cleanup.
func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

// login is the fake's Spec.Login: alice's token, for an hour.
func (f *fake) login(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
	tok, err := postLogin(ctx, s, "/login", map[string]string{"user": "alice"})
	if err != nil {
		return nil, err
	}
	tok.Expiry = s.Now().Add(time.Hour)
	return tok, nil
}

// postLogin is the body of a test's Spec.Login: it posts body to path and
// returns the answer's {"token": …}, with no expiry.
func postLogin(ctx context.Context, s *providers.Sender, path string, body any) (*auth.Token, error) {
	req, err := s.NewRequest(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	var out struct{ Token string }
	if err := s.Do(req, "login", &out); err != nil {
		return nil, err
	}
	return &auth.Token{AccessToken: out.Token}, nil
}

// setup starts a fake provider and a client for it, in the style of
// go-github's setup(t): everything is torn down by t.Cleanup.
func setup(t *testing.T, opts ...providers.Option) *env {
	t.Helper()
	f := newFake(t)
	clk := clock.NewFake(t0)
	f.clk = clk
	base := []providers.Option{
		providers.WithClock(clk),
		providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
	}
	conn, err := providers.Build(providers.Spec{Name: "fake", BaseURL: f.srv.URL, Account: "alice", Login: f.login},
		append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &env{fake: f, conn: conn, clk: clk}
}

func (e *env) get(ctx context.Context, t *testing.T) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.fake.srv.URL+"/api", nil)
	require.NoError(t, err)
	return e.conn.HTTPClient().Do(req)
}

func (e *env) post(ctx context.Context, t *testing.T, key string) (*http.Response, error) {
	t.Helper()
	req, err := e.conn.NewRequest(ctx, http.MethodPost, "/api", map[string]int{"n": 1})
	require.NoError(t, err)
	if key != "" {
		req.Header.Set(providers.IdempotencyKeyHeader, key)
	}
	return e.conn.HTTPClient().Do(req)
}

// result is what a call made on its own goroutine came back with; the
// response body is closed.
type result struct {
	status int // 0 when err is set
	err    error
}

// async runs call on a goroutine of its own; the channel yields its
// result once it returned.
func async(call func() (*http.Response, error)) <-chan result {
	out := make(chan result, 1)
	go func() {
		resp, err := call()
		if err != nil {
			out <- result{err: err}
			return
		}
		resp.Body.Close()
		out <- result{status: resp.StatusCode}
	}()
	return out
}

// getAsync is e.get on a goroutine of its own.
func (e *env) getAsync(ctx context.Context, t *testing.T) <-chan result {
	return async(func() (*http.Response, error) { return e.get(ctx, t) })
}

// postAsync is e.post on a goroutine of its own.
func (e *env) postAsync(ctx context.Context, t *testing.T, key string) <-chan result {
	return async(func() (*http.Response, error) { return e.post(ctx, t, key) })
}

// parked waits until a goroutine parks on e.clk and returns the time its
// timer (the earliest) fires. The clock does not move.
func (e *env) parked(t *testing.T) time.Time {
	t.Helper()
	require.True(t, e.clk.WaitForTimers(1, nil), "nothing parked on the clock")
	next, ok := e.clk.NextTimer()
	require.True(t, ok, "no timer")
	return next
}

// settle moves clk to its next timer until every call has returned, and
// returns their results in call order.
func settle(clk *clock.Fake, calls ...<-chan result) []result {
	out := make([]result, len(calls))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, c := range calls {
			out[i] = <-c
		}
	}()
	pump(clk, done)
	return out
}

var tenAMinute = ratelimit.Budget{Name: "requests", Limit: 10, Window: time.Minute}

// pump moves clk to its next timer until done is closed.
func pump(clk *clock.Fake, done <-chan struct{}) {
	for clk.WaitForTimers(1, done) {
		if next, ok := clk.NextTimer(); ok {
			clk.Set(next)
		}
	}
}

// lastAuth is the Authorization of the /api call being answered (the
// last one seen).
func (f *fake) lastAuth() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.auths) == 0 {
		return ""
	}
	return f.auths[len(f.auths)-1]
}

// authsSeen returns the Authorization of every /api call so far.
func (f *fake) authsSeen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auths...)
}
