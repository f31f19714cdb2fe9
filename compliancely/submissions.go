package compliancely

import (
	"context"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/unikyc/unikyc/providers"
)

// SubmissionRequest submits a TIN check: a business or individual name
// with its EIN or SSN. The endpoint is a stand-in: the documented v1 call
// (POST /api/v1/submissions/) at the v2 path.
type SubmissionRequest struct {
	TIN         string   `json:"tin"`                    // 9 digits, no separators
	Name        string   `json:"name"`                   // ≤ 40 characters; letters, digits, spaces, & and - only
	WebhookURLs []string `json:"webhook_urls,omitempty"` // Compliancely posts the result there
}

// Submission is a TIN check and its IRS result. Checks are asynchronous:
// Status is "Pending" until the IRS answers, then "TIN Matched", "Did Not
// Match" or "In Review".
type Submission struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	TIN              string `json:"tin"`
	Status           string `json:"status"`
	CreatedBy        string `json:"created_by"`
	IRSCode          int    `json:"irs_code"` // IRS 0–8; Compliancely adds -1 (pending) and 10
	IRSReason        string `json:"irs_reason"`
	IRSServiceStatus string `json:"irs_service_status"`
	LastIRSCheckDate string `json:"last_irs_check_date"` // RFC 3339
	CreatedDate      string `json:"created_date"`        // RFC 3339
	UpdatedDate      string `json:"updated_date"`        // RFC 3339
}

// Submission statuses.
const (
	StatusPending    = "Pending"
	StatusMatched    = "TIN Matched"
	StatusNotMatched = "Did Not Match"
	StatusInReview   = "In Review"
)

// Validate checks r against the documented field rules, naming the field
// and never its value.
func (r *SubmissionRequest) Validate() error {
	if len(r.TIN) != 9 || !allDigits(r.TIN) {
		return providers.Invalid("tin", "must be 9 digits without separators")
	}
	switch n := utf8.RuneCountInString(r.Name); {
	case n == 0:
		return providers.Invalid("name", "is required")
	case n > 40:
		return providers.Invalid("name", "must be at most 40 characters")
	}
	for _, c := range r.Name {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != ' ' && c != '&' && c != '-' {
			return providers.Invalid("name", "may hold only letters, digits, spaces, & and -")
		}
	}
	for i, u := range r.WebhookURLs {
		if u == "" {
			return providers.Invalid("webhook_urls["+strconv.Itoa(i)+"]", "must not be empty")
		}
	}
	return nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CreateSubmission submits a TIN check. Invalid input is refused before
// anything is sent. As a POST without an idempotency key it is not
// retried after a 5xx (it may have been recorded); it is after a 429.
func (c *Client) CreateSubmission(ctx context.Context, r *SubmissionRequest) (*Submission, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var s Submission
	if err := c.do(ctx, http.MethodPost, SubmissionsPath, "create submission", r, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetSubmission returns the TIN check with id.
func (c *Client) GetSubmission(ctx context.Context, id int64) (*Submission, error) {
	if id <= 0 {
		return nil, providers.Invalid("id", "must be positive")
	}
	var s Submission
	if err := c.do(ctx, http.MethodGet, SubmissionsPath+strconv.FormatInt(id, 10)+"/", "get submission", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
