// Package providers is what every unikyc provider client shares: the
// error types, the options, the rate limiter and the pipeline builder.
//
// Every provider client (icomply, genericjwt, idenfy, compliancely,
// kyconnect) is built by [Build] around one attempt loop that every request
// goes through — API calls, logins and refreshes alike. One attempt:
//
//  1. a request that needs a login waits for it before it takes a slot;
//  2. the cool-down gate: after a 429 (or a 503 with Retry-After) every
//     goroutine waits until the pause ends; then one request, the probe,
//     goes first, and the others follow once it was answered with anything
//     but another pause. A wait past the caller's deadline or MaxRetryWait
//     is a [*RateLimitError] at once;
//  3. a slot of every [Budget] that counts the request (account-wide and
//     per route): at most N in any window, counted with a margin, bursts
//     up to the unused budget, logins and refreshes ahead of API calls;
//  4. only now the credential: the token is taken at the last moment, and
//     only for the provider's own scheme, host and port;
//  5. send through the base transport; typed calls read the answer inside
//     the attempt, so a body cut off mid-way is one more attempt;
//  6. classify: 2xx done · 401: drop exactly that token and replay once; a
//     token minted for the replay and refused again means the account is
//     refused (no new logins faster than the cache's backoff); requests
//     marked [TokenInBody] opt out · 429, another 4xx the provider's
//     [ErrorDecoder] reads as [ErrRateLimited] (iDenfy's 400
//     TOO_MANY_REQUESTS), 503 with Retry-After: read Retry-After in every
//     form, start the pause (the provider's penalty is a floor where its
//     docs say so) and, if the caller may wait, try again · transport
//     errors and 5xx: backoff with jitter for idempotent requests, within
//     the provider's [TokenRules] for token calls.
//
// A client's HTTPClient returns every response it obtained, the final 401
// or 429 included, and an error only when it obtained none; its
// CheckResponse method and the typed calls build the typed error from a
// response, once. Each step is an event for [Trace] hooks ([WithTrace]);
// the client's Stats and the slog records are subscribers, and so is
// OpenTelemetry (see below).
//
// Users of a provider need the options, the errors, the registry and the
// provider's Client, whose methods (Name, HTTPClient, NewRequest, Do,
// CheckResponse, Stats, Budgets, TokenSource, BaseURL, Close and the typed
// calls) are documented in its own package. The rest is for writing a
// provider package: see the section For provider authors below.
//
// # Registry
//
// Each provider package registers a [Driver] in its init, in the style of
// database/sql. [Open](name, cfg) and [FromEnv](name) return a [Client], so a
// service picks its provider by configuration; import
// github.com/unikyc/unikyc/providers/all to register all five.
// UNIKYC_<PROVIDER>_* variables are listed by [EnvVars]; a missing or
// malformed one is an [*EnvError] naming the variable, never its value.
//
// # Errors
//
// A non-2xx answer is an [*Error] carrying status, the provider's code and
// the capped body; its message never holds the body or a secret. Match
// with errors.Is against [ErrUnauthorized], [ErrInvalidCredentials],
// [ErrRateLimited], [ErrNotFound] and [ErrValidation], or errors.As into
// [*Error], [*RateLimitError] or [*ValidationError].
//
// # OpenTelemetry
//
// [WithMeterProvider] and [WithTracerProvider] subscribe OpenTelemetry to
// the pipeline's events, with each event's context. The library uses the
// OpenTelemetry API only (the SDK, exporters, views and samplers are the
// application's choice); without these options nothing is installed and
// the pipeline does not call any of it. The meter and tracer are named
// [ScopeName], at [Version].
//
// Metrics. Every instrument carries unikyc.provider (the provider's short
// name); durations are on the client's clock ([WithClock]), histograms use
// the HTTP semantic conventions' buckets (5 ms to 10 s):
//
//   - http.client.request.duration (s, histogram), per attempt, as the
//     OpenTelemetry HTTP client conventions define it: http.request.method
//     (known methods, else _OTHER), http.response.status_code (when an
//     answer came), error.type (the status code of an answer of 400 or
//     more; else timeout, canceled, closed, rate_limited or the transport
//     error's Go type), server.address, server.port, and unikyc.call.kind
//     (api, login, refresh). Never url.full, a path or a query: paths hold
//     identifiers.
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
//     reports them (Remaining, Queued: [WindowLimiter], the default, does);
//     unregistered by Close.
//
// Traces. Each logical call is a span of kind internal, named after the
// typed call's operation ("create tax exempt", "login"), or the HTTP
// method for requests through HTTPClient (each redirect hop is one call),
// a child of the caller's span. Its attributes: unikyc.provider,
// unikyc.call.kind, unikyc.operation, http.request.method,
// http.response.status_code and error.type, with status Error for a
// failure or a final answer of 400 or more. Each attempt is a child span
// of kind client named after the method, with http.request.method,
// server.address, server.port, http.request.resend_count (from the second
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
//
// # For provider authors
//
// The provider-author API is what a provider package is written with; a
// user of a provider never needs it, and each name's document says so:
//
//   - [Spec] declares a provider: its name and base URL, a static
//     credential or the [Spec.Login] and [Spec.Refresh] token calls, its
//     [ErrorDecoder], its budgets ([Budget]), 429 penalty and [TokenRules],
//     and its token-cache defaults;
//   - [Build] makes the [Core], the pipeline of one account, from a Spec
//     and the user's options; [ParseBaseURL] is the base-URL check it makes;
//   - [Sender] sends through the pipeline and decodes answers; Spec.Login
//     and Spec.Refresh get one for their token calls, and date the tokens
//     with [Sender.Expiry] and [Sender.Now]; [Sender.Exchange] is Do
//     without the decoding;
//   - [ErrorDecoder] reads the provider's error format into an [*Error];
//     [NewError] builds one from a response;
//   - [Invalid] and [Named] make the [*ValidationError] of a Config that
//     New refuses;
//   - [Driver], [NewDriver] and [Register] put the provider in the
//     registry, from the package's init.
//
// A provider's Client holds its [*Core] in an unexported field (it does not
// embed it) and declares the user API as its own methods, each delegating
// to the Core: Name, HTTPClient, NewRequest, Do, CheckResponse, Stats,
// Budgets, TokenSource, BaseURL and Close (this module's providers have
// them written by internal/cmd/clientgen from one template). go doc then
// lists them on the Client, and a user never reaches Sender's helpers.
//
// These names live here rather than in a package of their own because
// Build assembles the pipeline from this package's unexported parts.
package providers
