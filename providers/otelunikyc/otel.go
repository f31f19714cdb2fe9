package otelunikyc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/unikyc/unikyc/providers"
)

// ScopeName is the instrumentation scope of the meter and tracer a client
// takes from the providers given with [WithMeterProvider] and
// [WithTracerProvider].
const ScopeName = "github.com/unikyc/unikyc/providers/otelunikyc"

// WithMeterProvider records the client's metrics with instruments from mp
// (see the package doc).
func WithMeterProvider(mp metric.MeterProvider) providers.Option {
	return providers.WithSubscriber(func(c providers.ClientInfo) (*providers.Trace, func(), error) {
		m, err := newMeters(mp, c)
		if err != nil {
			return nil, nil, fmt.Errorf("opentelemetry instruments: %w", err)
		}
		return m.trace(), m.close, nil
	})
}

// WithTracerProvider traces the client's calls with tracers from tp (see
// the package doc).
func WithTracerProvider(tp trace.TracerProvider) providers.Option {
	return providers.WithSubscriber(func(c providers.ClientInfo) (*providers.Trace, func(), error) {
		return newTracer(tp, c).trace(), nil, nil
	})
}

// Attribute keys. Those of the OpenTelemetry semantic conventions are
// spelled as the conventions do; the unikyc.* ones are this module's.
const (
	attrMethod      = attribute.Key("http.request.method")
	attrStatus      = attribute.Key("http.response.status_code")
	attrResend      = attribute.Key("http.request.resend_count")
	attrErrorType   = attribute.Key("error.type")
	attrServerAddr  = attribute.Key("server.address")
	attrServerPort  = attribute.Key("server.port")
	attrProvider    = attribute.Key("unikyc.provider")
	attrKind        = attribute.Key("unikyc.call.kind")
	attrOperation   = attribute.Key("unikyc.operation")
	attrBudget      = attribute.Key("unikyc.budget")
	attrSource      = attribute.Key("unikyc.token.source")
	attrOutcome     = attribute.Key("unikyc.outcome")
	attrAttempt     = attribute.Key("unikyc.attempt")
	attrWait        = attribute.Key("unikyc.wait")
	flightSpanName  = "unikyc.token"
	maxAttemptAttrs = 256 // attribute sets cached per client; more are built per record
)

// Span event names, on the call span.
const (
	eventRetry       = "unikyc.retry"
	eventReplay      = "unikyc.replay"
	eventInvalidated = "unikyc.token.invalidated"
	eventPause       = "unikyc.cooldown.start"
	eventCoolDown    = "unikyc.cooldown.wait"
	eventBudget      = "unikyc.budget.wait"
	eventTokenWait   = "unikyc.token.wait"
)

// durationBuckets are the semantic conventions' advice for
// http.client.request.duration, used for every duration histogram here.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// meters records one client's metrics.
type meters struct {
	provider      attribute.KeyValue
	addr, port    attribute.KeyValue // the configured base URL's, never a redirect's
	attemptDur    metric.Float64Histogram
	tokenDur      metric.Float64Histogram
	invalidations metric.Int64Counter
	rateLimited   metric.Int64Counter
	retries       metric.Int64Counter
	pauseDur      metric.Float64Histogram
	coolWait      metric.Float64Histogram
	budgetWait    metric.Float64Histogram
	gauges        metric.Registration

	mu       sync.RWMutex
	attempts map[attemptKey]metric.MeasurementOption
}

type attemptKey struct {
	kind      providers.CallKind
	method    string
	status    int
	errorType string
}

func newMeters(mp metric.MeterProvider, c providers.ClientInfo) (*meters, error) {
	t := &meters{provider: attrProvider.String(c.Provider), attempts: make(map[attemptKey]metric.MeasurementOption)}
	t.addr, t.port = baseServer(c)
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(providers.Version))
	var errs [8]error
	buckets := metric.WithExplicitBucketBoundaries(durationBuckets...)
	t.attemptDur, errs[0] = m.Float64Histogram("http.client.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP client requests (each attempt)."), buckets)
	t.tokenDur, errs[1] = m.Float64Histogram("unikyc.token.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of obtaining a token: a login, a refresh or a read from the shared store."), buckets)
	t.invalidations, errs[2] = m.Int64Counter("unikyc.token.invalidations", metric.WithUnit("{token}"),
		metric.WithDescription("Tokens dropped because the provider answered 401."))
	t.rateLimited, errs[3] = m.Int64Counter("unikyc.rate_limited", metric.WithUnit("{response}"),
		metric.WithDescription("429 answers received."))
	t.retries, errs[4] = m.Int64Counter("unikyc.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Attempts the client will send again after an error, a 5xx or a 429."))
	t.pauseDur, errs[5] = m.Float64Histogram("unikyc.cooldown.pause", metric.WithUnit("s"),
		metric.WithDescription("Pauses (cool-downs) the provider asked for with a 429 or a 503 with Retry-After."), buckets)
	t.coolWait, errs[6] = m.Float64Histogram("unikyc.cooldown.wait", metric.WithUnit("s"),
		metric.WithDescription("Time a request waited for a cool-down to end."), buckets)
	t.budgetWait, errs[7] = m.Float64Histogram("unikyc.budget.wait", metric.WithUnit("s"),
		metric.WithDescription("Time a request waited for a slot of a budget."), buckets)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return t, t.observeBudgets(m, c)
}

// observeBudgets registers the budget gauges: the remaining slots and the
// queue of every budget whose limiter can tell (WindowLimiter can).
func (t *meters) observeBudgets(m metric.Meter, c providers.ClientInfo) error {
	type remainer interface{ Remaining() int }
	type queuer interface{ Queued() int }
	type obs struct {
		rem  remainer
		q    queuer
		attr metric.ObserveOption
	}
	var list []obs
	for i, l := range c.Limiters {
		r, okR := l.(remainer)
		q, okQ := l.(queuer)
		if !okR && !okQ {
			continue
		}
		list = append(list, obs{rem: r, q: q,
			attr: metric.WithAttributeSet(attribute.NewSet(t.provider, attrBudget.String(c.Budgets[i].Name)))})
	}
	if len(list) == 0 {
		return nil
	}
	remaining, err1 := m.Int64ObservableGauge("unikyc.budget.remaining", metric.WithUnit("{request}"),
		metric.WithDescription("Requests a budget admits now without waiting."))
	queued, err2 := m.Int64ObservableGauge("unikyc.budget.queued", metric.WithUnit("{request}"),
		metric.WithDescription("Requests waiting for a slot of a budget."))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, b := range list {
			if b.rem != nil {
				o.ObserveInt64(remaining, int64(b.rem.Remaining()), b.attr)
			}
			if b.q != nil {
				o.ObserveInt64(queued, int64(b.q.Queued()), b.attr)
			}
		}
		return nil
	}, remaining, queued)
	t.gauges = reg
	return err
}

func (t *meters) close() {
	if t.gauges != nil {
		_ = t.gauges.Unregister()
	}
}

func (t *meters) kindSet(kind providers.CallKind, extra ...attribute.KeyValue) metric.MeasurementOption {
	kv := append([]attribute.KeyValue{t.provider, attrKind.String(kind.String())}, extra...)
	return metric.WithAttributeSet(attribute.NewSet(kv...))
}

// trace is the meters' subscription to the client's events.
func (t *meters) trace() *providers.Trace {
	return &providers.Trace{
		AttemptDone: func(ctx context.Context, r providers.AttemptResult) {
			if t.attemptDur.Enabled(ctx) {
				t.attemptDur.Record(ctx, r.Duration.Seconds(), t.attemptAttrs(r))
			}
		},
		Retry: func(ctx context.Context, r providers.Retry) {
			if t.retries.Enabled(ctx) {
				t.retries.Add(ctx, 1, t.kindSet(r.Kind))
			}
		},
		Invalidated: func(ctx context.Context, a providers.Attempt) {
			if t.invalidations.Enabled(ctx) {
				t.invalidations.Add(ctx, 1, t.kindSet(a.Kind))
			}
		},
		CoolDownStart: func(ctx context.Context, w providers.Wait) {
			if w.Throttled && t.rateLimited.Enabled(ctx) {
				t.rateLimited.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(t.provider, attrBudget.String(w.Budget))))
			}
			if t.pauseDur.Enabled(ctx) {
				t.pauseDur.Record(ctx, w.Wait.Seconds(), metric.WithAttributeSet(attribute.NewSet(
					t.provider, attrBudget.String(w.Budget), attrStatus.Int(w.StatusCode))))
			}
		},
		CoolDownWait: func(ctx context.Context, w providers.Wait) {
			if t.coolWait.Enabled(ctx) {
				t.coolWait.Record(ctx, w.Wait.Seconds(), t.kindSet(w.Kind))
			}
		},
		BudgetWait: func(ctx context.Context, w providers.Wait) {
			if t.budgetWait.Enabled(ctx) {
				t.budgetWait.Record(ctx, w.Wait.Seconds(), t.kindSet(w.Kind, attrBudget.String(w.Budget)))
			}
		},
		TokenObtained: t.token,
		TokenFailed:   t.token,
	}
}

// attemptAttrs returns the attribute set of an attempt's measurement,
// cached per kind, method, status, error type and server.
func (t *meters) attemptAttrs(r providers.AttemptResult) metric.MeasurementOption {
	method, _ := normalMethod(r.Method)
	k := attemptKey{kind: r.Kind, method: method, status: r.StatusCode}
	if r.Err != nil || r.StatusCode >= 400 {
		k.errorType = errorType(r.StatusCode, r.Err)
	}
	t.mu.RLock()
	opt, ok := t.attempts[k]
	t.mu.RUnlock()
	if ok {
		return opt
	}
	kv := make([]attribute.KeyValue, 0, 7)
	kv = append(kv, t.provider, attrKind.String(k.kind.String()), attrMethod.String(method), t.addr, t.port)
	if r.StatusCode > 0 {
		kv = append(kv, attrStatus.Int(r.StatusCode))
	}
	if k.errorType != "" {
		kv = append(kv, attrErrorType.String(k.errorType))
	}
	opt = metric.WithAttributeSet(attribute.NewSet(kv...))
	t.mu.Lock()
	if len(t.attempts) < maxAttemptAttrs {
		t.attempts[k] = opt
	}
	t.mu.Unlock()
	return opt
}

// token records one login, refresh or store read, or a failure of one.
func (t *meters) token(ctx context.Context, ev providers.TokenEvent) {
	if !t.tokenDur.Enabled(ctx) {
		return
	}
	kv := []attribute.KeyValue{t.provider, attrSource.String(ev.Source), attrOutcome.String("success")}
	if ev.Err != nil {
		kv[2] = attrOutcome.String("failure")
		kv = append(kv, attrErrorType.String(errorType(0, ev.Err)))
	}
	t.tokenDur.Record(ctx, ev.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(kv...)))
}

// tracer traces one client's calls.
type tracer struct {
	tracer                trace.Tracer
	provider              attribute.KeyValue
	addr, port            attribute.KeyValue // the configured base URL's, never a redirect's
	callOpts, attemptOpts []trace.SpanStartOption
	flightOpts            []trace.SpanStartOption
}

// Our spans travel in the contexts the hooks return under these keys, so
// that a hook never ends or annotates a span that is not ours (the
// caller's, say).
type (
	callSpanKey    struct{}
	attemptSpanKey struct{}
)

func newTracer(tp trace.TracerProvider, c providers.ClientInfo) *tracer {
	t := &tracer{provider: attrProvider.String(c.Provider)}
	t.addr, t.port = baseServer(c)
	t.tracer = tp.Tracer(ScopeName, trace.WithInstrumentationVersion(providers.Version))
	t.callOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(t.provider)}
	t.attemptOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(t.provider)}
	t.flightOpts = []trace.SpanStartOption{trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(t.provider)}
	return t
}

func (t *tracer) trace() *providers.Trace {
	return &providers.Trace{
		CallStart:    t.callStart,
		CallDone:     t.callDone,
		AttemptStart: t.attemptStart,
		AttemptDone: func(ctx context.Context, r providers.AttemptResult) {
			if s, ok := ctx.Value(attemptSpanKey{}).(trace.Span); ok {
				finish(s, r.StatusCode, r.Err)
				s.End()
			}
		},
		Retry: func(ctx context.Context, r providers.Retry) {
			event(ctx, eventRetry, attrAttempt.Int(r.Attempt.Attempt), attrStatus.Int(r.StatusCode), attrWait.Float64(r.Wait.Seconds()))
		},
		Replay: func(ctx context.Context, a providers.Attempt) {
			event(ctx, eventReplay, attrAttempt.Int(a.Attempt))
		},
		Invalidated: func(ctx context.Context, a providers.Attempt) {
			event(ctx, eventInvalidated, attrAttempt.Int(a.Attempt))
		},
		CoolDownStart: func(ctx context.Context, w providers.Wait) {
			event(ctx, eventPause, attrBudget.String(w.Budget), attrStatus.Int(w.StatusCode), attrWait.Float64(w.Wait.Seconds()))
		},
		CoolDownWait: func(ctx context.Context, w providers.Wait) {
			event(ctx, eventCoolDown, attrWait.Float64(w.Wait.Seconds()))
		},
		BudgetWait: func(ctx context.Context, w providers.Wait) {
			event(ctx, eventBudget, attrBudget.String(w.Budget), attrWait.Float64(w.Wait.Seconds()))
		},
		FlightStart: func(ctx context.Context) context.Context {
			ctx, _ = t.tracer.Start(ctx, flightSpanName, t.flightOpts...)
			return ctx
		},
		FlightJoin: func(caller, flight context.Context) {
			s := trace.SpanFromContext(caller)
			if !s.IsRecording() {
				return
			}
			if fc := trace.SpanContextFromContext(flight); fc.IsValid() {
				s.AddLink(trace.Link{SpanContext: fc})
			}
			s.AddEvent(eventTokenWait)
		},
		FlightDone: func(ctx context.Context, e providers.TokenEvent) {
			s := trace.SpanFromContext(ctx)
			if e.Source != "" {
				s.SetAttributes(attrSource.String(e.Source))
			}
			finish(s, 0, e.Err)
			s.End()
		},
	}
}

// callStart starts the span of one logical call: a typed call, a token
// call, or one request through HTTPClient (each redirect hop is one).
func (t *tracer) callStart(ctx context.Context, c providers.Call) context.Context {
	method, known := normalMethod(c.Method)
	name := c.Operation
	if name == "" {
		name = method
		if !known {
			name = "HTTP"
		}
	}
	sctx, s := t.tracer.Start(ctx, name, t.callOpts...)
	if !s.IsRecording() && !s.SpanContext().IsValid() {
		return ctx // a no-op span: nothing to end, annotate or parent
	}
	if s.IsRecording() {
		s.SetAttributes(attrKind.String(c.Kind.String()), attrMethod.String(method))
		if c.Operation != "" {
			s.SetAttributes(attrOperation.String(c.Operation))
		}
	}
	return context.WithValue(sctx, callSpanKey{}, s)
}

// callDone ends the call span with the final answer or error.
func (t *tracer) callDone(ctx context.Context, r providers.CallResult) {
	if s, ok := ctx.Value(callSpanKey{}).(trace.Span); ok {
		finish(s, r.StatusCode, r.Err)
		s.End()
	}
}

// attemptStart starts the span of one attempt, a child of the call span;
// the request the base transport gets carries it in its context, so that
// an otelhttp transport, say, sees it.
func (t *tracer) attemptStart(ctx context.Context, a providers.Attempt) context.Context {
	cs, ok := ctx.Value(callSpanKey{}).(trace.Span)
	if !ok || !cs.IsRecording() && !cs.SpanContext().IsValid() {
		// The call's span is a no-op (a no-op tracer): so would the
		// attempt's be, and starting it costs a context.
		return ctx
	}
	method, known := normalMethod(a.Method)
	name := method
	if !known {
		name = "HTTP"
	}
	actx, s := t.tracer.Start(ctx, name, t.attemptOpts...)
	if s.IsRecording() {
		s.SetAttributes(attrMethod.String(method), t.addr, t.port)
		if a.Attempt > 0 {
			s.SetAttributes(attrResend.Int(a.Attempt))
		}
	}
	if !s.SpanContext().IsValid() {
		s.End()
		return ctx
	}
	return context.WithValue(actx, attemptSpanKey{}, s)
}

// event adds a span event to our call span in ctx (never to a caller's).
func event(ctx context.Context, name string, kv ...attribute.KeyValue) {
	if s, ok := ctx.Value(callSpanKey{}).(trace.Span); ok && s.IsRecording() {
		s.AddEvent(name, trace.WithAttributes(kv...))
	}
}

// finish sets a span's status from an answer's status code or an error.
// The description is the error type, never the error's text (a transport
// error may quote an address; nothing here quotes a URL or a secret).
func finish(s trace.Span, status int, err error) {
	if !s.IsRecording() {
		return
	}
	if status > 0 {
		s.SetAttributes(attrStatus.Int(status))
	}
	if err != nil || status >= 400 {
		et := errorType(status, err)
		s.SetAttributes(attrErrorType.String(et))
		s.SetStatus(codes.Error, et)
	}
}

// errorType is the error.type of an answer or a failure: the status code
// for an answer of 400 or more, else a short name of the error.
func errorType(status int, err error) string {
	if err == nil {
		if status >= 400 {
			return strconv.Itoa(status)
		}
		return ""
	}
	var rl *providers.RateLimitError
	var e *providers.Error
	var te *providers.TransportError
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		return "rate_limited"
	case errors.As(err, &e):
		return strconv.Itoa(e.StatusCode)
	case errors.Is(err, providers.ErrClosed):
		return "closed"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &te) && te.Err != nil:
		err = te.Err
	}
	for {
		// The innermost error's type names the failure (*net.OpError, …).
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		if _, ok := err.(*net.OpError); ok {
			break
		}
		err = u
	}
	return fmt.Sprintf("%T", err)
}

// normalMethod returns the method as the semantic conventions name it:
// one of the known methods, else "_OTHER".
func normalMethod(m string) (string, bool) {
	switch m {
	case "":
		return http.MethodGet, true
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch,
		http.MethodHead, http.MethodOptions, http.MethodConnect, http.MethodTrace, "QUERY":
		return m, true
	}
	return "_OTHER", false
}

// baseServer returns server.address and server.port of the client's
// configured base URL. Attributes never follow a redirect: where a server
// sends a request is the server's choice, and each new host would be a new
// attribute set (one client made 459), so the sets stay bounded by the
// accounts configured.
func baseServer(c providers.ClientInfo) (attribute.KeyValue, attribute.KeyValue) {
	var host, port string
	if c.BaseURL != nil {
		host, port = c.BaseURL.Hostname(), c.BaseURL.Port()
		if port == "" {
			port = "443"
			if strings.EqualFold(c.BaseURL.Scheme, "http") {
				port = "80"
			}
		}
	}
	p, _ := strconv.Atoi(port)
	return attrServerAddr.String(strings.ToLower(host)), attrServerPort.Int(p)
}
