// Package providers is what users of every unikyc provider client share
// — the options, the errors, Stats, the Trace events, the registry — and,
// in its own section below, what a provider package is written with.
//
// Every provider client (icomply, genericjwt, idenfy, compliancely,
// kyconnect) is built by [Build] around one attempt loop that every request
// goes through — API calls, logins and refreshes alike. Each attempt runs
// in three phases whose errors cannot mix:
//
//   - admit (its errors are final: retrying cannot help): a request that
//     needs a login waits for it before it takes a slot; the cool-down
//     gate (after a 429, or a 503 with Retry-After, every goroutine waits
//     until the pause ends; then one request, the probe, goes first, and
//     the others follow once it was answered with anything but another
//     pause); a slot of every budget that counts the request (account-wide
//     and per route: at most N in any window, counted with a margin,
//     bursts up to the unused budget, logins and refreshes ahead of API
//     calls; see package ratelimit). A wait past the caller's deadline or
//     MaxRetryWait is a [*RateLimitError] at once. Admission hands the
//     attempt a ticket, which says whether it is the probe;
//   - send: only now the credential (the token is taken at the last
//     moment, and only for the provider's own scheme, host and port:
//     auth.Origin), the round trip through the base transport, and for
//     typed calls the answer's body, read inside the attempt (capped), so
//     a body cut off mid-way is one more attempt;
//   - judge (answer.go, the one place that judges answers): 2xx done ·
//     401: drop exactly that token and replay once; a token minted for the
//     replay and refused again means the account is refused (no new logins
//     faster than the cache's backoff); requests marked [TokenInBody] opt
//     out · 429, another 4xx the provider's [ErrorDecoder] reads as
//     [ErrRateLimited] (iDenfy's 400 TOO_MANY_REQUESTS), 503 with
//     Retry-After: read Retry-After in every form, start the pause (the
//     provider's penalty is a floor where its docs say so) and, if the
//     caller may wait, try again · transport errors and 5xx: backoff with
//     jitter for idempotent requests, within the provider's [TokenRules]
//     for token calls. The verdict: done, replay, pause or back off.
//
// A client's HTTPClient returns every response it obtained, the final 401
// or 429 included, and an error only when it obtained none; its
// CheckResponse method and the typed calls build the typed error from a
// response, once (answer.go is the one place that judges answers). Each
// step is an event for [Trace] hooks; see Events below.
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
// # Events
//
// Each step of the pipeline is one event, reported once to the hooks of
// a [Trace], in the style of net/http/httptrace: each hook gets the
// event's context, and the hooks that begin something (a call, an
// attempt, a token flight) return the context it runs on. A client's
// Stats and its slog records (with provider=) are subscribers; add yours
// with [WithTrace], or with [WithSubscriber] for hooks made per client.
// OpenTelemetry is one such subscriber, in its own package
// (github.com/unikyc/unikyc/providers/otelunikyc): this package imports
// none of OpenTelemetry.
//
// # For provider authors
//
// The provider-author API is what a provider package is written with; a
// user of a provider never needs it, and each name's document says so:
//
//   - [Spec] declares a provider: its name and base URL, a static
//     credential or the [Spec.Login] and [Spec.Refresh] token calls, its
//     [ErrorDecoder], its budgets (ratelimit.Budget), 429 penalty and [TokenRules],
//     and its token-cache defaults;
//   - [Build] makes the [Core] (the provider-independent core of a
//     Client: its attempt loop, token cache and budgets) from a Spec and
//     the user's options; [ParseBaseURL] is the base-URL check it makes;
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
// Writing a limiter needs only package ratelimit; subscribing to the
// events, only [Trace] (or [WithSubscriber]).
//
// The ratelimit names this package used to declare (Priority, Pacer,
// WindowLimiter, RateLimiter, CoolDown, LocalCoolDown, PriorityAPI,
// PriorityToken, NewWindowLimiter, NewLimiter, DeadlineError) and Conn
// (now Core) remain as deprecated aliases for one release.
package providers
