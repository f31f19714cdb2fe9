// Package idenfy is the unikyc client for iDenfy (https://www.idenfy.com):
// KYB form tokens, KYC verification tokens, verification status and
// deletion, and signed result webhooks.
//
// # Authentication
//
// iDenfy has no login and no tokens: every call carries HTTP Basic
// credentials, username the API key and password the API secret
// ([Config.APIKey], [Config.APISecret]). The credential is a static
// auth.Basic value set by the shared pipeline, and only on requests to the
// configured base URL's origin. A 401 is final: it becomes an error matching
// providers.ErrUnauthorized and nothing is retried.
//
// # Defaults
//
//   - Base URL [DefaultBaseURL] (https://ivs.idenfy.com); sandbox and live
//     share it, the key pair decides which one you talk to.
//   - Rate: iDenfy documents 10,000 requests an hour per account; the
//     client keeps to [DocumentedBudget], at most that many in any hour
//     (plus a margin), and a burst may use the unused part.
//     Pass providers.WithLimiter to share or replace the limit.
//   - Retries, 429 pauses and throttling are the shared pipeline's (see
//     package providers). POSTs are retried only after a 429, because
//     iDenfy's token calls are not idempotent: a retried token call could
//     mint a second session.
//
// # Requests are validated before they are sent
//
// [Client.CreateKYBToken] and [Client.UpdateKYBToken] check every field and
// constraint of iDenfy's KYB token schema (lengths, enums, UUIDs, ranges, the
// comma ban in tags and scan refs), and a token string must be one
// printable path segment (no control characters). A violation returns a
// *providers.ValidationError naming the field, e.g. "tags[2]", never its
// value, and sends nothing. [Client.CreateVerificationToken] checks the
// documented KYC rules: clientId ASCII (at most 100), names without digits
// or ~!@#$%^*()_+={}[]|:;",<>/?, sessionLength 60–3600 s, expiryTime at
// most 30 days. Every params type has a Validate method you can call
// yourself.
//
// # Answers
//
// [KYBToken] keeps iDenfy's nulls ([Nullable] companyId, externalRef, flow,
// theme; a nil ScanRefs) and decodes leniently: a token iDenfy created is
// returned even when a field does not decode (an "expiration" without a
// time zone is read as UTC; unreadable fields are named in
// KYBToken.Undecoded). [Client.UpdateKYBToken] returns what iDenfy answers,
// the lists ([KYBTokenUpdate]), not a token.
//
// # Absent, null and a value
//
// The "questionnaire" field (KYB and KYC) has three meanings: absent (use
// the default questionnaire), null (no questionnaire) and a key. It is a
// [Nullable][string]: its zero value is absent, [Null] sends null and
// [Value] sends a value. The KYB fields the schema makes nullable
// (externalRef, flow, theme, scanRefs) are Nullable too; Lifetime is a
// pointer ([Int]), so that 0 can be sent. Nil slices (KYB tags,
// [UpdateKYBTokenParams]) are not sent; an empty, non-nil slice is sent as
// [] (in an update it clears the list).
//
// # Errors
//
// iDenfy answers errors as {"identifier", "message", "documentation",
// "severity"}. The identifier becomes providers.Error.Code and maps to
// sentinels: UNAUTHORIZED to providers.ErrUnauthorized, TOO_MANY_REQUESTS
// to providers.ErrRateLimited (with a 429 or, iDenfy's standard error
// status being 400, with a 400: either pauses the account as a 429
// does, Retry-After honoured), BAD_VALUE, MISSING_VALUE,
// VALIDATION_ERROR, JSON_ERROR and ENCODING_ERROR to
// providers.ErrValidation, TOKEN_NOT_VALID to [ErrTokenNotValid],
// PARTNER_CONTRACT_ERROR ("Partner reached token limit") to
// [ErrTokenLimit], PERMISSIONS_ERROR to [ErrPartnerInactive]. Without an
// identifier the status decides: 402 is [ErrLackOfFunds], 403 (partner
// inactive, or the key pair of the other environment)
// [ErrPartnerInactive]. Error strings never hold the response body, the
// key or the secret.
//
// # Checking the credentials
//
// [Client.CheckAuth] does not use POST /api/v2/status, which iDenfy asks
// not to poll: it sends POST /api/v2/token a body iDenfy can only refuse
// (no clientId), one request of the hourly budget and no credit. Once a
// minute is plenty (60 of the 10,000 requests an hour).
//
// # Webhooks
//
// iDenfy signs each webhook with the header Idenfy-Signature: the hex
// HMAC-SHA256 of the raw body under your webhook signing key, and names its
// event in Idenfy-Event-Type. [ParseEvent] reads the body (capped at
// [MaxWebhookBody]), checks the signature in constant time and only then
// dispatches on the event type: KYC results decode into a [KYCCallback];
// every other event (DOCUMENT_EXPIRATION, KYB events, types this package
// does not know) is returned as its raw verified bytes, never decoded into
// the wrong shape. [ParseWebhook] is the KYC-only form ([ErrNotKYCResult]
// for other events); [VerifyWebhook] checks a body you have read yourself.
// A bad or missing signature returns [ErrBadSignature] and no payload.
//
// # Assumptions
//
// Inferred (I) rather than confirmed by iDenfy's documents:
//
//   - (I) Lengths are counted in Unicode characters, not bytes.
//   - (I) The upper-case event type names of KYC results
//     ([EventIDVerificationAuto] and its siblings); a webhook without
//     Idenfy-Event-Type is read as the legacy KYC result.
//   - (I) CheckAuth relies on iDenfy checking the Basic credentials before
//     the body, as a Django REST Framework view does.
//   - (I) The KYC token type, document types and country are passed
//     through unchecked: iDenfy's lists of them grow.
//   - (I) Status and delete of an unknown scanRef answer 404 (the fake
//     does so); callers should match providers.ErrNotFound.
//
// The fake server in package idenfytest implements all of this for tests.
package idenfy

// DefaultBaseURL is iDenfy's API origin, shared by sandbox and live keys.
const DefaultBaseURL = "https://ivs.idenfy.com"
