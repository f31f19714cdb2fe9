package idenfytest

// The paths the fake serves, as iDenfy's reference spells them (trailing
// slashes included), for knobs such as FailNext(PathFull, …).
const (
	PathKYCToken        = "/api/v2/token"
	PathStatus          = "/api/v2/status"
	PathDelete          = "/api/v2/delete"
	PathFull            = "/api/v2/full"
	PathData            = "/api/v2/data"
	PathFiles           = "/api/v2/files"
	PathKYBTokens       = "/kyb/tokens/"    // and /kyb/tokens/{tokenString}/
	PathKYBCompanies    = "/kyb/companies/" // and /kyb/companies/{id}/
	PathIdentifications = "/kyc/identifications/"
	PathAMLChecks       = "/aml/checks/" // and /aml/checks/{id}/pdf/
	PathStorage         = "/storage/"    // the fake's file links: /storage/{scanRef}/{FRONT|BACK|FACE}.png
)

// Webhook headers and event types, from kyc.yaml and kyb.yaml `webhooks:`.
const (
	SignatureHeader = "Idenfy-Signature"
	EventTypeHeader = "Idenfy-Event-Type"

	EventIdentification               = "IDENTIFICATION"
	EventIdentificationAutoFinished   = "IDENTIFICATION_AUTO_FINISHED"
	EventIdentificationManualFinished = "IDENTIFICATION_MANUAL_FINISHED"
	EventIdentificationExpired        = "IDENTIFICATION_EXPIRED"
	EventIdentificationCancelled      = "IDENTIFICATION_CANCELLED"
	EventIdentificationResubmitted    = "IDENTIFICATION_RESUBMITTED"
)

// Verification statuses iDenfy documents (/api/v2/status "status",
// webhook "status.overall").
const (
	statusApproved  = "APPROVED"
	statusDenied    = "DENIED"
	statusSuspected = "SUSPECTED"
	statusReviewing = "REVIEWING"
	statusActive    = "ACTIVE"
	statusExpired   = "EXPIRED"
	statusDeleted   = "DELETED"
)

// Error identifiers of iDenfy's error format.
const (
	codeUnauthorized    = "UNAUTHORIZED"
	codeTooManyRequests = "TOO_MANY_REQUESTS"
	codeBadValue        = "BAD_VALUE"
	codeTokenNotValid   = "TOKEN_NOT_VALID"
)
