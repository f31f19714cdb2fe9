// Package compliancely is the unikyc client for Compliancely
// (https://compliancely.com), a TIN-matching and business-verification
// service, on its API v2 with JWT authentication. Its typed call is the one
// business endpoint Compliancely documents for v2, the tax-exempt check
// ([Client.CreateTaxExempt], POST [TaxExemptPath]); any other call can be
// sent with [Client.NewRequest] and [Client.Do], or [Client.HTTPClient],
// with the same authentication.
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
// and answers 429 for 10 minutes past that. The client keeps to
// [DefaultBudget]: at most 10 requests in any minute (plus a margin),
// counted as the server counts them; a burst may use the unused part, and
// once requests queue the rest of the window is shared out evenly between
// them. After a 429 every
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
// Every path ends in "/", as the endpoint reference spells them: Django
// routes only that form, and a POST without the slash is a 404.
//
// # Errors
//
// Errors follow Django REST Framework: {"detail": "…", "code": "…"}, or
// {"field": ["message", …]} for validation; v2 business calls answer
// {"errors":[{"code","message"}],"data":null,"success":false}, each code
// naming a field. The detail or first message becomes
// providers.Error.Message, the code Error.Code, the fields Error.Fields.
// The code "token_not_valid" matches providers.ErrUnauthorized; the credit
// error ({"code":"credit_message","message"} or {"detail":"Credit limit
// reached! …"}) matches [ErrCreditLimit].
//
// # Assumptions
//
// Inferred (I), not documented by Compliancely, and configurable where
// they could be wrong:
//
//   - the login path: the reference names /api/v2/token/, the guide's
//     prose /api/v2/token/create, which the client spells with its slash
//     ([AltLoginPath], [Config.LoginPath]);
//   - the refresh answer: the guide names new_access_token and
//     new_refresh_token, the endpoint reference access and refresh; both
//     decode, with or without *_expiry_seconds. Without them, the lifetime
//     is read from the JWT "exp" claim, else the documented 1 h / 24 h;
//   - the validate call's body {"token": "<access>"}, as Simple JWT's
//     verify view takes it. Its stock answer is 200 {} for a valid token
//     and 401 token_not_valid otherwise; richer answers ({"valid",
//     "status", "token_type", "remaining_seconds", "expires_at"}) decode
//     too ([Client.ValidateToken]);
//   - the tax-exempt rules: a TIN is 9 digits (the reference says "a valid
//     TIN/EIN"); the answer's HTTP status (201, as DRF creates) and the
//     credit error's status are not documented.
//
// Documented, not assumed: "Authorization: Bearer <access>" (the v2
// reference's examples; [Config.AuthScheme] changes it), the envelope
// {success_message, data, success} and its errors. Only v1 TIN-match
// submissions are documented (retired with API v1), so the client offers
// no submission calls.
//
// Package compliancelytest is a fake Compliancely server for tests.
package compliancely
