package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/unikyc/unikyc/tokencache"
)

// ScopeName is the instrumentation scope of the meter and tracer a client
// takes from the providers given with [WithMeterProvider] and
// [WithTracerProvider].
const ScopeName = "github.com/unikyc/unikyc/providers"

// WithMeterProvider records the client's metrics with instruments from mp
// (see "OpenTelemetry" in the package doc). Without it the client makes no
// instrument and records nothing. The library uses the OpenTelemetry API
// only: the SDK, exporters and views are the application's choice.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = mp }
}

// WithTracerProvider traces the client's calls with tracers from tp (see
// "OpenTelemetry" in the package doc). Without it the client starts no
// span and touches no span of the caller's.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
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

// telemetry is the OpenTelemetry subscriber of one client's pipeline. The
// pipeline holds nil when neither provider was given, and then calls none
// of it. Unlike the Trace hooks, it sees each event's context, which spans
// need.
type telemetry struct {
	tracer trace.Tracer // nil: no traces

	// Metrics; meter is false when no MeterProvider was given.
	meter         bool
	attemptDur    metric.Float64Histogram
	tokenDur      metric.Float64Histogram
	invalidations metric.Int64Counter
	rateLimited   metric.Int64Counter
	retries       metric.Int64Counter
	pauseDur      metric.Float64Histogram
	coolWait      metric.Float64Histogram
	budgetWait    metric.Float64Histogram
	gauges        metric.Registration

	provider              attribute.KeyValue
	originAddr, originPrt attribute.KeyValue // the provider's own origin
	callOpts, attemptOpts []trace.SpanStartOption
	flightOpts            []trace.SpanStartOption

	mu       sync.RWMutex
	attempts map[attemptKey]metric.MeasurementOption
}

type attemptKey struct {
	kind      CallKind
	method    string
	status    int
	errorType string
}

// span is a span the pipeline started, or none; pipeline.go needs no
// OpenTelemetry import.
type span struct{ s trace.Span }

func newTelemetry(provider string, base *url.URL, o *options) (*telemetry, error) {
	if o.meterProvider == nil && o.tracerProvider == nil {
		return nil, nil
	}
	host, port := hostPort(base)
	t := &telemetry{
		provider:   attrProvider.String(provider),
		originAddr: attrServerAddr.String(host),
		originPrt:  attrServerPort.Int(port),
		attempts:   make(map[attemptKey]metric.MeasurementOption),
	}
	if tp := o.tracerProvider; tp != nil {
		t.tracer = tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
		t.callOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(t.provider)}
		t.attemptOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(t.provider)}
		t.flightOpts = []trace.SpanStartOption{trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(t.provider)}
	}
	if mp := o.meterProvider; mp != nil {
		if err := t.instruments(mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version))); err != nil {
			return nil, fmt.Errorf("unikyc: %s: opentelemetry instruments: %w", provider, err)
		}
	}
	return t, nil
}

func (t *telemetry) instruments(m metric.Meter) error {
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
	t.meter = true
	return errors.Join(errs[:]...)
}

// observeBudgets registers the budget gauges: the remaining slots and the
// queue of every budget whose limiter can tell (WindowLimiter can).
func (t *telemetry) observeBudgets(mp metric.MeterProvider, scopes []*scope) error {
	type remainer interface{ Remaining() int }
	type queuer interface{ Queued() int }
	type obs struct {
		rem  remainer
		q    queuer
		attr metric.ObserveOption
	}
	var list []obs
	for _, s := range scopes {
		r, okR := s.limiter.(remainer)
		q, okQ := s.limiter.(queuer)
		if !okR && !okQ {
			continue
		}
		list = append(list, obs{rem: r, q: q,
			attr: metric.WithAttributeSet(attribute.NewSet(t.provider, attrBudget.String(s.budget.Name)))})
	}
	if len(list) == 0 {
		return nil
	}
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version))
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

func (t *telemetry) close() {
	if t.gauges != nil {
		_ = t.gauges.Unregister()
	}
}

// callStart starts the span of one logical call: a typed call, a token
// call, or one request through HTTPClient (each redirect hop is one).
func (t *telemetry) callStart(ctx context.Context, c *call, req *http.Request) (context.Context, span) {
	if t.tracer == nil {
		return ctx, span{}
	}
	method, known := normalMethod(req.Method)
	name := c.operation
	if name == "" {
		name = method
		if !known {
			name = "HTTP"
		}
	}
	ctx, s := t.tracer.Start(ctx, name, t.callOpts...)
	if s.IsRecording() {
		s.SetAttributes(attrKind.String(c.kind.String()), attrMethod.String(method))
		if c.operation != "" {
			s.SetAttributes(attrOperation.String(c.operation))
		}
	}
	return ctx, span{s}
}

// callEnd ends the call span with the final answer or error.
func (t *telemetry) callEnd(sp span, resp *http.Response, err error) {
	if sp.s == nil {
		return
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	finish(sp.s, status, err)
	sp.s.End()
}

// attemptStart starts the span of one attempt, a child of the call span,
// and returns the request carrying it, so that the base transport (an
// otelhttp transport, say) sees it.
func (t *telemetry) attemptStart(ctx context.Context, p *pipeline, req *http.Request, n int) (*http.Request, span) {
	if t.tracer == nil {
		return req, span{}
	}
	if cs := trace.SpanFromContext(ctx); !cs.IsRecording() && !cs.SpanContext().IsValid() {
		// The call's span is a no-op (a no-op tracer): so would the
		// attempt's be, and starting it costs a context.
		return req, span{}
	}
	method, known := normalMethod(req.Method)
	name := method
	if !known {
		name = "HTTP"
	}
	actx, s := t.tracer.Start(ctx, name, t.attemptOpts...)
	if s.IsRecording() {
		addr, port := t.server(p, req)
		s.SetAttributes(attrMethod.String(method), addr, port)
		if n > 0 {
			s.SetAttributes(attrResend.Int(n))
		}
	}
	if s.SpanContext().IsValid() {
		req = req.WithContext(actx)
	}
	return req, span{s}
}

// timed reports whether attempts' durations are recorded, so the pipeline
// reads the clock for them.
func (t *telemetry) timed(ctx context.Context) bool { return t.meter && t.attemptDur.Enabled(ctx) }

// attemptDone records the attempt's duration (from start, on the client's
// clock) and ends its span.
func (t *telemetry) attemptDone(ctx context.Context, sp span, p *pipeline, c *call, req *http.Request, resp *http.Response, err error, start time.Time) {
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if sp.s != nil {
		finish(sp.s, status, err)
		sp.s.End()
	}
	if !t.meter || !t.attemptDur.Enabled(ctx) {
		return
	}
	t.attemptDur.Record(ctx, p.clk.Now().Sub(start).Seconds(), t.attemptAttrs(p, c, req, status, err))
}

// attemptAttrs returns the attribute set of an attempt's measurement,
// cached per kind, method, status and error type for the provider's own
// origin.
func (t *telemetry) attemptAttrs(p *pipeline, c *call, req *http.Request, status int, err error) metric.MeasurementOption {
	method, _ := normalMethod(req.Method)
	k := attemptKey{kind: c.kind, method: method, status: status}
	if err != nil || status >= 400 {
		k.errorType = errorType(status, err)
	}
	origin := p.sameOrigin(req)
	if origin {
		t.mu.RLock()
		opt, ok := t.attempts[k]
		t.mu.RUnlock()
		if ok {
			return opt
		}
	}
	addr, port := t.server(p, req)
	kv := make([]attribute.KeyValue, 0, 7)
	kv = append(kv, t.provider, attrKind.String(k.kind.String()), attrMethod.String(method), addr, port)
	if status > 0 {
		kv = append(kv, attrStatus.Int(status))
	}
	if k.errorType != "" {
		kv = append(kv, attrErrorType.String(k.errorType))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kv...))
	if origin {
		t.mu.Lock()
		if len(t.attempts) < maxAttemptAttrs {
			t.attempts[k] = opt
		}
		t.mu.Unlock()
	}
	return opt
}

// server returns server.address and server.port of req: the provider's
// origin, or another one after a redirect. Never a path or a query.
func (t *telemetry) server(p *pipeline, req *http.Request) (attribute.KeyValue, attribute.KeyValue) {
	if p.sameOrigin(req) {
		return t.originAddr, t.originPrt
	}
	host, port := hostPort(req.URL)
	return attrServerAddr.String(host), attrServerPort.Int(port)
}

// event adds a span event to the call span in ctx (only when tracing:
// otherwise ctx's span is the caller's, not ours).
func (t *telemetry) event(ctx context.Context, name string, kv ...attribute.KeyValue) {
	if t.tracer == nil {
		return
	}
	if s := trace.SpanFromContext(ctx); s.IsRecording() {
		s.AddEvent(name, trace.WithAttributes(kv...))
	}
}

func (t *telemetry) kindSet(kind CallKind, extra ...attribute.KeyValue) metric.MeasurementOption {
	kv := append([]attribute.KeyValue{t.provider, attrKind.String(kind.String())}, extra...)
	return metric.WithAttributeSet(attribute.NewSet(kv...))
}

func (t *telemetry) retry(ctx context.Context, c *call, n, status int, wait time.Duration) {
	t.event(ctx, eventRetry, attrAttempt.Int(n), attrStatus.Int(status), attrWait.Float64(wait.Seconds()))
	if t.meter && t.retries.Enabled(ctx) {
		t.retries.Add(ctx, 1, t.kindSet(c.kind))
	}
}

func (t *telemetry) replay(ctx context.Context, n int) {
	t.event(ctx, eventReplay, attrAttempt.Int(n))
}

func (t *telemetry) invalidated(ctx context.Context, c *call, n int) {
	t.event(ctx, eventInvalidated, attrAttempt.Int(n))
	if t.meter && t.invalidations.Enabled(ctx) {
		t.invalidations.Add(ctx, 1, t.kindSet(c.kind))
	}
}

// pause reports a pause the provider asked for (a 429 or another throttle
// answer, limited; or a 503 with Retry-After) on budget.
func (t *telemetry) pause(ctx context.Context, budget string, status int, limited bool, wait time.Duration) {
	t.event(ctx, eventPause, attrBudget.String(budget), attrStatus.Int(status), attrWait.Float64(wait.Seconds()))
	if !t.meter {
		return
	}
	if limited && t.rateLimited.Enabled(ctx) {
		t.rateLimited.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(t.provider, attrBudget.String(budget))))
	}
	if t.pauseDur.Enabled(ctx) {
		t.pauseDur.Record(ctx, wait.Seconds(), metric.WithAttributeSet(attribute.NewSet(
			t.provider, attrBudget.String(budget), attrStatus.Int(status))))
	}
}

func (t *telemetry) coolDownWait(ctx context.Context, c *call, wait time.Duration) {
	t.event(ctx, eventCoolDown, attrWait.Float64(wait.Seconds()))
	if t.meter && t.coolWait.Enabled(ctx) {
		t.coolWait.Record(ctx, wait.Seconds(), t.kindSet(c.kind))
	}
}

func (t *telemetry) budgetWaited(ctx context.Context, c *call, budget string, wait time.Duration) {
	t.event(ctx, eventBudget, attrBudget.String(budget), attrWait.Float64(wait.Seconds()))
	if t.meter && t.budgetWait.Enabled(ctx) {
		t.budgetWait.Record(ctx, wait.Seconds(), t.kindSet(c.kind, attrBudget.String(budget)))
	}
}

// token records one login, refresh or store read, or a failure of one.
func (t *telemetry) token(ev TokenEvent) {
	ctx := context.Background()
	if !t.meter || !t.tokenDur.Enabled(ctx) {
		return
	}
	kv := []attribute.KeyValue{t.provider, attrSource.String(ev.Source), attrOutcome.String("success")}
	if ev.Err != nil {
		kv[2] = attrOutcome.String("failure")
		kv = append(kv, attrErrorType.String(errorType(0, ev.Err)))
	}
	t.tokenDur.Record(ctx, ev.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(kv...)))
}

// flightHooks give each shared login, refresh or store read its own root
// span; every caller that waits for it links to it.
func (t *telemetry) flightHooks() tokencache.FlightHooks {
	return tokencache.FlightHooks{
		Start: func(ctx context.Context) context.Context {
			ctx, _ = t.tracer.Start(ctx, flightSpanName, t.flightOpts...)
			return ctx
		},
		Join: func(caller, flight context.Context) {
			s := trace.SpanFromContext(caller)
			if !s.IsRecording() {
				return
			}
			fc := trace.SpanContextFromContext(flight)
			if fc.IsValid() {
				s.AddLink(trace.Link{SpanContext: fc})
			}
			s.AddEvent(eventTokenWait)
		},
		End: func(ctx context.Context, source string, err error) {
			s := trace.SpanFromContext(ctx)
			if source != "" {
				s.SetAttributes(attrSource.String(source))
			}
			finish(s, 0, err)
			s.End()
		},
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
	var rl *RateLimitError
	var e *Error
	var te *TransportError
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		return "rate_limited"
	case errors.As(err, &e):
		return strconv.Itoa(e.StatusCode)
	case errors.Is(err, ErrClosed):
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

// hostPort returns u's host name and port, the scheme's default port when
// it names none.
func hostPort(u *url.URL) (string, int) {
	host := strings.ToLower(u.Hostname())
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return host, p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return host, 80
	}
	return host, 443
}
