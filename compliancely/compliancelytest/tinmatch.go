package compliancelytest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
)

// WebhookSecret is the secret the fake signs webhooks with unless
// WithWebhookSecret replaces it.
const WebhookSecret = "fake-compliancely-webhook-secret"

// SignatureEncoding is how the fake writes Compliancely-Signature. The docs
// do not say (I); the client accepts each of these.
type SignatureEncoding int

const (
	SignHex          SignatureEncoding = iota // lower-case hex (the default)
	SignBase64                                // padded standard base64
	SignHexPrefixed                           // "sha256=" + hex
	SignBase64Prefix                          // "sha256=" + base64
)

// DefaultWebhookRetryDelay is the fake's wait between delivery attempts
// (I: Compliancely documents the number of retries, not their spacing).
const DefaultWebhookRetryDelay = time.Minute

// WithWebhookSecret sets the webhook secret.
func WithWebhookSecret(secret string) Option { return func(s *Server) { s.webhookSecret = secret } }

// WithSignatureEncoding sets how signatures are written (default SignHex).
func WithSignatureEncoding(e SignatureEncoding) Option { return func(s *Server) { s.sigEncoding = e } }

// WithWebhookRetryDelay sets the wait between delivery attempts, on the
// fake's clock (default DefaultWebhookRetryDelay).
func WithWebhookRetryDelay(d time.Duration) Option { return func(s *Server) { s.retryDelay = d } }

// Delivery is one webhook delivery attempt the fake made.
type Delivery struct {
	URL     string
	Attempt int // 1, then 2 and 3 for the retries
	Status  int // the answer's status; 0 when none came
	Body    []byte
	At      time.Time // on the fake's clock
}

// webhooks is the fake's delivery state.
type webhooks struct {
	mu         sync.Mutex
	deliveries []Delivery
	wg         sync.WaitGroup
	stop       chan struct{}
	client     *http.Client
}

// tinRecord is a TIN match submission in Compliancely's keys (C,
// api_v1_submissions_create).
type tinRecord struct {
	ID               int64    `json:"id"`
	Name             string   `json:"name"`
	TIN              string   `json:"tin"`
	Status           string   `json:"status"`
	CreatedBy        string   `json:"created_by"`
	IRSCode          int      `json:"irs_code"`
	IRSReason        string   `json:"irs_reason"`
	IRSServiceStatus string   `json:"irs_service_status"`
	LastIRSCheckDate string   `json:"last_irs_check_date"`
	CreatedDate      string   `json:"created_date"`
	UpdatedDate      string   `json:"updated_date"`
	webhookURLs      []string `json:"-"`
}

// bulkRecord is a bulk upload in Compliancely's keys (C,
// api_v1_bulk_upload_tin_create).
type bulkRecord struct {
	ID                         int64    `json:"id"`
	InputFileURL               string   `json:"input_file_url"`
	RegularFileURL             *string  `json:"regular_file_url"`
	ResultFileURL              *string  `json:"result_file_url"`
	ErrorFileURL               *string  `json:"error_file_url"`
	DuplicateRecordFileResults []string `json:"duplicate_record_file_results"`
	OriginalFileName           string   `json:"original_file_name"`
	Status                     string   `json:"status"`
	Priority                   int      `json:"priority"`
	ResultUpdatedAt            string   `json:"result_updated_at"`
	CreatedBy                  string   `json:"created_by"`
	CreatedAt                  string   `json:"created_at"`
	UpdatedAt                  string   `json:"updated_at"`
	webhookURL                 string
}

// Bulk upload statuses of the fake (I: not documented).
const (
	BulkPending   = "Pending"
	BulkCompleted = "Completed"
)

// irsReasons are the IRS's descriptions of its codes (IRS Publication
// 2108A); code 3's is the sandbox page's, verbatim.
var irsReasons = map[int]string{
	0: "TIN and Name combination matches IRS records.",
	1: "TIN was missing or TIN not 9-digit numeric.",
	2: "TIN entered is not currently issued.",
	3: "TIN and Name combination does not match IRS records.",
	4: "Invalid TIN Matching request.",
	5: "Duplicate TIN Matching request.",
	6: "TIN and Name combination matches IRS SSN records.",
	7: "TIN and Name combination matches IRS EIN records.",
	8: "TIN and Name combination matches IRS SSN and EIN records.",
}

// StatusForCode is the status the fake gives an IRS code (I: the docs list
// the statuses and the codes, not which leads to which): 0, 6, 7, 8
// matched; 1, 2, 3 did not match; -1 pending; the rest in review.
func StatusForCode(code int) string {
	switch code {
	case 0, 6, 7, 8:
		return compliancely.TINMatched
	case 1, 2, 3:
		return compliancely.TINDidNotMatch
	case -1:
		return compliancely.TINPending
	}
	return compliancely.TINInReview
}

// SandboxCode is the code Compliancely's sandbox gives a TIN it has no
// sample for: its last digit, 9 giving 0 (C, TIN Match sandbox page).
func SandboxCode(tin string) int {
	d := int(tin[len(tin)-1] - '0')
	if d == 9 {
		return 0
	}
	return d
}

const dateFormat = "2006-01-02T15:04:05Z"

// createTINMatch is POST /api/v1/submissions/.
func (s *Server) createTINMatch(w http.ResponseWriter, r *http.Request, _ string) {
	var req struct {
		TIN         string   `json:"tin"`
		Name        string   `json:"name"`
		WebhookURLs []string `json:"webhook_urls"`
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		s.reject(w, r, http.StatusUnsupportedMediaType, detail{`Unsupported media type "` + r.Header.Get("Content-Type") + `" in request.`, "unsupported_media_type"})
		return
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.reject(w, r, http.StatusBadRequest, detail{"JSON parse error", "parse_error"})
		return
	}
	// DRF serializer errors, {"field": ["message"]} (I: the v1 error
	// bodies are not shown; the rules are, C).
	errs := map[string][]string{}
	if !nineDigits(req.TIN) {
		errs["tin"] = []string{msgBadTIN}
	}
	if strings.TrimSpace(req.Name) == "" {
		errs["name"] = []string{"This field is required."}
	} else if len([]rune(req.Name)) > 40 || strings.IndexFunc(req.Name, func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != ' ' && c != '&' && c != '-'
	}) >= 0 {
		errs["name"] = []string{"Not more than 40 characters. No special characters allowed except ampersand (&), hyphen(-)"}
	}
	if len(errs) > 0 {
		s.reject(w, r, http.StatusBadRequest, errs)
		return
	}
	now := s.kit.Clock.Now().UTC().Format(dateFormat)
	s.mu.Lock()
	if s.credits == 0 {
		s.mu.Unlock()
		s.reject(w, r, http.StatusForbidden, map[string]string{"code": compliancely.CodeCreditMessage, "message": msgCredit})
		return
	}
	if s.credits > 0 {
		s.credits--
	}
	s.nextID++
	rec := &tinRecord{ID: s.nextID, Name: req.Name, TIN: req.TIN, Status: compliancely.TINPending,
		CreatedBy: "compliancely", IRSCode: -1, IRSServiceStatus: "RUNNING",
		LastIRSCheckDate: now, CreatedDate: now, UpdatedDate: now, webhookURLs: append([]string(nil), req.WebhookURLs...)}
	s.tins[rec.ID] = rec
	out := *rec
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, out) // I: DRF's status for a create
}

// getTINMatch is GET /api/v1/submissions/{id}/.
func (s *Server) getTINMatch(w http.ResponseWriter, r *http.Request, id int64) {
	s.mu.Lock()
	rec, ok := s.tins[id]
	var out tinRecord
	if ok {
		out = *rec
	}
	s.mu.Unlock()
	if !ok {
		s.reject(w, r, http.StatusNotFound, detail{Detail: "Not found."})
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, out)
}

// CompleteTINMatch gives submission id its IRS answer — code -1 to 10,
// with the status StatusForCode gives it — and delivers the record to the
// submission's webhook URLs, signed, retried twice on a non-2xx answer.
func (s *Server) CompleteTINMatch(id int64, code int) error {
	s.mu.Lock()
	rec, ok := s.tins[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("compliancelytest: no submission %d", id)
	}
	now := s.kit.Clock.Now().UTC().Format(dateFormat)
	rec.IRSCode, rec.Status, rec.IRSReason = code, StatusForCode(code), irsReasons[code]
	rec.LastIRSCheckDate, rec.UpdatedDate = now, now
	body, _ := json.Marshal(rec)
	urls := rec.webhookURLs
	s.mu.Unlock()
	s.deliver(urls, body)
	return nil
}

// CompleteTaxExempt sets check id's status and delivers the record to its
// webhook URLs (I: the tax-exempt webhook body is not documented; the
// record is sent, as TIN match webhooks send theirs).
func (s *Server) CompleteTaxExempt(id int64, status string) error {
	s.mu.Lock()
	rec, ok := s.records[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("compliancelytest: no tax-exempt check %d", id)
	}
	rec.Status = status
	s.records[id] = rec
	body, _ := json.Marshal(rec)
	s.mu.Unlock()
	s.deliver(rec.WebhookURLs, body)
	return nil
}

// createBulkUpload is POST /api/v1/bulk_upload/tin/ (multipart).
func (s *Server) createBulkUpload(w http.ResponseWriter, r *http.Request, _ string) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		s.reject(w, r, http.StatusUnsupportedMediaType, detail{`Unsupported media type "` + r.Header.Get("Content-Type") + `" in request.`, "unsupported_media_type"})
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, map[string][]string{"file": {"No file was submitted."}})
		return
	}
	data, _ := io.ReadAll(f)
	_ = f.Close()
	name := fh.Filename
	ext := strings.ToLower(path.Ext(name))
	switch {
	case ext != ".csv" && ext != ".xlsx" && ext != ".xls":
		s.reject(w, r, http.StatusBadRequest, map[string][]string{"file": {"Only .csv, .xlsx and .xls files are allowed."}})
		return
	case len(data) > compliancely.MaxBulkFileSize:
		s.reject(w, r, http.StatusBadRequest, map[string][]string{"file": {"Max file size allowed is 6MB."}})
		return
	}
	priority := 10
	if p := r.FormValue("priority"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 10 {
			s.reject(w, r, http.StatusBadRequest, map[string][]string{"priority": {"Ensure this value is between 1 and 10."}})
			return
		}
		priority = n
	}
	// "Priority in the file name will take precedence" (C).
	base := strings.TrimSuffix(name, path.Ext(name))
	if i := strings.LastIndex(strings.ToLower(base), "-priority-"); i >= 0 {
		if n, err := strconv.Atoi(base[i+len("-priority-"):]); err == nil && n >= 1 && n <= 10 {
			priority = n
		}
	}
	now := s.kit.Clock.Now().UTC().Format(dateFormat)
	s.mu.Lock()
	s.nextID++
	rec := &bulkRecord{ID: s.nextID, InputFileURL: s.URL + "/media/input/" + name, DuplicateRecordFileResults: []string{},
		OriginalFileName: name, Status: BulkPending, Priority: priority, CreatedBy: "compliancely",
		CreatedAt: now, UpdatedAt: now, webhookURL: r.FormValue("webhook_urls")}
	s.bulks[rec.ID] = rec
	s.bulkData[rec.ID] = data
	out := *rec
	s.mu.Unlock()
	fakekit.WriteJSON(w, http.StatusCreated, map[string]any{"success_message": "File uploaded successfully", "data": out, "success": true})
}

// getBulkUpload is GET /api/v1/bulk_upload/tin/{id}/.
func (s *Server) getBulkUpload(w http.ResponseWriter, r *http.Request, id int64) {
	s.mu.Lock()
	rec, ok := s.bulks[id]
	var out bulkRecord
	if ok {
		out = *rec
	}
	s.mu.Unlock()
	if !ok {
		s.reject(w, r, http.StatusNotFound, detail{Detail: "Not found."})
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"success_message": "", "data": out, "success": true})
}

// CompleteBulkUpload marks upload id done, with a result file URL, and
// delivers the record (in the v2 envelope) to its webhook URL.
func (s *Server) CompleteBulkUpload(id int64) error {
	s.mu.Lock()
	rec, ok := s.bulks[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("compliancelytest: no bulk upload %d", id)
	}
	now := s.kit.Clock.Now().UTC().Format(dateFormat)
	result := s.URL + "/media/result/" + rec.OriginalFileName
	rec.Status, rec.ResultFileURL, rec.ResultUpdatedAt, rec.UpdatedAt = BulkCompleted, &result, now, now
	body, _ := json.Marshal(map[string]any{"success_message": "", "data": rec, "success": true})
	var urls []string
	if rec.webhookURL != "" {
		urls = []string{rec.webhookURL}
	}
	s.mu.Unlock()
	s.deliver(urls, body)
	return nil
}

// BulkFile returns the bytes of upload id as the fake received them.
func (s *Server) BulkFile(id int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.bulkData[id])
}

// sign writes the Compliancely-Signature of body.
func (s *Server) sign(body []byte) string {
	h := hmac.New(sha256.New, []byte(s.webhookSecret))
	h.Write(body)
	sum := h.Sum(nil)
	switch s.sigEncoding {
	case SignBase64:
		return base64.StdEncoding.EncodeToString(sum)
	case SignHexPrefixed:
		return "sha256=" + hex.EncodeToString(sum)
	case SignBase64Prefix:
		return "sha256=" + base64.StdEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

// deliver posts body to each URL on its own goroutine: one attempt, and
// up to two more after a non-2xx answer or none, retryDelay apart on the
// fake's clock (C: "retries for another 2 attempts").
func (s *Server) deliver(urls []string, body []byte) {
	sig := s.sign(body)
	for _, u := range urls {
		s.hooks.wg.Add(1)
		go func() {
			defer s.hooks.wg.Done()
			for attempt := 1; attempt <= 1+compliancely.WebhookRetries; attempt++ {
				if attempt > 1 {
					t := s.kit.Clock.NewTimer(s.retryDelay)
					select {
					case <-t.C():
					case <-s.hooks.stop:
						t.Stop()
						return
					}
				}
				status := s.postWebhook(u, body, sig)
				s.hooks.mu.Lock()
				s.hooks.deliveries = append(s.hooks.deliveries, Delivery{URL: u, Attempt: attempt, Status: status,
					Body: body, At: s.kit.Clock.Now()})
				s.hooks.mu.Unlock()
				if status >= 200 && status < 300 {
					return
				}
			}
		}()
	}
}

func (s *Server) postWebhook(u string, body []byte, sig string) int {
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(compliancely.SignatureHeader, sig)
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode
}

// Deliveries lists the webhook delivery attempts made so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]Delivery(nil), s.hooks.deliveries...)
}

// WaitDeliveries waits until no delivery is in progress or waiting for
// its retry, or until done is closed; it reports which.
func (s *Server) WaitDeliveries(done <-chan struct{}) bool {
	idle := make(chan struct{})
	go func() { s.hooks.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		return true
	case <-done:
		return false
	}
}

// routeID reads "{prefix}{digits}/".
func routeID(p, prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, "/")
	if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}
