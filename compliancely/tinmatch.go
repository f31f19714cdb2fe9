package compliancely

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/unikyc/unikyc/providers"
)

// TIN Match paths (I: only API v1 documents them, and v1 was retired on
// 31 May 2026 along with Basic authentication; whether these routes take
// a v2 Bearer token, or have moved, is to be checked with Compliancely.
// Config.SubmissionsPath and Config.BulkUploadPath change them).
const (
	// DefaultSubmissionsPath is the TIN match submissions route
	// (api_v1_submissions_create in the reference); a result is GET
	// DefaultSubmissionsPath + id + "/".
	DefaultSubmissionsPath = "/api/v1/submissions/"
	// DefaultBulkUploadPath is the bulk TIN upload route. The reference
	// names its page api_v1_bulk_upload_tin_create without printing the
	// path; the path is read from that name (I).
	DefaultBulkUploadPath = "/api/v1/bulk_upload/tin/"
)

// TIN match statuses (C, "Possible statuses are Pending / TIN Matched /
// Did Not Match / In Review").
const (
	TINPending     = "Pending"
	TINMatched     = "TIN Matched"
	TINDidNotMatch = "Did Not Match"
	TINInReview    = "In Review"
)

// IRSCode is the IRS's answer code, 0 to 8, or Compliancely's own -1 (no
// result yet) and 10 (C). A null or missing code reads as -1, never as 0
// (which means a match).
type IRSCode int

// IRSPending is Compliancely's code for a submission without a result.
const IRSPending IRSCode = -1

// UnmarshalJSON accepts a number, a numeric string or null (-1).
func (c *IRSCode) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "null" || s == "" {
		*c = IRSPending
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("unikyc: " + Name + ": irs_code is not a number")
	}
	*c = IRSCode(n)
	return nil
}

// TINMatch is a TIN match submission and its result, in the documented
// shape (api_v1_submissions_create). It holds personal data.
type TINMatch struct {
	ID               providers.ID `json:"id"`
	Name             string       `json:"name"`
	TIN              string       `json:"tin"`
	Status           string       `json:"status"` // TINPending, TINMatched, TINDidNotMatch, TINInReview
	CreatedBy        string       `json:"created_by"`
	IRSCode          IRSCode      `json:"irs_code"`
	IRSReason        string       `json:"irs_reason"`
	IRSServiceStatus string       `json:"irs_service_status"` // "RUNNING", or the outage sentence
	LastIRSCheckDate string       `json:"last_irs_check_date"`
	CreatedDate      string       `json:"created_date"`
	UpdatedDate      string       `json:"updated_date"`
	Message          string       `json:"message,omitempty"` // the synchronous route's timeout note
}

// UnmarshalJSON reads the record; a missing irs_code is -1 (no result).
func (m *TINMatch) UnmarshalJSON(b []byte) error {
	type plain TINMatch
	p := plain{IRSCode: IRSPending}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = TINMatch(p)
	return nil
}

// TINMatchRequest submits a TIN and a name for matching against the IRS.
type TINMatchRequest struct {
	TIN         string   `json:"tin"`                    // 9 digits, no separators (C)
	Name        string   `json:"name"`                   // at most 40 characters; letters, digits, spaces, & and - (C)
	WebhookURLs []string `json:"webhook_urls,omitempty"` // the result is posted there
}

// maxTINName is the documented cap on a TIN match name.
const maxTINName = 40

// Validate checks r against the documented rules, naming the field and
// never its value.
func (r *TINMatchRequest) Validate() error {
	if !nineDigits(r.TIN) {
		return invalid("tin", "must be 9 digits without separators")
	}
	switch name := strings.TrimSpace(r.Name); {
	case name == "":
		return invalid("name", "is required")
	case len([]rune(r.Name)) > maxTINName:
		return invalid("name", "must be at most 40 characters")
	case strings.IndexFunc(r.Name, func(c rune) bool {
		return !isLetterOrDigit(c) && c != ' ' && c != '&' && c != '-'
	}) >= 0:
		return invalid("name", "may hold only letters, digits, spaces, & and -")
	}
	return checkWebhookURLs("webhook_urls", r.WebhookURLs)
}

// SubmitTINMatch submits a TIN match (POST Config.SubmissionsPath). The
// answer is the submission, usually TINPending: the result comes to the
// request's webhook URLs (verify them with Webhooks) or from TINMatch.
// Invalid input is refused before anything is sent. Not retried after a
// 5xx (it may have been recorded, and each costs a credit).
func (c *Client) SubmitTINMatch(ctx context.Context, r *TINMatchRequest) (*TINMatch, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var m TINMatch
	if err := c.do(ctx, http.MethodPost, c.paths.submissions, "submit tin match", r, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// TINMatch fetches a submission and its result by id (GET
// Config.SubmissionsPath + id + "/").
func (c *Client) TINMatch(ctx context.Context, id providers.ID) (*TINMatch, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var m TINMatch
	if err := c.do(ctx, http.MethodGet, c.paths.submissions+string(id)+"/", "get tin match", nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Bulk upload limits (C, the bulk upload reference: "Max file size allowed
// is 6MB. Max number of records allowed in a single file is 1 Lakh").
const (
	// MaxBulkFileSize is 6 MB, read as 6,000,000 bytes (I: the unit is not
	// stated; the smaller reading never sends a file Compliancely refuses).
	MaxBulkFileSize = 6_000_000
	// MaxBulkRows is 1 lakh: 100,000 records, the header row not counted.
	MaxBulkRows = 100_000
)

// BulkUploadRequest uploads a file of TINs and names for matching.
type BulkUploadRequest struct {
	// FileName is the file's name: letters, digits, - and _, then .csv,
	// .xlsx or .xls (C). A "-priority-N" suffix (N 1–10) sets the
	// priority and takes precedence over Priority (C).
	FileName string
	// Data is the file. Rows are counted for CSV only.
	Data []byte
	// Priority is 1 (first) to 10 (last); 0 sends none.
	Priority int
	// WebhookURL gets the upload's status (C: a string, one URL).
	WebhookURL string
}

// Validate checks r before anything is sent: the name, the size, the
// priority and, for CSV, the number of rows.
func (r *BulkUploadRequest) Validate() error {
	ext := strings.ToLower(path.Ext(r.FileName))
	base := strings.TrimSuffix(r.FileName, path.Ext(r.FileName))
	switch {
	case ext != ".csv" && ext != ".xlsx" && ext != ".xls":
		return invalid("file", "must be a .csv, .xlsx or .xls file")
	case base == "" || strings.IndexFunc(base, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
	}) >= 0:
		return invalid("file", "name may hold only letters, digits, - and _")
	case len(r.Data) == 0:
		return invalid("file", "is empty")
	case len(r.Data) > MaxBulkFileSize:
		return invalid("file", "is over 6 MB")
	case r.Priority != 0 && (r.Priority < 1 || r.Priority > 10):
		return invalid("priority", "must be 1 to 10")
	}
	if i := strings.LastIndex(strings.ToLower(base), "-priority-"); i >= 0 {
		n, err := strconv.Atoi(base[i+len("-priority-"):])
		if err != nil || n < 1 || n > 10 {
			return invalid("file", "name's -priority- suffix must be 1 to 10")
		}
	}
	if ext == ".csv" {
		rows, err := csvRows(r.Data)
		if err != nil {
			return invalid("file", "is not readable CSV")
		}
		if rows > MaxBulkRows {
			return invalid("file", "has over 100,000 rows")
		}
	}
	if r.WebhookURL != "" {
		return checkWebhookURLs("webhook_urls", []string{r.WebhookURL})
	}
	return nil
}

// csvRows counts the records after the header; it stops counting past the
// limit.
func csvRows(data []byte) (int, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	n := -1 // the header
	for n <= MaxBulkRows {
		_, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		n++
	}
	return max(n, 0), nil
}

// BulkUpload is a bulk TIN upload as Compliancely records it (C, the bulk
// upload reference). The result is a file, at ResultFileURL once done.
type BulkUpload struct {
	ID                         providers.ID    `json:"id"`
	InputFileURL               string          `json:"input_file_url"`
	RegularFileURL             string          `json:"regular_file_url"`
	ResultFileURL              string          `json:"result_file_url"`
	ErrorFileURL               string          `json:"error_file_url"`
	DuplicateRecordFileResults json.RawMessage `json:"duplicate_record_file_results,omitempty"`
	OriginalFileName           string          `json:"original_file_name"`
	Status                     string          `json:"status"` // values not documented
	Priority                   int             `json:"priority"`
	ResultUpdatedAt            string          `json:"result_updated_at"`
	CreatedBy                  string          `json:"created_by"`
	CreatedAt                  string          `json:"created_at"`
	UpdatedAt                  string          `json:"updated_at"`
}

// UploadTINFile uploads a file for TIN matching (POST
// Config.BulkUploadPath, multipart/form-data with "file", and
// "priority" and "webhook_urls" when set). The limits are checked first:
// a file over 6 MB or 100,000 rows, or a priority outside 1–10, is a
// *providers.ValidationError and nothing is sent.
func (c *Client) UploadTINFile(ctx context.Context, r *BulkUploadRequest) (*BulkUpload, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body, ctype, err := bulkForm(r)
	if err != nil {
		return nil, err
	}
	var env envelope[BulkUpload]
	if err := c.do(ctx, http.MethodPost, c.paths.bulkUpload, "upload tin file",
		providers.RawBody{ContentType: ctype, Data: body}, &env); err != nil {
		return nil, err
	}
	if env.Success != nil && !*env.Success {
		return nil, errNotSuccess
	}
	if env.Data == nil {
		return &BulkUpload{}, nil
	}
	return env.Data, nil
}

// BulkUploadStatus fetches a bulk upload by id (GET Config.BulkUploadPath
// + id + "/"). The answer is read in the v2 envelope the upload answers
// with, or bare (I: the GET's shape is described, not shown).
func (c *Client) BulkUploadStatus(ctx context.Context, id providers.ID) (*BulkUpload, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, c.paths.bulkUpload+string(id)+"/", "get bulk upload", nil, &raw); err != nil {
		return nil, err
	}
	var env envelope[BulkUpload]
	if json.Unmarshal(raw, &env) == nil && env.Data != nil {
		return env.Data, nil
	}
	var b BulkUpload
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, errors.New("unikyc: " + Name + ": get bulk upload: the answer is not a bulk upload")
	}
	return &b, nil
}

func bulkForm(r *BulkUploadRequest) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+r.FileName+`"`) // the name is checked: no quotes
	h.Set("Content-Type", "application/octet-stream")
	fw, err := mw.CreatePart(h)
	if err == nil {
		_, err = fw.Write(r.Data)
	}
	if err == nil && r.Priority != 0 {
		err = mw.WriteField("priority", strconv.Itoa(r.Priority))
	}
	if err == nil && r.WebhookURL != "" {
		err = mw.WriteField("webhook_urls", r.WebhookURL)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return nil, "", errors.New("unikyc: " + Name + ": building the upload failed")
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

func invalid(field, reason string) error {
	return &providers.ValidationError{Provider: Name, Field: field, Reason: reason}
}

// checkID refuses an id that is not a positive integer: ids are integers
// (C), and anything else would change the path.
func checkID(id providers.ID) error {
	s := string(id)
	if s == "" || len(s) > 19 || strings.Trim(s, "0123456789") != "" {
		return invalid("id", "must be a positive integer")
	}
	return nil
}

func checkWebhookURLs(field string, urls []string) error {
	for i, u := range urls {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return invalid(field+"["+strconv.Itoa(i)+"]", "must be an absolute http(s) URL")
		}
	}
	return nil
}

func nineDigits(s string) bool { return len(s) == 9 && strings.Trim(s, "0123456789") == "" }

func isLetterOrDigit(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }
