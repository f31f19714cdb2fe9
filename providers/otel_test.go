package providers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/providers/otelunikyc"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

// otelKit is an SDK meter provider on a manual reader and an SDK tracer
// provider on a span recorder.
type otelKit struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	mp     *sdkmetric.MeterProvider
	tp     *sdktrace.TracerProvider
}

func newOtelKit(t *testing.T) *otelKit {
	k := &otelKit{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	k.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(k.reader))
	k.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(k.spans))
	t.Cleanup(func() {
		_ = k.mp.Shutdown(context.Background())
		_ = k.tp.Shutdown(context.Background())
	})
	return k
}

func (k *otelKit) options() []providers.Option {
	return []providers.Option{otelunikyc.WithMeterProvider(k.mp), otelunikyc.WithTracerProvider(k.tp)}
}

// metrics collects every instrument, by name.
func (k *otelKit) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, k.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otelunikyc.ScopeName, sm.Scope.Name)
		assert.Equal(t, providers.Version, sm.Scope.Version)
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// spanNamed returns the ended spans named name.
func (k *otelKit) spanNamed(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range k.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func (k *otelKit) childrenOf(parent sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range k.spans.Ended() {
		if s.Parent().SpanID() == parent.SpanContext().SpanID() && s.Parent().TraceID() == parent.SpanContext().TraceID() {
			out = append(out, s)
		}
	}
	return out
}

func hist(t *testing.T, ms map[string]metricdata.Metrics, name, unit string, kv ...attribute.KeyValue) metricdata.HistogramDataPoint[float64] {
	t.Helper()
	m, ok := ms[name]
	require.True(t, ok, "no instrument %s", name)
	assert.Equal(t, unit, m.Unit, name)
	h, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a %T", name, m.Data)
	want := attribute.NewSet(kv...)
	for _, dp := range h.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp
		}
	}
	var have []string
	for _, dp := range h.DataPoints {
		have = append(have, dp.Attributes.Encoded(attribute.DefaultEncoder()))
	}
	require.Failf(t, "no data point", "%s{%s}; have %v", name, want.Encoded(attribute.DefaultEncoder()), have)
	return metricdata.HistogramDataPoint[float64]{}
}

func counter(t *testing.T, ms map[string]metricdata.Metrics, name, unit string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	m, ok := ms[name]
	require.True(t, ok, "no instrument %s", name)
	assert.Equal(t, unit, m.Unit, name)
	want := attribute.NewSet(kv...)
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			if dp.Attributes.Equals(&want) {
				return dp.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			if dp.Attributes.Equals(&want) {
				return dp.Value
			}
		}
	default:
		require.Failf(t, "unexpected data", "%s is a %T", name, m.Data)
	}
	require.Failf(t, "no data point", "%s{%s}", name, want.Encoded(attribute.DefaultEncoder()))
	return 0
}

func eventNames(s sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, ev := range s.Events() {
		out = append(out, ev.Name)
	}
	return out
}

func attrOf(kvs []attribute.KeyValue, key string) (attribute.Value, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

var (
	prov     = attribute.String("unikyc.provider", "fake")
	kindAPI  = attribute.String("unikyc.call.kind", "api")
	kindLog  = attribute.String("unikyc.call.kind", "login")
	localSrv = attribute.String("server.address", "127.0.0.1")
)

func portOf(t *testing.T, raw string) attribute.KeyValue {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	p, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	return attribute.Int("server.port", p)
}

func method(m string) attribute.KeyValue { return attribute.String("http.request.method", m) }
func code(c int) attribute.KeyValue      { return attribute.Int("http.response.status_code", c) }

// Rule: a login and a call make one http.client.request.duration point
// per attempt (method, status, server address and port, never the path),
// a token duration by source and outcome; the call's span has the
// attempt as a client child, and the login has its own root span that the
// call links to.
func TestOtelLoginAndCall(t *testing.T) {
	k := newOtelKit(t)
	e := setup(t, k.options()...)
	resp, err := e.get(context.Background(), t)
	require.NoError(t, err)
	resp.Body.Close()
	port := portOf(t, e.fake.srv.URL)

	ms := k.metrics(t)
	login := hist(t, ms, "http.client.request.duration", "s", prov, kindLog, method("POST"), code(200), localSrv, port)
	assert.EqualValues(t, 1, login.Count)
	api := hist(t, ms, "http.client.request.duration", "s", prov, kindAPI, method("GET"), code(200), localSrv, port)
	assert.EqualValues(t, 1, api.Count)
	tok := hist(t, ms, "unikyc.token.duration", "s", prov,
		attribute.String("unikyc.token.source", "login"), attribute.String("unikyc.outcome", "success"))
	assert.EqualValues(t, 1, tok.Count)
	assert.Equal(t, []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}, api.Bounds)
	for _, name := range []string{"unikyc.token.invalidations", "unikyc.rate_limited", "unikyc.budget.remaining"} {
		assert.NotContains(t, ms, name, "nothing happened to record")
	}

	calls := k.spanNamed("GET")
	var call, attempt sdktrace.ReadOnlySpan
	for _, s := range calls {
		if s.SpanKind() == trace.SpanKindInternal {
			call = s
		} else {
			attempt = s
		}
	}
	require.NotNil(t, call)
	require.NotNil(t, attempt)
	assert.Equal(t, []sdktrace.ReadOnlySpan{attempt}, k.childrenOf(call))
	assert.Equal(t, trace.SpanKindClient, attempt.SpanKind())
	st, _ := attrOf(attempt.Attributes(), "http.response.status_code")
	assert.EqualValues(t, 200, st.AsInt64())
	addr, _ := attrOf(attempt.Attributes(), "server.address")
	assert.Equal(t, "127.0.0.1", addr.AsString())
	assert.Equal(t, codes.Unset, attempt.Status().Code)

	flights := k.spanNamed("unikyc.token")
	require.Len(t, flights, 1)
	flight := flights[0]
	assert.False(t, flight.Parent().IsValid(), "the login is a root span")
	src, _ := attrOf(flight.Attributes(), "unikyc.token.source")
	assert.Equal(t, "login", src.AsString())
	require.Len(t, call.Links(), 1)
	assert.Equal(t, flight.SpanContext().SpanID(), call.Links()[0].SpanContext.SpanID())
	assert.Contains(t, eventNames(call), "unikyc.token.wait")
	loginCalls := k.childrenOf(flight)
	require.Len(t, loginCalls, 1)
	assert.Equal(t, "login", loginCalls[0].Name())
	require.Len(t, k.childrenOf(loginCalls[0]), 1)
	assert.Equal(t, "POST", k.childrenOf(loginCalls[0])[0].Name())
}

// Rule: a 401 counts one invalidation; the call span has both attempts as
// children, the first an error, and the invalidation and replay as events.
func TestOtelA401Replay(t *testing.T) {
	k := newOtelKit(t)
	e := setup(t, k.options()...)
	e.fake.then(status(401))
	resp, err := e.post(context.Background(), t, "")
	require.NoError(t, err)
	resp.Body.Close()
	port := portOf(t, e.fake.srv.URL)

	ms := k.metrics(t)
	assert.EqualValues(t, 1, counter(t, ms, "unikyc.token.invalidations", "{token}", prov, kindAPI))
	refused := hist(t, ms, "http.client.request.duration", "s", prov, kindAPI, method("POST"), code(401),
		attribute.String("error.type", "401"), localSrv, port)
	assert.EqualValues(t, 1, refused.Count)
	ok := hist(t, ms, "http.client.request.duration", "s", prov, kindAPI, method("POST"), code(200), localSrv, port)
	assert.EqualValues(t, 1, ok.Count)
	logins := hist(t, ms, "unikyc.token.duration", "s", prov,
		attribute.String("unikyc.token.source", "login"), attribute.String("unikyc.outcome", "success"))
	assert.EqualValues(t, 2, logins.Count)

	var call sdktrace.ReadOnlySpan
	for _, s := range k.spanNamed("POST") {
		if s.SpanKind() == trace.SpanKindInternal {
			call = s
		}
	}
	require.NotNil(t, call)
	assert.Equal(t, []string{"unikyc.token.wait", "unikyc.token.invalidated", "unikyc.replay", "unikyc.token.wait"}, eventNames(call))
	attempts := k.childrenOf(call)
	require.Len(t, attempts, 2)
	assert.Equal(t, codes.Error, attempts[0].Status().Code)
	assert.Equal(t, "401", attempts[0].Status().Description)
	resend, found := attrOf(attempts[1].Attributes(), "http.request.resend_count")
	assert.True(t, found)
	assert.EqualValues(t, 1, resend.AsInt64())
	assert.Len(t, call.Links(), 2, "the call waited for two logins")
	assert.Len(t, k.spanNamed("unikyc.token"), 2)
}

// Rule: a 429 counts once, records the pause it asked for and the wait
// of the request that sat it out, and shows on the call span as events.
func TestOtelA429CoolDown(t *testing.T) {
	k := newOtelKit(t)
	e := setup(t, k.options()...)
	warm, err := e.get(context.Background(), t)
	require.NoError(t, err)
	warm.Body.Close()
	k.spans.Reset()
	e.fake.then(status(429, "Retry-After", "2"))
	done := e.getAsync(context.Background(), t)
	e.clk.Set(e.parked(t))
	require.NoError(t, (<-done).err)

	ms := k.metrics(t)
	reqBudget := attribute.String("unikyc.budget", "requests")
	assert.EqualValues(t, 1, counter(t, ms, "unikyc.rate_limited", "{response}", prov, reqBudget))
	pause := hist(t, ms, "unikyc.cooldown.pause", "s", prov, reqBudget, code(429))
	assert.EqualValues(t, 1, pause.Count)
	assert.InDelta(t, 2.0, pause.Sum, 1e-9)
	wait := hist(t, ms, "unikyc.cooldown.wait", "s", prov, kindAPI)
	assert.EqualValues(t, 1, wait.Count)
	assert.InDelta(t, 2.0, wait.Sum, 1e-9)
	assert.EqualValues(t, 1, counter(t, ms, "unikyc.retries", "{retry}", prov, kindAPI))
	assert.EqualValues(t, 1, hist(t, ms, "http.client.request.duration", "s", prov, kindAPI, method("GET"), code(429),
		attribute.String("error.type", "429"), localSrv, portOf(t, e.fake.srv.URL)).Count)

	var call sdktrace.ReadOnlySpan
	for _, s := range k.spanNamed("GET") {
		if s.SpanKind() == trace.SpanKindInternal {
			call = s
		}
	}
	require.NotNil(t, call)
	assert.Equal(t, []string{"unikyc.cooldown.start", "unikyc.retry", "unikyc.cooldown.wait"}, eventNames(call))
	w, _ := attrOf(call.Events()[2].Attributes, "unikyc.wait")
	assert.InDelta(t, 2.0, w.AsFloat64(), 1e-9)
	assert.Len(t, k.childrenOf(call), 2)
	assert.Equal(t, codes.Unset, call.Status().Code, "the call got its 200 in the end")
}

// budgetEnv is setup with an account budget of 2 requests a minute.
func budgetEnv(t *testing.T, opts ...providers.Option) *env {
	t.Helper()
	f := newFake(t)
	clk := clock.NewFake(t0)
	conn, err := providers.Build(providers.Spec{
		Name: "fake", BaseURL: f.srv.URL, Account: "alice",
		Budgets: []ratelimit.Budget{{Name: "requests", Limit: 2, Window: time.Minute, Margin: -1}},
		Login:   f.login,
	}, append([]providers.Option{providers.WithClock(clk)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &env{fake: f, conn: conn, clk: clk}
}

// Rule: a wait for a budget slot is recorded by budget name and shows on
// the call span; the budget's remaining slots and queue are gauges, gone
// once the client is closed.
func TestOtelBudgetWait(t *testing.T) {
	k := newOtelKit(t)
	e := budgetEnv(t, k.options()...)
	resp, err := e.get(context.Background(), t) // the login and this call spend the budget
	require.NoError(t, err)
	resp.Body.Close()
	reqBudget := attribute.String("unikyc.budget", "requests")
	ms := k.metrics(t)
	assert.EqualValues(t, 0, counter(t, ms, "unikyc.budget.remaining", "{request}", prov, reqBudget))
	assert.EqualValues(t, 0, counter(t, ms, "unikyc.budget.queued", "{request}", prov, reqBudget))
	assert.NotContains(t, ms, "unikyc.budget.wait")

	done := e.getAsync(context.Background(), t)
	next := e.parked(t)
	assert.EqualValues(t, 1, counter(t, k.metrics(t), "unikyc.budget.queued", "{request}", prov, reqBudget))
	e.clk.Set(next)
	require.NoError(t, (<-done).err)

	ms = k.metrics(t)
	wait := hist(t, ms, "unikyc.budget.wait", "s", prov, kindAPI, reqBudget)
	assert.EqualValues(t, 1, wait.Count)
	assert.InDelta(t, 60.0, wait.Sum, 1e-9)
	assert.EqualValues(t, 1, counter(t, ms, "unikyc.budget.remaining", "{request}", prov, reqBudget))
	assert.EqualValues(t, 0, counter(t, ms, "unikyc.budget.queued", "{request}", prov, reqBudget))

	var events []string
	for _, s := range k.spanNamed("GET") {
		if s.SpanKind() == trace.SpanKindInternal {
			events = append(events, eventNames(s)...)
		}
	}
	assert.Contains(t, events, "unikyc.budget.wait")

	require.NoError(t, e.conn.Close())
	assert.NotContains(t, k.metrics(t), "unikyc.budget.remaining", "Close unregisters the gauges")
}

type callerKey struct{}

// Rule: the shared login runs on a context of its own: it is a root span,
// linked from every caller that waited for it, never parented under the
// caller that started it, and it sees none of the callers' values,
// baggage or spans.
func TestOtelSharedLoginIsLinkedNotParented(t *testing.T) {
	k := newOtelKit(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			_ = json.NewEncoder(w).Encode(map[string]string{"token": "tok-shared"})
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	release := make(chan struct{})
	var (
		logins     atomic.Int64
		seenValue  atomic.Value
		seenBag    atomic.Value
		seenParent atomic.Value
	)
	conn, err := providers.Build(providers.Spec{
		Name: "fake", BaseURL: srv.URL,
		Login: func(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
			logins.Add(1)
			seenValue.Store(fmt.Sprint(ctx.Value(callerKey{})))
			seenBag.Store(baggage.FromContext(ctx).String())
			seenParent.Store(trace.SpanContextFromContext(ctx))
			<-release
			return postLogin(ctx, s, "/login", nil)
		},
	}, k.options()...)
	require.NoError(t, err)
	defer conn.Close()

	outer := k.tp.Tracer("test")
	member, err := baggage.NewMember("tenant", "acme")
	require.NoError(t, err)
	bag, err := baggage.New(member)
	require.NoError(t, err)
	var wg sync.WaitGroup
	parents := make([]trace.SpanContext, 2)
	for i := range 2 {
		ctx := context.WithValue(baggage.ContextWithBaggage(context.Background(), bag), callerKey{}, "caller")
		ctx, parent := outer.Start(ctx, fmt.Sprintf("caller-%d", i))
		parents[i] = parent.SpanContext()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer parent.End()
			req, err := conn.NewRequest(ctx, http.MethodGet, "/api", nil)
			if !assert.NoError(t, err) {
				return
			}
			assert.NoError(t, conn.Do(req, "read", nil))
		}()
	}
	for conn.TokenSource().(*tokencache.Cache).Waiting() < 2 {
		time.Sleep(time.Millisecond) // until both callers wait for the one login
	}
	close(release)
	wg.Wait()

	assert.EqualValues(t, 1, logins.Load())
	assert.Equal(t, "<nil>", seenValue.Load(), "no caller's value reaches the login")
	assert.Equal(t, "", seenBag.Load(), "no caller's baggage reaches the login")
	flights := k.spanNamed("unikyc.token")
	require.Len(t, flights, 1)
	flight := flights[0]
	assert.Equal(t, flight.SpanContext(), seenParent.Load(), "the login runs under its own span")
	assert.False(t, flight.Parent().IsValid(), "not parented under a caller")
	for _, p := range parents {
		assert.NotEqual(t, p.TraceID(), flight.SpanContext().TraceID())
	}
	calls := k.spanNamed("read")
	require.Len(t, calls, 2)
	for _, c := range calls {
		require.Len(t, c.Links(), 1)
		assert.Equal(t, flight.SpanContext().TraceID(), c.Links()[0].SpanContext.TraceID())
		assert.Equal(t, flight.SpanContext().SpanID(), c.Links()[0].SpanContext.SpanID())
		assert.True(t, c.Parent().SpanID() == parents[0].SpanID() || c.Parent().SpanID() == parents[1].SpanID(),
			"each call span is its caller's child")
	}
	assert.Equal(t, []string{"login"}, spanNames(k.childrenOf(flight)))
}

func spanNames(ss []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name())
	}
	return out
}

// Rule: no password, token, path, query or answer body appears in any
// span name, attribute, event, link or status, nor in any metric's
// attributes.
func TestOtelCarriesNoSecrets(t *testing.T) {
	k := newOtelKit(t)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/login" {
			_ = json.NewEncoder(w).Encode(map[string]string{"token": fmt.Sprintf("tok-SECRET-%d", n.Add(1))})
			return
		}
		if n.Load() == 1 {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"detail":"jane@example.com is not allowed"}`))
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"detail":"jane@example.com slow down"}`))
	}))
	defer srv.Close()
	conn, err := providers.Build(providers.Spec{
		Name: "fake", BaseURL: srv.URL, Account: "alice",
		Login: func(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
			return postLogin(ctx, s, "/auth/login", map[string]string{"user": "alice", "password": "PW-SECRET"})
		},
	}, append(k.options(), providers.WithRetryPolicy(providers.RetryPolicy{MaxRetries: -1}))...)
	require.NoError(t, err)
	defer conn.Close()
	req, err := conn.NewRequest(context.Background(), http.MethodGet, "/customers/CUST-4711/kyc?email=jane@example.com", nil)
	require.NoError(t, err)
	err = conn.Do(req, "customer", nil)
	require.ErrorIs(t, err, providers.ErrRateLimited)

	var texts []string
	add := func(kvs ...attribute.KeyValue) {
		for _, kv := range kvs {
			texts = append(texts, string(kv.Key)+"="+kv.Value.String())
		}
	}
	spans := k.spans.Ended()
	require.NotEmpty(t, spans)
	for _, s := range spans {
		texts = append(texts, s.Name(), s.Status().Description)
		add(s.Attributes()...)
		for _, ev := range s.Events() {
			texts = append(texts, ev.Name)
			add(ev.Attributes...)
		}
		for _, l := range s.Links() {
			add(l.Attributes...)
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, k.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			texts = append(texts, m.Name, m.Description)
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes.ToSlice()...)
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes.ToSlice()...)
				}
			}
		}
	}
	all := strings.Join(texts, "\n")
	for _, secret := range []string{"SECRET", "PW-", "CUST-4711", "jane", "customers", "/auth", "email", "Bearer"} {
		assert.NotContains(t, all, secret)
	}
	assert.Contains(t, all, "error.type=429", "the texts were collected")
}

// Rule: without a provider the client touches no span of the caller's:
// no event, no link, no child.
func TestOtelNotInstalledTouchesNoSpan(t *testing.T) {
	k := newOtelKit(t)
	e := setup(t)
	e.fake.then(status(401))
	ctx, parent := k.tp.Tracer("test").Start(context.Background(), "caller")
	resp, err := e.post(ctx, t, "")
	require.NoError(t, err)
	resp.Body.Close()
	parent.End()
	spans := k.spans.Ended()
	require.Len(t, spans, 1)
	assert.Empty(t, spans[0].Events())
	assert.Empty(t, spans[0].Links())
}

// Rule: a failed login is recorded with outcome failure and its error
// type; its span and the call's carry status Error.
func TestOtelFailedLogin(t *testing.T) {
	k := newOtelKit(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"detail":"bad credentials"}`))
	}))
	defer srv.Close()
	conn, err := providers.Build(providers.Spec{
		Name: "fake", BaseURL: srv.URL,
		Login: func(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
			req, err := s.NewRequest(ctx, http.MethodPost, "/login", nil)
			if err != nil {
				return nil, err
			}
			return nil, s.Do(req, "login", nil)
		},
	}, k.options()...)
	require.NoError(t, err)
	defer conn.Close()
	req, err := conn.NewRequest(context.Background(), http.MethodGet, "/api", nil)
	require.NoError(t, err)
	require.ErrorIs(t, conn.Do(req, "read", nil), providers.ErrUnauthorized)

	ms := k.metrics(t)
	failed := hist(t, ms, "unikyc.token.duration", "s", prov, attribute.String("unikyc.token.source", "login"),
		attribute.String("unikyc.outcome", "failure"), attribute.String("error.type", "401"))
	assert.EqualValues(t, 1, failed.Count)
	assert.EqualValues(t, 1, hist(t, ms, "http.client.request.duration", "s", prov, kindLog, method("POST"), code(401),
		attribute.String("error.type", "401"), localSrv, portOf(t, srv.URL)).Count)

	flights := k.spanNamed("unikyc.token")
	require.Len(t, flights, 1)
	assert.Equal(t, codes.Error, flights[0].Status().Code)
	_, hasSource := attrOf(flights[0].Attributes(), "unikyc.token.source")
	assert.False(t, hasSource, "no token came")
	calls := k.spanNamed("read")
	require.Len(t, calls, 1)
	assert.Equal(t, codes.Error, calls[0].Status().Code)
	assert.Equal(t, "401", calls[0].Status().Description)
	assert.Empty(t, k.childrenOf(calls[0]), "nothing was sent for the call")
	require.Len(t, calls[0].Links(), 1)
}
