// Package icomplytest is a fake iComply API on httptest, for testing code
// that uses package icomply without the network.
//
// The fake does what the real API documents, on an injectable clock:
//
//   - POST /api/gettoken takes only multipart/form-data with the fields
//     Username and Password. Another content type (JSON, urlencoded) gets
//     415 with ASP.NET problem details (assumed: what an ASP.NET Core form
//     binder answers; iComply does not document it); a missing Username
//     400; wrong credentials 401 with an empty body. Success answers
//     {"token":"<jwt>"}, a real HS256 JWT whose "exp" is 20 minutes
//     (WithTokenLifetime) after the clock's now.
//   - GET /api/tokenvalid answers {"isTokenValid":true} for a live token and
//     401 for a missing, unknown, revoked or expired one.
//   - The v2 endpoints (GET /api/v2/entities, GET
//     /api/v2/entities/natural-persons/{id}, POST /api/v2/aml, GET
//     /api/v2/aml/{id}) accept a live bearer token or the API key in the
//     API key header, and answer the v2 envelope over a small in-memory
//     data set (IDs: PersonApproved … CompanyOK). A bad key or token gets 401 with
//     WWW-Authenticate and no body; bad query values 400; an unknown ID 404;
//     an AML search without a name the documented 400 whose message key is
//     spelled "messsage"; creation answers HTTP 200 with "code":201.
//
// Knobs (ExpireTokens, RevokeTokens, FailNext, RateLimitNext, DelayNext)
// and counters (Logins, Calls, Rejected, RejectedExpired, Requests) let a
// test provoke and assert on what happened:
//
//	clk := clock.NewFake(time.Now())
//	srv := icomplytest.NewServer(icomplytest.WithClock(clk))
//	defer srv.Close()
//	c, _ := icomply.New(srv.Config(), providers.WithClock(clk))
//	defer c.Close()
package icomplytest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/internal/fakekit"
)

// The fake's credentials unless options say otherwise.
const (
	Username = "fake-user"
	Password = "fake-password"
	APIKey   = "fake-api-key"
)

// Option configures a Server.
type Option func(*options)

type options struct {
	clock            clock.Clock
	lifetime         time.Duration
	username, passwd string
	apiKey, header   string
}

// WithClock sets the clock for token lifetimes (default: the system clock).
// Give the client the same clock with providers.WithClock.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithTokenLifetime sets the lifetime of issued tokens (default 20 minutes).
func WithTokenLifetime(d time.Duration) Option { return func(o *options) { o.lifetime = d } }

// WithCredentials sets the username and password the fake accepts.
func WithCredentials(username, password string) Option {
	return func(o *options) { o.username, o.passwd = username, password }
}

// WithAPIKey sets the API key the fake accepts and the header that carries
// it ("" keeps icomply.DefaultAPIKeyHeader).
func WithAPIKey(key, header string) Option {
	return func(o *options) {
		o.apiKey = key
		if header != "" {
			o.header = header
		}
	}
}

// Server is a running fake. Close it when done.
type Server struct {
	// URL is the fake's base URL, e.g. http://127.0.0.1:41234.
	URL string

	kit  *fakekit.Kit
	hs   *httptest.Server
	opts options

	mu      sync.Mutex
	data    dataset
	nextAML int
}

// NewServer starts a fake iComply API.
func NewServer(opts ...Option) *Server {
	o := options{lifetime: icomply.TokenLifetime, username: Username, passwd: Password,
		apiKey: APIKey, header: icomply.DefaultAPIKeyHeader}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{kit: fakekit.New(o.clock), opts: o, data: seed(), nextAML: firstAMLID}
	s.hs = s.kit.Start(s.routes())
	s.URL = s.hs.URL
	return s
}

// Close shuts the fake down.
func (s *Server) Close() { s.hs.Close() }

// Client returns an http.Client for raw requests to the fake; Close
// releases its connections.
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Config returns a Config for the fake in username/password mode.
func (s *Server) Config() icomply.Config {
	return icomply.Config{BaseURL: s.URL, Username: s.opts.username, Password: auth.Secret(s.opts.passwd)}
}

// APIKeyConfig returns a Config for the fake in API key mode.
func (s *Server) APIKeyConfig() icomply.Config {
	return icomply.Config{BaseURL: s.URL, APIKey: auth.Secret(s.opts.apiKey), APIKeyHeader: s.opts.header}
}

// ExpireTokens makes every token issued so far expire now.
func (s *Server) ExpireTokens() { s.kit.Tokens.ExpireAll(kindAccess) }

// RevokeTokens revokes every token issued so far.
func (s *Server) RevokeTokens() { s.kit.Tokens.RevokeAll(kindAccess) }

// LiveTokens counts the tokens neither expired nor revoked.
func (s *Server) LiveTokens() int { return s.kit.Tokens.Live(kindAccess) }

// FailNext answers the next n requests to path ("" for any) with status
// and body (nil: a small JSON body).
func (s *Server) FailNext(path string, n, status int, body []byte) {
	s.kit.Faults.FailNext(path, n, status, body)
}

// RateLimitNext answers the next n requests to path ("" for any) with 429
// and the given Retry-After value ("" for none).
func (s *Server) RateLimitNext(path string, n int, retryAfter string) {
	s.kit.Faults.RateLimitNext(path, n, retryAfter, nil)
}

// DelayNext holds the next n answers to path ("" for any) for d of real
// time, or until the client gives up.
func (s *Server) DelayNext(path string, n int, d time.Duration) { s.kit.Faults.DelayNext(path, n, d) }

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.kit.Faults.Clear() }

// Logins counts successful logins.
func (s *Server) Logins() int { return s.kit.Counts.Get("logins") }

// Calls counts requests to path, faults and refusals included.
func (s *Server) Calls(path string) int { return s.kit.Counts.Path(path) }

// Requests counts every request the fake received.
func (s *Server) Requests() int { return s.kit.Counts.Get("requests") }

// Rejected counts requests the fake refused by its own rules (400, 401,
// 415); injected faults and 404s for unknown IDs are not counted.
func (s *Server) Rejected() int { return s.kit.Counts.Get("rejected") }

// RejectedExpired counts requests refused with 401 because their token
// had expired.
func (s *Server) RejectedExpired() int { return s.kit.Counts.Get("expired") }

// ResetCounts sets every counter to zero.
func (s *Server) ResetCounts() { s.kit.Counts.Reset() }
