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
