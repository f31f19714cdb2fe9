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
// # Calls
//
// [Client.Me] (GET /auth/me); [Client.OnboardIndividual] (POST
// /onboarding/individual, C) submits an individual's KYC case; route
// discovery reads the deployment's Postman collection, which every
// deployment serves at GET /api/v1/health/postman-collection without
// authentication, regenerated from its live OpenAPI on every download
// (C; 96 requests in 15 categories on KYConnect's own): [Client.Routes]
// through the client, [FetchRoutes] with no credential at all,
// [ParseRoutes] for a file. Each [Route] names its category (top-level
// folder), name, method, path (relative to the API root, ready for
// NewRequest), auth (the request's own, else its folder's, else the
// collection's) and the documented budgets that count it. Anything else: [Client.NewRequest] and [Client.Do].
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
// The onboarding limit counts per email: [OnboardingBudget] is a budget
// counted per value of the body's "email" field (Budget.PerField, the
// shared budget code's keyed budgets: SHA-256 of the lower-cased address,
// on the client's clock, with the 1 % margin the other budgets have, 2
// hours and 72 s). A sixth submission for one email within that window is
// not sent: a wait up to the retry policy's MaxRetryWait (15 minutes by
// default) and the caller's deadline is waited for; a longer one returns a
// [*providers.RateLimitError] for budget "onboarding-individual" with the
// wait, at once (a wait of up to 2 hours is the caller's to decide); other
// emails go through. Every sent submission counts, refused ones too, as
// the server's throttler runs before validation. The count is the
// account's in one process (clients of one account share it, see
// providers.WithPrivateAccount); replicas of a fleet each keep their own
// (I: the throttler's tracker is the email, so their sum is what KYConnect
// sees).
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
//	400                        providers.ErrValidation
//	422                        ErrBusinessRule (not providers.ErrValidation)
//	403                        ErrForbidden
//	404                        providers.ErrNotFound
//	409                        ErrConflict
//	429                        providers.ErrRateLimited
//	5xx                        ErrServer
//
// The developer page's table (C): 422 is an "unprocessable entity –
// business rule violation", not an input error: the request was well
// formed, so [ErrBusinessRule] carries no field names. 403 is
// "insufficient role or scope", 409 "duplicate resource or state
// mismatch". NestJS writes them as ForbiddenException,
// ConflictException and UnprocessableEntityException do:
// {"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}.
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
//   - (I) The onboarding body's field names (email, first_name, last_name,
//     date_of_birth, country, phone, external_ref) and the case's answer
//     (id, type, status, …; camelCase accepted) are not published;
//     snake_case follows the documented mfa_code and refresh_token.
//   - A 429 on onboarding means one email's quota is spent (elsewhere:
//     the per-email count keeps this client from drawing one). The route
//     has a scope of its own in [Budgets] ("onboarding-route", limited
//     only by the general 100 a minute), so the pause it starts holds back
//     onboarding alone — every email, for the Retry-After (2 hours when
//     absent, NestJS's block) — and not the account's other calls: the
//     shared cool-down has no per-email pause (I).
//   - (I) Route.Path keeps Postman's ":id" path variables.
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
