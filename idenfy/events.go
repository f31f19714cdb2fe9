package idenfy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/webhook"
)

// Webhook event types, the values of Idenfy-Event-Type (C: the `webhooks:`
// of iDenfy's OpenAPI kyc.yaml and kyb.yaml). The dashboard labels them
// differently ("ID VERIFICATION AUTO FINISH"); those labels are not sent.
const (
	// EventIdentification is the legacy KYC result event, sent for every
	// outcome; iDenfy recommends the specific ones below.
	EventIdentification               = "IDENTIFICATION"
	EventIdentificationAutoFinished   = "IDENTIFICATION_AUTO_FINISHED"
	EventIdentificationManualFinished = "IDENTIFICATION_MANUAL_FINISHED"
	EventIdentificationExpired        = "IDENTIFICATION_EXPIRED"
	EventIdentificationCancelled      = "IDENTIFICATION_CANCELLED"
	EventIdentificationResubmitted    = "IDENTIFICATION_RESUBMITTED"
	EventDocumentExpiration           = "DOCUMENT_EXPIRATION"
	EventVideoCallFinished            = "VIDEO_CALL_FINISHED"

	EventCompanySubmit      = "COMPANY_SUBMIT"
	EventCompanyReview      = "COMPANY_REVIEW"
	EventCompanyAMLReview   = "COMPANY_AML_REVIEW"
	EventCompanyInfoRequest = "COMPANY_INFO_REQUEST" // also form-token expiry, Status "EXPIRED"
	EventCompanyExpiration  = "COMPANY_EXPIRATION"
	EventCompanyDelete      = "COMPANY_DELETE"
	EventGovOrderedDocument = "GOV_ORDERED_DOCUMENT"
	EventSOSReport          = "SOS_REPORT"

	eventTypeMaxLen = 64
)

// KYCResultEvents lists the event types whose body is a KYC result.
var KYCResultEvents = []string{EventIdentification, EventIdentificationAutoFinished,
	EventIdentificationManualFinished, EventIdentificationExpired, EventIdentificationCancelled,
	EventIdentificationResubmitted}

// IsKYCResult reports whether eventType's body is a KYC result ("" is the
// header-less legacy webhook).
func IsKYCResult(eventType string) bool {
	return eventType == "" || kindOf(eventType) == kindKYC
}

// kind is what a body is; the KYC results share one kind.
type kind string

const kindKYC kind = "KYC_RESULT"

func kindOf(eventType string) kind {
	for _, t := range KYCResultEvents {
		if t == eventType {
			return kindKYC
		}
	}
	switch eventType {
	case EventDocumentExpiration, EventVideoCallFinished, EventCompanySubmit, EventCompanyReview,
		EventCompanyAMLReview, EventCompanyInfoRequest, EventCompanyExpiration, EventCompanyDelete,
		EventGovOrderedDocument, EventSOSReport:
		return kind(eventType)
	}
	return ""
}

// bodyKind reads what the signed body says it is, from the fields each
// schema requires and no other one has; "" when the body does not say.
func bodyKind(fields map[string]json.RawMessage) kind {
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := fields[k]; !ok {
				return false
			}
		}
		return true
	}
	status := strings.TrimSpace(string(fields["status"]))
	switch {
	case has("final", "status") && strings.HasPrefix(status, "{"):
		return kindKYC
	case has("expirationThreshold"):
		return EventDocumentExpiration
	case has("amlReviewSubjectType"):
		return EventCompanyAMLReview
	case has("expirationStatus"):
		return EventCompanyExpiration
	case has("productKey"):
		return EventGovOrderedDocument
	case has("companyId", "token", "status"):
		return EventCompanyInfoRequest
	case has("companyId", "date", "manager"):
		return EventCompanyDelete
	case has("companyName", "beneficiaries"):
		return EventCompanyReview
	case has("reportFile") || has("dataFile") || has("entityType") || has("watchlistHitsCount"):
		return EventSOSReport
	}
	return ""
}

func validEventType(t string) bool {
	return len(t) <= eventTypeMaxLen && strings.IndexFunc(t, func(c rune) bool {
		return (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_'
	}) < 0
}

func decodeEvent(header string, body []byte) (webhook.Event, error) {
	if !validEventType(header) {
		return nil, errors.New("unikyc: idenfy: webhook event type is malformed")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		// The JSON error may quote the body; keep only its kind.
		return nil, errors.New("unikyc: idenfy: webhook body is not a JSON object")
	}
	said := bodyKind(fields)
	t := header
	switch k := kindOf(header); {
	case header == "" && said == kindKYC:
		t = EventIdentification
	case header == "" && said != "":
		t = string(said)
	case said != "" && k != said:
		return nil, ErrEventTypeMismatch
	}
	base := eventBase{typ: t, body: body}
	switch kindOf(t) {
	case kindKYC:
		ev := &KYCResultEvent{eventBase: base}
		return decodeInto(ev, &ev.KYCResult, body)
	case EventDocumentExpiration:
		ev := &DocumentExpirationEvent{eventBase: base}
		return decodeInto(ev, &ev.DocumentExpiration, body)
	case EventVideoCallFinished:
		return &VideoCallFinishedEvent{eventBase: base, Raw: body}, nil
	case EventCompanySubmit:
		ev := &CompanySubmitEvent{eventBase: base}
		return decodeInto(ev, &ev.CompanySubmit, body)
	case EventCompanyReview:
		ev := &CompanyReviewEvent{eventBase: base}
		return decodeInto(ev, &ev.CompanyReview, body)
	case EventCompanyAMLReview:
		ev := &CompanyAMLReviewEvent{eventBase: base}
		return decodeInto(ev, &ev.CompanyAMLReview, body)
	case EventCompanyInfoRequest:
		ev := &CompanyInfoRequestEvent{eventBase: base}
		return decodeInto(ev, &ev.CompanyInfoRequest, body)
	case EventCompanyExpiration:
		ev := &CompanyExpirationEvent{eventBase: base}
		return decodeInto(ev, &ev.CompanyExpiration, body)
	case EventCompanyDelete:
		ev := &CompanyDeleteEvent{eventBase: base}
		return decodeInto(ev, &ev.CompanyDelete, body)
	case EventGovOrderedDocument:
		ev := &GovOrderedDocumentEvent{eventBase: base}
		return decodeInto(ev, &ev.GovOrderedDocument, body)
	case EventSOSReport:
		ev := &SOSReportEvent{eventBase: base}
		return decodeInto(ev, &ev.SOSReport, body)
	}
	return &UnknownEvent{eventBase: base, Raw: body}, nil
}

func decodeInto(ev webhook.Event, into any, body []byte) (webhook.Event, error) {
	if err := json.Unmarshal(body, into); err != nil {
		return nil, errors.New("unikyc: idenfy: webhook body does not match the " + ev.Type() + " schema")
	}
	return ev, nil
}

// eventBase carries what every event has: its type and the verified body.
type eventBase struct {
	typ  string
	body []byte
}

// Provider returns "idenfy".
func (e *eventBase) Provider() string { return Name }

// Type returns the event type ("IDENTIFICATION" for a legacy webhook
// without Idenfy-Event-Type).
func (e *eventBase) Type() string { return e.typ }

// DedupeKey is the event type and a digest of the signed body (I: iDenfy
// documents an idempotency key only for KYC results; a redelivery carries
// the same notification, and a key too wide would drop a distinct event).
func (e *eventBase) DedupeKey() string {
	sum := sha256.Sum256(e.body)
	return Name + "/" + e.typ + "/" + hex.EncodeToString(sum[:16])
}

// KYCResultEvent is a KYC result webhook: one of [KYCResultEvents].
type KYCResultEvent struct {
	eventBase
	KYCResult
}

// DedupeKey is scanRef, event type, final and finishTime: iDenfy asks to
// treat scanRef as the idempotency key (C), and an automatic result with
// final false precedes the manual one (C). finishTime (I) keeps a result
// after IDENTIFICATION_RESUBMITTED, same scanRef, apart from the first.
func (e *KYCResultEvent) DedupeKey() string {
	return Name + "/" + e.typ + "/" + e.ScanRef + "/final=" + strconv.FormatBool(e.Final) +
		"/" + strconv.FormatInt(e.FinishTime, 10)
}

// DocumentExpirationEvent: a verified document nears or passed its expiry.
type DocumentExpirationEvent struct {
	eventBase
	DocumentExpiration
}

// VideoCallFinishedEvent: a video call ended. Its body has no documented
// schema, so only the verified bytes are kept.
type VideoCallFinishedEvent struct {
	eventBase
	Raw []byte
}

// CompanySubmitEvent: a KYB form was submitted.
type CompanySubmitEvent struct {
	eventBase
	CompanySubmit
}

// CompanyReviewEvent: a company verification was completed.
type CompanyReviewEvent struct {
	eventBase
	CompanyReview
}

// CompanyAMLReviewEvent: an AML review status was set by hand.
type CompanyAMLReviewEvent struct {
	eventBase
	CompanyAMLReview
}

// CompanyInfoRequestEvent: more company information was requested, the
// request was cancelled, or (Status "EXPIRED") the form token expired.
type CompanyInfoRequestEvent struct {
	eventBase
	CompanyInfoRequest
}

// CompanyExpirationEvent: a company verification nears or passed expiry.
type CompanyExpirationEvent struct {
	eventBase
	CompanyExpiration
}

// CompanyDeleteEvent: a company was deleted.
type CompanyDeleteEvent struct {
	eventBase
	CompanyDelete
}

// GovOrderedDocumentEvent: a government-register document ordered through
// the API was delivered.
type GovOrderedDocumentEvent struct {
	eventBase
	GovOrderedDocument
}

// SOSReportEvent: a Secretary of State filing report was delivered.
type SOSReportEvent struct {
	eventBase
	SOSReport
}

// UnknownEvent is a verified webhook of a type this package does not know;
// Raw is its body, never decoded into a guessed shape.
type UnknownEvent struct {
	eventBase
	Raw []byte
}

// KYCResult is a verification's full result: the body of the KYC result
// webhooks and the answer of [Client.FullResult]. It holds personal data:
// do not log it. Fields iDenfy adds later are ignored; rarer blocks are
// kept raw.
type KYCResult struct {
	Final    bool           `json:"final"`    // false: a manual review result will follow
	Platform string         `json:"platform"` // PC, MOBILE, TABLET, MOBILE_APP, MOBILE_SDK, OTHER
	Status   CallbackStatus `json:"status"`
	Data     CallbackData   `json:"data"`
	// FileURLs maps a file name (FRONT, BACK, FACE, …) to its link. The
	// schema types the values "any": use FileURL for the string ones.
	FileURLs              map[string]any `json:"fileUrls"`
	AdditionalStepPDFURLs map[string]any `json:"additionalStepPdfUrls,omitempty"`
	ScanRef               string         `json:"scanRef"`
	ExternalRef           string         `json:"externalRef"`
	ClientID              string         `json:"clientId"`
	CompanyID             string         `json:"companyId"`
	BeneficiaryID         string         `json:"beneficiaryId"`
	StartTime             int64          `json:"startTime"`  // Unix seconds
	FinishTime            int64          `json:"finishTime"` // Unix seconds
	ClientIP              string         `json:"clientIp"`
	ClientIPCountry       string         `json:"clientIpCountry"`
	ClientLocation        string         `json:"clientLocation"`
	GDCMatch              *bool          `json:"gdcMatch"`
	ManualAddress         string         `json:"manualAddress"`
	ManualAddressMatch    bool           `json:"manualAddressMatch"`
	// AMLCheck is the AML v3 result; AML is the legacy v2 block, kept raw.
	AMLCheck       *AMLCheck       `json:"amlCheck"`
	AML            json.RawMessage `json:"AML,omitempty"`
	RiskAssessment *RiskAssessment `json:"riskAssessment"`

	LID                  json.RawMessage `json:"LID,omitempty"`
	CriminalCheck        json.RawMessage `json:"CRIMINAL_CHECK,omitempty"`
	AdditionalSteps      json.RawMessage `json:"additionalSteps,omitempty"`
	QuestionnaireAnswers json.RawMessage `json:"questionnaireAnswers,omitempty"`
	RegistryCenterCheck  json.RawMessage `json:"registryCenterCheck,omitempty"`
	AddressVerification  json.RawMessage `json:"addressVerification,omitempty"`
	BankVerification     json.RawMessage `json:"bankVerification,omitempty"`
	EmailVerification    json.RawMessage `json:"emailVerification,omitempty"`
	PhoneVerification    json.RawMessage `json:"phoneVerification,omitempty"`
	DriverLicenseCheck   json.RawMessage `json:"driverLicenseCheck,omitempty"`
	BankCardVerification json.RawMessage `json:"bankCardVerification,omitempty"`
}

// KYCCallback is the former name of [KYCResult].
type KYCCallback = KYCResult

// FileURL returns the link of file name (e.g. "FRONT") when it is a string.
func (r *KYCResult) FileURL(name string) (string, bool) {
	s, ok := r.FileURLs[name].(string)
	return s, ok
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
	DocBirthName           string   `json:"docBirthName"`
	DocPatronymic          string   `json:"docPatronymic"`
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

// AMLCheck is an AML v3 result: in a KYC result ("amlCheck"), a KYB review
// and the answer of the AML checks API.
type AMLCheck struct {
	ID            string            `json:"id"`
	OverallStatus string            `json:"overallStatus"` // NOT_CHECKED, NO_FLAGS, FALSE_POSITIVE, TRUE_POSITIVE, FLAGS_FOUND
	StatusSetAt   string            `json:"statusSetAt"`   // RFC 3339, or empty
	AdverseMedia  []AMLAdverseMedia `json:"adverseMedia"`
	Matches       []AMLMatch        `json:"amlCheck"`
}

// AMLAdverseMedia is one adverse-media article.
type AMLAdverseMedia struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	Text        string `json:"text"`
	Score       string `json:"score"`
	Type        string `json:"type"`
	PublishDate string `json:"publishDate"`
	Status      string `json:"status"`
}

// AMLMatch is one profile an AML v3 search matched.
type AMLMatch struct {
	ResourceID        string       `json:"resourceId"` // for the profile's PDF
	Score             *int         `json:"score"`
	Match             string       `json:"match"`
	Name              string       `json:"name"`
	Datasets          []string     `json:"datasets"`
	Addresses         []AMLAddress `json:"addresses"`
	DatesOfBirth      []string     `json:"datesOfBirth"`
	Nationalities     []string     `json:"nationalities"`
	Gender            string       `json:"gender"`
	PEPTier           string       `json:"pepTier"`
	CurrentSanBodyIDs []int        `json:"currentSanBodyIds"`
	FormerSanBodyIDs  []int        `json:"formerSanBodyIds"`
	Version           int          `json:"version"`
}

// AMLAddress is a matched profile's address or nationality.
type AMLAddress struct {
	Geography string `json:"geography"` // ISO 3166 code
	City      string `json:"city"`
}

// RiskAssessment is a KYC result's risk block.
type RiskAssessment struct {
	RiskScore *int   `json:"riskScore"`
	RiskLevel string `json:"riskLevel"` // VERY_LOW … VERY_HIGH, NOT_CHECKED
}

// DocumentExpiration is the DOCUMENT_EXPIRATION body.
type DocumentExpiration struct {
	ScanRef             string `json:"scanRef"`
	ClientID            string `json:"clientId"`
	ExpirationThreshold string `json:"expirationThreshold"` // DOCUMENT_EXPIRES_WITHIN_30_DAYS, …_7_DAYS, …_1_DAY, DOCUMENT_EXPIRED
	DocumentExpiration  string `json:"documentExpiration"`
}

// Manager is the iDenfy dashboard user who acted. Personal data.
type Manager struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Surname string `json:"surname"`
	Email   string `json:"email"`
}

// CompanySubmit is the COMPANY_SUBMIT body.
type CompanySubmit struct {
	ID             string `json:"id"`
	SubmissionTime string `json:"submissionTime"` // RFC 3339, or empty
	SoleProprietor bool   `json:"soleProprietor"`
	ClientID       string `json:"clientId"`
	ExternalRef    string `json:"externalRef"`
}

// CompanyReview is the COMPANY_REVIEW body.
type CompanyReview struct {
	ID                    string          `json:"id"`
	CompanyName           string          `json:"companyName"`
	RegistrationNumber    string          `json:"registrationNumber"`
	ApprovalStatus        string          `json:"approvalStatus"` // APPROVED, DENIED, or empty
	DenyReason            string          `json:"denyReason"`
	StatusChangedBy       *Manager        `json:"statusChangedBy"`
	SoleProprietor        bool            `json:"soleProprietor"`
	ClientID              string          `json:"clientId"`
	ExternalRef           string          `json:"externalRef"`
	AMLCheck              *AMLCheck       `json:"amlCheck"`
	RelatedClientScanRefs []string        `json:"relatedClientScanRefs"`
	Beneficiaries         json.RawMessage `json:"beneficiaries,omitempty"`
	CompanyCheck          json.RawMessage `json:"companyCheck,omitempty"`
	ShareholderCheck      json.RawMessage `json:"shareholderCheck,omitempty"`
}

// CompanyAMLReview is the COMPANY_AML_REVIEW body.
type CompanyAMLReview struct {
	AMLReviewSubjectType string `json:"amlReviewSubjectType"` // COMPANY, BENEFICIARY, SHAREHOLDER
	ID                   string `json:"id"`
	CompanyID            string `json:"companyId"`
	ClientID             string `json:"clientId"`
	ExternalRef          string `json:"externalRef"`
	OverallStatus        string `json:"overallStatus"`
	StatusSetAt          string `json:"statusSetAt"`
	PEPsCheckStatus      string `json:"pepsCheckStatus"`
	SanctionsCheckStatus string `json:"sanctionsCheckStatus"`
	NegativeNewsStatus   string `json:"negativeNewsStatus"`
	AMLComment           string `json:"amlComment"`
	NegativeNewsComment  string `json:"negativeNewsComment"`
}

// Company info request statuses.
const (
	InfoRequestRequested = "REQUESTED"
	InfoRequestExpired   = "EXPIRED" // the KYB form token expired
	InfoRequestCanceled  = "CANCELED"
)

// CompanyInfoRequest is the COMPANY_INFO_REQUEST body. Token is the KYB
// form token (a secret: it opens the form).
type CompanyInfoRequest struct {
	CompanyID string      `json:"companyId"`
	Token     auth.Secret `json:"token"`
	Date      string      `json:"date"` // RFC 3339
	Email     string      `json:"email"`
	Manager   *Manager    `json:"manager"`
	Status    string      `json:"status"` // REQUESTED, EXPIRED, CANCELED
}

// TokenExpired reports whether this is the form-token expiry notice.
func (c *CompanyInfoRequest) TokenExpired() bool { return c.Status == InfoRequestExpired }

// CompanyExpiration is the COMPANY_EXPIRATION body.
type CompanyExpiration struct {
	ID               string `json:"id"`
	ExpirationStatus string `json:"expirationStatus"` // PENDING, EXPIRED
}

// CompanyDelete is the COMPANY_DELETE body.
type CompanyDelete struct {
	CompanyID string   `json:"companyId"`
	Date      string   `json:"date"`
	Manager   *Manager `json:"manager"`
}

// GovOrderedDocument is the GOV_ORDERED_DOCUMENT body.
type GovOrderedDocument struct {
	ID                   string  `json:"id"`
	Title                string  `json:"title"`
	DocumentFormat       string  `json:"documentFormat"`
	ProductKey           string  `json:"productKey"`
	ExpectedDeliveryTime string  `json:"expectedDeliveryTime"`
	Price                float64 `json:"price"`
	DeliveredAt          string  `json:"deliveredAt"`
	Status               string  `json:"status"` // NOT_ORDERED, IN_PROGRESS, FINISHED, FAILED, TIMED_OUT
	File                 string  `json:"file"`
}

// SOSReport is the SOS_REPORT body.
type SOSReport struct {
	ID                 string `json:"id"`
	CompanyName        string `json:"companyName"`
	EntityType         string `json:"entityType"`
	FormationDate      string `json:"formationDate"`
	Status             string `json:"status"`
	ReportFile         string `json:"reportFile"`
	DataFile           string `json:"dataFile"`
	WatchlistHitsCount *int   `json:"watchlistHitsCount"`
}
