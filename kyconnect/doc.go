// Package kyconnect is the unikyc client for KYConnect, a KYC/KYB compliance
// platform (onboarding, verification, AML screening, audit trail) whose
// NestJS API lives under a versioned base URL such as
// https://api.example.com/api/v1.
//
// # Authentication
//
// KYConnect offers two ways in, and a Config picks exactly one:
//
//   - User login (Email, Password): POST /auth/login with
//     {"email","password"} and, when the account has MFA, "mfa_code" — the
//     current TOTP code, taken from the Config's MFACode callback at each
//     login. [TOTP] builds that callback from the account's TOTP secret.
//     The answer carries a 15-minute access JWT, sent as
//     "Authorization: Bearer", and a refresh token. The client refreshes
//     ahead of expiry with POST /auth/refresh {"refresh_token"} and logs in
//     again only when the refresh token is expired or refused.
//   - API key (APIKey): a static machine-to-machine key sent on every
//     request; nothing to log in or refresh.
//
// Every request, login and refresh included, goes through the shared
// unikyc pipeline (providers.Build): token cache, retries, throttle and
// 429 cool-down. This package only knows KYConnect's paths and formats.
//
// # Rate limits (client defaults)
//
// KYConnect documents, per IP: 100 requests a minute for the general API,
// 10 login attempts an hour, 10 forgot-password calls an hour and 5
// individual onboarding submissions per 2 hours per email, answering 429
// with Retry-After when over. The client keeps to them as [Budgets]: at
// most 100 requests in any minute and 10 logins in any hour, each window
// with a margin, counted as @nestjs/throttler counts them; a burst may use
// the unused part of a window. A login 429 starts a login cool-down of
// its own, so that a refused login does not pause the other calls. One
// Client shares one token
// between all its goroutines (200 concurrent first calls cost one login),
// refreshes instead of logging in, and never retries refused credentials:
// a login budget of 10 an hour is never burnt. Pass
// providers.WithLimiter or providers.WithLoginLimiter to change the pace,
// for instance to share it across replicas.
//
// # Errors
//
// Error answers have NestJS's shape,
// {"statusCode":400,"message":["email must be an email"],"error":"Bad Request"},
// where "message" is a string or a list of strings; both decode into
// providers.Error.Message (list items joined with "; ") and, for
// class-validator messages, providers.Error.Fields. Mapping for errors.Is:
//
//	login 401                  providers.ErrInvalidCredentials (final: no more logins)
//	login 400                  providers.ErrInvalidCredentials and providers.ErrValidation (final)
//	login 400/401 about MFA    ErrMFARequired or ErrInvalidMFACode (not final)
//	other 401                  providers.ErrUnauthorized
//	400, 422                   providers.ErrValidation
//	403                        ErrForbidden
//	404                        providers.ErrNotFound
//	409                        ErrConflict
//	429                        providers.ErrRateLimited
//	5xx                        ErrServer
//
// A login may wait minutes for the login budget (limiter, 429 cool-down);
// because LoginRate is set, the core gives each login two limiter turns
// plus the retry policy's MaxRetryWait (27 minutes by default) instead of
// 30 s. Closing the client still cancels it; callers waiting for it leave
// when their own context ends.
//
// A wrong MFA code is not final: the next TOTP step may be accepted, so the
// next call logs in again (paced by the login limiter). An MFACode callback
// that returns "" fails the login with ErrMFARequired without sending it.
//
// # Assumptions
//
// KYConnect does not publish these; each is marked (I) (inferred) and
// can be changed where a Config field says so.
//
//   - (I) Field names of the login and refresh answers: the access token is
//     read from "access_token", "accessToken" or "token", the refresh token
//     from "refresh_token" or "refreshToken", the lifetime from "expires_in"
//     (seconds) when present, else from the JWT's "exp", else 15 minutes.
//     A refresh answer without a refresh token keeps the old one.
//   - (I) MFA failures are answered 401 (or 400) with a message naming MFA:
//     "MFA code required" gives ErrMFARequired, any other MFA message (e.g.
//     "Invalid MFA code") gives ErrInvalidMFACode. A 401 without such a
//     message at login means invalid credentials.
//   - (I) The API key travels in the X-API-Key header (Config.APIKeyHeader).
//   - (I) GET /auth/me answers the user as a flat JSON object with
//     snake_case fields; camelCase names are accepted too (see [User]).
//   - (I) The MFA code is asked for again when a login is held back (by
//     the login limiter or a 429 cool-down) for more than 15 seconds before
//     it is sent, so a TOTP code never goes stale in the pipeline.
//
// The published base URL, [DevelopmentBaseURL], is a development value:
// BaseURL is required and has no default. Paths such as /auth/login are
// relative to it, so it must include the /api/v1 prefix.
//
// The fake server in package kyconnecttest implements all of the above on
// an injectable clock, for this package's tests and for yours.
package kyconnect
