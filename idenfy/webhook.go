package idenfy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/httpbody"
)

// SignatureHeader carries a webhook's signature.
const SignatureHeader = "Idenfy-Signature"

// MaxWebhookBody caps the webhook body ParseWebhook reads.
const MaxWebhookBody = 1 << 20

// ErrBadSignature is returned for a webhook whose signature is missing,
// malformed or wrong. Answer such a request with 401 and ignore its body.
var ErrBadSignature = errors.New("unikyc: idenfy: bad webhook signature")

// errNoKey is a configuration error: a webhook cannot be checked without
// the signing key.
var errNoKey = errors.New("unikyc: idenfy: webhook signing key is empty")

// SignWebhook returns the Idenfy-Signature value for body: the lower-case
// hex HMAC-SHA256 of the raw bytes under key. Useful in tests.
func SignWebhook(body []byte, key auth.Secret) string {
	return hex.EncodeToString(mac(body, key))
}

func mac(body []byte, key auth.Secret) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(body)
	return h.Sum(nil)
}

// VerifyWebhook checks signatureHeader against the raw body under key, in
// constant time. It returns nil, an error matching ErrBadSignature, or an
// error for an empty key.
func VerifyWebhook(body []byte, signatureHeader string, key auth.Secret) error {
	if key == "" {
		return errNoKey
	}
	sig := strings.TrimSpace(signatureHeader)
	if sig == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, SignatureHeader)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	if !hmac.Equal(got, mac(body, key)) {
		return ErrBadSignature
	}
	return nil
}

// EventTypeHeader names a webhook's event, e.g. "ID_VERIFICATION_AUTO_FINISHED",
// "DOCUMENT_EXPIRATION" or "COMPANY_INFO_REQUEST".
const EventTypeHeader = "Idenfy-Event-Type"

// Webhook event types whose body is a KYC verification result
// ([KYCCallback]). (I) for the upper-case spellings of the dashboard's
// "ID VERIFICATION …" names; a webhook without the header is the legacy
// ID VERIFICATION result.
const (
	EventIDVerification        = "ID_VERIFICATION"
	EventIDVerificationAuto    = "ID_VERIFICATION_AUTO_FINISHED"
	EventIDVerificationManual  = "ID_VERIFICATION_MANUAL_FINISHED"
	EventIDVerificationExpired = "ID_VERIFICATION_EXPIRED"
	EventDocumentExpiration    = "DOCUMENT_EXPIRATION"
	EventCompanyInfoRequest    = "COMPANY_INFO_REQUEST"
	eventTypeMaxLen            = 64
)

// ErrNotKYCResult is returned by ParseWebhook for a verified webhook whose
// event type is not a KYC result: use ParseEvent to read it.
var ErrNotKYCResult = errors.New("unikyc: idenfy: webhook is not a KYC result")

// Event is a verified webhook. Type is its Idenfy-Event-Type ("" for a
// legacy webhook without one). KYC is set for KYC result events; every
// other event (DOCUMENT_EXPIRATION, KYB events, types this package does
// not know) has only Raw, the verified body, never a guess at its shape.
// Both hold personal data: do not log them.
type Event struct {
	Type string
	KYC  *KYCCallback
	Raw  []byte
}

// IsKYCResult reports whether eventType's body is a KYC result.
func IsKYCResult(eventType string) bool {
	switch eventType {
	case "", EventIDVerification, EventIDVerificationAuto, EventIDVerificationManual, EventIDVerificationExpired:
		return true
	}
	return false
}

// ParseEvent reads r's body (at most MaxWebhookBody bytes), verifies its
// Idenfy-Signature under key, then dispatches on Idenfy-Event-Type. On
// any failure it returns a nil Event; a signature failure matches
// ErrBadSignature.
func ParseEvent(r *http.Request, key auth.Secret) (*Event, error) {
	if r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrBadSignature)
	}
	body, err := httpbody.Read(r.Body, MaxWebhookBody)
	if errors.Is(err, httpbody.ErrTooLarge) {
		// ErrTooLarge's text carries its own prefix and speaks of responses.
		return nil, fmt.Errorf("unikyc: idenfy: webhook body over %d bytes", MaxWebhookBody)
	}
	if err != nil {
		return nil, fmt.Errorf("unikyc: idenfy: reading webhook: %w", err)
	}
	if err := VerifyWebhook(body, r.Header.Get(SignatureHeader), key); err != nil {
		return nil, err
	}
	ev := &Event{Type: strings.TrimSpace(r.Header.Get(EventTypeHeader)), Raw: body}
	if len(ev.Type) > eventTypeMaxLen || strings.IndexFunc(ev.Type, func(c rune) bool {
		return (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_'
	}) >= 0 {
		return nil, errors.New("unikyc: idenfy: webhook event type is malformed")
	}
	if IsKYCResult(ev.Type) {
		var cb KYCCallback
		if err := json.Unmarshal(body, &cb); err != nil {
			// The JSON error may quote the body; keep only its kind.
			return nil, errors.New("unikyc: idenfy: webhook body is not a KYC result")
		}
		ev.KYC = &cb
	}
	return ev, nil
}

// ParseWebhook is ParseEvent for KYC results only: it returns the decoded
// result, or ErrNotKYCResult for a verified webhook of another event type
// (never a result decoded from another event's body).
func ParseWebhook(r *http.Request, key auth.Secret) (*KYCCallback, error) {
	ev, err := ParseEvent(r, key)
	if err != nil {
		return nil, err
	}
	if ev.KYC == nil {
		return nil, ErrNotKYCResult
	}
	return ev.KYC, nil
}

// KYCCallback is the verification result iDenfy posts to your webhook.
// It holds personal data: do not log it. Fields iDenfy adds later are
// ignored; less common blocks are kept raw.
type KYCCallback struct {
	Final              bool              `json:"final"` // false: a manual review result will follow
	Platform           string            `json:"platform"`
	Status             CallbackStatus    `json:"status"`
	Data               CallbackData      `json:"data"`
	FileURLs           map[string]string `json:"fileUrls"`
	ScanRef            string            `json:"scanRef"`
	ExternalRef        string            `json:"externalRef"`
	ClientID           string            `json:"clientId"`
	CompanyID          string            `json:"companyId"`
	BeneficiaryID      string            `json:"beneficiaryId"`
	StartTime          int64             `json:"startTime"`  // Unix seconds
	FinishTime         int64             `json:"finishTime"` // Unix seconds
	ClientIP           string            `json:"clientIp"`
	ClientIPCountry    string            `json:"clientIpCountry"`
	ClientLocation     string            `json:"clientLocation"`
	ManualAddress      string            `json:"manualAddress"`
	ManualAddressMatch bool              `json:"manualAddressMatch"`

	AdditionalStepPDFURLs json.RawMessage `json:"additionalStepPdfUrls,omitempty"`
	AdditionalSteps       json.RawMessage `json:"additionalSteps,omitempty"`
	QuestionnaireAnswers  json.RawMessage `json:"questionnaireAnswers,omitempty"`
	GDCMatch              json.RawMessage `json:"gdcMatch,omitempty"`
	RegistryCenterCheck   json.RawMessage `json:"registryCenterCheck,omitempty"`
	AddressVerification   json.RawMessage `json:"addressVerification,omitempty"`
	AML                   json.RawMessage `json:"AML,omitempty"`
	LID                   json.RawMessage `json:"LID,omitempty"`
}

// CallbackStatus is the "status" block of a KYC result.
type CallbackStatus struct {
	Overall          VerificationStatus `json:"overall"`
	SuspicionReasons []string           `json:"suspicionReasons"`
	DenyReasons      []string           `json:"denyReasons"`
	FraudTags        []string           `json:"fraudTags"`
	MismatchTags     []string           `json:"mismatchTags"`
	AutoDocument     string             `json:"autoDocument"`
	AutoFace         string             `json:"autoFace"`
	ManualDocument   string             `json:"manualDocument"`
	ManualFace       string             `json:"manualFace"`
	AdditionalSteps  string             `json:"additionalSteps"`
}

// CallbackData is the "data" block of a KYC result: what was read from the
// document. Empty fields were not on the document or not readable.
type CallbackData struct {
	DocFirstName           string   `json:"docFirstName"`
	DocLastName            string   `json:"docLastName"`
	DocNumber              string   `json:"docNumber"`
	DocPersonalCode        string   `json:"docPersonalCode"`
	DocExpiry              string   `json:"docExpiry"`
	DocDOB                 string   `json:"docDob"`
	DocDateOfIssue         string   `json:"docDateOfIssue"`
	DocType                string   `json:"docType"`
	DocSex                 string   `json:"docSex"`
	DocNationality         string   `json:"docNationality"`
	DocIssuingCountry      string   `json:"docIssuingCountry"`
	DocTemporaryAddress    string   `json:"docTemporaryAddress"`
	BirthPlace             string   `json:"birthPlace"`
	Authority              string   `json:"authority"`
	Address                string   `json:"address"`
	MothersMaidenName      string   `json:"mothersMaidenName"`
	DriverLicenseCategory  string   `json:"driverLicenseCategory"`
	ManuallyDataChanged    bool     `json:"manuallyDataChanged"`
	FullName               string   `json:"fullName"`
	SelectedCountry        string   `json:"selectedCountry"`
	OrgFirstName           string   `json:"orgFirstName"`
	OrgLastName            string   `json:"orgLastName"`
	OrgNationality         string   `json:"orgNationality"`
	OrgBirthPlace          string   `json:"orgBirthPlace"`
	OrgAuthority           string   `json:"orgAuthority"`
	OrgAddress             string   `json:"orgAddress"`
	AgeEstimate            string   `json:"ageEstimate"`
	ClientIPProxyRiskLevel string   `json:"clientIpProxyRiskLevel"`
	DuplicateFaces         []string `json:"duplicateFaces"`
	DuplicateDocFaces      []string `json:"duplicateDocFaces"`
}
