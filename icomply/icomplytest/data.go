package icomplytest

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// IDs of the fake's data set: three natural persons (KYC status Approved,
// Pending, and "Onboarding", a status icomply does not name) and two
// legal entities, listed in this order (oldest first).
const (
	PersonApproved = "1234567a-6722-4907-8265-7b4e02fab134"
	PersonPending  = "2b1d5e4c-8f3a-4c2e-9d61-0a7b3c5e9f12"
	PersonUnknown  = "3c2e6f5d-1a4b-4d3f-8e72-1b8c4d6fa023"
	CompanyReview  = "d9c66022-d01b-44f2-8ff4-7d4369923668"
	CompanyOK      = "6b3a0d25-6f21-449e-af04-bbeb0035fbe9"
)

// firstAMLID is the ID of the first AML search created on a fake.
const firstAMLID = 591

// The data set is kept as JSON objects in iComply's documented keys (the
// fake's own wire shapes, not package icomply's types).
type object = map[string]any

type dataset struct {
	entities []object // full list items, oldest first
	persons  map[string]object
	aml      map[string]amlSearch
}

func person(id, first, last, dob, country, status string) (object, object) {
	info := object{"firstName": first, "lastName": last, "dateOfBirth": dob, "countryCode": country,
		"email": first + "@example.com"}
	iv := []object{{"id": id[:8] + "-iv", "identityVerification": true, "identityStatus": "Accepted"}}
	da := []object{{"id": id[:8] + "-da", "docAuth": true, "docAuthStatus": "Accepted", "docType": "ID Card",
		"docScanConfidence": 100, "dataMatch": true, "templateMatch": true}}
	np := object{
		"kycMetaData": object{"entityID": id, "createdDateTime": "2024-01-15", "lastUpdate": "2024-02-01",
			"nextKYCReview": "2026-02-01", "kycStatus": status, "tags": []string{}},
		"personalInformation": info, "identityVerification": iv, "documentAuthentication": da,
	}
	e := object{"id": id, "type": "Natural Person", "personalInformation": info,
		"kycMetaData":          object{"dateCreated": "2024-01-15 09:30:00", "status": status, "lastUpdated": "2024-02-01 10:00:00"},
		"identityVerification": iv, "documentAuthentication": da}
	return e, np
}

func company(id, name, country, status string) object {
	return object{"id": id, "type": "Legal Entity",
		"corporateInformation": object{"companyName": name, "country": country},
		"kycMetaData":          object{"dateCreated": "2024-03-01 12:00:00", "status": status},
		"corporateVerifications": []object{{"id": id[:8] + "-cv", "legalEntityVerification": true,
			"verificationStatus": status, "verificationSource": "Manual Entry"}}}
}

func seed() dataset {
	d := dataset{persons: map[string]object{}, aml: map[string]amlSearch{}}
	for _, p := range []struct{ id, first, last, dob, country, status string }{
		{PersonApproved, "John", "Doe", "1965-03-11", "USA", "Approved"},
		{PersonPending, "Jane", "Roe", "1980-07-02", "CAN", "Pending"},
		{PersonUnknown, "Max", "Mustermann", "1990-12-24", "DEU", "Onboarding"},
	} {
		e, np := person(p.id, p.first, p.last, p.dob, p.country, p.status)
		d.entities = append(d.entities, e)
		d.persons[p.id] = np
	}
	d.entities = append(d.entities,
		company(CompanyReview, "New Company", "CA", "Review"),
		company(CompanyOK, "Test Inc.", "CA", "Accepted"))
	return d
}

type listQuery struct {
	limit, start int
	descending   bool
	kind         string // "" for all
	include      map[string]bool
}

func parseList(r *http.Request) (listQuery, error) {
	v := r.URL.Query()
	q := listQuery{limit: 10, include: map[string]bool{}}
	num := func(name string, dst *int, lo, hi int) error {
		s := v.Get(name)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return errors.New(name + " must be a number between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi))
		}
		*dst = n
		return nil
	}
	if err := num("limit", &q.limit, 1, 100); err != nil {
		return q, err
	}
	if err := num("start", &q.start, 0, 1<<30); err != nil {
		return q, err
	}
	if s := v.Get("descending"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, errors.New("descending must be true or false")
		}
		q.descending = b
	}
	switch v.Get("type") {
	case "", "all":
	case "natural-persons":
		q.kind = "Natural Person"
	case "legal-entities":
		q.kind = "Legal Entity"
	default:
		return q, errors.New("type must be all, natural-persons or legal-entities")
	}
	for name := range v {
		q.include[name] = v.Get(name) == "true"
	}
	return q, nil
}

// list returns the page q asks for, with only the included sections.
func (d *dataset) list(q listQuery) []object {
	all := slices.Clone(d.entities)
	if q.descending {
		slices.Reverse(all)
	}
	out := []object{}
	for _, e := range all {
		if q.kind != "" && e["type"] != q.kind {
			continue
		}
		if q.start > 0 {
			q.start--
			continue
		}
		if len(out) == q.limit {
			break
		}
		e = maps.Clone(e)
		for _, section := range []string{"kycMetaData", "identityVerification", "documentAuthentication", "corporateVerification"} {
			if !q.include[section] {
				delete(e, section)
				if section == "corporateVerification" {
					delete(e, "corporateVerifications")
				}
			}
		}
		out = append(out, e)
	}
	return out
}

// amlRequest is the body of POST /api/v2/aml. Keys match regardless of
// case, as ASP.NET Core's JSON binder (web defaults) reads them.
type amlRequest struct {
	Ongoing    bool `json:"ongoing"`
	SearchTerm struct {
		Name        string   `json:"name"`
		YearOfBirth int      `json:"yearOfBirth"`
		Countries   []string `json:"countries"`
	} `json:"searchTerm"`
	SearchType      string   `json:"searchType"`
	SearchFuzziness int      `json:"searchFuzziness"`
	SearchCoverage  []string `json:"searchCoverage"`
	LinkedEntityIDs []string `json:"linkedEntityIds"`
}

// amlSearch is an AML screening as the fake answers it.
type amlSearch struct {
	ID                int      `json:"id"`
	Ongoing           bool     `json:"ongoing"`
	ScreenDate        string   `json:"screenDate"`
	NextReview        string   `json:"nextReview"`
	SearchTerm        string   `json:"searchTerm"`
	SearchTypes       []string `json:"searchTypes"`
	SearchFuzziness   int      `json:"searchFuzziness"`
	SearchCoverage    []string `json:"searchCoverage"`
	Pending           int      `json:"pending"`
	Accepted          int      `json:"accepted"`
	Unknown           int      `json:"unknown"`
	Sanctions         int      `json:"sanctions"`
	PoliticalExposure int      `json:"politicalExposure"`
	AdverseMedia      int      `json:"adverseMedia"`
	LinkedEntityIDs   []string `json:"linkedEntityIds"`
}

func newAMLSearch(id int, p amlRequest, now time.Time) amlSearch {
	typ := p.SearchType
	if typ == "" {
		typ = "person"
	}
	return amlSearch{ID: id, Ongoing: p.Ongoing,
		ScreenDate: now.Format(time.DateOnly), NextReview: now.AddDate(2, 0, 0).Format(time.DateOnly),
		SearchTerm: p.SearchTerm.Name, SearchTypes: []string{typ}, SearchFuzziness: p.SearchFuzziness,
		SearchCoverage: p.SearchCoverage, Pending: len(p.SearchTerm.Name) % 7, LinkedEntityIDs: p.LinkedEntityIDs}
}
