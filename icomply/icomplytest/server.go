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
// It also runs a verification (its wire shapes are inferred where
// iComply's samples are unreadable; see package icomply's Assumptions):
// POST and GET (search) on the natural-person and legal-entity
// collections, GET of one legal entity, GET
// …/legal-entities/{id}/request-client-update (counted by
// UpdateRequests). Add Natural Person refuses a person without first or
// last name and an unknown KYC service with a 400 naming the field, and
// answers the new entity with status New (RequestedServices tells what it
// asked for). A search answers [{"entityID": …}]. The knobs
// SubmitPersonalInfo and Complete play the person and the portal: the
// status becomes Pending, then Approved, and the fake POSTs the documented
// webhook (NaturalPersonPending, NaturalPersonAutoApproved or
// NaturalPersonManuallyApproved) to the URL of WithWebhook or SetWebhook,
// dated on the fake's clock, with the secret in its top-level "secret"
// field. BeginSupportingDocuments and CompleteSupportingDocuments play the
// person uploading supporting documents and deliver the two
// supporting-document events the same way (their names and payloads are
// inferred: see EventSupportingDocumentBegun). A delivery is made once
// (iComply documents no retries); the knob returns its error and
// Deliveries and FailedDeliveries count them.
//
// Every request's token must come as "Authorization: Bearer <token>", as
// iComply's documentation says to send it, tokenvalid included: a bare token
// is refused with 401. Natural persons are served at the heading's path
// (icomply.NaturalPersonPath); WithNaturalPersonPath moves them, e.g. to
// the documentation sample's icomply.AltNaturalPersonPath.
//
// The knobs and counters every unikyc fake shares ([providertest.Knobs])
// are methods of Server: FailNext, AnswerNext, RateLimitNext, RateLimitNextNamed,
// UnavailableNext, DelayNext, Delay, ClearFaults; Requests, Calls, Faults,
// Rejected, RateLimited, Logins, LoginAttempts, Count, Hits, MaxRequestsIn,
// ResetCounts; ExpireTokens, RevokeTokens, LiveTokens; Clock, Transport,
// Client. This fake adds RejectedExpired, Deliveries, FailedDeliveries,
// UpdateRequests and RequestedServices. LoginAttempts counts every login
// request the fake judged, refused or not.
//
//	clk := providertest.NewClock(t, time.Now(), 0) // a call left waiting outside clk.Drive fails
//	srv := icomplytest.NewServer(icomplytest.WithClock(clk))
//	defer srv.Close()
//	c, _ := icomply.New(srv.Config(), providers.WithClock(clk))
//	defer c.Close()
package icomplytest

//go:generate go run ../../internal/cmd/knobgen

import (
	"net/http"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/providertest"
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
	personPath       string
	legalPath        string
	inMemory         bool
	hookURL          string
	hookSecret       string
	hookClient       *http.Client
}

// WithNaturalPersonPath serves natural persons under prefix (an
// icomply.Config.NaturalPersonPath value) instead of
// icomply.NaturalPersonPath.
func WithNaturalPersonPath(prefix string) Option { return func(o *options) { o.personPath = prefix } }

// WithLegalEntityPath serves legal entities under prefix (an
// icomply.Config.LegalEntityPath value) instead of icomply.LegalEntityPath.
func WithLegalEntityPath(prefix string) Option { return func(o *options) { o.legalPath = prefix } }

// WithWebhook makes the fake deliver webhooks to url with secret in the
// payload (see SetWebhook).
func WithWebhook(url, secret string) Option {
	return func(o *options) { o.hookURL, o.hookSecret = url, secret }
}

// WithWebhookClient sends webhooks with hc (default: an http.Client with
// a 10-second timeout), e.g. one whose Transport reaches an in-memory
// receiver.
func WithWebhookClient(hc *http.Client) Option { return func(o *options) { o.hookClient = hc } }

// WithInMemory starts the fake without a listener: only its Transport
// reaches it, so it can live inside a testing/synctest bubble.
func WithInMemory() Option { return func(o *options) { o.inMemory = true } }

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

	*providertest.Knobs
	kit  *providertest.Kit
	opts options

	mu             sync.Mutex
	data           dataset
	nextAML        int
	nextEntity     int
	nextHook       int
	hookURL        string
	hookSecret     string
	lastHook       []byte
	requested      map[string]map[string]bool // KYC services asked for, by entity
	externalIDs    map[string]string          // legal entities' external IDs
	updateRequests map[string]int             // client-update requests, by legal entity
	sessions       map[string]string          // the portal session of SubmitPersonalInfo, by entity
}

// NewServer starts a fake iComply API.
func NewServer(opts ...Option) *Server {
	o := options{lifetime: icomply.TokenLifetime, username: Username, passwd: Password,
		apiKey: APIKey, header: icomply.DefaultAPIKeyHeader, personPath: icomply.NaturalPersonPath,
		legalPath: icomply.LegalEntityPath, hookClient: &http.Client{Timeout: 10 * time.Second}}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{kit: providertest.NewKit(o.clock), opts: o, data: seed(), nextAML: firstAMLID,
		hookURL: o.hookURL, hookSecret: o.hookSecret, requested: map[string]map[string]bool{},
		externalIDs: map[string]string{}, updateRequests: map[string]int{}, sessions: map[string]string{}}
	s.Knobs = providertest.NewKnobs(s.kit, nil, nil)
	s.URL = s.kit.Start(s.routes(), o.inMemory)
	return s
}

// Close shuts the fake down.
func (s *Server) Close() { s.kit.Close() }

// Config returns a Config for the fake in username/password mode.
func (s *Server) Config() icomply.Config {
	return icomply.Config{BaseURL: s.URL, Username: s.opts.username, Password: auth.Secret(s.opts.passwd),
		NaturalPersonPath: s.personPath(), LegalEntityPath: s.legalPath()}
}

// APIKeyConfig returns a Config for the fake in API key mode.
func (s *Server) APIKeyConfig() icomply.Config {
	return icomply.Config{BaseURL: s.URL, APIKey: auth.Secret(s.opts.apiKey), APIKeyHeader: s.opts.header,
		NaturalPersonPath: s.personPath(), LegalEntityPath: s.legalPath()}
}

// personPath is the Config value for the fake's natural-person path: empty
// for the default.
func (s *Server) personPath() string {
	if s.opts.personPath == icomply.NaturalPersonPath {
		return ""
	}
	return s.opts.personPath
}

// legalPath is the Config value for the fake's legal-entity path: empty
// for the default.
func (s *Server) legalPath() string {
	if s.opts.legalPath == icomply.LegalEntityPath {
		return ""
	}
	return s.opts.legalPath
}

// RejectedExpired counts requests refused with 401 because their token
// had expired.
func (s *Server) RejectedExpired() int { return s.kit.Counts.Get("expired") }
