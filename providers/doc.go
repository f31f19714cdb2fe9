// Package providers is what every unikyc provider client shares: the
// error types, the options, the rate limiter and the pipeline builder.
//
// Every provider client (icomply, genericjwt, idenfy, compliancely,
// kyconnect) is built by [Build] into the same pipeline, outermost first:
//
//  1. credentials (auth.Transport): token or static credential, only for the
//     provider's own origin; one replay after a 401 with a fresh token;
//  2. retry (go-retryablehttp): transport errors, 502/503/504, and 500 for
//     idempotent requests, with exponential backoff and jitter; 429s wait
//     for Retry-After or the provider's penalty;
//  3. throttle: the 429 cool-down shared by every goroutine, then the
//     [Limiter] (x/time/rate, burst 1, at the provider's documented rate);
//  4. the base http.RoundTripper.
//
// Logins and refreshes go through the same retry and throttle layers, with
// a separate login limiter where the provider limits logins.
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
