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

// ParseWebhook reads r's body (at most MaxWebhookBody bytes), verifies its
// Idenfy-Signature under key and decodes the KYC result. On any failure
// it returns a nil payload; a signature failure matches ErrBadSignature.
func ParseWebhook(r *http.Request, key auth.Secret) (*KYCCallback, error) {
	if r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrBadSignature)
	}
	body, err := httpbody.Read(r.Body, MaxWebhookBody)
	if err != nil {
		return nil, fmt.Errorf("unikyc: idenfy: reading webhook: %w", err)
	}
	if err := VerifyWebhook(body, r.Header.Get(SignatureHeader), key); err != nil {
		return nil, err
	}
	var cb KYCCallback
	if err := json.Unmarshal(body, &cb); err != nil {
		// The JSON error may quote the body; keep only its kind.
		return nil, errors.New("unikyc: idenfy: webhook body is not a KYC result")
	}
	return &cb, nil
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
