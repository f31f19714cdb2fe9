package compliancely

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/unikyc/unikyc/providers"
)

// TaxExemptPath is the one business endpoint Compliancely documents for
// API v2: POST submits a tax-exempt check.
const TaxExemptPath = "/api/v2/taxexempt/"

// TaxExemptRequest submits a tax-exempt check for an organization: its TIN
// (EIN), its name, or both; at least one is required.
type TaxExemptRequest struct {
	TIN         string   `json:"tin,omitempty"`          // 9 digits (I: "a valid TIN/EIN")
	Name        string   `json:"name,omitempty"`         // letters, digits, @ / \ & % ( ) * - ' . , " and spaces
	WebhookURLs []string `json:"webhook_urls,omitempty"` // Compliancely posts the result there
}

// TaxExempt is a tax-exempt check as Compliancely records it. Checks are
// asynchronous: Status is "Pending" until the result is known, and the
// result is posted to the request's webhook URLs.
type TaxExempt struct {
	ID          providers.ID `json:"id"`
	TIN         string       `json:"tin"`
	Name        string       `json:"name"`
	Status      string       `json:"status"`
	CreatedAt   string       `json:"created_at"` // RFC 3339
	CreatedBy   string       `json:"created_by"`
	WebhookURLs []string     `json:"webhook_urls"`
}

// StatusPending is a check whose result is not known yet.
const StatusPending = "Pending"

// envelope is the v2 answer: {"success_message","data","success"}, and on
// failure {"errors":[{"code","message"}],"data":null,"success":false}.
type envelope[T any] struct {
	SuccessMessage string `json:"success_message"`
	Data           *T     `json:"data"`
	Success        *bool  `json:"success"`
}

// nameAllowed are the characters Compliancely accepts in a name besides
// letters, digits and spaces.
const nameAllowed = `@/\&%()*-'.,"`

// Validate checks r against the documented rules, naming the field and
// never its value.
func (r *TaxExemptRequest) Validate() error {
	if r.TIN == "" && strings.TrimSpace(r.Name) == "" {
		return providers.Invalid("tin", "or name is required")
	}
	if r.TIN != "" && (len(r.TIN) != 9 || strings.Trim(r.TIN, "0123456789") != "") {
		return providers.Invalid("tin", "must be 9 digits without separators")
	}
	for _, c := range r.Name {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != ' ' && !strings.ContainsRune(nameAllowed, c) {
			return providers.Invalid("name", "may hold only letters, digits, spaces and "+nameAllowed)
		}
	}
	for i, u := range r.WebhookURLs {
		if u == "" {
			return providers.Invalid("webhook_urls["+strconv.Itoa(i)+"]", "must not be empty")
		}
	}
	return nil
}

// CreateTaxExempt submits a tax-exempt check (POST /api/v2/taxexempt/) and
// returns the record, unwrapped from the v2 envelope. Invalid input is
// refused before anything is sent. As a POST without an idempotency key
// it is not retried after a 5xx (it may have been recorded); it is after a
// 429.
func (c *Client) CreateTaxExempt(ctx context.Context, r *TaxExemptRequest) (*TaxExempt, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var env envelope[TaxExempt]
	if err := c.do(ctx, http.MethodPost, TaxExemptPath, "create tax exempt", r, &env); err != nil {
		return nil, err
	}
	if env.Success != nil && !*env.Success {
		return nil, errNotSuccess
	}
	if env.Data == nil {
		// A 2xx is the provider's answer: never dropped, even when it
		// holds no record.
		return &TaxExempt{}, nil
	}
	return env.Data, nil
}

// errNotSuccess reports a 2xx answer that says "success": false.
var errNotSuccess = errors.New("unikyc: " + Name + " create tax exempt: the answer says it did not succeed")
