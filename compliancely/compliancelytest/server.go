// Package compliancelytest is a fake Compliancely API v2 server for tests:
// yours and unikyc's. It runs on httptest, issues real HS256 JWTs whose
// lifetimes run on an injectable clock, and enforces what Compliancely
// documents:
//
//   - login (POST /api/v2/token/, also /api/v2/token/create) with a JSON
//     {"username","password"}; wrong credentials get 401
//     {"detail":"No active account found with the given credentials",
//     "code":"no_active_account"}; a body that is not JSON gets 415;
//   - access tokens for 1 hour and refresh tokens for 24 hours
//     ([WithLifetimes] changes them);
//   - refresh (POST /api/v2/token/refresh/) rotates: it answers a new pair
//     and refuses the old refresh token from then on (401
//     "token_not_valid"); [WithRefreshAnswer] picks the answer's spelling;
//   - validate (POST /api/v2/token/validate/, {"token"}) answers
//     {"valid","status","token_type","remaining_seconds","expires_at"};
//   - 10 requests a minute per account over a sliding window, logins and
//     refreshes included; past it, 429 with Compliancely's exact body
//     ([ThrottledDetail]) and no Retry-After, for 10 minutes;
//   - API v1 and Basic authentication are gone: /api/v1/ answers 410.
//
// The API endpoints are stand-ins for the TIN-match calls: POST
// /api/v2/submissions/ and GET /api/v2/submissions/{id}/. The result is
// immediate and, as in Compliancely's sandbox, follows the TIN's last
// digit: 9 gives IRS code 0 ("TIN Matched"), any other digit d gives d.
//
// Knobs (expire or revoke tokens, fail or rate limit the next calls, delay
// answers) and counters (Logins, Refreshes, Calls, Rejected, Requests,
// Hits) let a test set up a failure and assert what the client did about
// it.
package compliancelytest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/internal/fakekit"
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

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string

	kit    *fakekit.Kit
	srv    *httptest.Server
	window *fakekit.Window

	accessLife, refreshLife time.Duration
	refreshAnswer           RefreshAnswer
	limit                   int
	limitWindow, penalty    time.Duration

	mu       sync.Mutex
	primary  string // the account Config returns
	custom   bool   // WithAccount replaced the default
	accounts map[string]string
	hits     []Hit
	subs     map[int64]submission
	nextID   int64
}

// Hit is one request the fake answered.
type Hit struct {
	At      time.Time // on the fake's clock, when the request arrived
	Method  string
	Path    string
	Status  int
	Account string // "" when the request named no account
}

// Option configures a Server.
type Option func(*Server)

// WithClock runs token lifetimes and the rate limit on clk. Give the
// client the same clock (providers.WithClock).
func WithClock(clk clock.Clock) Option { return func(s *Server) { s.kit = fakekit.New(clk) } }

// WithAccount replaces the default account; call it again to add more.
func WithAccount(username, password string) Option {
	return func(s *Server) {
		if !s.custom {
			s.accounts, s.primary, s.custom = map[string]string{}, username, true
		}
		s.accounts[username] = password
	}
}

// WithLifetimes sets the access and refresh token lifetimes (default 1 h
// and 24 h).
func WithLifetimes(access, refresh time.Duration) Option {
	return func(s *Server) { s.accessLife, s.refreshLife = access, refresh }
}

// WithRefreshAnswer picks how refresh answers are spelled (default
// NewTokens, as the guide shows).
func WithRefreshAnswer(a RefreshAnswer) Option { return func(s *Server) { s.refreshAnswer = a } }

// WithRateLimit changes the limit of limit requests per window per account
// and the penalty past it (default 10 a minute, 10 minutes). limit 0 turns
// it off.
func WithRateLimit(limit int, window, penalty time.Duration) Option {
	return func(s *Server) { s.limit, s.limitWindow, s.penalty = limit, window, penalty }
}

// NewServer starts a fake. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		accessLife: compliancely.AccessLifetime, refreshLife: compliancely.RefreshLifetime,
		limit: 10, limitWindow: time.Minute, penalty: compliancely.Penalty,
		accounts: map[string]string{Username: Password}, primary: Username,
		subs: map[int64]submission{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.kit == nil {
		s.kit = fakekit.New(nil)
	}
	if s.limit > 0 {
		s.window = fakekit.NewWindow(s.kit.Clock, s.limit, s.limitWindow, s.penalty)
	}
	s.srv = httptest.NewServer(s.record(s.kit.Wrap(s.routes())))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Config returns a client Config for the first account (by default
// Username and Password), pointed at the fake.
func (s *Server) Config() compliancely.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return compliancely.Config{BaseURL: s.URL, Username: s.primary, Password: auth.Secret(s.accounts[s.primary])}
}

// Clock returns the fake's clock.
func (s *Server) Clock() clock.Clock { return s.kit.Clock }

// --- knobs ---

// ExpireAccessTokens makes every access token issued so far expire now.
func (s *Server) ExpireAccessTokens() { s.kit.Tokens.ExpireAll("access") }

// ExpireAllTokens makes every access and refresh token expire now.
func (s *Server) ExpireAllTokens() { s.kit.Tokens.ExpireAll("") }

// RevokeAccessTokens revokes every access token issued so far.
func (s *Server) RevokeAccessTokens() { s.kit.Tokens.RevokeAll("access") }

// RevokeAllTokens revokes every access and refresh token issued so far.
func (s *Server) RevokeAllTokens() { s.kit.Tokens.RevokeAll("") }

// SetPassword changes (or adds) an account's password, e.g. to make the
// next login fail with invalid credentials.
func (s *Server) SetPassword(username, password string) {
	s.mu.Lock()
	s.accounts[username] = password
	s.mu.Unlock()
}

// FailNext answers the next n requests to path ("" for any) with status
// and body (nil: {"detail":"injected fault"}).
func (s *Server) FailNext(path string, n, status int, body []byte) {
	s.kit.Faults.FailNext(path, n, status, body)
}

// RateLimitNext answers the next n requests to path ("" for any) with 429,
// Compliancely's body, and Retry-After set to retryAfter unless it is "".
func (s *Server) RateLimitNext(path string, n int, retryAfter string) {
	s.kit.Faults.RateLimitNext(path, n, retryAfter, throttledBody)
}

// DelayNext holds the next n answers to path ("" for any) for d of real time.
func (s *Server) DelayNext(path string, n int, d time.Duration) { s.kit.Faults.DelayNext(path, n, d) }

// ClearFaults drops the queued faults and delays.
func (s *Server) ClearFaults() { s.kit.Faults.Clear() }

// --- counters ---

// Logins counts successful logins.
func (s *Server) Logins() int { return s.kit.Counts.Get("logins") }

// Refreshes counts successful refreshes.
func (s *Server) Refreshes() int { return s.kit.Counts.Get("refreshes") }

// Calls counts requests to path, whatever the answer.
func (s *Server) Calls(path string) int { return s.kit.Counts.Path(path) }

// Rejected counts requests the fake refused by its own rules (bad
// credentials or token, malformed body, rate limit), not injected faults.
func (s *Server) Rejected() int { return s.kit.Counts.Get("rejected") }

// RateLimited counts 429s the fake's own rate limit sent.
func (s *Server) RateLimited() int { return s.kit.Counts.Get("ratelimited") }

// Requests counts every request.
func (s *Server) Requests() int { return s.kit.Counts.Get("requests") }

// Hits returns every request answered so far, in order of arrival.
func (s *Server) Hits() []Hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Hit(nil), s.hits...)
}

// ResetCounts sets every counter to zero and forgets the hits.
func (s *Server) ResetCounts() {
	s.kit.Counts.Reset()
	s.mu.Lock()
	s.hits = nil
	s.mu.Unlock()
}

// record logs each answered request as a Hit.
func (s *Server) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit := Hit{At: s.kit.Clock.Now(), Method: r.Method, Path: r.URL.Path}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(withAccount(r.Context(), &hit.Account)))
		hit.Status = sw.status
		s.mu.Lock()
		s.hits = append(s.hits, hit)
		s.mu.Unlock()
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}
