package icomply

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Legal-entity paths, each followed by the entity ID. As for natural
// persons, iComply's heading names LegalEntityPath (the default) and its
// sample request AltLegalEntityPath. Pick with Config.LegalEntityPath.
const (
	LegalEntityPath    = "/api/v2/entities/legal-entities/"
	AltLegalEntityPath = "/api/v2/legal-entities/"
)

// GetLegalEntity returns one legal entity: its corporate information,
// KYC data and corporate verifications.
func (c *Client) GetLegalEntity(ctx context.Context, entityID string) (*Entity, error) {
	if err := checkID("entityID", entityID); err != nil {
		return nil, named(err)
	}
	e, err := call[Entity](ctx, c, http.MethodGet, c.legalPath+entityID, "get legal entity", nil)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// LegalEntityQuery finds legal entities. Set at least one field; several
// narrow the search.
type LegalEntityQuery struct {
	ExternalID         string
	DUNS               string // D-U-N-S number: digits only
	GLEI               string // Legal Entity Identifier
	CompanyName        string
	RegistrationNumber string
	Email              string // of the primary contact
	Phone              string
}

func (q LegalEntityQuery) values() (url.Values, error) {
	if q.DUNS != "" && strings.Trim(q.DUNS, "0123456789") != "" {
		return nil, named(invalid("DUNS", "must hold digits only (the documentation types it Int)"))
	}
	if q.GLEI != "" && !alnum(q.GLEI) {
		return nil, named(invalid("GLEI", "must hold letters and digits only"))
	}
	return searchValues([][2]string{{"externalID", q.ExternalID}, {"duns", q.DUNS}, {"glei", q.GLEI},
		{"companyName", q.CompanyName}, {"registrationNumber", q.RegistrationNumber},
		{"email", q.Email}, {"phone", q.Phone}},
		"ExternalID, DUNS, GLEI, CompanyName, RegistrationNumber, Email or Phone")
}

// SearchLegalEntities finds legal entities by your external ID, DUNS,
// GLEI, company name, registration number, e-mail or phone.
func (c *Client) SearchLegalEntities(ctx context.Context, q LegalEntityQuery) ([]Match, error) {
	v, err := q.values()
	if err != nil {
		return nil, named(err)
	}
	return c.search(ctx, collection(c.legalPath)+"?"+v.Encode(), "search legal entities")
}

// NewLegalEntity is the body of Add Legal Entity.
type NewLegalEntity struct {
	// ExternalID is your own ID for the company.
	ExternalID string
	// Company is the company to add; CompanyName is required.
	Company CorporateInformation
	Tags    []string
}

// addLegalBody is the wire form (I), built like Add Natural Person's:
// the KYC metadata a client sends and the corporateInformation GET answers.
type addLegalBody struct {
	KYCMetaData          requestMeta          `json:"kycMetaData"`
	CorporateInformation CorporateInformation `json:"corporateInformation"`
}

// AddLegalEntity adds a legal entity (KYB) and answers the new entity.
// Bad input returns a [*providers.ValidationError] naming the field, and
// nothing is sent.
func (c *Client) AddLegalEntity(ctx context.Context, p NewLegalEntity) (*Entity, error) {
	co := p.Company
	switch {
	case strings.TrimSpace(co.CompanyName) == "":
		return nil, named(invalid("Company.CompanyName", "is required"))
	case co.DUNS != "" && strings.Trim(co.DUNS, "0123456789") != "":
		return nil, named(invalid("Company.DUNS", "must hold digits only"))
	case co.Email != "" && !plausibleEmail(co.Email):
		return nil, named(invalid("Company.Email", "must be an e-mail address"))
	case len(p.ExternalID) > 100:
		return nil, named(invalid("ExternalID", "must be at most 100 characters"))
	}
	body := addLegalBody{KYCMetaData: requestMeta{ExternalID: p.ExternalID, Tags: p.Tags}, CorporateInformation: co}
	e, err := call[Entity](ctx, c, http.MethodPost, collection(c.legalPath), "add legal entity", body)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// RequestLegalEntityUpdate asks the legal entity's primary contact, by
// e-mail, to update its information (GET
// …/legal-entities/{entityID}/request-client-update).
func (c *Client) RequestLegalEntityUpdate(ctx context.Context, entityID string) error {
	if err := checkID("entityID", entityID); err != nil {
		return named(err)
	}
	_, err := call[struct{}](ctx, c, http.MethodGet, c.legalPath+entityID+"/request-client-update",
		"request legal entity update", nil)
	return err
}

func alnum(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
