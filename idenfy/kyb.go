package idenfy

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/providers"
)

// KYBTokenType is the kind of KYB session.
type KYBTokenType string

// KYB token types.
const (
	KYBTokenForm KYBTokenType = "FORM"
	KYBTokenGOV1 KYBTokenType = "GOV1"
	KYBTokenGOV2 KYBTokenType = "GOV2"
)

// KYBTokenTypes lists every KYB token type iDenfy accepts.
var KYBTokenTypes = []KYBTokenType{KYBTokenForm, KYBTokenGOV1, KYBTokenGOV2}

// Locale is the language the session opens in.
type Locale string

// Locales lists every locale iDenfy's KYB schema accepts.
var Locales = []Locale{"en", "es", "fr", "ru", "de", "it", "pl", "lt", "lv", "et", "cs", "ro", "hu", "ja", "bg", "nl", "pt"}

// KYB limits from iDenfy's schema.
const (
	MaxKYBLifetime      = 2592000 // seconds (30 days)
	DefaultKYBLifetime  = 3600    // seconds, applied by iDenfy when none is sent
	MaxClientIDLen      = 100
	MaxExternalRefLen   = 40
	MaxKYBTags          = 5
	MaxTagLen           = 32
	MaxScanRefLen       = 40
	MinQuestionnaireLen = 1
	kybTokensPath       = "/kyb/tokens/"
)

// CreateKYBTokenParams is the body of POST /kyb/tokens/. Empty fields are
// not sent, so iDenfy applies its defaults.
type CreateKYBTokenParams struct {
	TokenType KYBTokenType `json:"tokenType"` // required
	ClientID  string       `json:"clientId"`  // required, 1–100 characters
	// Lifetime is the token's validity in seconds, 0–2,592,000; 0 is not
	// sent and means iDenfy's default, 3600.
	Lifetime    int    `json:"lifetime,omitempty"`
	ExternalRef string `json:"externalRef,omitempty"` // at most 40 characters
	Locale      Locale `json:"locale,omitempty"`      // one of Locales; default: by the client's IP
	Flow        string `json:"flow,omitempty"`        // KYB flow UUID
	Theme       string `json:"theme,omitempty"`       // KYB theme UUID
	// Questionnaire: absent (zero value) uses the default questionnaire of
	// your KYB settings, Null[string]() none, Value(key) that one (at least
	// one character). Ignored by iDenfy when Flow is set.
	Questionnaire Nullable[string] `json:"questionnaire,omitzero"`
	// QuestionnaireRequired: nil leaves iDenfy's default (true).
	QuestionnaireRequired *bool    `json:"questionnaireRequired,omitempty"`
	Tags                  []string `json:"tags,omitempty"`     // at most 5, each 1–32 characters, no comma
	ScanRefs              []string `json:"scanRefs,omitempty"` // each 1–40 characters, no comma
}

// Validate checks p against iDenfy's schema; see the package doc.
func (p *CreateKYBTokenParams) Validate() error {
	return firstError(
		checkRequired("tokenType", string(p.TokenType)),
		checkOneOf("tokenType", p.TokenType, KYBTokenTypes),
		checkRequired("clientId", p.ClientID),
		checkLen("clientId", p.ClientID, 1, MaxClientIDLen),
		checkRange("lifetime", p.Lifetime, 0, MaxKYBLifetime),
		checkOptionalLen("externalRef", p.ExternalRef, MaxExternalRefLen),
		checkOneOf("locale", p.Locale, Locales),
		checkUUID("flow", p.Flow),
		checkUUID("theme", p.Theme),
		checkQuestionnaire(p.Questionnaire),
		checkList("tags", p.Tags, MaxKYBTags, 1, MaxTagLen),
		checkList("scanRefs", p.ScanRefs, 0, 1, MaxScanRefLen),
	)
}

func checkQuestionnaire(q Nullable[string]) error {
	if v, ok := q.Get(); ok {
		return checkLen("questionnaire", v, MinQuestionnaireLen, 0)
	}
	return nil
}

// UpdateKYBTokenParams is the body of PATCH /kyb/tokens/{tokenString}/.
// A nil slice is not sent and the token keeps its list; an empty non-nil
// slice is sent as [] and clears it.
type UpdateKYBTokenParams struct {
	ScanRefs []string `json:"scanRefs,omitzero"` // each 1–40 characters, no comma
	Tags     []string `json:"tags,omitzero"`     // at most 5, each 1–32 characters, no comma
}

// Validate checks p against iDenfy's schema.
func (p *UpdateKYBTokenParams) Validate() error {
	return firstError(
		checkList("scanRefs", p.ScanRefs, 0, 1, MaxScanRefLen),
		checkList("tags", p.Tags, MaxKYBTags, 1, MaxTagLen),
	)
}

// KYBToken is iDenfy's KYB token, as created or updated.
type KYBToken struct {
	TokenType   KYBTokenType `json:"tokenType"`
	TokenString string       `json:"tokenString"` // authenticates the KYB session: treat as a secret
	Expiration  time.Time    `json:"expiration"`
	// IsActive says the token is not deactivated. iDenfy deprecates it in
	// favour of IsValid.
	IsActive    bool     `json:"isActive"`
	IsValid     bool     `json:"isValid"`
	CompanyID   string   `json:"companyId"` // "" when iDenfy answers null
	ClientID    string   `json:"clientId"`
	ExternalRef string   `json:"externalRef"`
	Locale      Locale   `json:"locale"`
	Flow        string   `json:"flow"`
	Theme       string   `json:"theme"`
	Tags        []string `json:"tags"`
	ScanRefs    []string `json:"scanRefs"`
}

// CreateKYBToken creates a KYB form token (POST /kyb/tokens/, answer 201).
// Invalid params return a *providers.ValidationError and send nothing.
func (c *Client) CreateKYBToken(ctx context.Context, p CreateKYBTokenParams) (*KYBToken, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out KYBToken
	if err := c.post(ctx, kybTokensPath, "create KYB token", &p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateKYBToken replaces the scan refs and tags of a KYB token (PATCH
// /kyb/tokens/{tokenString}/). Invalid params return a
// *providers.ValidationError and send nothing.
func (c *Client) UpdateKYBToken(ctx context.Context, tokenString string, p UpdateKYBTokenParams) (*KYBToken, error) {
	if err := firstError(checkTokenString(tokenString), p.Validate()); err != nil {
		return nil, err
	}
	var out KYBToken
	path := kybTokensPath + tokenString + "/"
	if err := c.send(ctx, http.MethodPatch, path, "update KYB token", &p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// checkTokenString keeps a token string to one path segment. (The shared
// request builder decodes escapes, so "/" cannot be sent escaped.)
func checkTokenString(s string) error {
	switch {
	case s == "":
		return providers.Invalid("tokenString", "is required")
	case strings.ContainsAny(s, "/?#%\\") || s == "." || s == "..":
		return providers.Invalid("tokenString", "must be a single path segment")
	}
	return nil
}
