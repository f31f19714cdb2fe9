package idenfy

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/unikyc/unikyc/providers"
)

// KYC paths.
const (
	verificationTokenPath = "/api/v2/token"
	statusPath            = "/api/v2/status"
	deletePath            = "/api/v2/delete"
	redirectPath          = "/api/v2/redirect"
)

// KYC limits.
const (
	MaxExpiryTime = 2592000 // seconds (30 days)
	dateLayout    = "2006-01-02"
)

// CreateVerificationTokenParams is the body of POST /api/v2/token. Only
// ClientID is required; empty fields are not sent and take the defaults of
// your iDenfy dashboard.
type CreateVerificationTokenParams struct {
	ClientID    string   `json:"clientId"`              // required, 1–100 ASCII characters
	FirstName   string   `json:"firstName,omitempty"`   // at most 100 characters, no digits or ~!@#$%^*()_+={}[]|:;",<>/?
	LastName    string   `json:"lastName,omitempty"`    // as FirstName
	DateOfBirth string   `json:"dateOfBirth,omitempty"` // YYYY-MM-DD
	Country     string   `json:"country,omitempty"`     // ISO 3166-1 alpha-2
	Documents   []string `json:"documents,omitempty"`   // e.g. "PASSPORT", "ID_CARD"
	Locale      string   `json:"locale,omitempty"`
	// ExpiryTime is the token's validity in seconds (at most 2,592,000);
	// SessionLength the seconds a started session may last, 60–3600 (0 is
	// not sent: iDenfy's default, 600).
	ExpiryTime          int    `json:"expiryTime,omitempty"`
	SessionLength       int    `json:"sessionLength,omitempty"`
	SuccessURL          string `json:"successUrl,omitempty"`
	ErrorURL            string `json:"errorUrl,omitempty"`
	UnverifiedURL       string `json:"unverifiedUrl,omitempty"`
	CallbackURL         string `json:"callbackUrl,omitempty"`
	ExternalRef         string `json:"externalRef,omitempty"` // at most 40 characters
	TokenType           string `json:"tokenType,omitempty"`   // e.g. "IDENTIFICATION", "DOCUMENT"
	GenerateDigitString bool   `json:"generateDigitString,omitempty"`
	// Questionnaire: absent (zero value) uses your dashboard's default,
	// Null[string]() disables it, Value(key) picks one.
	Questionnaire Nullable[string] `json:"questionnaire,omitzero"`
}

// Validate checks the limits iDenfy documents for KYC tokens.
func (p *CreateVerificationTokenParams) Validate() error {
	return firstError(
		checkRequired("clientId", p.ClientID),
		checkLen("clientId", p.ClientID, 1, MaxClientIDLen),
		checkASCII("clientId", p.ClientID),
		checkOptionalLen("firstName", p.FirstName, 100),
		checkName("firstName", p.FirstName),
		checkOptionalLen("lastName", p.LastName, 100),
		checkName("lastName", p.LastName),
		checkDate("dateOfBirth", p.DateOfBirth),
		checkRange("expiryTime", p.ExpiryTime, 0, MaxExpiryTime),
		checkSessionLength(p.SessionLength),
		checkQuestionnaire(p.Questionnaire),
		checkOptionalLen("externalRef", p.ExternalRef, MaxExternalRefLen),
		checkURL("successUrl", p.SuccessURL),
		checkURL("errorUrl", p.ErrorURL),
		checkURL("unverifiedUrl", p.UnverifiedURL),
		checkURL("callbackUrl", p.CallbackURL),
	)
}

// KYC session length limits (seconds).
const (
	MinSessionLength = 60
	MaxSessionLength = 3600
)

func checkSessionLength(n int) error {
	if n == 0 {
		return nil
	}
	return checkRange("sessionLength", n, MinSessionLength, MaxSessionLength)
}

// nameForbidden are the characters iDenfy refuses in names, with digits.
const nameForbidden = "~!@#$%^*()_+={}[]|:;\",<>/?"

func checkName(field, s string) error {
	if strings.ContainsAny(s, nameForbidden+"0123456789") {
		return providers.Invalid(field, "must not contain digits or any of "+nameForbidden)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return providers.Invalid(field, "must not contain control characters")
	}
	return nil
}

func checkASCII(field, s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return providers.Invalid(field, "must hold only printable ASCII characters")
		}
	}
	return nil
}

func checkDate(field, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(dateLayout, s); err != nil {
		return providers.Invalid(field, "must be a date as YYYY-MM-DD")
	}
	return nil
}

func checkURL(field, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return providers.Invalid(field, "must be an absolute http(s) URL")
	}
	return nil
}

// VerificationToken is the answer to POST /api/v2/token.
type VerificationToken struct {
	Message             string   `json:"message"`
	AuthToken           string   `json:"authToken"` // opens the session: treat as a secret
	ScanRef             string   `json:"scanRef"`
	ClientID            string   `json:"clientId"`
	FirstName           string   `json:"firstName"`
	LastName            string   `json:"lastName"`
	SuccessURL          string   `json:"successUrl"`
	ErrorURL            string   `json:"errorUrl"`
	UnverifiedURL       string   `json:"unverifiedUrl"`
	CallbackURL         string   `json:"callbackUrl"`
	Locale              string   `json:"locale"`
	Country             string   `json:"country"`
	ExpiryTime          int      `json:"expiryTime"`
	SessionLength       int      `json:"sessionLength"`
	Documents           []string `json:"documents"`
	TokenType           string   `json:"tokenType"`
	ExternalRef         string   `json:"externalRef"`
	GenerateDigitString bool     `json:"generateDigitString"`
	DigitString         string   `json:"digitString"`
	RedirectURL         string   `json:"redirectUrl"`
}

// VerificationStatus is a verification's overall status.
type VerificationStatus string

// Verification statuses.
const (
	StatusApproved       VerificationStatus = "APPROVED"
	StatusDenied         VerificationStatus = "DENIED"
	StatusSuspected      VerificationStatus = "SUSPECTED"
	StatusReviewing      VerificationStatus = "REVIEWING"
	StatusActive         VerificationStatus = "ACTIVE"
	StatusExpired        VerificationStatus = "EXPIRED"
	StatusExpiredDeleted VerificationStatus = "EXPIRED-DELETED"
	StatusDeleted        VerificationStatus = "DELETED"
	StatusArchived       VerificationStatus = "ARCHIVED"
)

// Statuses lists every documented status.
var Statuses = []VerificationStatus{StatusApproved, StatusDenied, StatusSuspected, StatusReviewing,
	StatusActive, StatusExpired, StatusExpiredDeleted, StatusDeleted, StatusArchived}

// Final reports whether s is a result (approved, denied or suspected)
// rather than a verification in progress, expired or removed.
func (s VerificationStatus) Final() bool {
	return s == StatusApproved || s == StatusDenied || s == StatusSuspected
}

// Verification is the answer to POST /api/v2/status.
type Verification struct {
	Status         VerificationStatus `json:"status"`
	AutoDocument   string             `json:"autoDocument"`
	AutoFace       string             `json:"autoFace"`
	ManualDocument string             `json:"manualDocument"`
	ManualFace     string             `json:"manualFace"`
	FraudTags      []string           `json:"fraudTags"`
	MismatchTags   []string           `json:"mismatchTags"`
	ScanRef        string             `json:"scanRef"`
	ClientID       string             `json:"clientId"`
}

// ScanRefRequest is the body of the status and delete calls.
type ScanRefRequest struct {
	ScanRef string `json:"scanRef"`
}

// CreateVerificationToken creates a KYC session token (POST /api/v2/token).
// Send the user to [Client.RedirectURL] of its AuthToken, or use the
// answer's RedirectURL.
func (c *Client) CreateVerificationToken(ctx context.Context, p CreateVerificationTokenParams) (*VerificationToken, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out VerificationToken
	if err := c.post(ctx, verificationTokenPath, "create verification token", &p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Status returns a verification's status (POST /api/v2/status). iDenfy asks
// that it not be polled: use webhooks, and this as a fallback.
func (c *Client) Status(ctx context.Context, scanRef string) (*Verification, error) {
	if err := checkRequired("scanRef", scanRef); err != nil {
		return nil, err
	}
	var out Verification
	if err := c.read(ctx, statusPath, "status", ScanRefRequest{ScanRef: scanRef}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteVerification deletes a verification's data (POST /api/v2/delete,
// answer 200 with an empty body).
func (c *Client) DeleteVerification(ctx context.Context, scanRef string) error {
	if err := checkRequired("scanRef", scanRef); err != nil {
		return err
	}
	return c.post(ctx, deletePath, "delete verification", ScanRefRequest{ScanRef: scanRef}, nil)
}

// RedirectURL returns the URL that opens the verification session of
// authToken, under the client's base URL:
// https://ivs.idenfy.com/api/v2/redirect?authToken=….
func (c *Client) RedirectURL(authToken string) string {
	u := c.BaseURL()
	u.Path += redirectPath
	u.RawQuery = "authToken=" + url.QueryEscape(authToken)
	return u.String()
}
