package idenfy

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"
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

// CreateKYBTokenParams is the body of POST /kyb/tokens/. Absent fields
// (nil, or the zero Nullable) are not sent, so iDenfy applies its
// defaults; every value the schema allows can be sent, 0 and null and []
// included.
type CreateKYBTokenParams struct {
	TokenType KYBTokenType `json:"tokenType"` // required
	ClientID  string       `json:"clientId"`  // required, 1–100 characters
	// Lifetime is the token's validity in seconds, 0–2,592,000 (Int(0) is
	// sent as 0); nil is not sent and means iDenfy's default, 3600.
	Lifetime *int `json:"lifetime,omitempty"`
	// ExternalRef, at most 40 characters, or Null.
	ExternalRef Nullable[string] `json:"externalRef,omitzero"`
	Locale      Locale           `json:"locale,omitempty"` // one of Locales; default: by the client's IP
	Flow        Nullable[string] `json:"flow,omitzero"`    // KYB flow UUID, or Null
	Theme       Nullable[string] `json:"theme,omitzero"`   // KYB theme UUID, or Null
	// Questionnaire: absent (zero value) uses the default questionnaire of
	// your KYB settings, Null[string]() none, Value(key) that one (at least
	// one character). Ignored by iDenfy when Flow is set.
	Questionnaire Nullable[string] `json:"questionnaire,omitzero"`
	// QuestionnaireRequired: nil leaves iDenfy's default (true).
	QuestionnaireRequired *bool `json:"questionnaireRequired,omitempty"`
	// Tags: at most 5, each 1–32 characters, no comma. nil is not sent; an
	// empty non-nil slice is sent as [].
	Tags []string `json:"tags,omitzero"`
	// ScanRefs: each 1–40 characters, no comma; Value(nil) or Null.
	ScanRefs Nullable[[]string] `json:"scanRefs,omitzero"`
}

// Int returns a pointer to v, for optional number fields such as
// CreateKYBTokenParams.Lifetime.
func Int(v int) *int { return &v }

// Validate checks p against iDenfy's schema; see the package doc.
func (p *CreateKYBTokenParams) Validate() error {
	var errs []error
	if p.Lifetime != nil {
		errs = append(errs, checkRange("lifetime", *p.Lifetime, 0, MaxKYBLifetime))
	}
	if v, ok := p.ExternalRef.Get(); ok {
		errs = append(errs, checkLen("externalRef", v, 0, MaxExternalRefLen))
	}
	if v, ok := p.Flow.Get(); ok {
		errs = append(errs, checkRequired("flow", v), checkUUID("flow", v))
	}
	if v, ok := p.Theme.Get(); ok {
		errs = append(errs, checkRequired("theme", v), checkUUID("theme", v))
	}
	if v, ok := p.ScanRefs.Get(); ok {
		errs = append(errs, checkList("scanRefs", v, 0, 1, MaxScanRefLen))
	}
	return firstError(append([]error{
		checkRequired("tokenType", string(p.TokenType)),
		checkOneOf("tokenType", p.TokenType, KYBTokenTypes),
		checkRequired("clientId", p.ClientID),
		checkLen("clientId", p.ClientID, 1, MaxClientIDLen),
		checkOneOf("locale", p.Locale, Locales),
		checkQuestionnaire(p.Questionnaire),
		checkList("tags", p.Tags, MaxKYBTags, 1, MaxTagLen),
	}, errs...)...)
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

// KYBToken is iDenfy's KYB token, as created. Nullable fields tell null
// from a value (CompanyID is null until a company fills the form).
//
// It decodes leniently: a token iDenfy created reaches the caller even
// when a field does not decode (an "expiration" without a time zone is
// read as UTC); the names of fields that could not be read at all are in
// Undecoded, and those fields keep their zero value.
type KYBToken struct {
	TokenType   KYBTokenType `json:"tokenType"`
	TokenString string       `json:"tokenString"` // authenticates the KYB session: treat as a secret
	Expiration  time.Time    `json:"expiration"`
	// IsActive says the token is not deactivated. iDenfy deprecates it in
	// favour of IsValid.
	IsActive    bool             `json:"isActive"`
	IsValid     bool             `json:"isValid"`
	CompanyID   Nullable[string] `json:"companyId"`
	ClientID    string           `json:"clientId"`
	ExternalRef Nullable[string] `json:"externalRef"`
	Locale      Locale           `json:"locale"`
	Flow        Nullable[string] `json:"flow"`
	Theme       Nullable[string] `json:"theme"`
	Tags        []string         `json:"tags"`
	ScanRefs    []string         `json:"scanRefs"` // nil when iDenfy answers null

	// Undecoded names the answer's fields that could not be decoded.
	Undecoded []string `json:"-"`
}

// UnmarshalJSON decodes field by field, so that one bad field does not
// lose the token; see KYBToken.
func (t *KYBToken) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*t = KYBToken{}
	fields := map[string]any{
		"tokenType": &t.TokenType, "tokenString": &t.TokenString, "isActive": &t.IsActive,
		"isValid": &t.IsValid, "companyId": &t.CompanyID, "clientId": &t.ClientID,
		"externalRef": &t.ExternalRef, "locale": &t.Locale, "flow": &t.Flow, "theme": &t.Theme,
		"tags": &t.Tags, "scanRefs": &t.ScanRefs,
	}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		v := raw[name]
		if name == "expiration" {
			if exp, ok := parseTime(v); ok {
				t.Expiration = exp
			} else {
				t.Undecoded = append(t.Undecoded, name)
			}
			continue
		}
		if dst, ok := fields[name]; ok && json.Unmarshal(v, dst) != nil {
			t.Undecoded = append(t.Undecoded, name)
		}
	}
	return nil
}

// parseTime reads an RFC 3339 time, or one without a time zone (read as
// UTC, as Django answers with USE_TZ off), or null (zero).
func parseTime(raw json.RawMessage) (time.Time, bool) {
	var s *string
	if json.Unmarshal(raw, &s) != nil {
		return time.Time{}, false
	}
	if s == nil || *s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, *s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// KYBTokenUpdate is the answer to PATCH /kyb/tokens/{tokenString}/: iDenfy
// returns the token's lists only, not the token.
type KYBTokenUpdate struct {
	ScanRefs []string `json:"scanRefs"`
	Tags     []string `json:"tags"`
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
// /kyb/tokens/{tokenString}/) and returns them as iDenfy answers: the two
// lists, not the token. Invalid params return a *providers.ValidationError
// and send nothing.
func (c *Client) UpdateKYBToken(ctx context.Context, tokenString string, p UpdateKYBTokenParams) (*KYBTokenUpdate, error) {
	if err := firstError(checkTokenString(tokenString), p.Validate()); err != nil {
		return nil, err
	}
	var out KYBTokenUpdate
	path := kybTokensPath + tokenString + "/"
	if err := c.send(ctx, http.MethodPatch, path, "update KYB token", &p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// checkTokenString keeps a token string to one printable path segment;
// the error names the field, never the token.
func checkTokenString(s string) error { return checkSegment("tokenString", s) }
