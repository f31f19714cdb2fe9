package idenfy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// Name is the provider's short name, used in errors and logs.
const Name = "idenfy"

// DocumentedBudget is iDenfy's documented limit: 10,000 requests an hour
// (TOO_MANY_REQUESTS beyond it).
var DocumentedBudget = ratelimit.Budget{Name: "requests", Limit: 10000, Window: time.Hour}

// Sentinels for iDenfy's documented refusals; match them with errors.Is.
var (
	// ErrTokenNotValid: the identifier TOKEN_NOT_VALID; the token named in
	// the call is expired, deactivated or unknown to iDenfy.
	ErrTokenNotValid = errors.New("unikyc: idenfy: token not valid")
	// ErrLackOfFunds: 402, the account has no funds for the call.
	ErrLackOfFunds = errors.New("unikyc: idenfy: lack of funds")
	// ErrPartnerInactive: 403 or PERMISSIONS_ERROR; the partner account is
	// inactive, lacks the permission, or the key pair belongs to another
	// environment (sandbox and live share the base URL).
	ErrPartnerInactive = errors.New("unikyc: idenfy: partner inactive, not permitted or wrong environment")
	// ErrTokenLimit: a 400 PERMISSIONS_ERROR "Partner reached token limit.":
	// the account is out of verification credits (not a rate limit).
	ErrTokenLimit = errors.New("unikyc: idenfy: partner reached its token limit (out of credits)")
	// ErrContractNotPermitted: PARTNER_CONTRACT_ERROR, the contract does
	// not permit the operation.
	ErrContractNotPermitted = errors.New("unikyc: idenfy: operation not permitted by the partner contract")
	// ErrActiveSession: 409, a KYC token was asked for a clientId that has
	// an active verification session. Use another clientId, or wait for the
	// session to expire.
	ErrActiveSession = errors.New("unikyc: idenfy: clientId already has an active session")
	// ErrTokenStillActive: PARTNER_ERROR "Token has not expired yet.", a
	// verification was deleted while its token is still active.
	ErrTokenStillActive = errors.New("unikyc: idenfy: token has not expired yet")
)

// Config configures a [Client]. The zero BaseURL means [DefaultBaseURL].
type Config struct {
	BaseURL   string
	APIKey    auth.Secret // Basic auth username
	APISecret auth.Secret // Basic auth password
	// StatusGuard, when positive, refuses a second Status call for one
	// scan within this interval (a *StatusPollError; nothing is sent):
	// iDenfy asks not to poll /api/v2/status. StatusPollInterval is a
	// safe value. 0 turns the guard off.
	StatusGuard time.Duration
}

// Client calls iDenfy's API. It is safe for concurrent use. Close it when
// done. Besides the typed calls, [Client.NewRequest] and [Client.Do], or
// [Client.HTTPClient], reach endpoints this package does not type, with the
// same authentication, throttling and retries.
type Client struct {
	conn  *providers.Core
	guard *statusGuard
}

//go:generate go run ../internal/cmd/clientgen

// New checks cfg and builds a client. A missing key or secret is a
// *providers.ValidationError naming the Config field; nothing is sent.
func New(cfg Config, opts ...providers.Option) (_ *Client, err error) {
	defer func() { err = providers.Named(Name, err) }()
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	switch {
	case cfg.APIKey == "":
		return nil, providers.Invalid("APIKey", "is required")
	case strings.Contains(string(cfg.APIKey), ":"):
		// Basic auth splits user and password at the first colon.
		return nil, providers.Invalid("APIKey", "must not contain a colon")
	case cfg.APISecret == "":
		return nil, providers.Invalid("APISecret", "is required")
	case cfg.StatusGuard < 0:
		return nil, providers.Invalid("StatusGuard", "must not be negative")
	}
	// Base64 would carry a line end or NUL intact to iDenfy, which then
	// refuses the pair at the first call: a copy-paste slip, caught here.
	if err := auth.CheckHeaderValue(string(cfg.APIKey)); err != nil {
		return nil, providers.Invalid("APIKey", err.Error())
	}
	if err := auth.CheckHeaderValue(string(cfg.APISecret)); err != nil {
		return nil, providers.Invalid("APISecret", err.Error())
	}
	conn, err := providers.Build(providers.Spec{
		Name:        Name,
		BaseURL:     cfg.BaseURL,
		Credential:  auth.Basic(string(cfg.APIKey), string(cfg.APISecret)),
		DecodeError: decodeError,
		Budgets:     []ratelimit.Budget{DocumentedBudget},
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, guard: &statusGuard{interval: cfg.StatusGuard, last: map[string]time.Time{}}}, nil
}

// APIError is iDenfy's error body.
type APIError struct {
	Identifier    string `json:"identifier"`
	Message       string `json:"message"`
	Documentation string `json:"documentation,omitempty"`
	Severity      string `json:"severity,omitempty"`
}

// Error identifiers iDenfy documents.
const (
	CodeUnauthorized     = "UNAUTHORIZED"
	CodeTooManyRequests  = "TOO_MANY_REQUESTS"
	CodeBadValue         = "BAD_VALUE"
	CodeMissingValue     = "MISSING_VALUE"
	CodeValidationError  = "VALIDATION_ERROR"
	CodeTokenNotValid    = "TOKEN_NOT_VALID"
	CodeInternalError    = "INTERNAL_ERROR"
	CodeEncodingError    = "ENCODING_ERROR"
	CodeJSONError        = "JSON_ERROR"
	CodePartnerContract  = "PARTNER_CONTRACT_ERROR"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodePermissions      = "PERMISSIONS_ERROR"
	CodePartnerError     = "PARTNER_ERROR"
)

// The messages that tell one refusal from another under one identifier.
const (
	msgTokenLimit      = "partner reached token limit"
	msgTokenNotExpired = "token has not expired yet"
)

// saysMessage reports whether msg is the documented message want, ignoring
// case, surrounding space and the final period.
func saysMessage(msg, want string) bool {
	return strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(msg), "."), want)
}

// decodeError reads iDenfy's error body into e. The identifier decides
// the sentinel (with the message where one identifier has two meanings);
// without one (or another body) the status does: 402 lack of funds, 403
// partner inactive or wrong environment, 409 active session.
// TOO_MANY_REQUESTS matches providers.ErrRateLimited whatever the status:
// iDenfy's standard error status is 400, so it may come with a 400 (I).
func decodeError(e *providers.Error) {
	var body APIError
	if json.Unmarshal(e.Body, &body) == nil && body.Identifier != "" {
		e.Code, e.Message = body.Identifier, body.Message
	}
	switch e.Code {
	case CodeUnauthorized:
		e.Err = providers.ErrUnauthorized
	case CodeTooManyRequests:
		e.Err = providers.ErrRateLimited
	case CodeBadValue, CodeMissingValue, CodeValidationError, CodeEncodingError, CodeJSONError:
		e.Err = providers.ErrValidation
	case CodeTokenNotValid:
		e.Err = ErrTokenNotValid
	case CodePartnerContract:
		e.Err = ErrContractNotPermitted
	case CodePermissions:
		e.Err = ErrPartnerInactive
		if saysMessage(e.Message, msgTokenLimit) {
			e.Err = ErrTokenLimit
		}
	case CodePartnerError:
		if saysMessage(e.Message, msgTokenNotExpired) {
			e.Err = ErrTokenStillActive
		}
	}
	if e.Err == nil {
		switch e.StatusCode {
		case http.StatusPaymentRequired:
			e.Err = ErrLackOfFunds
		case http.StatusForbidden:
			e.Err = ErrPartnerInactive
		}
	}
	// iDenfy's one documented 409 is the active session, whatever the
	// identifier says.
	if e.StatusCode == http.StatusConflict {
		e.Err = ErrActiveSession
	}
}

// send sends body as JSON to path and decodes a 2xx answer into out.
func (c *Client) send(ctx context.Context, method, path, operation string, body, out any) error {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	return c.Do(req, operation, out)
}

// read is a POST that only reads (status): safe to retry after a 5xx.
func (c *Client) read(ctx context.Context, path, operation string, body, out any) error {
	req, err := c.NewRequest(ctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	return c.Do(providers.MarkIdempotent(req), operation, out)
}

// post is send with POST.
func (c *Client) post(ctx context.Context, path, operation string, body, out any) error {
	return c.send(ctx, http.MethodPost, path, operation, body, out)
}
