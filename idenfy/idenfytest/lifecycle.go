package idenfytest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
)

// Outcome is how a person's verification ends, for Complete.
type Outcome string

// Outcomes Complete can play.
const (
	Approved    Outcome = "APPROVED"
	Denied      Outcome = "DENIED"
	Suspected   Outcome = "SUSPECTED"
	Expired     Outcome = "EXPIRED"
	Cancelled   Outcome = "CANCELLED"
	Resubmitted Outcome = "RESUBMITTED"
)

// DefaultWebhookRetries is the fake's retry schedule after a non-2xx or
// failed delivery (I: iDenfy documents that it retries, not when).
var DefaultWebhookRetries = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour}

// WithWebhookRetries sets the delays between delivery attempts of one
// webhook (nil: no retry).
func WithWebhookRetries(delays ...time.Duration) Option {
	return func(o *options) { o.retries = delays; o.retriesSet = true }
}

// WithWebhookURL sets where webhooks of sessions created without a
// callbackUrl (urls.webhookUrl) go, as the dashboard's notification
// setting does.
func WithWebhookURL(u string) Option { return func(o *options) { o.webhookURL = u } }

// WithActiveSessionConflict makes a token request for a clientId that has
// an active session answer 409, as iDenfy's error-handling page documents
// (off by default: its token page also lets a clientId get a new token).
func WithActiveSessionConflict() Option { return func(o *options) { o.activeSessionConflict = true } }

// CompleteOption changes how Complete plays a verification.
type CompleteOption func(*completion)

type completion struct {
	autoOnly, holdReview bool
}

// AutoOnly ends the verification with the automatic result (final true);
// no manual review follows.
func AutoOnly() CompleteOption { return func(c *completion) { c.autoOnly = true } }

// HoldReview sends only the automatic result (final false) and leaves the
// verification REVIEWING until FinishReview.
func HoldReview() CompleteOption { return func(c *completion) { c.holdReview = true } }

// ErrUnknownScan is returned by Complete and FinishReview for a scanRef the
// fake did not issue.
var ErrUnknownScan = errors.New("idenfytest: unknown scanRef")

// Complete plays the person and iDenfy's reviewers for the session of
// scanRef: the verification ends with outcome, its result is served by
// /api/v2/full, /api/v2/data, /api/v2/files and /api/v2/status, and the
// webhooks iDenfy sends for it are delivered, signed, to the session's
// callbackUrl (urls.webhookUrl; else WithWebhookURL):
//
//   - Approved, Denied, Suspected: IDENTIFICATION_AUTO_FINISHED with final
//     false, then IDENTIFICATION_MANUAL_FINISHED with final true (AutoOnly:
//     one automatic result, final true; HoldReview: the automatic one only).
//   - Expired: IDENTIFICATION_EXPIRED; Cancelled: IDENTIFICATION_CANCELLED;
//     Resubmitted: IDENTIFICATION_RESUBMITTED (status REVIEWING, final false).
//
// The first attempt of each webhook is made before Complete returns; a
// non-2xx answer or a failed attempt is retried on the server's clock
// (WithWebhookRetries). Without a webhook URL nothing is sent.
func (s *Server) Complete(scanRef string, outcome Outcome, opts ...CompleteOption) error {
	var c completion
	for _, o := range opts {
		o(&c)
	}
	s.mu.Lock()
	v, ok := s.kyc[scanRef]
	if !ok {
		s.mu.Unlock()
		return ErrUnknownScan
	}
	v.finished = s.kit.Clock.Now()
	var sends []pendingHook
	switch outcome {
	case Approved, Denied, Suspected:
		auto := s.buildResult(v, outcome, c.autoOnly)
		auto.Status.ManualDocument, auto.Status.ManualFace = nil, nil
		sends = append(sends, pendingHook{EventIdentificationAutoFinished, auto})
		v.result, v.status = auto, string(outcome)
		if !c.autoOnly {
			v.status = statusReviewing
			if !c.holdReview {
				manual := s.buildResult(v, outcome, true)
				sends = append(sends, pendingHook{EventIdentificationManualFinished, manual})
				v.result, v.status = manual, string(outcome)
			}
		}
	case Expired:
		v.result, v.status = s.buildResult(v, outcome, true), statusExpired
		sends = append(sends, pendingHook{EventIdentificationExpired, v.result})
	case Cancelled:
		v.result, v.status = s.buildResult(v, outcome, true), statusDenied
		sends = append(sends, pendingHook{EventIdentificationCancelled, v.result})
	case Resubmitted:
		v.result, v.status = s.buildResult(v, outcome, false), statusReviewing
		sends = append(sends, pendingHook{EventIdentificationResubmitted, v.result})
	default:
		s.mu.Unlock()
		return errors.New("idenfytest: unknown outcome " + string(outcome))
	}
	target := v.req.webhookURL
	s.mu.Unlock()
	s.deliverAll(target, sends)
	return nil
}

// FinishReview ends the manual review that HoldReview left open: the
// verification takes its outcome and IDENTIFICATION_MANUAL_FINISHED
// (final true) is delivered.
func (s *Server) FinishReview(scanRef string) error {
	s.mu.Lock()
	v, ok := s.kyc[scanRef]
	if !ok || v.result == nil || v.status != statusReviewing {
		s.mu.Unlock()
		return ErrUnknownScan
	}
	manual := s.buildResult(v, Outcome(v.result.Status.Overall), true)
	v.result, v.status = manual, manual.Status.Overall
	target := v.req.webhookURL
	s.mu.Unlock()
	s.deliverAll(target, []pendingHook{{EventIdentificationManualFinished, manual}})
	return nil
}

type pendingHook struct {
	eventType string
	body      *resultWire
}

func (s *Server) deliverAll(target string, sends []pendingHook) {
	if target == "" {
		target = s.opts.webhookURL
	}
	if target == "" {
		return
	}
	for _, h := range sends {
		body, _ := json.Marshal(h.body)
		s.attempt(target, h.eventType, body, 0)
	}
}

// WebhookDelivery is one attempt to deliver a webhook.
type WebhookDelivery struct {
	EventType string
	URL       string
	Attempt   int // 1 for the first
	Status    int // the answer's status; 0 when the attempt failed
	At        time.Time
}

// Deliveries returns every delivery attempt Complete and FinishReview made,
// in order.
func (s *Server) Deliveries() []WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookDelivery(nil), s.deliveries...)
}

// attempt makes delivery attempt n (0-based) and schedules the next one
// on the clock when it fails.
func (s *Server) attempt(target, eventType string, body []byte, n int) {
	status, _ := s.post(context.Background(), target, eventType, body)
	s.mu.Lock()
	s.deliveries = append(s.deliveries, WebhookDelivery{EventType: eventType, URL: target, Attempt: n + 1,
		Status: status, At: s.kit.Clock.Now()})
	retries := DefaultWebhookRetries
	if s.opts.retriesSet {
		retries = s.opts.retries
	}
	again := (status < 200 || status > 299) && n < len(retries) && !s.closed
	if again {
		var t clock.Timer
		t = s.kit.Clock.AfterFunc(retries[n], func() {
			s.mu.Lock()
			delete(s.timers, t)
			s.mu.Unlock()
			s.attempt(target, eventType, body, n+1)
		})
		s.timers[t] = struct{}{}
	}
	s.mu.Unlock()
}

// post sends one signed webhook and returns the answer's status.
func (s *Server) post(ctx context.Context, target, eventType string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, webhookDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, s.SignWebhook(body))
	if eventType != "" {
		req.Header.Set(EventTypeHeader, eventType)
	}
	resp, err := s.webhook.Do(req)
	s.kit.Counts.Inc("webhooks")
	if err != nil {
		return 0, err
	}
	defer httpbody.Drain(resp.Body, 64<<10)
	return resp.StatusCode, nil
}

// webhookDeadline is how long iDenfy waits for an answer (C: 10 s).
const webhookDeadline = 10 * time.Second

// SignWebhook returns the Idenfy-Signature value for body under the fake's
// webhook key: hex HMAC-SHA256 of the raw bytes.
func (s *Server) SignWebhook(body []byte) string {
	m := hmac.New(sha256.New, []byte(s.opts.webhookKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// outcomeOf is the outcome a status shows, for Callback.
func outcomeOf(status string) Outcome {
	switch status {
	case statusApproved, statusDenied, statusSuspected, statusExpired:
		return Outcome(status)
	}
	return ""
}

// resultWire is the KYC result webhook body and the /api/v2/full answer,
// written from the IdentificationWebhook schema of kyc.yaml.
type resultWire struct {
	Final                 bool           `json:"final"`
	Platform              string         `json:"platform"`
	Status                statusWire     `json:"status"`
	Data                  dataWire       `json:"data"`
	FileURLs              map[string]any `json:"fileUrls"`
	AdditionalStepPDFURLs map[string]any `json:"additionalStepPdfUrls"`
	AML                   any            `json:"AML"`
	AMLCheck              any            `json:"amlCheck"`
	LID                   any            `json:"LID"`
	ScanRef               string         `json:"scanRef"`
	ExternalRef           *string        `json:"externalRef"`
	ClientID              string         `json:"clientId"`
	CompanyID             *string        `json:"companyId"`
	BeneficiaryID         *string        `json:"beneficiaryId"`
	StartTime             int64          `json:"startTime"`
	FinishTime            int64          `json:"finishTime"`
	ClientIP              *string        `json:"clientIp"`
	ClientIPCountry       *string        `json:"clientIpCountry"`
	ClientLocation        *string        `json:"clientLocation"`
	GDCMatch              *bool          `json:"gdcMatch"`
	ManualAddress         *string        `json:"manualAddress"`
	ManualAddressMatch    bool           `json:"manualAddressMatch"`
	RiskAssessment        any            `json:"riskAssessment"`
	AdditionalSteps       any            `json:"additionalSteps"`
}

type statusWire struct {
	Overall          string   `json:"overall"`
	SuspicionReasons []string `json:"suspicionReasons"`
	DenyReasons      []string `json:"denyReasons"`
	FraudTags        []string `json:"fraudTags"`
	MismatchTags     []string `json:"mismatchTags"`
	AutoFace         *string  `json:"autoFace"`
	ManualFace       *string  `json:"manualFace"`
	AutoDocument     *string  `json:"autoDocument"`
	ManualDocument   *string  `json:"manualDocument"`
	AdditionalSteps  *string  `json:"additionalSteps"`
}

// dataWire holds the required keys of IdentificationDataWebhook; what the
// fake does not read from a document is null.
type dataWire struct {
	DocFirstName           *string  `json:"docFirstName"`
	DocLastName            *string  `json:"docLastName"`
	DocNumber              *string  `json:"docNumber"`
	DocPersonalCode        *string  `json:"docPersonalCode"`
	DocExpiry              *string  `json:"docExpiry"`
	DocDOB                 *string  `json:"docDob"`
	DocDateOfIssue         *string  `json:"docDateOfIssue"`
	DocType                *string  `json:"docType"`
	DocSex                 *string  `json:"docSex"`
	DocNationality         *string  `json:"docNationality"`
	DocIssuingCountry      *string  `json:"docIssuingCountry"`
	ManuallyDataChanged    *bool    `json:"manuallyDataChanged"`
	FullName               *string  `json:"fullName"`
	SelectedCountry        *string  `json:"selectedCountry"`
	OrgFirstName           *string  `json:"orgFirstName"`
	OrgLastName            *string  `json:"orgLastName"`
	OrgNationality         *string  `json:"orgNationality"`
	OrgBirthPlace          *string  `json:"orgBirthPlace"`
	OrgAuthority           *string  `json:"orgAuthority"`
	OrgAddress             *string  `json:"orgAddress"`
	OrgTemporaryAddress    *string  `json:"orgTemporaryAddress"`
	OrgMothersMaidenName   *string  `json:"orgMothersMaidenName"`
	OrgPatronymic          *string  `json:"orgPatronymic"`
	OrgBirthName           *string  `json:"orgBirthName"`
	AgeEstimate            *string  `json:"ageEstimate"`
	ClientIPProxyRiskLevel *string  `json:"clientIpProxyRiskLevel"`
	DuplicateFaces         []string `json:"duplicateFaces"`
	DuplicateDocFaces      []string `json:"duplicateDocFaces"`
}

// buildResult makes v's result for outcome; the caller holds s.mu.
func (s *Server) buildResult(v *verification, outcome Outcome, final bool) *resultWire {
	finish := v.finished
	if finish.IsZero() {
		finish = s.kit.Clock.Now()
	}
	st := statusWire{Overall: string(outcome), SuspicionReasons: []string{}, DenyReasons: []string{},
		FraudTags: []string{}, MismatchTags: []string{}}
	doc, face := "DOC_VALIDATED", "FACE_MATCH"
	switch outcome {
	case Denied:
		face = "FACE_MISMATCH" // the sample documents' DENIED flow
	case Suspected:
		st.MismatchTags = []string{"NAME"}
	case Expired:
		st.Overall = statusExpired
		doc, face = "", ""
	case Cancelled:
		// I: iDenfy documents the event, not the status; its schema has no
		// CANCELLED, and a cancelled session ends without an approval.
		st.Overall = statusDenied
		doc, face = "", ""
	case Resubmitted:
		st.Overall = statusReviewing
	case "":
		st.Overall = s.statusNow(v)
		doc, face = "", ""
	}
	st.AutoDocument, st.AutoFace = optional(doc), optional(face)
	st.ManualDocument, st.ManualFace = optional(doc), optional(face)
	files := map[string]any{}
	data := dataWire{DuplicateFaces: []string{}, DuplicateDocFaces: []string{}}
	if doc != "" {
		for _, name := range []string{"FRONT", "BACK", "FACE"} {
			files[name] = s.URL + PathStorage + v.scanRef + "/" + name + ".png"
		}
		data.DocFirstName = optional(strings.ToUpper(v.req.firstName))
		data.DocLastName = optional(strings.ToUpper(v.req.lastName))
		data.DocDOB = optional(v.req.dateOfBirth)
		data.DocIssuingCountry = optional(v.req.country)
		data.DocType = ptr("ID_CARD")
		data.SelectedCountry = optional(v.req.country)
	}
	return &resultWire{
		Final: final, Platform: "PC", Status: st, Data: data, FileURLs: files,
		ScanRef: v.scanRef, ExternalRef: optional(v.req.externalRef), ClientID: v.req.clientID,
		StartTime: v.created.Unix(), FinishTime: finish.Unix(),
	}
}

// full serves POST /api/v2/full: the result in the webhook's shape, with
// final always false (C: full verification result page).
func (s *Server) full(w http.ResponseWriter, _ *http.Request, b body) {
	res, ok := s.resultOf(w, b)
	if !ok {
		return
	}
	cp := *res
	cp.Final = false
	fakekit.WriteJSON(w, http.StatusOK, cp)
}

// data serves POST /api/v2/data: the result's "data" block.
func (s *Server) data(w http.ResponseWriter, _ *http.Request, b body) {
	if res, ok := s.resultOf(w, b); ok {
		fakekit.WriteJSON(w, http.StatusOK, res.Data)
	}
}

// files serves POST /api/v2/files: the result's file links (I: the
// answer's shape is the webhook's fileUrls).
func (s *Server) files(w http.ResponseWriter, _ *http.Request, b body) {
	if res, ok := s.resultOf(w, b); ok {
		fakekit.WriteJSON(w, http.StatusOK, res.FileURLs)
	}
}

// resultOf finds the result of {"scanRef"}; a verification not finished
// yet has none (I: answered 404 NOT_FOUND).
func (s *Server) resultOf(w http.ResponseWriter, b body) (*resultWire, bool) {
	v, ok := s.scanRef(w, b)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	res := v.result
	s.mu.Unlock()
	if res == nil {
		s.reject(w, http.StatusNotFound, "NOT_FOUND", "Verification has no result yet.")
		return nil, false
	}
	return res, true
}

// storage serves the file links of results, as a presigned store does:
// no credentials, a small PNG-typed body.
func (s *Server) storage(w http.ResponseWriter, r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, PathStorage)
	if !ok || r.Method != http.MethodGet {
		return false
	}
	ref, name, ok := strings.Cut(rest, "/")
	s.mu.Lock()
	v, known := s.kyc[ref]
	has := known && v.result != nil && v.result.FileURLs[strings.TrimSuffix(name, ".png")] != nil
	s.mu.Unlock()
	if !ok || !has {
		http.NotFound(w, r)
		return true
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(append([]byte("\x89PNG\r\n\x1a\n"), []byte(ref+"/"+name)...))
	return true
}
