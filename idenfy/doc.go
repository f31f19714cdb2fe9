// Package idenfy is the unikyc client for iDenfy (https://www.idenfy.com):
// a whole verification — KYC sessions, their signed result webhooks, the
// full result, data and files — plus KYB form tokens and companies, AML v3
// checks, verification status and deletion.
//
// A verification runs: [Client.CreateVerificationToken] (send the person to
// RedirectURL) → the person verifies → iDenfy posts the result webhook,
// received by a webhook.Receiver made with [Webhooks] → [Client.FullResult]
// when a webhook was missed → act on it. examples/kyc-flow is a service
// doing exactly that; package idenfytest plays iDenfy and the person in
// tests (Complete).
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
// # The KYC token's two shapes
//
// Two versions of iDenfy's reference disagree (C): the guides' flat request
// (firstName, successUrl, errorUrl, callbackUrl, expiryTime, country,
// documents) answered {authToken, redirectUrl, scanRef, …}
// (documentation.idenfy.com/kyc/generate-token), and the API reference's
// nested request (client{}, urls{successUrl, failUrl, unverifiedUrl,
// webhookUrl}, settings{}, lifetime, allowedCountries, allowedDocuments)
// answered {tokenString, scanRef, isValid, expiration, sessionUrl}
// (api-reference/kyc-token/generate-kyc-token). [CreateVerificationTokenParams]
// carries both groups of fields and sends exactly those set; a field set in
// both forms is refused. [VerificationToken] reads both answers into
// AuthToken and RedirectURL; an answer with neither token is a
// *providers.DecodeError ([ErrNoToken]), never an empty token. (I) The keys
// inside client{} follow the flat request's names; settings{} is passed
// through.
//
// # Results, lists and AML
//
// Confirmed on the data retrieval, full result and API reference pages:
// [Client.FullResult] (POST /api/v2/full, the webhook's shape; there final
// always reads false and a pending manual review shows the automatic
// result), [Client.Data] (POST /api/v2/data), [Client.Files] (POST
// /api/v2/files; every retrieval call takes only {"scanRef"}; (I) the
// answer is read as the webhook's fileUrls); AML v3 [Client.CreateAMLCheck]
// (POST /aml/checks/, 201, aml.yaml's AmlCheckRequest) and
// [Client.AMLCheckPDF] (POST /aml/checks/{id}/pdf/, application/pdf); KYB
// [Client.Company] (GET /kyb/companies/{id}/) and [Client.Companies] (GET
// /kyb/companies/, filtered by registrationNumber); [Client.Identifications]
// (GET /kyc/identifications/?clientId=&page=&perPage=). Lists are Go
// iterators (iter.Seq2) that follow DRF page-number pagination (count,
// next, previous): a next link is followed by its path and query under the
// base URL only, and one that leaves the list or repeats a page ends the
// walk with a *providers.DecodeError.
//
// iDenfy asks not to poll POST /api/v2/status and may restrict accounts that
// do (C: data retrieval page). [Config.StatusGuard] refuses a second
// [Client.Status] of one scan within the interval ([StatusPollError],
// nothing sent); [StatusPollInterval], 20 minutes, is the window in which a
// result webhook is to be expected (C: result webhook page).
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
// "severity"} (C: error-messages page). The identifier becomes
// providers.Error.Code and maps to sentinels: UNAUTHORIZED to
// providers.ErrUnauthorized, TOO_MANY_REQUESTS to providers.ErrRateLimited
// (with a 429 or, iDenfy's standard error status being 400, with a 400:
// either pauses the account as a 429 does, Retry-After honoured),
// BAD_VALUE, MISSING_VALUE, VALIDATION_ERROR, JSON_ERROR and ENCODING_ERROR
// to providers.ErrValidation, TOKEN_NOT_VALID to [ErrTokenNotValid].
// Confirmed on the error-messages, standard-errors, error-handling and
// deletion pages:
//
//   - 400 PERMISSIONS_ERROR "Partner reached token limit." is
//     [ErrTokenLimit]: out of verification credits, not a rate limit. Any
//     other PERMISSIONS_ERROR is [ErrPartnerInactive].
//   - PARTNER_CONTRACT_ERROR is [ErrContractNotPermitted].
//   - 409 (a clientId that has an active session) is [ErrActiveSession],
//     whatever the identifier.
//   - PARTNER_ERROR "Token has not expired yet." (deleting a verification
//     whose token is still active) is [ErrTokenStillActive].
//
// Without an identifier the status decides: 402 is [ErrLackOfFunds], 403
// (partner inactive, or the key pair of the other environment)
// [ErrPartnerInactive]. Messages are compared without case and final
// period (I). Error strings never hold the response body, the key or the
// secret.
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
// [Webhooks] returns a [WebhookVerifier], iDenfy's side of a
// webhook.Receiver (package webhook): it takes several signing keys at once
// (iDenfy sets a key per notification, C: system notifications page) and
// refuses a blank one when it is made. iDenfy signs each webhook with
// Idenfy-Signature, the hex HMAC-SHA256 of the raw body (C: callback signing
// page); it is checked in constant time against every key before anything
// is decoded. Idenfy-Event-Type names the event but is not signed (C), so
// the signed body decides: a body recognisably of one kind is decoded as
// that kind and a header naming another is [ErrEventTypeMismatch]. The
// documented types (C: kyc.yaml and kyb.yaml `webhooks:`) decode into
// typed events: [KYCResultEvent] for IDENTIFICATION and the five
// IDENTIFICATION_* results, [DocumentExpirationEvent],
// [VideoCallFinishedEvent] (no documented body: raw), and the KYB events
// COMPANY_SUBMIT, COMPANY_REVIEW, COMPANY_AML_REVIEW, COMPANY_INFO_REQUEST
// (form-token expiry arrives here with status EXPIRED), COMPANY_EXPIRATION,
// COMPANY_DELETE, GOV_ORDERED_DOCUMENT and SOS_REPORT; any other type is an
// [UnknownEvent] with its raw body. A KYC result's fileUrls values are
// typed "any" (C), so they are kept as any ([KYCResult.FileURL] reads the
// strings); "amlCheck" is AML v3 and "AML" the legacy v2 block (C).
//
// Delivery (C: webhooks overview and KYC webhooks pages): answer 2xx within
// 10 s or iDenfy retries; treat scanRef as the idempotency key; an
// automatic result may come with final false before the manual one. The
// dedupe key of a KYC result is therefore scanRef, event type, final and
// finishTime; of other events, the type and a digest of the body (I: no
// idempotency key is documented for them, and a redelivery carries the
// same notification). [ParseEvent] and [ParseWebhook] serve a single key
// without a Receiver; [VerifyWebhook] checks a body you have read yourself.
//
// # Assumptions
//
// Inferred (I) rather than confirmed by iDenfy's documents:
//
//   - (I) Lengths are counted in Unicode characters, not bytes.
//   - (I) A webhook without Idenfy-Event-Type is typed by its body; a
//     KYC result without it is the legacy IDENTIFICATION event.
//   - (I) The webhook body cap, [MaxWebhookBody] (4 MiB): none is documented.
//   - (I) CheckAuth relies on iDenfy checking the Basic credentials before
//     the body, as a Django REST Framework view does.
//   - (I) The KYC token type, document types and country are passed
//     through unchecked: iDenfy's lists of them grow.
//   - (I) Status, delete and the result calls of an unknown scanRef, or of
//     one without a result yet, answer 404 (the fake does so); callers
//     should match providers.ErrNotFound.
//   - (I) The dedupe key includes finishTime, so that a result after
//     IDENTIFICATION_RESUBMITTED (same scanRef) is not dropped.
//   - (I) The body kinds: a KYC result is a body with "final" and a
//     "status" object; the KYB bodies are told by keys only their schema
//     has (expirationThreshold, amlReviewSubjectType, expirationStatus,
//     productKey, companyId+token+status, companyId+date+manager,
//     companyName+beneficiaries, reportFile/dataFile/entityType). A body
//     with none of them (COMPANY_SUBMIT's, VIDEO_CALL_FINISHED's) is read
//     as the header says.
//
// Seen and left alone: the kyb.yaml reference also lists a
// COMPANY_TOKEN_EXPIRED webhook page, which the webhooks pages do not name
// (form-token expiry arrives as COMPANY_INFO_REQUEST, status EXPIRED); it
// decodes as an [UnknownEvent]. The prose of the legacy IDENTIFICATION
// event names ID_VERIFICATION_* events, but the enum values sent are
// IDENTIFICATION_*.
//
// The fake server in package idenfytest implements all of this for tests.
package idenfy

// DefaultBaseURL is iDenfy's API origin, shared by sandbox and live keys.
const DefaultBaseURL = "https://ivs.idenfy.com"
