package idenfytest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

// Page sizes of the fake's lists (I: iDenfy documents page and perPage,
// not their defaults or bounds).
const (
	DefaultPerPage = 10
	MaxPerPage     = 100
)

// page is Django REST Framework's page-number pagination, as iDenfy's
// lists answer: {count, next, previous, results}.
type page struct {
	Count    int             `json:"count"`
	Next     *string         `json:"next"`
	Previous *string         `json:"previous"`
	Results  json.RawMessage `json:"results"`
}

// paginate answers one page of items (already filtered), or DRF's 404
// {"detail": "Invalid page."} for a page that does not exist.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, n int, item func(i int) any) {
	q := r.URL.Query()
	per := DefaultPerPage
	if v := q.Get("perPage"); v != "" {
		if p, err := strconv.Atoi(v); err == nil && p > 0 {
			per = min(p, MaxPerPage)
		}
	}
	pageNo := 1
	if v := q.Get("page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			s.notFoundPage(w)
			return
		}
		pageNo = p
	}
	pages := max(1, (n+per-1)/per)
	if pageNo > pages {
		s.notFoundPage(w)
		return
	}
	link := func(p int) *string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		u := s.URL + r.URL.Path + "?" + q.Encode()
		return &u
	}
	out := page{Count: n}
	if pageNo < pages {
		out.Next = link(pageNo + 1)
	}
	if pageNo > 1 {
		out.Previous = link(pageNo - 1)
	}
	items := []any{}
	for i := (pageNo - 1) * per; i < min(n, pageNo*per); i++ {
		items = append(items, item(i))
	}
	out.Results, _ = json.Marshal(items)
	fakekit.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) notFoundPage(w http.ResponseWriter) {
	s.kit.Counts.Inc(providertest.CountRejected)
	fakekit.WriteJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
}

// identifications serves GET /kyc/identifications/?clientId=&page=&perPage=:
// {scanRef, status, suspected} per verification, oldest first.
func (s *Server) identifications(w http.ResponseWriter, r *http.Request, _ body) {
	clientID := r.URL.Query().Get("clientId")
	type row struct {
		ScanRef   string `json:"scanRef"`
		Status    string `json:"status"`
		Suspected bool   `json:"suspected"`
	}
	s.mu.Lock()
	var rows []row
	for _, ref := range s.order {
		v := s.kyc[ref]
		if clientID == "" || v.req.clientID == clientID {
			st := s.statusNow(v)
			rows = append(rows, row{ScanRef: ref, Status: st, Suspected: st == statusSuspected})
		}
	}
	s.mu.Unlock()
	s.paginate(w, r, len(rows), func(i int) any { return rows[i] })
}

// Company is a company the fake holds, as a submitted KYB form leaves it.
type Company struct {
	ClientID           string
	Name               string
	RegistrationNumber string
	Country            string // ISO 3166-1 alpha-2
	Status             string // PENDING, PROCESSING, NEED_TO_PROCESS, NEED_TO_REVIEW, COMPLETED
	ApprovalStatus     string // APPROVED, DENIED, or ""
	SoleProprietor     bool
}

type company struct {
	id        string
	c         Company
	created   time.Time
	submitted time.Time
}

// AddCompany adds a company, as if its KYB form had been submitted now,
// and returns its id.
func (s *Server) AddCompany(c Company) string {
	if c.Status == "" {
		c.Status = "PENDING"
	}
	now := s.kit.Clock.Now()
	co := &company{id: newUUID(), c: c, created: now, submitted: now}
	s.mu.Lock()
	s.companies[co.id] = co
	s.companyOrder = append(s.companyOrder, co.id)
	s.mu.Unlock()
	return co.id
}

type companyWire struct {
	CompanyName        string `json:"companyName"`
	RegistrationNumber string `json:"registrationNumber"`
	Country            string `json:"country"`
}

type companyMetaWire struct {
	Created          string  `json:"created,omitempty"`
	Status           string  `json:"status"`
	ExpirationStatus *string `json:"expirationStatus,omitempty"`
	ApprovalStatus   *string `json:"approvalStatus"`
	SubmissionTime   string  `json:"submissionTime"`
	SoleProprietor   bool    `json:"soleProprietor"`
}

type companyRowWire struct {
	ID       string          `json:"id"`
	ClientID string          `json:"clientId,omitempty"`
	Company  companyWire     `json:"company"`
	Meta     companyMetaWire `json:"meta"`
}

func (co *company) wire(full bool) companyRowWire {
	out := companyRowWire{ID: co.id,
		Company: companyWire{CompanyName: co.c.Name, RegistrationNumber: co.c.RegistrationNumber, Country: co.c.Country},
		Meta: companyMetaWire{Status: co.c.Status, ApprovalStatus: optional(co.c.ApprovalStatus),
			SubmissionTime: co.submitted.UTC().Format(time.RFC3339), SoleProprietor: co.c.SoleProprietor}}
	if full {
		out.ClientID = co.c.ClientID
		out.Meta.Created = co.created.UTC().Format(time.RFC3339)
		out.Meta.ExpirationStatus = ptr("PENDING")
	}
	return out
}

// companies serves GET /kyb/companies/ (paginated, registrationNumber
// filter) and GET /kyb/companies/{id}/.
func (s *Server) companiesList(w http.ResponseWriter, r *http.Request, _ body) {
	reg := r.URL.Query().Get("registrationNumber")
	s.mu.Lock()
	var rows []companyRowWire
	for _, id := range s.companyOrder {
		co := s.companies[id]
		if reg == "" || co.c.RegistrationNumber == reg {
			rows = append(rows, co.wire(false))
		}
	}
	s.mu.Unlock()
	s.paginate(w, r, len(rows), func(i int) any { return rows[i] })
}

func (s *Server) companyGet(w http.ResponseWriter, id string) {
	s.mu.Lock()
	co, ok := s.companies[id]
	var out companyRowWire
	if ok {
		out = co.wire(true)
	}
	s.mu.Unlock()
	if !ok {
		s.reject(w, http.StatusNotFound, "NOT_FOUND", "Not found.")
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, out)
}

// amlCheck is an AML v3 check the fake ran.
type amlCheck struct {
	answer amlCheckWire
}

type amlCheckWire struct {
	ID            string          `json:"id"`
	ClientID      string          `json:"clientId"`
	CheckedAt     string          `json:"checkedAt"`
	Created       string          `json:"created"`
	UserType      string          `json:"userType"`
	Input         json.RawMessage `json:"input"`
	Filter        json.RawMessage `json:"filter"`
	AMLCheck      []amlMatchWire  `json:"amlCheck"`
	AdverseMedia  []any           `json:"adverseMedia"`
	OverallStatus string          `json:"overallStatus"`
	Monitoring    any             `json:"monitoring"`
}

type amlMatchWire struct {
	Version           int      `json:"version"`
	ResourceID        string   `json:"resourceId"`
	Score             int      `json:"score"`
	Match             string   `json:"match"`
	Name              string   `json:"name"`
	Addresses         []any    `json:"addresses"`
	Nationalities     []string `json:"nationalities"`
	DatesOfBirth      []string `json:"datesOfBirth"`
	Datasets          []string `json:"datasets"`
	CurrentSanBodyIDs []int    `json:"currentSanBodyIds"`
	FormerSanBodyIDs  []int    `json:"formerSanBodyIds"`
}

// FlagAML makes AML checks of name (a person's fullName or a company's
// companyName) find one sanctions match.
func (s *Server) FlagAML(name string) {
	s.mu.Lock()
	s.amlFlagged[strings.ToUpper(name)] = true
	s.mu.Unlock()
}

// amlCreate serves POST /aml/checks/ (201), written from AmlCheckRequest:
// clientId, userType PERSON|COMPANY, input {fullName | companyName, …},
// filter {datasets, threshold 75–100, …}.
func (s *Server) amlCreate(w http.ResponseWriter, _ *http.Request, b body) {
	r := &reader{b: b}
	clientID, _ := r.str("clientId", true, false)
	r.length("clientId", clientID, 1, 100)
	userType, _ := r.str("userType", true, false)
	r.oneOf("userType", userType, "PERSON", "COMPANY")
	input, filter := r.object("input"), r.object("filter")
	if input == nil {
		r.fail("MISSING_VALUE", "input", "This field is required.")
	}
	if filter == nil {
		r.fail("MISSING_VALUE", "filter", "This field is required.")
	}
	var name string
	if input != nil {
		key := "fullName"
		if userType == "COMPANY" {
			key = "companyName"
		}
		name, _ = input.str(key, true, false)
		input.length(key, name, 1, 200)
		r.adopt(input, "input.")
	}
	if filter != nil {
		if l, st := filter.list("datasets", false, 0, 1, 0); st != present || len(l) == 0 {
			filter.fail("MISSING_VALUE", "datasets", "This field is required.")
		}
		filter.integer("threshold", 75, 100)
		r.adopt(filter, "filter.")
	}
	if s.invalid(w, r) {
		return
	}
	now := s.kit.Clock.Now().UTC().Format(time.RFC3339)
	ans := amlCheckWire{ID: newUUID(), ClientID: clientID, CheckedAt: now, Created: now, UserType: userType,
		Input: b["input"], Filter: b["filter"], AMLCheck: []amlMatchWire{}, AdverseMedia: []any{}, OverallStatus: "NO_FLAGS"}
	s.mu.Lock()
	if s.amlFlagged[strings.ToUpper(name)] {
		ans.OverallStatus = "FLAGS_FOUND"
		ans.AMLCheck = append(ans.AMLCheck, amlMatchWire{Version: 1, ResourceID: newUUID(), Score: 95,
			Match: name, Name: name, Addresses: []any{}, Nationalities: []string{}, DatesOfBirth: []string{},
			Datasets: []string{"SAN_CURRENT"}, CurrentSanBodyIDs: []int{1}, FormerSanBodyIDs: []int{}})
	}
	s.amlChecks[ans.ID] = &amlCheck{answer: ans}
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, ans)
}

// amlPDF serves POST /aml/checks/{id}/pdf/: the check's report as
// application/pdf.
func (s *Server) amlPDF(w http.ResponseWriter, id string) {
	s.mu.Lock()
	_, ok := s.amlChecks[id]
	s.mu.Unlock()
	if !ok {
		s.reject(w, http.StatusNotFound, "NOT_FOUND", "Not found.")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	_, _ = w.Write([]byte("%PDF-1.4\n% idenfytest AML check " + url.PathEscape(id) + "\n%%EOF\n"))
}
