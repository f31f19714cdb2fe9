package icomply

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/unikyc/unikyc/providers"
)

// EntitiesPath is the v2 entity list.
const EntitiesPath = "/api/v2/entities"

// Natural-person paths, each followed by the entity ID. iComply's
// documentation contradicts itself: its heading names NaturalPersonPath
// (the default), its sample request AltNaturalPersonPath. Pick with
// Config.NaturalPersonPath.
const (
	NaturalPersonPath    = "/api/v2/entities/natural-persons/"
	AltNaturalPersonPath = "/api/v2/natural-persons/"
)

// EntityType filters ListEntities.
type EntityType string

// Entity types accepted by ListEntities.
const (
	EntityTypeAll            EntityType = "all"
	EntityTypeNaturalPersons EntityType = "natural-persons"
	EntityTypeLegalEntities  EntityType = "legal-entities"
)

// Values of Entity.Type.
const (
	KindNaturalPerson = "Natural Person"
	KindLegalEntity   = "Legal Entity"
)

// Limits of ListEntitiesParams.Limit.
const (
	DefaultListLimit = 10
	MaxListLimit     = 100
)

// ListEntitiesParams are the query of GET /api/v2/entities. The include
// flags add sections to each entity; iComply applies some to one kind of
// entity only, as noted.
type ListEntitiesParams struct {
	Limit      int        // 1..100; 0 means DefaultListLimit (10)
	Start      int        // entities to skip; ≥ 0
	Descending bool       // newest first
	Type       EntityType // "" means EntityTypeAll

	IdentityVerification   bool // natural persons only
	KYCMetaData            bool
	AMLSearches            bool
	SupportingDocuments    bool
	Addresses              bool // legal entities only
	CorporateVerification  bool // legal entities only
	DocumentAuthentication bool // natural persons only
	Biometrics             bool // natural persons only
}

func (p ListEntitiesParams) query() (url.Values, error) {
	limit := p.Limit
	switch {
	case limit == 0:
		limit = DefaultListLimit
	case limit < 1 || limit > MaxListLimit:
		return nil, providers.Invalid("Limit", "must be between 1 and 100 (0: the default, 10)")
	}
	if p.Start < 0 {
		return nil, providers.Invalid("Start", "must not be negative")
	}
	typ := p.Type
	switch typ {
	case "":
		typ = EntityTypeAll
	case EntityTypeAll, EntityTypeNaturalPersons, EntityTypeLegalEntities:
	default:
		return nil, providers.Invalid("Type", "must be all, natural-persons or legal-entities")
	}
	q := url.Values{
		"limit":      {strconv.Itoa(limit)},
		"start":      {strconv.Itoa(p.Start)},
		"descending": {strconv.FormatBool(p.Descending)},
		"type":       {string(typ)},
	}
	for name, on := range map[string]bool{
		"identityVerification": p.IdentityVerification, "kycMetaData": p.KYCMetaData,
		"amlSearches": p.AMLSearches, "supportingDocuments": p.SupportingDocuments,
		"addresses": p.Addresses, "corporateVerification": p.CorporateVerification,
		"documentAuthentication": p.DocumentAuthentication, "biometrics": p.Biometrics,
	} {
		if on {
			q.Set(name, "true")
		}
	}
	return q, nil
}

// ListEntities lists the account's natural persons and legal entities.
func (c *Client) ListEntities(ctx context.Context, p ListEntitiesParams) ([]Entity, error) {
	q, err := p.query()
	if err != nil {
		return nil, named(err)
	}
	return call[[]Entity](ctx, c, http.MethodGet, EntitiesPath+"?"+q.Encode(), "list entities", nil)
}

// GetNaturalPerson returns the personal information, KYC data, identity
// verifications and document checks of one natural person.
func (c *Client) GetNaturalPerson(ctx context.Context, entityID string) (*NaturalPerson, error) {
	if err := checkID("entityID", entityID); err != nil {
		return nil, named(err)
	}
	np, err := call[NaturalPerson](ctx, c, http.MethodGet, c.personPath+entityID, "get natural person", nil)
	if err != nil {
		return nil, err
	}
	return &np, nil
}

// checkID keeps an ID from reshaping the request path: letters, digits,
// '-' and '_' only (UUIDs, numbers).
func checkID(field, id string) error {
	if id == "" {
		return providers.Invalid(field, "is required")
	}
	if len(id) > 100 {
		return providers.Invalid(field, "must be at most 100 characters")
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return providers.Invalid(field, "may hold only letters, digits, '-' and '_'")
		}
	}
	return nil
}

// Entity is one item of ListEntities: a natural person or a legal entity
// (Type is KindNaturalPerson or KindLegalEntity). Sections not asked for
// with an include flag are nil. Sections whose shape iComply does not
// publish are kept raw.
type Entity struct {
	ID                     string                   `json:"id"`
	Type                   string                   `json:"type"`
	KYCMetaData            *KYCMetaData             `json:"kycMetaData,omitempty"`
	PersonalInformation    *PersonalInformation     `json:"personalInformation,omitempty"`
	CorporateInformation   *CorporateInformation    `json:"corporateInformation,omitempty"`
	IdentityVerification   []IdentityVerification   `json:"identityVerification,omitempty"`
	DocumentAuthentication []DocumentAuthentication `json:"documentAuthentication,omitempty"`
	CorporateVerifications []CorporateVerification  `json:"corporateVerifications,omitempty"`
	AMLSearches            json.RawMessage          `json:"amlSearches,omitempty"`
	SupportingDocuments    json.RawMessage          `json:"supportingDocuments,omitempty"`
	Addresses              json.RawMessage          `json:"addresses,omitempty"`
	Biometrics             json.RawMessage          `json:"biometrics,omitempty"`
}

// NaturalPerson is the answer of GetNaturalPerson.
type NaturalPerson struct {
	KYCMetaData            KYCMetaData              `json:"kycMetaData"`
	PersonalInformation    PersonalInformation      `json:"personalInformation"`
	IdentityVerification   []IdentityVerification   `json:"identityVerification,omitempty"`
	DocumentAuthentication []DocumentAuthentication `json:"documentAuthentication,omitempty"`
	AMLSearches            json.RawMessage          `json:"amlSearches,omitempty"`
	Biometrics             json.RawMessage          `json:"biometrics,omitempty"`
	SupportingDocuments    json.RawMessage          `json:"supportingDocuments,omitempty"`
}

// KYCMetaData is an entity's KYC record. GetNaturalPerson fills the first
// group of fields, ListEntities the second; Current reads either.
type KYCMetaData struct {
	EntityID        string    `json:"entityID,omitempty"`
	CreatedDateTime string    `json:"createdDateTime,omitempty"`
	LastUpdate      string    `json:"lastUpdate,omitempty"`
	NextKYCReview   string    `json:"nextKYCReview,omitempty"`
	KYCStatus       KYCStatus `json:"kycStatus,omitempty"`
	ExternalID      string    `json:"externalID,omitempty"`
	Tags            []string  `json:"tags,omitempty"`

	AssignedUser string    `json:"assignedUser,omitempty"`
	DateCreated  string    `json:"dateCreated,omitempty"`
	RiskLevel    int       `json:"riskLevel,omitempty"`
	Status       KYCStatus `json:"status,omitempty"`
	LastUpdated  string    `json:"lastUpdated,omitempty"`
}

// Current returns the KYC status, whichever field the answer used.
func (m KYCMetaData) Current() KYCStatus {
	if m.KYCStatus != "" {
		return m.KYCStatus
	}
	return m.Status
}

// PersonalInformation describes a natural person. Personal data: do not log.
type PersonalInformation struct {
	FirstName      string         `json:"firstName,omitempty"`
	MiddleName     string         `json:"middleName,omitempty"`
	LastName       string         `json:"lastName,omitempty"`
	DateOfBirth    string         `json:"dateOfBirth,omitempty"`
	Phone          string         `json:"phone,omitempty"`
	Email          string         `json:"email,omitempty"`
	City           string         `json:"city,omitempty"`
	StateProvince  string         `json:"stateProvince,omitempty"`
	CountryCode    string         `json:"countryCode,omitempty"`
	PostalCode     string         `json:"postalCode,omitempty"`
	Address        string         `json:"address,omitempty"`
	LinkedEntities []LinkedEntity `json:"linkedEntities,omitempty"`
}

// LinkedEntity links an entity to another, e.g. a company's CEO.
type LinkedEntity struct {
	Relationship string `json:"relationship,omitempty"`
	EntityID     string `json:"entityID"`
}

// CorporateInformation describes a legal entity.
type CorporateInformation struct {
	CompanyName         string `json:"companyName,omitempty"`
	RegistrationNumber  string `json:"registrationNumber,omitempty"`
	DateOfIncorporation string `json:"dateofIncorporation,omitempty"` // sic
	DUNS                string `json:"duns,omitempty"`
	GLEI                string `json:"glei,omitempty"`
	CompanyPhone        string `json:"companyPhone,omitempty"`
	Email               string `json:"email,omitempty"`
	PrimaryAddress      string `json:"primaryAddress,omitempty"`
	City                string `json:"city,omitempty"`
	StateProvince       string `json:"stateProvince,omitempty"`
	Country             string `json:"country,omitempty"`
	PostalCode          string `json:"postalCode,omitempty"`
}

// IdentityVerification is one identity data check of a natural person.
type IdentityVerification struct {
	ID                   string          `json:"id"`
	IdentityVerification bool            `json:"identityVerification"`
	IdentityStatus       string          `json:"identityStatus,omitempty"`
	IdentityIssues       json.RawMessage `json:"identityIssues,omitempty"`
	DataSources          json.RawMessage `json:"dataSources,omitempty"`
	NextReviewDate       string          `json:"nextReviewDate,omitempty"`
}

// DocumentAuthentication is one identity document check.
type DocumentAuthentication struct {
	ID                     string          `json:"id"`
	DocAuth                bool            `json:"docAuth"`
	DocAuthStatus          string          `json:"docAuthStatus,omitempty"`
	DocIssuerCountry       string          `json:"docIssuerCountry,omitempty"`
	DocIssuerStateProvince string          `json:"docIssuerStateProvince,omitempty"`
	DocType                string          `json:"docType,omitempty"`
	DocExpiryDate          string          `json:"docExpiryDate,omitempty"`
	DocNumber              string          `json:"docNumber,omitempty"`
	DocScanConfidence      int             `json:"docScanConfidence,omitempty"`
	DataMatch              bool            `json:"dataMatch"`
	TemplateMatch          bool            `json:"templateMatch"`
	DocIssues              json.RawMessage `json:"docIssues,omitempty"`
}

// CorporateVerification is one verification of a legal entity.
type CorporateVerification struct {
	ID                      string          `json:"id"`
	LegalEntityVerification bool            `json:"legalEntityVerification"`
	VerificationStatus      string          `json:"verificationStatus,omitempty"`
	VerificationDate        string          `json:"verificationDate,omitempty"`
	VerificationSource      string          `json:"verificationSource,omitempty"`
	BusinessStatement       string          `json:"businessStatement,omitempty"`
	NextReviewDate          string          `json:"nextReviewDate,omitempty"`
	VerificationIssues      json.RawMessage `json:"verificationIssues,omitempty"`
}
