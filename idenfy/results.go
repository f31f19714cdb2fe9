package idenfy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/unikyc/unikyc/providers"
)

// Result, list and AML paths (C: kyc.yaml, kyb.yaml, aml.yaml).
const (
	fullPath            = "/api/v2/full"
	dataPath            = "/api/v2/data"
	filesPath           = "/api/v2/files"
	identificationsPath = "/kyc/identifications/"
	companiesPath       = "/kyb/companies/"
	amlChecksPath       = "/aml/checks/"
)

// FullResult returns a verification's complete result (POST /api/v2/full),
// in the shape of the result webhook. Use it when a webhook was missed, not
// to poll (C). There, Final always reads false, and Status.Overall shows
// the automatic result while a manual review is pending (C: full result
// page); [Client.Status] tells a pending review (REVIEWING).
func (c *Client) FullResult(ctx context.Context, scanRef string) (*KYCResult, error) {
	if err := checkRequired("scanRef", scanRef); err != nil {
		return nil, err
	}
	var out KYCResult
	if err := c.read(ctx, fullPath, "full result", ScanRefRequest{ScanRef: scanRef}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Data returns what was read from the verification's document (POST
// /api/v2/data): the result's data block.
func (c *Client) Data(ctx context.Context, scanRef string) (*CallbackData, error) {
	if err := checkRequired("scanRef", scanRef); err != nil {
		return nil, err
	}
	var out CallbackData
	if err := c.read(ctx, dataPath, "data", ScanRefRequest{ScanRef: scanRef}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Files returns the links to the verification's files (POST /api/v2/files)
// by name (FRONT, BACK, FACE, …). Values are kept as sent (I: the answer is
// read as the webhook's fileUrls, whose values are typed "any"); a link is
// a string.
func (c *Client) Files(ctx context.Context, scanRef string) (map[string]any, error) {
	if err := checkRequired("scanRef", scanRef); err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := c.read(ctx, filesPath, "files", ScanRefRequest{ScanRef: scanRef}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Identification is one row of the identifications list.
type Identification struct {
	ScanRef   string             `json:"scanRef"`
	Status    VerificationStatus `json:"status"`
	Suspected bool               `json:"suspected"`
}

// ListOptions pages a list. PerPage 0 leaves iDenfy's default.
type ListOptions struct {
	PerPage int
}

// Identifications lists the verifications of clientId (GET
// /kyc/identifications/?clientId=&page=&perPage=), following the pages
// (DRF pagination: count, next, previous; C). The iterator stops at the
// first error, which it yields; breaking out of the loop sends nothing
// more.
func (c *Client) Identifications(ctx context.Context, clientID string, o ListOptions) iter.Seq2[Identification, error] {
	q := url.Values{}
	if err := firstError(checkRequired("clientId", clientID), checkRange("perPage", o.PerPage, 0, 1000)); err != nil {
		return failed[Identification](err)
	}
	q.Set("clientId", clientID)
	return list[Identification](ctx, c, identificationsPath, q, o, "list identifications")
}

// CompanyInfo is the "company" block of a KYB company.
type CompanyInfo struct {
	CompanyName        string          `json:"companyName"`
	RegistrationNumber string          `json:"registrationNumber"`
	Country            string          `json:"country"`
	Region             string          `json:"region"`
	Type               string          `json:"type"`
	Phone              string          `json:"phone"`
	Website            string          `json:"website"`
	Email              string          `json:"email"`
	BrandNames         []string        `json:"brandNames"`
	ActivityCode       string          `json:"activityCode"`
	TIN                string          `json:"tin"`
	OperatingAddress   string          `json:"operatingAddress"`
	PostalAddress      string          `json:"postalAddress"`
	Postcode           string          `json:"postcode"`
	Street             string          `json:"street"`
	City               string          `json:"city"`
	AdditionalInfo     json.RawMessage `json:"additionalInfo,omitempty"`
}

// CompanyMeta is the "meta" block of a KYB company.
type CompanyMeta struct {
	Created               string `json:"created"`
	Status                string `json:"status"` // PENDING, PROCESSING, NEED_TO_PROCESS, NEED_TO_REVIEW, COMPLETED
	ApprovalStatus        string `json:"approvalStatus"`
	ExpirationStatus      string `json:"expirationStatus"`
	InitialSubmissionTime string `json:"initialSubmissionTime"`
	SubmissionTime        string `json:"submissionTime"`
	SoleProprietor        bool   `json:"soleProprietor"`
}

// Company is a KYB company (GET /kyb/companies/{id}/, and the rows of the
// company list). Personal and business data: do not log it. Blocks this
// package does not type are ignored; fetch them with [Client.Do].
type Company struct {
	ID       string      `json:"id"`
	ClientID string      `json:"clientId"`
	Company  CompanyInfo `json:"company"`
	Meta     CompanyMeta `json:"meta"`
}

// Company returns a KYB company's full information (GET /kyb/companies/{id}/).
func (c *Client) Company(ctx context.Context, id string) (*Company, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	req, err := c.NewRequest(ctx, http.MethodGet, companiesPath+id+"/", nil)
	if err != nil {
		return nil, err
	}
	var out Company
	if err := c.Do(req, "company", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CompaniesOptions filters and pages the company list.
type CompaniesOptions struct {
	RegistrationNumber string // exact match; "" lists every company
	PerPage            int
}

// Companies lists KYB companies (GET /kyb/companies/, paginated, filtered
// by registrationNumber; C), following the pages.
func (c *Client) Companies(ctx context.Context, o CompaniesOptions) iter.Seq2[Company, error] {
	if err := checkRange("perPage", o.PerPage, 0, 1000); err != nil {
		return failed[Company](err)
	}
	q := url.Values{}
	if o.RegistrationNumber != "" {
		q.Set("registrationNumber", o.RegistrationNumber)
	}
	return list[Company](ctx, c, companiesPath, q, ListOptions{PerPage: o.PerPage}, "list companies")
}

// pageOf is Django REST Framework's page-number page.
type pageOf[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// maxPages bounds a list walk against a server whose next link loops.
const maxPages = 100000

func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

// list walks a paginated list from page 1, following "next" (its path and
// query, under the client's base URL, so credentials never leave it).
func list[T any](ctx context.Context, c *Client, path string, q url.Values, o ListOptions, op string) iter.Seq2[T, error] {
	if o.PerPage > 0 {
		q.Set("perPage", strconv.Itoa(o.PerPage))
	}
	return func(yield func(T, error) bool) {
		var zero T
		next := path
		if len(q) > 0 {
			next += "?" + q.Encode()
		}
		seen := map[string]bool{}
		for n := 0; next != ""; n++ {
			if seen[next] || n >= maxPages {
				yield(zero, &providers.DecodeError{Provider: Name, Operation: op, Err: errPageLoop})
				return
			}
			seen[next] = true
			req, err := c.NewRequest(ctx, http.MethodGet, next, nil)
			if err != nil {
				yield(zero, err)
				return
			}
			var p pageOf[T]
			if err := c.Do(req, op, &p); err != nil {
				yield(zero, err)
				return
			}
			for _, item := range p.Results {
				if !yield(item, nil) {
					return
				}
			}
			next = ""
			if p.Next != nil && *p.Next != "" {
				u, err := url.Parse(*p.Next)
				if err != nil || !strings.HasPrefix(u.Path, c.BaseURL().Path+path) {
					yield(zero, &providers.DecodeError{Provider: Name, Operation: op, Err: errBadNext})
					return
				}
				next = strings.TrimPrefix(u.Path, c.BaseURL().Path)
				if u.RawQuery != "" {
					next += "?" + u.RawQuery
				}
			}
		}
	}
}

var (
	errPageLoop = errors.New("unikyc: idenfy: the list's next link repeats a page")
	errBadNext  = errors.New("unikyc: idenfy: the list's next link leaves the list")
)

// checkSegment keeps an identifier to one printable path segment. (The
// shared request builder decodes escapes, so "/" cannot be sent escaped.)
// The error names the field, never the value.
func checkSegment(field, s string) error {
	switch {
	case s == "":
		return providers.Invalid(field, "is required")
	case strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || unicode.IsControl(r) }) >= 0:
		return providers.Invalid(field, "must not contain control characters")
	case !utf8.ValidString(s):
		return providers.Invalid(field, "must be valid UTF-8")
	case strings.ContainsAny(s, "/?#%\\ ") || s == "." || s == "..":
		return providers.Invalid(field, "must be a single path segment")
	}
	return nil
}

// AML v3 user types.
const (
	AMLPerson  = "PERSON"
	AMLCompany = "COMPANY"
)

// AMLCheckParams is the body of POST /aml/checks/ (AmlCheckRequest of
// aml.yaml): a person (Person) or a company (Company), screened against
// Filter.Datasets.
type AMLCheckParams struct {
	ClientID string           // required, 1–100 characters
	UserType string           // AMLPerson or AMLCompany
	Person   *AMLPersonInput  // with AMLPerson
	Company  *AMLCompanyInput // with AMLCompany
	Filter   AMLFilter
}

// AMLPersonInput is the input of a person's check.
type AMLPersonInput struct {
	FullName    string `json:"fullName"`              // required, at most 200 characters
	Nationality string `json:"nationality,omitempty"` // ISO 3166-1 alpha-2
	DateOfBirth string `json:"dateOfBirth,omitempty"` // YYYY-MM-DD
	Sex         string `json:"sex,omitempty"`         // MALE or FEMALE
}

// AMLCompanyInput is the input of a company's check.
type AMLCompanyInput struct {
	CompanyName string `json:"companyName"` // required, at most 200 characters
	Country     string `json:"country,omitempty"`
}

// AMLFilter is what a check screens.
type AMLFilter struct {
	Datasets            []string `json:"datasets"`                      // required, e.g. "PEP_CURRENT", "SAN_CURRENT"
	Threshold           *int     `json:"threshold,omitempty"`           // 75–100; iDenfy's default 85
	SanctionBodies      []int    `json:"sanctionBodies,omitempty"`      // each 1–80
	DateOfBirthMatching string   `json:"dateOfBirthMatching,omitempty"` // persons; default EXACT
	PEPTiers            []string `json:"pepTiers,omitempty"`            // persons
}

// Validate checks the rules of aml.yaml's AmlCheckRequest.
func (p *AMLCheckParams) Validate() error {
	errs := []error{checkRequired("clientId", p.ClientID), checkLen("clientId", p.ClientID, 1, MaxClientIDLen)}
	switch p.UserType {
	case AMLPerson:
		if p.Person == nil || p.Company != nil {
			errs = append(errs, providers.Invalid("input", "a PERSON check takes Person only"))
		} else {
			errs = append(errs, checkLen("input.fullName", p.Person.FullName, 1, 200), checkDate("input.dateOfBirth", p.Person.DateOfBirth))
		}
	case AMLCompany:
		if p.Company == nil || p.Person != nil {
			errs = append(errs, providers.Invalid("input", "a COMPANY check takes Company only"))
		} else {
			errs = append(errs, checkLen("input.companyName", p.Company.CompanyName, 1, 200))
		}
	default:
		errs = append(errs, providers.Invalid("userType", "must be PERSON or COMPANY"))
	}
	if len(p.Filter.Datasets) == 0 {
		errs = append(errs, providers.Invalid("filter.datasets", "is required"))
	}
	if p.Filter.Threshold != nil {
		errs = append(errs, checkRange("filter.threshold", *p.Filter.Threshold, 75, 100))
	}
	for i, b := range p.Filter.SanctionBodies {
		errs = append(errs, checkRange(fmt.Sprintf("filter.sanctionBodies[%d]", i), b, 1, 80))
	}
	return firstError(errs...)
}

// MarshalJSON sends {clientId, userType, input, filter}.
func (p AMLCheckParams) MarshalJSON() ([]byte, error) {
	var input any = p.Person
	if p.UserType == AMLCompany {
		input = p.Company
	}
	return json.Marshal(struct {
		ClientID string    `json:"clientId"`
		UserType string    `json:"userType"`
		Input    any       `json:"input"`
		Filter   AMLFilter `json:"filter"`
	}{p.ClientID, p.UserType, input, p.Filter})
}

// AMLCheckResult is an AML v3 check (the 201 answer of POST /aml/checks/).
// Personal data: do not log it.
type AMLCheckResult struct {
	ID            string            `json:"id"`
	ClientID      string            `json:"clientId"`
	CheckedAt     string            `json:"checkedAt"`
	Created       string            `json:"created"`
	UserType      string            `json:"userType"`
	OverallStatus string            `json:"overallStatus"` // NOT_CHECKED, NO_FLAGS, FALSE_POSITIVE, TRUE_POSITIVE, FLAGS_FOUND
	Matches       []AMLMatch        `json:"amlCheck"`
	AdverseMedia  []AMLAdverseMedia `json:"adverseMedia"`
	Input         json.RawMessage   `json:"input,omitempty"`
	Filter        json.RawMessage   `json:"filter,omitempty"`
	Monitoring    json.RawMessage   `json:"monitoring,omitempty"`
}

// CreateAMLCheck runs an AML v3 check (POST /aml/checks/, answer 201). It
// is not retried after an error, as each check is billed.
func (c *Client) CreateAMLCheck(ctx context.Context, p AMLCheckParams) (*AMLCheckResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out AMLCheckResult
	if err := c.post(ctx, amlChecksPath, "create AML check", p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AMLCheckPDF returns the PDF report of an AML check (POST
// /aml/checks/{id}/pdf/, application/pdf), read within the client's answer
// cap (16 MiB). Generating it only reads, so it is retried like a read.
func (c *Client) AMLCheckPDF(ctx context.Context, id string) ([]byte, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	req, err := c.NewRequest(ctx, http.MethodPost, amlChecksPath+id+"/pdf/", struct{}{})
	if err != nil {
		return nil, err
	}
	return c.conn.Exchange(providers.MarkIdempotent(req), "AML check PDF")
}

// StatusPollInterval is a safe interval between two status calls for one
// scan: iDenfy asks not to poll /api/v2/status (C: data retrieval page) and
// says a result webhook is to be expected within 20 minutes of a finished
// verification (C: result webhook page), so asking again sooner tells
// nothing a webhook would not.
const StatusPollInterval = 20 * time.Minute

// ErrStatusPolledTooSoon matches the error of a status call for a scan
// asked about less than Config.StatusGuard ago.
var ErrStatusPolledTooSoon = errors.New("unikyc: idenfy: status of this scan asked again too soon; iDenfy asks not to poll it: use webhooks")

// StatusPollError is returned, and nothing sent, by a status call the
// guard refuses; Wait is how long until the scan may be asked again.
type StatusPollError struct {
	Wait time.Duration
}

func (e *StatusPollError) Error() string {
	return fmt.Sprintf("%s (again in %s)", ErrStatusPolledTooSoon.Error(), e.Wait.Round(time.Second))
}

// Is matches ErrStatusPolledTooSoon.
func (e *StatusPollError) Is(target error) bool { return target == ErrStatusPolledTooSoon }

// statusGuard remembers when each scan's status was last asked.
type statusGuard struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
}

// allow reports whether scanRef may be asked at now, and records it.
func (g *statusGuard) allow(scanRef string, now time.Time) error {
	if g == nil || g.interval <= 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for ref, at := range g.last { // forget what the guard no longer needs
		if now.Sub(at) >= g.interval {
			delete(g.last, ref)
		}
	}
	if at, ok := g.last[scanRef]; ok {
		return &StatusPollError{Wait: g.interval - now.Sub(at)}
	}
	g.last[scanRef] = now
	return nil
}
