package icomply

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unikyc/unikyc/providers"
)

// Service is a KYC service Add Natural Person can request: iComply then
// e-mails the person a link to the portal, which asks for what the
// services need.
type Service string

// The KYC services iComply documents for Add Natural Person.
const (
	RequestIDV Service = "RequestIDV" // identity verification (data validation)
	RequestDoc Service = "RequestDoc" // document authentication (passport, driver's licence, ID card)
	RequestBio Service = "RequestBio" // biometric authentication (a selfie)
	RequestAML Service = "RequestAML" // AML risk screening
)

// NewNaturalPerson is the body of Add Natural Person. Personal data: do
// not log it.
type NewNaturalPerson struct {
	// ExternalID is your own ID for the person; SearchNaturalPersons finds
	// it again.
	ExternalID string
	// Person is who to add. FirstName and LastName are required, Email too
	// when Services is not empty (the services are requested by e-mail);
	// DateOfBirth is YYYY-MM-DD. LinkedEntities is not sent.
	Person PersonalInformation
	// Tags label the entity in iComply's portal.
	Tags []string
	// Services are the KYC services to request; none adds the person
	// without starting a verification.
	Services []Service
	// EDDTemplates names the Enhanced Due Diligence templates the person
	// must complete ("RequestEDD", e.g. ["DocuSign"]).
	EDDTemplates []string
}

// addPersonBody is the wire form. Its parts are the documented data
// structures (C, the Data Structures page: KYCMetaDataStructure with
// ExternalID, PersonalInformationStructure, KYCServicesStructure with the
// bool flags RequestIDV, RequestDoc, RequestBio, RequestAML and the list
// RequestEDD); their property names in the body are inferred from the
// answers' camelCase (I).
type addPersonBody struct {
	KYCMetaData         requestMeta         `json:"kycMetaData"`
	PersonalInformation PersonalInformation `json:"personalInformation"`
	KYCServices         kycServices         `json:"kycServices"`
}

// requestMeta is the part of KYCMetaDataStructure a client sends.
type requestMeta struct {
	ExternalID string   `json:"externalID,omitempty"`
	Tags       []string `json:"tags,omitempty"`
}

// kycServices is KYCServicesStructure, spelled as documented.
type kycServices struct {
	RequestIDV bool     `json:"RequestIDV"`
	RequestDoc bool     `json:"RequestDoc"`
	RequestBio bool     `json:"RequestBio"`
	RequestAML bool     `json:"RequestAML"`
	RequestEDD []string `json:"RequestEDD,omitempty"`
}

func (p *NewNaturalPerson) body() (*addPersonBody, error) {
	pi := p.Person
	switch {
	case strings.TrimSpace(pi.FirstName) == "":
		return nil, providers.Invalid("Person.FirstName", "is required")
	case strings.TrimSpace(pi.LastName) == "":
		return nil, providers.Invalid("Person.LastName", "is required")
	case len(p.Services) > 0 && !plausibleEmail(pi.Email):
		return nil, providers.Invalid("Person.Email", "is required, as an e-mail address, when services are requested")
	case pi.Email != "" && !plausibleEmail(pi.Email):
		return nil, providers.Invalid("Person.Email", "must be an e-mail address")
	case len(p.ExternalID) > 100:
		return nil, providers.Invalid("ExternalID", "must be at most 100 characters")
	}
	if pi.DateOfBirth != "" {
		if _, err := time.Parse(time.DateOnly, pi.DateOfBirth); err != nil {
			return nil, providers.Invalid("Person.DateOfBirth", "must be a date as YYYY-MM-DD")
		}
	}
	var ks kycServices
	for i, s := range p.Services {
		switch s {
		case RequestIDV:
			ks.RequestIDV = true
		case RequestDoc:
			ks.RequestDoc = true
		case RequestBio:
			ks.RequestBio = true
		case RequestAML:
			ks.RequestAML = true
		default:
			return nil, providers.Invalid("Services["+strconv.Itoa(i)+"]", "must be RequestIDV, RequestDoc, RequestBio or RequestAML")
		}
	}
	for i, t := range p.EDDTemplates {
		if strings.TrimSpace(t) == "" {
			return nil, providers.Invalid("EDDTemplates["+strconv.Itoa(i)+"]", "must not be blank")
		}
	}
	if len(p.EDDTemplates) > 0 && !plausibleEmail(pi.Email) {
		return nil, providers.Invalid("Person.Email", "is required, as an e-mail address, when EDD templates are requested")
	}
	ks.RequestEDD = p.EDDTemplates
	pi.LinkedEntities = nil
	return &addPersonBody{KYCMetaData: requestMeta{ExternalID: p.ExternalID, Tags: p.Tags},
		PersonalInformation: pi, KYCServices: ks}, nil
}

func plausibleEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n<>")
}

// AddNaturalPerson adds a natural person and requests the KYC services
// asked for, which starts a verification: iComply e-mails the person, and
// its webhooks report the progress (see [Webhooks]). It answers the new
// entity; its ID is KYCMetaData.EntityID. Bad input returns a
// [*providers.ValidationError] naming the field, and nothing is sent.
func (c *Client) AddNaturalPerson(ctx context.Context, p NewNaturalPerson) (*NaturalPerson, error) {
	body, err := p.body()
	if err != nil {
		return nil, named(err)
	}
	np, err := call[NaturalPerson](ctx, c, http.MethodPost, collection(c.personPath), "add natural person", body)
	if err != nil {
		return nil, err
	}
	return &np, nil
}

// NaturalPersonQuery finds natural persons (GET on the natural-person
// collection). Set at least one field; several narrow the search.
type NaturalPersonQuery struct {
	ExternalID string
	Email      string
	Phone      string
	FirstName  string
	LastName   string
}

func (q NaturalPersonQuery) values() (url.Values, error) {
	return searchValues([][2]string{{"externalID", q.ExternalID}, {"email", q.Email}, {"phone", q.Phone},
		{"firstName", q.FirstName}, {"lastName", q.LastName}}, "ExternalID, Email, Phone, FirstName or LastName")
}

// searchValues builds a search query from its non-empty pairs; one at
// least is required, since an empty search names nobody.
func searchValues(pairs [][2]string, fields string) (url.Values, error) {
	v := url.Values{}
	for _, p := range pairs {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	if len(v) == 0 {
		return nil, providers.Invalid("query", "set at least one of "+fields)
	}
	return v, nil
}

// SearchNaturalPersons finds natural persons by your external ID, e-mail,
// phone or name, and returns the entities that match.
func (c *Client) SearchNaturalPersons(ctx context.Context, q NaturalPersonQuery) ([]Match, error) {
	v, err := q.values()
	if err != nil {
		return nil, named(err)
	}
	return c.search(ctx, collection(c.personPath)+"?"+v.Encode(), "search natural persons")
}

// search sends a search. A 404 stays an error (matching
// providers.ErrNotFound): it may mean "nobody" or a path the account does
// not serve, and only the second is worth a look.
func (c *Client) search(ctx context.Context, path, op string) ([]Match, error) {
	m, err := call[matches](ctx, c, http.MethodGet, path, op, nil)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = matches{}
	}
	return m, nil
}

// Match is one entity a search found. iComply does not publish the
// search's answer (I): a list of entity IDs, of objects naming the entity
// (entityID, entityId or id, or kycMetaData.entityID), or one such object
// all decode into matches; Raw keeps the object, which may hold personal
// data.
type Match struct {
	EntityID string
	Raw      json.RawMessage
}

type matches []Match

func (m *matches) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if err := json.Unmarshal(b, &list); err != nil {
		if string(b) == "null" {
			*m = []Match{}
			return nil
		}
		list = []json.RawMessage{b}
	}
	out := make([]Match, 0, len(list))
	for _, item := range list {
		var id string
		if json.Unmarshal(item, &id) == nil {
			out = append(out, Match{EntityID: id})
			continue
		}
		var o struct {
			EntityID    ID `json:"entityID"`
			EntityIDAlt ID `json:"entityId"`
			ID          ID `json:"id"`
			Meta        struct {
				EntityID ID `json:"entityID"`
			} `json:"kycMetaData"`
		}
		if err := json.Unmarshal(item, &o); err != nil {
			return err
		}
		id = string(o.EntityID)
		for _, alt := range []ID{o.EntityIDAlt, o.ID, o.Meta.EntityID} {
			if id == "" {
				id = string(alt)
			}
		}
		out = append(out, Match{EntityID: id, Raw: item})
	}
	*m = out
	return nil
}

// collection is an entity path without its trailing slash: the
// collection the documentation adds to and searches.
func collection(prefix string) string { return strings.TrimSuffix(prefix, "/") }

// invalid and named build the ValidationError of bad input, naming the
// provider.
func invalid(field, reason string) error { return providers.Invalid(field, reason) }
func named(err error) error              { return providers.Named(Name, err) }
