// Package icomply is a client for the iComplyKYC API
// (https://docs.icomplyis.com/api-docs), built on the shared unikyc
// pipeline: credentials, retry, throttle.
//
// # Authentication
//
// iComply offers two ways in; a [Config] sets exactly one of them.
//
//   - Username and password: [New] logs in with POST /api/gettoken, a
//     multipart/form-data body with the fields Username and Password, and
//     gets {"token":"<jwt>"}: a JWT valid for 20 minutes, sent as
//     "Authorization: Bearer". There is no refresh token, so the client's
//     token cache logs in again ahead of expiry (default soft window: the
//     larger of 60 s and 10 % of the lifetime, plus up to 25 % jitter; for
//     a 20-minute token that is 2 to 2.5 minutes before expiry). Every
//     goroutine shares one token; a 401 drops it and the request is sent once
//     more with a new one. A 401 at login is final: it matches
//     [providers.ErrInvalidCredentials] and the client stops logging in.
//   - API key: a long-lived key for server-to-server use. It never expires
//     and needs no login; it is sent on every request in the header
//     [Config.APIKeyHeader]. A 401 then means the key was refused and
//     matches both [providers.ErrUnauthorized] and
//     [providers.ErrInvalidCredentials].
//
// [Client.CheckToken] asks GET /api/tokenvalid whether the provider accepts
// the client's current token.
//
// # The v2 API
//
// Every v2 answer is the envelope {"code","status","message","data",
// "errors"}. The client decodes it once, generically, and returns data. It
// trusts the HTTP status over "code" (iComply answers HTTP 200 with
// "code":201 on creation) and reads "message" leniently: one documented 400
// spells it "messsage". Error answers go through the same reader, so a
// [*providers.Error] carries the provider's message in Message (never in
// Error(), which holds no response body). Typed calls: [Client.ListEntities],
// [Client.GetNaturalPerson], [Client.CreateAMLSearch], [Client.GetAMLSearch];
// anything else can be sent with [Client.NewRequest] and [Client.Do], or
// [Client.HTTPClient], with the same authentication.
//
// Parameters are checked before sending: a bad one returns a
// [*providers.ValidationError] naming the field, and nothing is sent.
//
// # Assumptions
//
// Inferred (I), not published by iComply:
//
//   - The header that carries the API key is not published. The default is
//     [DefaultAPIKeyHeader] ("X-API-Key"); set Config.APIKeyHeader if your
//     account manager names another.
//   - Password is optional at login, as the documentation marks only
//     Username required; an empty one is sent as an empty field.
//   - No rate limit is published, so the client sets no limiter of its own
//     (pass providers.WithLimiter to add one) and a 429 without Retry-After
//     pauses the client for the core default of 30 s.
//   - CheckToken is for username/password mode: /api/tokenvalid checks a
//     JWT, so with an API key it returns [ErrNoToken] without sending.
//   - A 400 or 415 answer matches [providers.ErrValidation].
//   - Entity IDs are UUIDs and AML search IDs are numbers: IDs passed to
//     the typed calls may hold only letters, digits, '-' and '_', so an ID
//     can never change the request path. AML IDs come back as a number in
//     some answers and a string in others; [ID] accepts both.
//   - KYC status is an open set ([KYCStatus]): values unknown to this
//     package are kept as they are.
//
// Where iComply's documentation contradicts itself the client does not
// guess silently:
//
//   - The natural-person path is /api/v2/entities/natural-persons/{id} in
//     the documentation's heading and /api/v2/natural-persons/{id} in its
//     sample. The default is the heading's ([NaturalPersonPath]); set
//     Config.NaturalPersonPath to [AltNaturalPersonPath] for the other.
//   - GET /api/v2/aml/{id} is described both as taking an entity ID and as
//     taking the ID of an AML search. [Client.GetAMLSearch] sends whatever
//     ID it is given, so either reading works; its doc names the search ID
//     returned by [Client.CreateAMLSearch], as the sample shows.
//
// The fake server in package icomplytest implements all of the above for
// tests, on an injectable clock.
package icomply
