// Package idenfytest is a fake of iDenfy's API on an httptest.Server, for
// testing code that uses package idenfy (or talks to iDenfy directly).
//
//	srv := idenfytest.NewServer()
//	defer srv.Close()
//	client, _ := idenfy.New(srv.Config())
//	defer client.Close()
//
// It enforces what iDenfy enforces:
//
//   - HTTP Basic on every call; a wrong key or secret answers 401
//     {"identifier":"UNAUTHORIZED"}.
//   - JSON bodies only: any other Content-Type answers 415
//     {"identifier":"UNSUPPORTED_MEDIA_TYPE"} (I: iDenfy's KYB API is a
//     Django REST Framework API, which answers so); malformed JSON 400
//     BAD_VALUE.
//   - Bodies are read with the fake's own rules, written from iDenfy's
//     schema and documentation (not with package idenfy's types or
//     checks): keys match exactly, as Django REST Framework reads them
//     ("TOKENTYPE" is not "tokenType"), and unknown keys are ignored, as
//     DRF serializers ignore them. A broken rule answers 400 with
//     MISSING_VALUE for a missing required field, else BAD_VALUE, the field
//     named in "message"; a body that is not a JSON object 400 JSON_ERROR.
//   - KYB answers carry null where iDenfy does (companyId until a company
//     fills the form; externalRef, flow, theme, scanRefs when not set);
//     WithNaiveTimes answers "expiration" without a time zone. PATCH
//     /kyb/tokens/{token}/ answers 200 with {scanRefs, tags} only.
//   - KYC tokens (POST /api/v2/token): either documented request shape,
//     the guides' flat one or the reference's nested one (client{},
//     urls{successUrl, failUrl, unverifiedUrl, webhookUrl}, settings{},
//     lifetime, allowedCountries, allowedDocuments); the guides' answer
//     {authToken, redirectUrl, …} or, WithTokenAnswer(ReferenceAnswer),
//     {tokenString, scanRef, isValid, expiration, sessionUrl}.
//     sessionLength 60–3600 (default 600), clientId ASCII, names without
//     digits or ~!@#$%^*()_+={}[]|:;",<>/?. WithActiveSessionConflict
//     answers 409 for a clientId with an active session (C: error-handling
//     page; off by default, as the token page lets a clientId get a new
//     token).
//   - Deleting a verification whose token is active answers 400
//     {"identifier":"PARTNER_ERROR","message":"Token has not expired yet."}
//     (C: deletion page).
//   - The lifecycle: Complete(scanRef, outcome) plays the person and the
//     reviewers (Approved, Denied, Suspected, Expired, Cancelled,
//     Resubmitted; AUTO with final false then MANUAL with final true,
//     AutoOnly, HoldReview and FinishReview) and delivers the signed
//     webhooks, IDENTIFICATION_* with the KYC result body of kyc.yaml, to
//     the session's callbackUrl / urls.webhookUrl (or WithWebhookURL),
//     retrying a non-2xx answer on the server's clock (WithWebhookRetries;
//     I: the schedule is not documented). Deliveries lists every attempt.
//   - Results (C: data retrieval and full result pages): POST /api/v2/full
//     answers the webhook's shape with final false, /api/v2/data its data
//     block, /api/v2/files its file links (I: shape), served without
//     credentials under /storage/ as presigned links are; 404 before the
//     session ends (I).
//   - Lists, DRF page-number pagination {count, next, previous, results}
//     with page and perPage (I: default 10, at most 100; a page past the
//     end answers 404 {"detail":"Invalid page."}): GET
//     /kyc/identifications/?clientId= and GET /kyb/companies/ with its
//     registrationNumber filter; GET /kyb/companies/{id}/ (AddCompany).
//   - AML v3: POST /aml/checks/ answers 201 (FlagAML makes a name match),
//     POST /aml/checks/{id}/pdf/ answers application/pdf.
//
// Path constants (PathFull, PathAMLChecks, …) name the paths for knobs.
// The fake's wire types are its own, written from the documentation, not
// package idenfy's.
//
// With a fake clock (WithClock), give the client the same clock
// (providers.WithClock) and run each call inside the clock's Drive: a call
// that waits for a budget slot or a 429 pause returns only when that clock
// moves. Do not remove the budget with providers.WithLimiter(nil) instead;
// the client would no longer behave as it does against iDenfy.
//
// State lives in memory. The knobs and counters every unikyc fake shares
// ([providertest.Knobs]) are methods of Server: FailNext, AnswerNext, RateLimitNext,
// RateLimitNextNamed, UnavailableNext, DelayNext, Delay, ClearFaults;
// Requests, Calls, Faults, Rejected, RateLimited, Count, Hits,
// MaxRequestsIn, ResetCounts; ExpireTokens, RevokeTokens; Clock,
// Transport, Client. An injected status without a body answers
// {"identifier":"INJECTED_FAULT"} (TOO_MANY_REQUESTS for a 429). This fake
// adds FailNextWith, DeactivateKYBToken, SetStatus, Verification,
// Complete, FinishReview, Deliveries, AddCompany, FlagAML, Callback,
// LastBody, WebhooksSent, SendWebhook and SendEvent (one signed delivery
// attempt to your handler).
package idenfytest

//go:generate go run ../../internal/cmd/knobgen

import (
	"net/http"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

// The fake's default credentials.
const (
	APIKey     = "idenfytest-key"
	APISecret  = "idenfytest-secret"
	WebhookKey = "idenfytest-webhook-signing-key"
)

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	URL string

	*providertest.Knobs
	kit     *providertest.Kit
	opts    options
	window  *fakekit.Window
	webhook *http.Client

	mu           sync.Mutex
	kyb          map[string]*kybRecord    // by tokenString
	kyc          map[string]*verification // by scanRef
	order        []string                 // scanRefs in creation order
	companyOrder []string                 // company ids in creation order
	companies    map[string]*company      // by id
	amlChecks    map[string]*amlCheck     // by id
	amlFlagged   map[string]bool          // full names that AML checks flag
	last         map[string][]byte        // last request body by path
	deliveries   []WebhookDelivery
	timers       map[clock.Timer]struct{} // pending delivery retries
	closed       bool
}

type options struct {
	clk                   clock.Clock
	key, secret           string
	webhookKey            string
	limit                 int
	per, block            time.Duration
	kybLifetime           time.Duration
	kycLifetime           time.Duration
	webhookHTTPClient     *http.Client
	inMemory              bool
	naiveTimes            bool
	throttleStatus        int
	tokenShape            TokenAnswerShape
	retries               []time.Duration
	retriesSet            bool
	webhookURL            string
	activeSessionConflict bool
}

// WithInMemory starts the fake without a listener: only its Transport
// reaches it, so it can live inside a testing/synctest bubble.
func WithInMemory() Option { return func(o *options) { o.inMemory = true } }

// WithNaiveTimes answers KYB "expiration" without a time zone
// ("2026-01-01T01:00:00.000000"), as a Django app with USE_TZ off does.
func WithNaiveTimes() Option { return func(o *options) { o.naiveTimes = true } }

// WithThrottleStatus sets the status of the fake's own TOO_MANY_REQUESTS
// answers: 429 (default) or 400, iDenfy's standard error status.
func WithThrottleStatus(code int) Option { return func(o *options) { o.throttleStatus = code } }

// Option configures a Server.
type Option func(*options)

// WithClock runs token expiry and the rate limit on clk (default: the
// system clock). Pass the same fake clock to the client.
func WithClock(clk clock.Clock) Option { return func(o *options) { o.clk = clk } }

// WithCredentials sets the API key and secret the fake accepts.
func WithCredentials(key, secret string) Option {
	return func(o *options) { o.key, o.secret = key, secret }
}

// WithWebhookKey sets the key SendWebhook signs with.
func WithWebhookKey(key string) Option { return func(o *options) { o.webhookKey = key } }

// WithRateLimit allows limit requests per window per API key (default
// 10,000 an hour), and past it refuses the key for block when block > 0
// (else until a slot frees). limit <= 0 turns the limit off.
func WithRateLimit(limit int, window, block time.Duration) Option {
	return func(o *options) { o.limit, o.per, o.block = limit, window, block }
}

// WithTokenLifetime sets the lifetime of KYB and KYC tokens whose request
// names none (iDenfy: 3600 s).
func WithTokenLifetime(d time.Duration) Option {
	return func(o *options) { o.kybLifetime, o.kycLifetime = d, d }
}

// WithWebhookClient sets the client SendWebhook posts with (default: a
// plain http.Client with a 10 s timeout).
func WithWebhookClient(c *http.Client) Option { return func(o *options) { o.webhookHTTPClient = c } }

// NewServer starts a fake iDenfy. Close it when done.
func NewServer(opts ...Option) *Server {
	o := options{key: APIKey, secret: APISecret, webhookKey: WebhookKey, limit: 10000, per: time.Hour,
		kybLifetime: time.Hour, kycLifetime: time.Hour, throttleStatus: http.StatusTooManyRequests}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{kit: providertest.NewKit(o.clk), opts: o, kyb: map[string]*kybRecord{},
		kyc: map[string]*verification{}, last: map[string][]byte{}, webhook: o.webhookHTTPClient,
		companies: map[string]*company{}, amlChecks: map[string]*amlCheck{}, amlFlagged: map[string]bool{},
		timers: map[clock.Timer]struct{}{}}
	if s.webhook == nil {
		s.webhook = &http.Client{Timeout: 10 * time.Second}
	}
	if o.limit > 0 {
		s.window = fakekit.NewWindow(s.kit.Clock, o.limit, o.per, o.block)
	}
	s.Knobs = providertest.NewKnobs(s.kit, faultBody, nil)
	s.URL = s.kit.Start(s.routes(), o.inMemory)
	return s
}

// faultBody is iDenfy's error body for an injected status.
func faultBody(status int) []byte {
	if status == http.StatusTooManyRequests {
		return errorJSON(codeTooManyRequests, "Too many requests.")
	}
	return errorJSON("INJECTED_FAULT", "injected fault")
}

// Close shuts the server down and drops pending webhook retries.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	clear(s.timers)
	s.mu.Unlock()
	s.kit.Close()
	s.webhook.CloseIdleConnections()
}

// Config returns an idenfy.Config pointed at the fake with its credentials.
func (s *Server) Config() idenfy.Config {
	return idenfy.Config{BaseURL: s.URL, APIKey: auth.Secret(s.opts.key), APISecret: auth.Secret(s.opts.secret)}
}

// WebhookKey returns the key the fake signs webhooks with.
func (s *Server) WebhookKey() auth.Secret { return auth.Secret(s.opts.webhookKey) }

// FailNextWith answers the next n requests to path ("" for any) with
// status and the iDenfy error {identifier, message}, e.g. 400
// VALIDATION_ERROR or 400 TOO_MANY_REQUESTS.
func (s *Server) FailNextWith(path string, n, status int, identifier, message string) {
	s.FailNext(path, n, status, errorJSON(identifier, message))
}

// WebhooksSent counts webhooks SendWebhook delivered (any answer).
func (s *Server) WebhooksSent() int { return s.kit.Counts.Get("webhooks") }

// LastBody returns the raw body of the last request to path that passed
// authentication, or nil.
func (s *Server) LastBody(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.last[path]...)
}
