// Package compliancely is the unikyc client for Compliancely
// (https://compliancely.com), a TIN-matching and business-verification
// service, on its API v2 with JWT authentication.
//
// # Authentication
//
// The client logs in once with the account's username and password
// (POST [DefaultLoginPath], JSON {"username","password"}) and receives an
// access token (1 hour) and a refresh token (24 hours). From then on it
// rotates: 10 to 15 minutes before the access token's hour is up, one
// background refresh (POST [DefaultRefreshPath], {"refresh"}) replaces both
// tokens, so the refresh token is renewed with every access token — far
// more often than the 12 hours the provider recommends — and the client
// logs in again only when the refresh token is gone. Tokens are sent as
// "Authorization: Bearer <access>". Basic authentication and API v1 were
// retired on 31 May 2026 and are not offered.
//
// The failure rules follow the provider's "Handling Failures" guide:
//
//   - an API call answered 401 drops the access token, keeps the refresh
//     token, refreshes once and replays the call once; a second 401 is
//     returned (errors.Is(err, providers.ErrUnauthorized));
//   - a refresh refused with a 4xx other than 429 discards both tokens and
//     logs in again. The guide says "a 4XX error, other than 401"; a 401 on
//     refresh is what an expired or rotated refresh token gets, and the
//     guide's own "if both expire, call /token/create again" asks for a new
//     login then, so a 401 logs in again too;
//   - a login refused for invalid credentials (400/401 whose body says so)
//     matches providers.ErrInvalidCredentials and is final: no further
//     login is attempted by this client;
//   - a failed login surfaces to the caller; nothing retries it in the
//     background, and no request is retried forever (see
//     providers.RetryPolicy).
//
// # Throttle
//
// Compliancely allows 10 requests a minute, logins and refreshes included,
// and answers 429 for 10 minutes past that. The client paces every request
// at one per 6 seconds ([DefaultRate], burst 1). After a 429 every
// goroutine of the client waits for Retry-After, or for [Penalty] (10
// minutes) when the answer has none; a caller whose context deadline is
// shorter than the pause gets a *providers.RateLimitError at once. In
// fleet mode, share the limiter and the cool-down (providers.WithLimiter,
// providers.WithCoolDown) so the whole fleet stays under the limit.
//
// Every default is overridable: providers.WithLimiter,
// providers.WithRetryPolicy (Penalty) and providers.WithTokenCacheOptions
// (tokencache.WithSoftWindow, WithJitter) replace the values above.
//
// # Errors
//
// Errors follow Django REST Framework: {"detail": "…", "code": "…"}, or
// {"field": ["message", …]} for validation. The detail becomes
// providers.Error.Message, the code Error.Code, the fields Error.Fields.
// The code "token_not_valid" matches providers.ErrUnauthorized.
//
// # Assumptions
//
// Marked (I) in the project's provider notes — inferred, not documented by
// Compliancely — and configurable where they could be wrong:
//
//   - the login path: the guide names both /api/v2/token/ and
//     /api/v2/token/create ([Config.LoginPath]);
//   - the refresh answer: the guide names new_access_token and
//     new_refresh_token, the endpoint reference access and refresh; both
//     decode, with or without *_expiry_seconds. Without them, the lifetime
//     is read from the JWT "exp" claim, else the documented 1 h / 24 h;
//   - the validate call's body {"token": "<access>"} and its answer
//     {"valid", "status", "token_type", "remaining_seconds", "expires_at"}
//     ([Client.ValidateToken]);
//   - the "Bearer" authorization scheme ([Config.AuthScheme]);
//   - the submission endpoints ([Client.CreateSubmission],
//     [Client.GetSubmission]) are the documented v1 TIN-match calls at
//     /api/v2/submissions/: stand-ins until the v2 reference is published.
//
// Package compliancelytest is a fake Compliancely server for tests.
package compliancely
