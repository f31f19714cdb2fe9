package icomplytest

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/unikyc/unikyc/icomply"
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

type dataset struct {
	entities []icomply.Entity // full records, oldest first
	persons  map[string]icomply.NaturalPerson
	aml      map[string]icomply.AMLSearch
}

func person(id, first, last, dob, country string, status icomply.KYCStatus) (icomply.Entity, icomply.NaturalPerson) {
	info := icomply.PersonalInformation{FirstName: first, LastName: last, DateOfBirth: dob, CountryCode: country,
		Email: first + "@example.com"}
	iv := []icomply.IdentityVerification{{ID: id[:8] + "-iv", IdentityVerification: true, IdentityStatus: "Accepted"}}
	da := []icomply.DocumentAuthentication{{ID: id[:8] + "-da", DocAuth: true, DocAuthStatus: "Accepted",
		DocType: "ID Card", DocScanConfidence: 100, DataMatch: true, TemplateMatch: true}}
	np := icomply.NaturalPerson{
		KYCMetaData: icomply.KYCMetaData{EntityID: id, CreatedDateTime: "2024-01-15", LastUpdate: "2024-02-01",
			NextKYCReview: "2026-02-01", KYCStatus: status, Tags: []string{}},
		PersonalInformation: info, IdentityVerification: iv, DocumentAuthentication: da,
	}
	e := icomply.Entity{ID: id, Type: icomply.KindNaturalPerson, PersonalInformation: &info,
		KYCMetaData:          &icomply.KYCMetaData{DateCreated: "2024-01-15 09:30:00", Status: status, LastUpdated: "2024-02-01 10:00:00"},
		IdentityVerification: iv, DocumentAuthentication: da}
	return e, np
}

func company(id, name, country string, status icomply.KYCStatus) icomply.Entity {
	return icomply.Entity{ID: id, Type: icomply.KindLegalEntity,
		CorporateInformation: &icomply.CorporateInformation{CompanyName: name, Country: country},
		KYCMetaData:          &icomply.KYCMetaData{DateCreated: "2024-03-01 12:00:00", Status: status},
		CorporateVerifications: []icomply.CorporateVerification{{ID: id[:8] + "-cv", LegalEntityVerification: true,
			VerificationStatus: string(status), VerificationSource: "Manual Entry"}}}
}

func seed() dataset {
	d := dataset{persons: map[string]icomply.NaturalPerson{}, aml: map[string]icomply.AMLSearch{}}
	for _, p := range []struct {
		id, first, last, dob, country string
		status                        icomply.KYCStatus
	}{
		{PersonApproved, "John", "Doe", "1965-03-11", "USA", icomply.KYCStatusApproved},
		{PersonPending, "Jane", "Roe", "1980-07-02", "CAN", icomply.KYCStatusPending},
		{PersonUnknown, "Max", "Mustermann", "1990-12-24", "DEU", "Onboarding"},
	} {
		e, np := person(p.id, p.first, p.last, p.dob, p.country, p.status)
		d.entities = append(d.entities, e)
		d.persons[p.id] = np
	}
	d.entities = append(d.entities,
		company(CompanyReview, "New Company", "CA", icomply.KYCStatusReview),
		company(CompanyOK, "Test Inc.", "CA", icomply.KYCStatusAccepted))
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
	q := listQuery{limit: icomply.DefaultListLimit, include: map[string]bool{}}
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
	if err := num("limit", &q.limit, 1, icomply.MaxListLimit); err != nil {
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
	switch icomply.EntityType(v.Get("type")) {
	case "", icomply.EntityTypeAll:
	case icomply.EntityTypeNaturalPersons:
		q.kind = icomply.KindNaturalPerson
	case icomply.EntityTypeLegalEntities:
		q.kind = icomply.KindLegalEntity
	default:
		return q, errors.New("type must be all, natural-persons or legal-entities")
	}
	for name := range v {
		q.include[name] = v.Get(name) == "true"
	}
	return q, nil
}

// list returns the page q asks for, with only the included sections.
func (d *dataset) list(q listQuery) []icomply.Entity {
	all := slices.Clone(d.entities)
	if q.descending {
		slices.Reverse(all)
	}
	out := []icomply.Entity{}
	for _, e := range all {
		if q.kind != "" && e.Type != q.kind {
			continue
		}
		if q.start > 0 {
			q.start--
			continue
		}
		if len(out) == q.limit {
			break
		}
		if !q.include["kycMetaData"] {
			e.KYCMetaData = nil
		}
		if !q.include["identityVerification"] {
			e.IdentityVerification = nil
		}
		if !q.include["documentAuthentication"] {
			e.DocumentAuthentication = nil
		}
		if !q.include["corporateVerification"] {
			e.CorporateVerifications = nil
		}
		out = append(out, e)
	}
	return out
}

func newAMLSearch(id int, p icomply.AMLSearchParams, now time.Time) icomply.AMLSearch {
	typ := p.SearchType
	if typ == "" {
		typ = icomply.SearchTypePerson
	}
	return icomply.AMLSearch{ID: icomply.ID(strconv.Itoa(id)), Ongoing: p.Ongoing,
		ScreenDate: now.Format(time.DateOnly), NextReview: now.AddDate(2, 0, 0).Format(time.DateOnly),
		SearchTerm: p.SearchTerm.Name, SearchTypes: []string{typ}, SearchFuzziness: p.SearchFuzziness,
		SearchCoverage: p.SearchCoverage, Pending: len(p.SearchTerm.Name) % 7, LinkedEntityIDs: p.LinkedEntityIDs}
}
