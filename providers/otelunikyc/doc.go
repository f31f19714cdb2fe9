// Package otelunikyc records a unikyc client's metrics and traces with
// OpenTelemetry. It is one subscriber of the events every provider client
// reports ([providers.Trace]): import it only where OpenTelemetry is
// wanted; a program that does not import it links none of OpenTelemetry's
// API through unikyc's clients.
//
//	c, err := compliancely.New(cfg,
//		otelunikyc.WithMeterProvider(otel.GetMeterProvider()),
//		otelunikyc.WithTracerProvider(otel.GetTracerProvider()))
//
// It uses the OpenTelemetry API only (the SDK, exporters, views and
// samplers are the application's choice). The meter and tracer are named
// [ScopeName], at providers.Version.
//
// Metrics. Every instrument carries unikyc.provider (the provider's short
// name); durations are on the client's clock (providers.WithClock),
// histograms use the HTTP semantic conventions' buckets (5 ms to 10 s):
//
//   - http.client.request.duration (s, histogram), per attempt, as the
//     OpenTelemetry HTTP client conventions define it: http.request.method
//     (known methods, else _OTHER), http.response.status_code (when an
//     answer came), error.type (the status code of an answer of 400 or
//     more; else timeout, canceled, closed, rate_limited or the transport
//     error's Go type), server.address, server.port (of the configured base
//     URL, also for a hop a redirect sent elsewhere: the attribute sets stay
//     bounded by the accounts, whatever a server redirects to), and
//     unikyc.call.kind (api, login, refresh). Never url.full, a path or a
//     query: paths hold identifiers.
//   - unikyc.token.duration (s, histogram): one login, refresh or read from
//     a shared store; unikyc.token.source (login, refresh, store),
//     unikyc.outcome (success, failure), error.type on failure.
//   - unikyc.token.invalidations ({token}, counter): tokens dropped after a
//     401; unikyc.call.kind.
//   - unikyc.rate_limited ({response}, counter): 429 answers and other
//     throttle answers (iDenfy's 400 TOO_MANY_REQUESTS); unikyc.budget
//     (the budget whose cool-down they started).
//   - unikyc.retries ({retry}, counter): attempts to be sent again after an
//     error, a 5xx or a 429; unikyc.call.kind.
//   - unikyc.cooldown.pause (s, histogram): each pause a provider asked for
//     (a 429, or a 503 with Retry-After); unikyc.budget,
//     http.response.status_code.
//   - unikyc.cooldown.wait (s, histogram): each wait of a request for a
//     pause to end; unikyc.call.kind.
//   - unikyc.budget.wait (s, histogram): each wait for a budget slot;
//     unikyc.budget, unikyc.call.kind.
//   - unikyc.budget.remaining and unikyc.budget.queued ({request},
//     asynchronous gauges): the requests a budget admits now, and those
//     waiting for a slot; unikyc.budget. For every budget whose limiter
//     reports them (Remaining, Queued: ratelimit.WindowLimiter, the
//     default, does); unregistered by the client's Close.
//
// Traces. Each logical call is a span of kind internal, named after the
// typed call's operation ("create tax exempt", "login"), or the HTTP
// method for requests through HTTPClient (each redirect hop is one call),
// a child of the caller's span. Its attributes: unikyc.provider,
// unikyc.call.kind, unikyc.operation, http.request.method,
// http.response.status_code and error.type, with status Error for a
// failure or a final answer of 400 or more. Each attempt is a child span
// of kind client named after the method, with http.request.method,
// server.address, server.port (the base URL's), http.request.resend_count (from the second
// attempt), http.response.status_code and error.type; the request the
// base transport gets carries it in its context. The call span's events:
// unikyc.retry, unikyc.replay, unikyc.token.invalidated,
// unikyc.cooldown.start, unikyc.cooldown.wait, unikyc.budget.wait and
// unikyc.token.wait (with unikyc.attempt, unikyc.wait in seconds,
// unikyc.budget).
//
// The login, refresh or store read that a token cache shares between the
// callers waiting for it is a root span of its own, "unikyc.token" (with
// unikyc.token.source), on a context that carries none of the callers'
// values: every call that waits for it links to it (a span link), rather
// than the flight being parented under whichever caller started it. Its
// token call is its child. No span or metric carries a URL, a header, a
// body, a token or a credential; span status descriptions are the
// error.type, never an error's text.
package otelunikyc
