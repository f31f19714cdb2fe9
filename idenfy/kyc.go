package idenfy

import (
	"context"
	"encoding/json"
	"errors"
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
//
// iDenfy documents two shapes of this body (C, two versions of its
// reference): the guides' flat one (FirstName, SuccessURL, CallbackURL,
// ExpiryTime, Country, Documents, …) and the API reference's nested one
// (Client, URLs, Settings, Lifetime, AllowedCountries, AllowedDocuments).
// Fill either group; the body carries exactly the fields you set, so a
// flat request is sent as before. Setting a flat field and its nested
// counterpart (FirstName and Client.FirstName, CallbackURL and
// URLs.WebhookURL, ExpiryTime and Lifetime, …) is a *providers.ValidationError.
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

	// The API reference's nested shape.
	Client   *KYCClient     `json:"client,omitempty"`   // known client data, cross-checked against the document
	URLs     *KYCURLs       `json:"urls,omitempty"`     // redirect and webhook URLs of this session
	Settings map[string]any `json:"settings,omitempty"` // session-level feature overrides, passed through
	// Lifetime is the token's validity in seconds (at most 2,592,000); nil
	// is not sent.
	Lifetime         *int     `json:"lifetime,omitempty"`
	AllowedCountries []string `json:"allowedCountries,omitempty"` // ISO 3166-1 alpha-2
	AllowedDocuments []string `json:"allowedDocuments,omitempty"` // e.g. "PASSPORT", "ID_CARD"
}

// KYCClient is the "client" block of the nested token request. Its keys
// follow the flat request's names (I: the reference page names the block,
// "Pre-fill known client data", not every key).
type KYCClient struct {
	FirstName      string `json:"firstName,omitempty"`
	LastName       string `json:"lastName,omitempty"`
	DateOfBirth    string `json:"dateOfBirth,omitempty"` // YYYY-MM-DD
	Nationality    string `json:"nationality,omitempty"`
	Sex            string `json:"sex,omitempty"` // M or F
	DocumentNumber string `json:"documentNumber,omitempty"`
	PersonalNumber string `json:"personalNumber,omitempty"`
}

// KYCURLs is the "urls" block of the nested token request.
type KYCURLs struct {
	SuccessURL    string `json:"successUrl,omitempty"`
	FailURL       string `json:"failUrl,omitempty"`
	UnverifiedURL string `json:"unverifiedUrl,omitempty"`
	WebhookURL    string `json:"webhookUrl,omitempty"` // where this session's result webhooks go
}

// checkShapes refuses a field set in both the flat and the nested shape.
func (p *CreateVerificationTokenParams) checkShapes() error {
	c, u := p.Client, p.URLs
	if c == nil {
		c = &KYCClient{}
	}
	if u == nil {
		u = &KYCURLs{}
	}
	both := []struct {
		flat, nested string
		set          bool
	}{
		{"firstName", "client.firstName", p.FirstName != "" && c.FirstName != ""},
		{"lastName", "client.lastName", p.LastName != "" && c.LastName != ""},
		{"dateOfBirth", "client.dateOfBirth", p.DateOfBirth != "" && c.DateOfBirth != ""},
		{"successUrl", "urls.successUrl", p.SuccessURL != "" && u.SuccessURL != ""},
		{"errorUrl", "urls.failUrl", p.ErrorURL != "" && u.FailURL != ""},
		{"unverifiedUrl", "urls.unverifiedUrl", p.UnverifiedURL != "" && u.UnverifiedURL != ""},
		{"callbackUrl", "urls.webhookUrl", p.CallbackURL != "" && u.WebhookURL != ""},
		{"expiryTime", "lifetime", p.ExpiryTime != 0 && p.Lifetime != nil},
		{"country", "allowedCountries", p.Country != "" && p.AllowedCountries != nil},
		{"documents", "allowedDocuments", p.Documents != nil && p.AllowedDocuments != nil},
	}
	for _, b := range both {
		if b.set {
			return providers.Invalid(b.nested, "is the nested form of "+b.flat+": set one of them")
		}
	}
	return nil
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
		p.checkShapes(),
		p.checkNested(),
	)
}

func (p *CreateVerificationTokenParams) checkNested() error {
	var errs []error
	if c := p.Client; c != nil {
		errs = append(errs,
			checkOptionalLen("client.firstName", c.FirstName, 100), checkName("client.firstName", c.FirstName),
			checkOptionalLen("client.lastName", c.LastName, 100), checkName("client.lastName", c.LastName),
			checkDate("client.dateOfBirth", c.DateOfBirth))
	}
	if u := p.URLs; u != nil {
		errs = append(errs, checkURL("urls.successUrl", u.SuccessURL), checkURL("urls.failUrl", u.FailURL),
			checkURL("urls.unverifiedUrl", u.UnverifiedURL), checkURL("urls.webhookUrl", u.WebhookURL))
	}
	if p.Lifetime != nil {
		errs = append(errs, checkRange("lifetime", *p.Lifetime, 0, MaxExpiryTime))
	}
	return firstError(errs...)
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

// VerificationToken is the answer to POST /api/v2/token, in either of its
// documented shapes: the guides' {authToken, redirectUrl, scanRef, …} and
// the API reference's {tokenString, scanRef, isValid, expiration,
// sessionUrl}. AuthToken holds authToken or tokenString, RedirectURL holds
// redirectUrl or sessionUrl, so code reads one field whatever iDenfy sent.
type VerificationToken struct {
	Message             string   `json:"message"`
	AuthToken           string   `json:"authToken"` // opens the session: treat as a secret
	IsValid             *bool    `json:"isValid"`
	Expiration          string   `json:"expiration"` // RFC 3339, newer shape only
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

// ErrNoToken is the cause of the *providers.DecodeError returned when a
// 2xx token answer holds neither authToken nor tokenString: an empty token
// is never returned as a success.
var ErrNoToken = errors.New("unikyc: idenfy: token answer holds neither authToken nor tokenString")

// UnmarshalJSON reads both answer shapes.
func (t *VerificationToken) UnmarshalJSON(b []byte) error {
	type plain VerificationToken
	var newer struct {
		TokenString string `json:"tokenString"`
		SessionURL  string `json:"sessionUrl"`
	}
	if err := json.Unmarshal(b, (*plain)(t)); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &newer); err != nil {
		return err
	}
	if t.AuthToken == "" {
		t.AuthToken = newer.TokenString
	}
	if t.RedirectURL == "" {
		t.RedirectURL = newer.SessionURL
	}
	return nil
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
	const op = "create verification token"
	var out VerificationToken
	if err := c.post(ctx, verificationTokenPath, op, &p, &out); err != nil {
		return nil, err
	}
	if out.AuthToken == "" {
		return nil, &providers.DecodeError{Provider: Name, Operation: op, Err: ErrNoToken}
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
