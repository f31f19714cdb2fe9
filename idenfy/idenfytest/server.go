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
//   - Every KYB field rule (the same checks as idenfy's Validate methods):
//     400 with MISSING_VALUE for a missing required field, else BAD_VALUE,
//     and the field named in "message".
//   - 10,000 requests an hour per API key (WithRateLimit changes it): past
//     it, 429 {"identifier":"TOO_MANY_REQUESTS"} with Retry-After (I).
//   - Tokens expire on the server's clock: KYB tokens after their lifetime
//     (default 3600 s), KYC tokens after expiryTime (default 3600 s). Both
//     are real HS256 JWTs with "exp". Updating an expired or deactivated KYB
//     token answers 400 TOKEN_NOT_VALID (I); an unknown one 404 NOT_FOUND (I).
//   - Status and delete of an unknown scanRef answer 404 NOT_FOUND (I).
//
// With a fake clock (WithClock), give the client the same clock
// (providers.WithClock) and either advance it or pass
// providers.WithLimiter(nil): the client's default pacing (burst 5, then
// one request per 360 ms) waits on that clock.
//
// State lives in memory. Knobs inject faults (FailNext, RateLimitNext,
// DelayNext, Delay), expire or deactivate tokens, and set verification
// results; counters report what the fake saw. SendWebhook posts a signed
// result callback to your handler the way iDenfy does.
package idenfytest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/fakekit"
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

	kit     *fakekit.Kit
	srv     *httptest.Server
	opts    options
	window  *fakekit.Window
	webhook *http.Client

	mu   sync.Mutex
	kyb  map[string]*kybRecord    // by tokenString
	kyc  map[string]*verification // by scanRef
	last map[string][]byte        // last request body by path
}

type options struct {
	clk               clock.Clock
	key, secret       string
	webhookKey        string
	limit             int
	per               time.Duration
	kybLifetime       time.Duration
	kycLifetime       time.Duration
	webhookHTTPClient *http.Client
}

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

// WithRateLimit allows n requests per window per API key (default 10,000
// an hour). n <= 0 turns the limit off.
func WithRateLimit(n int, window time.Duration) Option {
	return func(o *options) { o.limit, o.per = n, window }
}

// WithTokenLifetimes sets the lifetimes used when a request names none:
// KYB tokens (iDenfy: 3600 s) and KYC tokens (iDenfy: 3600 s).
func WithTokenLifetimes(kyb, kyc time.Duration) Option {
	return func(o *options) { o.kybLifetime, o.kycLifetime = kyb, kyc }
}

// WithWebhookClient sets the client SendWebhook posts with (default: a
// plain http.Client with a 10 s timeout).
func WithWebhookClient(c *http.Client) Option { return func(o *options) { o.webhookHTTPClient = c } }

// NewServer starts a fake iDenfy. Close it when done.
func NewServer(opts ...Option) *Server {
	o := options{key: APIKey, secret: APISecret, webhookKey: WebhookKey, limit: 10000, per: time.Hour,
		kybLifetime: idenfy.DefaultKYBLifetime * time.Second, kycLifetime: time.Hour}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{kit: fakekit.New(o.clk), opts: o, kyb: map[string]*kybRecord{},
		kyc: map[string]*verification{}, last: map[string][]byte{}, webhook: o.webhookHTTPClient}
	if s.webhook == nil {
		s.webhook = &http.Client{Timeout: 10 * time.Second}
	}
	if o.limit > 0 {
		s.window = fakekit.NewWindow(s.kit.Clock, o.limit, o.per, 0)
	}
	s.srv = s.kit.Start(s.routes())
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() {
	s.srv.Close()
	s.webhook.CloseIdleConnections()
}

// Config returns an idenfy.Config pointed at the fake with its credentials.
func (s *Server) Config() idenfy.Config {
	return idenfy.Config{BaseURL: s.URL, APIKey: auth.Secret(s.opts.key), APISecret: auth.Secret(s.opts.secret)}
}

// WebhookKey returns the key the fake signs webhooks with.
func (s *Server) WebhookKey() auth.Secret { return auth.Secret(s.opts.webhookKey) }

// Clock returns the server's clock.
func (s *Server) Clock() clock.Clock { return s.kit.Clock }

// Fault knobs. A path of "" in the *Path variants matches every path.

// FailNext answers the next n requests with status and an iDenfy error
// body {"identifier":"INJECTED_FAULT"}.
func (s *Server) FailNext(n, status int) { s.FailNextPath("", n, status) }

// FailNextPath is FailNext for requests to path only.
func (s *Server) FailNextPath(path string, n, status int) {
	s.kit.Faults.FailNext(path, n, status, errorBody("INJECTED_FAULT", "injected fault"))
}

// FailNextWith answers the next n requests with status and the iDenfy
// error {identifier, message}, e.g. 400 VALIDATION_ERROR.
func (s *Server) FailNextWith(n, status int, identifier, message string) {
	s.kit.Faults.FailNext("", n, status, errorBody(identifier, message))
}

// RateLimitNext answers the next n requests with 429 TOO_MANY_REQUESTS and
// the given Retry-After value ("" for none).
func (s *Server) RateLimitNext(n int, retryAfter string) {
	s.kit.Faults.RateLimitNext("", n, retryAfter, errorBody(idenfy.CodeTooManyRequests, "Too many requests."))
}

// DelayNext holds the next n answers for d of real time.
func (s *Server) DelayNext(n int, d time.Duration) { s.kit.Faults.DelayNext("", n, d) }

// Delay holds every answer for d of real time (0: off).
func (s *Server) Delay(d time.Duration) { s.kit.Faults.Delay(d) }

// ClearFaults drops every queued fault and the delay.
func (s *Server) ClearFaults() { s.kit.Faults.Clear() }

// Counters.

// Requests counts every request that reached the fake, faults included.
func (s *Server) Requests() int { return s.kit.Counts.Get("requests") }

// Calls counts requests to path, e.g. "/kyb/tokens/".
func (s *Server) Calls(path string) int { return s.kit.Counts.Path(path) }

// Rejected counts requests the fake refused by its own rules (401, 404,
// 405, 415, 400, 429), not injected faults.
func (s *Server) Rejected() int { return s.kit.Counts.Get("rejected") }

// Faults counts injected fault answers.
func (s *Server) Faults() int { return s.kit.Counts.Get("faults") }

// WebhooksSent counts webhooks SendWebhook delivered (any answer).
func (s *Server) WebhooksSent() int { return s.kit.Counts.Get("webhooks") }

// ResetCounters sets every counter to zero.
func (s *Server) ResetCounters() { s.kit.Counts.Reset() }

// LastBody returns the raw body of the last request to path that passed
// authentication, or nil.
func (s *Server) LastBody(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.last[path]...)
}
