// Package compliancelytest is a fake Compliancely API v2 server for tests:
// yours and unikyc's. It runs on httptest (or in memory, WithInMemory),
// issues real HS256 JWTs whose lifetimes run on an injectable clock, and
// answers as Compliancely documents and as the Django REST Framework +
// Simple JWT stack it runs on behaves:
//
//   - paths are matched exactly and all end in "/"; the same path without
//     the slash gets Django's HTML 404 page;
//   - login (POST /api/v2/token/, also /api/v2/token/create/) with a JSON
//     {"username","password"}; wrong credentials get 401
//     {"detail":"No active account found with the given credentials",
//     "code":"no_active_account"}; a body that is not JSON gets 415;
//   - access tokens for 1 hour and refresh tokens for 24 hours
//     ([WithTokenLifetime], [WithRefreshLifetime]);
//   - refresh (POST /api/v2/token/refresh/) rotates: it answers a new pair
//     and refuses the old refresh token from then on (401
//     "token_not_valid"); [WithRefreshAnswer] picks the answer's spelling;
//   - validate (POST /api/v2/token/validate/, {"token"}) is Simple JWT's
//     verify view: 200 {} for a valid token, 401 "token_not_valid"
//     otherwise ([WithValidateAnswer] gives a richer answer instead);
//   - 10 requests a minute per account over a window that counts both
//     ends, as DRF's throttle does, logins and refreshes included; past it,
//     429 with Compliancely's exact body ([ThrottledDetail]) for 10
//     minutes, with Retry-After saying when the fake accepts again (I:
//     Compliancely's 429 text asks for 10 minutes and DRF sends
//     Retry-After; the fake sends both);
//   - API v1 and Basic authentication are gone: /api/v1/ answers 410,
//     but for the TIN Match routes below.
//
// TIN Match (the documented v1 paths, served here with the v2 Bearer
// token: I, see the compliancely package doc): POST /api/v1/submissions/
// ({"tin","name","webhook_urls"}) answers 201 (I) with the record, Pending
// and irs_code -1; GET /api/v1/submissions/{id}/ the record;
// [Server.CompleteTINMatch] gives it an IRS code ([StatusForCode],
// [SandboxCode] as the sandbox page describes). Bulk upload: POST
// /api/v1/bulk_upload/tin/ (multipart "file", "priority",
// "webhook_urls"; the file-name priority suffix wins) and GET …/{id}/, in
// the v2 envelope; [Server.CompleteBulkUpload] finishes one.
//
// Webhooks: completing a TIN match, a tax-exempt check
// ([Server.CompleteTaxExempt]) or a bulk upload posts the record to its
// webhook URLs, signed with Compliancely-Signature (HMAC-SHA256 under
// [WebhookSecret]; [WithSignatureEncoding] picks hex or base64, with or
// without "sha256="), and, after a non-2xx answer or none, "retries for
// another 2 attempts" (C), [DefaultWebhookRetryDelay] apart on the fake's
// clock (I). [Server.Deliveries] lists the attempts.
//
// The API endpoint is the one v2 business call Compliancely documents,
// POST /api/v2/taxexempt/ ({"tin","name","webhook_urls"}, either tin or
// name): 201 (I: DRF's status for a create) with
// {"success_message","data","success":true}, the record "Pending"; a bad
// TIN or name 400 {"errors":[{"code","message"}],"data":null,
// "success":false} with the documented messages; past SetCredits, the
// credit error.
//
// The knobs and counters every unikyc fake shares ([providertest.Knobs])
// are methods of Server: FailNext, AnswerNext, RateLimitNext, RateLimitNextNamed,
// UnavailableNext, DelayNext, Delay, ClearFaults; Requests, Calls, Faults,
// Rejected, RateLimited, Logins, LoginAttempts, Refreshes, Count, Hits,
// MaxRequestsIn, ResetCounts; ExpireTokens, ExpireAccessTokens,
// ExpireRefreshTokens, RevokeTokens, RevokeAccessTokens,
// RevokeRefreshTokens, LiveTokens; Clock, Transport, Client. This fake
// adds SetPassword, Validations, the Complete… knobs, Deliveries,
// WaitDeliveries and BulkFile.
package compliancelytest

//go:generate go run ../../internal/cmd/knobgen

import (
	"net/http"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

// The account NewServer accepts unless WithAccount replaces it.
const (
	Username = "api-user@example.com"
	Password = "fake-compliancely-password"
)

// ThrottledDetail is the detail of Compliancely's 429 answer, verbatim.
const ThrottledDetail = "Your request has been throttled due to exceeding the allowed rate limit. " +
	"Please wait for 10 minutes before trying again. If this issue persists, consider adjusting " +
	"the request frequency or contact support for further assistance."

// RefreshAnswer is how the fake spells its refresh answer.
type RefreshAnswer int

const (
	// NewTokens is the guide's spelling: {"new_access_token","new_refresh_token"}.
	NewTokens RefreshAnswer = iota
	// NewTokensWithExpiry adds access_expiry_seconds and refresh_expiry_seconds.
	NewTokensWithExpiry
	// AccessRefresh is the login answer's spelling: {"access","refresh"}.
	AccessRefresh
	// AccessRefreshWithExpiry adds the expiry seconds.
	AccessRefreshWithExpiry
)

// Server is a running fake. Its methods are safe for concurrent use. The
// knobs and counters every fake shares (FailNext, RateLimitNext,
// ExpireTokens, Logins, Hits, Transport, …) are declared on it and call
// the embedded Knobs, which code written for any fake can take.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string

	*providertest.Knobs
	kit    *providertest.Kit
	window *fakekit.Window

	accessLife, refreshLife time.Duration
	refreshAnswer           RefreshAnswer
	validateAnswer          ValidateAnswer
	limit                   int
	limitWindow, penalty    time.Duration
	inMemory                bool

	closeOnce sync.Once

	mu       sync.Mutex
	primary  string // the account Config returns
	custom   bool   // WithAccount replaced the default
	accounts map[string]string
	records  map[int64]taxExemptRecord
	tins     map[int64]*tinRecord
	bulks    map[int64]*bulkRecord
	bulkData map[int64][]byte
	nextID   int64
	credits  int // checks left (tax-exempt and TIN match); negative: unlimited

	webhookSecret string
	sigEncoding   SignatureEncoding
	retryDelay    time.Duration
	hooks         webhooks
}

// Hit is one request the fake answered (Account: the account it named).
type Hit = providertest.Hit

// ValidateAnswer is how the fake answers POST /api/v2/token/validate/.
type ValidateAnswer int

const (
	// VerifyAnswer is Simple JWT's stock verify view: 200 {} for a valid
	// token, 401 {"detail","code":"token_not_valid"} otherwise.
	VerifyAnswer ValidateAnswer = iota
	// StatusAnswer is a richer answer some deployments give (I): 200
	// {"valid","status","token_type","remaining_seconds","expires_at"} for
	// any token.
	StatusAnswer
)

// Option configures a Server.
type Option func(*Server)

// WithClock runs token lifetimes and the rate limit on clk. Give the
// client the same clock (providers.WithClock).
func WithClock(clk clock.Clock) Option { return func(s *Server) { s.kit = providertest.NewKit(clk) } }

// WithAccount replaces the default account; call it again to add more.
func WithAccount(username, password string) Option {
	return func(s *Server) {
		if !s.custom {
			s.accounts, s.primary, s.custom = map[string]string{}, username, true
		}
		s.accounts[username] = password
	}
}

// WithTokenLifetime sets the access tokens' lifetime (default 1 hour).
func WithTokenLifetime(d time.Duration) Option { return func(s *Server) { s.accessLife = d } }

// WithRefreshLifetime sets the refresh tokens' lifetime (default 24 hours).
func WithRefreshLifetime(d time.Duration) Option { return func(s *Server) { s.refreshLife = d } }

// WithValidateAnswer picks how validate answers (default VerifyAnswer).
func WithValidateAnswer(a ValidateAnswer) Option { return func(s *Server) { s.validateAnswer = a } }

// WithInMemory starts the fake without a listener: only its Transport
// reaches it, so it can live inside a testing/synctest bubble.
func WithInMemory() Option { return func(s *Server) { s.inMemory = true } }

// WithRefreshAnswer picks how refresh answers are spelled (default
// NewTokens, as the guide shows).
func WithRefreshAnswer(a RefreshAnswer) Option { return func(s *Server) { s.refreshAnswer = a } }

// WithRateLimit changes the limit of limit requests per window per account
// and the penalty past it (default 10 a minute, 10 minutes). limit 0 turns
// it off. The window counts both ends, as Django REST Framework's does.
func WithRateLimit(limit int, window, penalty time.Duration) Option {
	return func(s *Server) { s.limit, s.limitWindow, s.penalty = limit, window, penalty }
}

// NewServer starts a fake. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		accessLife: compliancely.AccessLifetime, refreshLife: compliancely.RefreshLifetime,
		limit: 10, limitWindow: time.Minute, penalty: compliancely.Penalty,
		accounts: map[string]string{Username: Password}, primary: Username,
		records: map[int64]taxExemptRecord{}, credits: -1,
		tins: map[int64]*tinRecord{}, bulks: map[int64]*bulkRecord{}, bulkData: map[int64][]byte{},
		webhookSecret: WebhookSecret, retryDelay: DefaultWebhookRetryDelay,
		hooks: webhooks{stop: make(chan struct{}), client: &http.Client{Timeout: 30 * time.Second}},
	}
	for _, o := range opts {
		o(s)
	}
	if s.kit == nil {
		s.kit = providertest.NewKit(nil)
	}
	if s.limit > 0 {
		s.window = fakekit.NewLimit(s.kit.Clock, fakekit.Limit{Limit: s.limit, Window: s.limitWindow,
			Block: s.penalty, Mode: fakekit.SlidingBothEnds})
	}
	s.Knobs = providertest.NewKnobs(s.kit, errorBody, nil)
	s.URL = s.kit.Start(s.routes(), s.inMemory)
	return s
}

// Close stops webhook deliveries (one in flight finishes) and shuts the
// server down.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.hooks.stop) })
	s.hooks.wg.Wait()
	s.hooks.client.CloseIdleConnections()
	s.kit.Close()
}

// Config returns a client Config for the first account (by default
// Username and Password), pointed at the fake.
func (s *Server) Config() compliancely.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return compliancely.Config{BaseURL: s.URL, Username: s.primary, Password: auth.Secret(s.accounts[s.primary])}
}

// SetPassword changes (or adds) an account's password, e.g. to make the
// next login fail with invalid credentials.
func (s *Server) SetPassword(username, password string) {
	s.mu.Lock()
	s.accounts[username] = password
	s.mu.Unlock()
}

// SetCredits sets how many more tax-exempt checks the account may submit
// (negative: unlimited, the default); past them the fake answers
// Compliancely's credit error {"code":"credit_message","message"} (I: with
// 403).
func (s *Server) SetCredits(n int) {
	s.mu.Lock()
	s.credits = n
	s.mu.Unlock()
}

// TaxExempts counts the tax-exempt checks recorded.
func (s *Server) TaxExempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// Validations counts validate calls the fake judged.
func (s *Server) Validations() int { return s.kit.Counts.Get("validations") }
