// Package kyconnecttest is a fake KYConnect API on net/http/httptest, for
// testing code that uses package kyconnect without the network.
//
//	clk := providertest.NewClock(t, start, 0) // a call left waiting outside clk.Drive fails
//	srv := kyconnecttest.NewServer(kyconnecttest.WithClock(clk))
//	defer srv.Close()
//	c, _ := kyconnect.New(srv.Config(), providers.WithClock(clk))
//	defer c.Close()
//
// It serves, under /api/v1 like the real API:
//
//	POST /auth/login            {"email","password","mfa_code"} → 201 tokens (WithTokenStatus: 200)
//	POST /auth/refresh          {"refresh_token"} → 201 tokens, old refresh token revoked
//	GET  /auth/me               Bearer access token or API key → the user, numeric ids
//	POST /auth/forgot-password  {"email"} → 201 (never says whether the user exists)
//	POST /onboarding/individual {"email","first_name","last_name",…} → 201 the case
//	GET  /health                public
//	GET  /health/postman-collection  public: a Postman collection v2.1, 96 requests in 15 categories
//
// and enforces what KYConnect documents, on the injected clock:
//
//   - access tokens are HS256 JWTs living 15 minutes (WithTokenLifetime);
//     an expired, revoked or unknown token gets 401;
//   - refresh tokens rotate: each refresh revokes the one it used. (I) They
//     live 7 days (WithRefreshLifetime) counted from the login: a rotated
//     token keeps its session's end, unless WithSlidingRefresh;
//   - accounts with MFA (WithMFA) need "mfa_code", a TOTP code checked with
//     github.com/pquerna/otp against the server's clock (one 30 s step of
//     skew). (I) A missing code gets 401 "MFA code required", a wrong one 401
//     "Invalid MFA code", bad credentials 401 "Invalid credentials";
//   - @nestjs/throttler, keyed by route and client IP: 10 login attempts an
//     hour, 10 forgot-password calls an hour and 100 requests a minute on
//     every other route (a route with its own limit is not counted in the
//     general one, as its @Throttle override does). It runs before
//     validation (a bad body spends quota too); a refused request blocks
//     the key for the limit's block duration (its window), 429 with
//     Retry-After when over. WithNamedThrottlers suffixes the header with
//     the limit's name ("Retry-After-login", no plain Retry-After);
//     WithoutThrottlerHeaders sends none (setHeaders: false);
//   - individual onboarding: 5 per 2 hours per email, a throttler whose
//     tracker is the body's email (lower-cased; the client IP without
//     one), blocking 2 hours from the first refused request (429 with
//     Retry-After: 7200, or Retry-After-onboarding WithNamedThrottlers).
//     Behind it (I: the DTO and the texts are not published): the
//     account's role must be admin, compliance_officer or analyst
//     (WithRole), else 403 {"message":"Forbidden resource"}; the body is
//     validated (email, first_name, last_name required; date_of_birth,
//     country, phone, external_ref optional); an applicant under 18 gets
//     422 "Applicant must be at least 18 years old"; a second case for one
//     email 409 "An onboarding case for this email already exists". The
//     case answers {"id","type":"individual","status":"pending",…}.
//     Onboardings counts the requests past the throttler, CaseStatus tells
//     a case's status;
//   - the Postman collection: the categories are the developer page's (C);
//     its documented routes are KYConnect's and the others stand-ins (I).
//     The collection authenticates with the JWT, public routes say
//     "noauth", the Verification folder uses the API key;
//   - NestJS validation: JSON bodies only (any other content type reads as
//     an empty body), class-validator messages for missing or wrong fields
//     and for unknown properties, 400 in NestJS's error shape;
//   - API keys (APIKey, APIKeyConfig) in the X-API-Key header
//     (WithAPIKeyHeader).
//
// (I) Login and refresh answer with access_token, refresh_token and
// expires_in; WithTokenFields switches to the other spellings the client
// accepts. Answers to POST are 201, NestJS's default.
//
// Entities carry numeric ids ("id": 1), as NestJS apps on TypeORM or Prisma
// answer them.
//
// The knobs and counters every unikyc fake shares come with the embedded
// Knobs (paths relative to the API root): FailNext, AnswerNext,
// RateLimitNext, RateLimitNextNamed, UnavailableNext, DelayNext, Delay,
// ClearFaults; Requests, Calls, Faults, Rejected, RateLimited, Logins,
// LoginAttempts, Refreshes, Count, Hits, MaxRequestsIn, ResetCounts;
// ExpireTokens, ExpireAccessTokens, ExpireRefreshTokens, RevokeTokens,
// RevokeAccessTokens, RevokeRefreshTokens, LiveTokens; Clock, Transport,
// Client. This fake adds LoginAttemptTimes, MaxLoginAttemptsPerHour,
// MFAChecks, Onboardings and CaseStatus. An injected status without a body answers NestJS's
// {"statusCode","message","error"}.
package kyconnecttest
