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
//   - Rate: iDenfy documents 10,000 requests an hour per account, so the
//     client paces requests at one per 360 ms with a burst of [DefaultBurst].
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
// comma ban in tags and scan refs). A violation returns a
// *providers.ValidationError naming the field, e.g. "tags[2]", and sends
// nothing. [Client.CreateVerificationToken] checks the documented KYC limits.
// Every params type has a Validate method you can call yourself.
//
// # Absent, null and a value
//
// The KYB "questionnaire" field has three meanings: absent (use the default
// questionnaire from your KYB settings), null (no questionnaire) and a key.
// It is a [Nullable][string]: its zero value is absent, [Null] sends null and
// [Value] sends a value. Fields where null and absent mean the same thing are
// plain Go values omitted when empty. Nil slices in
// [UpdateKYBTokenParams] are not sent (the token keeps its list); an empty,
// non-nil slice is sent as [] and clears it.
//
// # Errors
//
// iDenfy answers errors as {"identifier", "message", "documentation",
// "severity"}. The identifier becomes providers.Error.Code and maps to
// sentinels: UNAUTHORIZED to providers.ErrUnauthorized, TOO_MANY_REQUESTS
// to providers.ErrRateLimited, BAD_VALUE, MISSING_VALUE and VALIDATION_ERROR
// to providers.ErrValidation, TOKEN_NOT_VALID to [ErrTokenNotValid]. Error
// strings never hold the response body, the key or the secret.
//
// # Webhooks
//
// iDenfy signs each webhook with the header Idenfy-Signature: the hex
// HMAC-SHA256 of the raw body under your webhook signing key.
// [ParseWebhook] reads the body (capped at [MaxWebhookBody]), checks the
// signature in constant time and only then decodes a [KYCCallback];
// [VerifyWebhook] checks a body you have read yourself. A bad or missing
// signature returns [ErrBadSignature] and no payload.
//
// # Assumptions
//
// Marked (I) in the project's provider notes, i.e. inferred rather than
// confirmed by iDenfy's documents:
//
//   - (I) Lengths are counted in Unicode characters, not bytes.
//   - (I) A KYB lifetime of 0 cannot be asked for: [CreateKYBTokenParams]
//     omits a zero Lifetime, so iDenfy applies its default of 3600 s (a
//     zero-second token would be born expired).
//   - (I) The KYC token type, document types and country are passed
//     through unchecked: iDenfy's lists of them grow.
//   - (I) Status and delete of an unknown scanRef answer 404 (the fake
//     does so); callers should match providers.ErrNotFound.
//
// The fake server in package idenfytest implements all of this for tests.
package idenfy

// DefaultBaseURL is iDenfy's API origin, shared by sandbox and live keys.
const DefaultBaseURL = "https://ivs.idenfy.com"
