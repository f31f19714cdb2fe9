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
//     marked [TokenInBody] opt out · 429/503: read Retry-After in every
//     form, start the pause (the provider's penalty is a floor where its
//     docs say so) and, if the caller may wait, try again · transport
//     errors and 5xx: backoff with jitter for idempotent requests, within
//     the provider's [TokenRules] for token calls.
//
// HTTPClient returns every response it obtained, the final 401 or 429
// included, and an error only when it obtained none; [Conn.CheckResponse]
// and typed calls build the typed error from a response, once. Each step
// is an event for [Trace] hooks ([WithTrace]); [Conn.Stats] and the slog
// records are subscribers.
//
// The provider-author API ([Spec], [Build], [Sender], [NewDriver],
// [Register], [NewError], [ErrorDecoder]) is what provider packages use;
// users of a provider need only the options, the errors and the client.
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
package providers
