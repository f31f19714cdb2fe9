package kyconnect

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// OnboardIndividualPath submits an individual's KYC case.
const OnboardIndividualPath = "/onboarding/individual"

// OnboardingBudget is KYConnect's documented limit on individual
// onboarding: 5 submissions per 2 hours per email (C, the developer
// page's rate-limit table). It counts per value of the body's "email"
// (PerField), so it is not in [Budgets], the account's and routes'
// budgets; every client applies it besides them, to every POST
// /onboarding/individual, through OnboardIndividual or NewRequest alike.
// Emails count folded to lower case: spellings of one address count
// together, the safe side whether KYConnect's tracker folds case or not
// (I).
var OnboardingBudget = ratelimit.Budget{Name: "onboarding-individual", Limit: 5, Window: 2 * time.Hour,
	Method: http.MethodPost, Path: OnboardIndividualPath, PerField: "email"}

// Individual is the body of POST /onboarding/individual (I: the field
// names are not published; snake_case like the documented "mfa_code" and
// "refresh_token"). Personal data: do not log it.
type Individual struct {
	Email       string `json:"email"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	DateOfBirth string `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	Country     string `json:"country,omitempty"`       // ISO 3166-1 alpha-2, e.g. "GB"
	Phone       string `json:"phone,omitempty"`
	// ExternalRef is your own reference for the case.
	ExternalRef string `json:"external_ref,omitempty"`
}

func (in *Individual) check() error {
	switch {
	case !plausibleEmail(in.Email):
		return providers.Invalid("Email", "is required, as an email address")
	case strings.TrimSpace(in.FirstName) == "":
		return providers.Invalid("FirstName", "is required")
	case strings.TrimSpace(in.LastName) == "":
		return providers.Invalid("LastName", "is required")
	case in.Country != "" && !isAlpha2(in.Country):
		return providers.Invalid("Country", "must be an ISO 3166-1 alpha-2 code, e.g. GB")
	case len(in.ExternalRef) > 100:
		return providers.Invalid("ExternalRef", "must be at most 100 characters")
	}
	if in.DateOfBirth != "" {
		if _, err := time.Parse(time.DateOnly, in.DateOfBirth); err != nil {
			return providers.Invalid("DateOfBirth", "must be a date as YYYY-MM-DD")
		}
	}
	return nil
}

func isAlpha2(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// Case is an onboarding case as KYConnect answers it (I: not published;
// snake_case and camelCase names are both read, the id may be a number or
// a string). Personal data: do not log it.
type Case struct {
	ID        providers.ID `json:"id"`
	Type      string       `json:"type,omitempty"`   // "individual"
	Status    string       `json:"status,omitempty"` // e.g. "pending"
	Email     string       `json:"email,omitempty"`
	FirstName string       `json:"first_name,omitempty"`
	LastName  string       `json:"last_name,omitempty"`
	CreatedAt string       `json:"created_at,omitempty"`
}

// UnmarshalJSON reads snake_case and camelCase names.
func (c *Case) UnmarshalJSON(b []byte) error {
	type plain Case
	var w struct {
		plain
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
		CreatedAt string `json:"createdAt"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = Case(w.plain)
	c.FirstName = first(c.FirstName, w.FirstName)
	c.LastName = first(c.LastName, w.LastName)
	c.CreatedAt = first(c.CreatedAt, w.CreatedAt)
	return nil
}

// OnboardIndividual submits an individual's onboarding case (POST
// /onboarding/individual) and answers the case.
//
// Bad input returns a [*providers.ValidationError] naming the field and
// sends nothing. A sixth submission for one email within 2 hours
// ([OnboardingBudget]) is not sent either: it waits for its slot up to the
// retry policy's MaxRetryWait and the caller's deadline, and past them
// fails at once with a [*providers.RateLimitError] naming the budget and
// saying when that email may go again, while other emails go through. The
// count is the account's in this process, on the client's clock; a refused
// submission counts too, as KYConnect's throttler counts it. KYConnect's
// own answers: 409 [ErrConflict] (a case for the email exists, I), 422
// [ErrBusinessRule], 403 [ErrForbidden].
func (c *Client) OnboardIndividual(ctx context.Context, in Individual) (*Case, error) {
	if err := in.check(); err != nil {
		return nil, providers.Named(Name, err)
	}
	req, err := c.NewRequest(ctx, http.MethodPost, OnboardIndividualPath, in)
	if err != nil {
		return nil, err
	}
	var out Case
	if err := c.Do(req, "onboard individual", &out); err != nil {
		return nil, err
	}
	return &out, nil
}
