package kyconnecttest

//go:generate go run ../../internal/cmd/knobgen

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/providertest"
)

// Prefix is the path of the API root on the fake, like the real one's.
const Prefix = "/api/v1"

// DefaultRefreshLifetime is how long a refresh session lives unless
// WithRefreshLifetime says otherwise. (I): KYConnect does not publish it.
const DefaultRefreshLifetime = 7 * 24 * time.Hour

// TokenFields names the spelling of the token answer's fields.
type TokenFields int

const (
	// SnakeCase: access_token, refresh_token, expires_in (the default).
	SnakeCase TokenFields = iota
	// CamelCase: accessToken, refreshToken, no lifetime field.
	CamelCase
	// TokenField: token, refreshToken, no lifetime field.
	TokenField
)

// Option configures a Server.
type Option func(*settings)

type settings struct {
	clk             clock.Clock
	inMemory        bool
	tokenStatus     int
	named           bool
	noHeaders       bool
	accessLifetime  time.Duration
	refreshLifetime time.Duration
	sliding         bool
	fields          TokenFields
	apiKeyHeader    string
	email           string
	password        string
	mfaSecret       string
	mfa             bool
	role            string
}

// WithClock runs token lifetimes, MFA codes and rate limits on clk.
func WithClock(clk clock.Clock) Option { return func(s *settings) { s.clk = clk } }

// WithTokenLifetime sets the access tokens' lifetime (default 15 minutes).
func WithTokenLifetime(d time.Duration) Option { return func(s *settings) { s.accessLifetime = d } }

// WithInMemory starts the server without a listener: only its Transport
// reaches it, so it can live inside a testing/synctest bubble.
func WithInMemory() Option { return func(s *settings) { s.inMemory = true } }

// WithTokenStatus sets the status of login and refresh answers: 201
// (NestJS's default for POST, the default here) or 200 (a handler with
// @HttpCode(200)).
func WithTokenStatus(code int) Option { return func(s *settings) { s.tokenStatus = code } }

// WithNamedThrottlers names the login and forgot-password limits, as
// @nestjs/throttler's named throttlers do: their 429s carry
// "Retry-After-login" / "Retry-After-forgot-password" and no plain
// Retry-After. The general limit stays the unnamed "default".
func WithNamedThrottlers() Option { return func(s *settings) { s.named = true } }

// WithoutThrottlerHeaders sends 429s without any Retry-After header, as
// @nestjs/throttler does with setHeaders: false.
func WithoutThrottlerHeaders() Option { return func(s *settings) { s.noHeaders = true } }

// WithRefreshLifetime sets how long a login's refresh session lasts
// (default 7 days).
func WithRefreshLifetime(d time.Duration) Option { return func(s *settings) { s.refreshLifetime = d } }

// WithSlidingRefresh gives each rotated refresh token a full lifetime,
// instead of the end of the session it continues.
func WithSlidingRefresh() Option { return func(s *settings) { s.sliding = true } }

// WithTokenFields sets the spelling of the login and refresh answers.
func WithTokenFields(f TokenFields) Option { return func(s *settings) { s.fields = f } }

// WithAPIKeyHeader sets the header the server reads API keys from
// (default X-API-Key).
func WithAPIKeyHeader(name string) Option { return func(s *settings) { s.apiKeyHeader = name } }

// WithAccount sets the account's email and password (default: a fixed
// email and a random password).
func WithAccount(email string, password auth.Secret) Option {
	return func(s *settings) { s.email, s.password = email, string(password) }
}

// WithMFA turns MFA on for the account, with the given base32 TOTP secret
// ("" for a random one; see Server.TOTPSecret).
func WithMFA(secret auth.Secret) Option {
	return func(s *settings) { s.mfa, s.mfaSecret = true, string(secret) }
}

// WithRole sets the account's role (default "admin"). Individual
// onboarding needs admin, compliance_officer or analyst; any other role
// gets NestJS's 403 {"message":"Forbidden resource"}.
func WithRole(role string) Option { return func(s *settings) { s.role = role } }

// Server is a fake KYConnect API. Create it with NewServer and Close it.
//
// The knobs and counters every unikyc fake shares ([providertest.Knobs])
// are methods of Server; their paths are relative to the API root ("/auth/me"), and ""
// means every path.
type Server struct {
	// URL is the server's root, like httptest.Server.URL; the API is under
	// URL + Prefix.
	URL string

	*providertest.Knobs
	set  settings
	kit  *providertest.Kit
	user wireUser
	key  string // the account's API key

	general, logins, forgot, onboarding *fakekit.Window

	mu       sync.Mutex
	sessions map[string]time.Time      // live refresh token → end of its session
	attempts []time.Time               // login attempts that reached the handler
	cases    map[string]map[string]any // onboarding cases by lower-case email
	nextCase int
}

// NewServer starts a fake KYConnect with one account.
func NewServer(opts ...Option) *Server {
	set := settings{accessLifetime: kyconnect.AccessTokenLifetime, refreshLifetime: DefaultRefreshLifetime, tokenStatus: http.StatusCreated,
		apiKeyHeader: kyconnect.DefaultAPIKeyHeader, email: "admin@yourfirm.com", password: "pw-" + randomHex(12)}
	for _, o := range opts {
		o(&set)
	}
	if set.mfa && set.mfaSecret == "" {
		b := make([]byte, 20)
		_, _ = rand.Read(b)
		set.mfaSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	}
	kit := providertest.NewKit(set.clk)
	s := &Server{
		set: set,
		kit: kit,
		key: "kyc_" + randomHex(16),
		// NestJS apps on TypeORM or Prisma number their rows.
		user: wireUser{ID: 1, Email: set.email, FirstName: "Ada", LastName: "Admin",
			Role: "admin", FirmID: 1, MFAEnabled: set.mfa},
		sessions: map[string]time.Time{},
		cases:    map[string]map[string]any{},
	}
	if set.role != "" {
		s.user.Role = set.role
	}
	// @nestjs/throttler: per route and client IP, and a refused request
	// blocks the key for the block duration (by default the ttl).
	name := func(n string) string {
		if set.named {
			return n
		}
		return ""
	}
	s.general = fakekit.NewLimit(kit.Clock, fakekit.Limit{Limit: 100, Window: time.Minute, Block: time.Minute, NoHeader: set.noHeaders})
	s.logins = fakekit.NewLimit(kit.Clock, fakekit.Limit{Name: name("login"), Limit: 10, Window: time.Hour, Block: time.Hour, NoHeader: set.noHeaders})
	// POST /onboarding/individual: 5 per 2 hours per email (a tracker
	// keyed by the body's email).
	s.onboarding = fakekit.NewLimit(kit.Clock, fakekit.Limit{Name: name("onboarding"), Limit: 5, Window: 2 * time.Hour,
		Block: 2 * time.Hour, NoHeader: set.noHeaders})
	s.forgot = fakekit.NewLimit(kit.Clock, fakekit.Limit{Name: name("forgot-password"), Limit: 10, Window: time.Hour, Block: time.Hour, NoHeader: set.noHeaders})
	s.Knobs = providertest.NewKnobs(kit, func(status int) []byte { return nestBody(status, http.StatusText(status)) }, api)
	s.URL = kit.Start(s.routes(), set.inMemory)
	return s
}

// wireUser is GET /auth/me's answer as a NestJS entity serializes it:
// numeric ids, camelCase names.
type wireUser struct {
	ID         int64  `json:"id"`
	Email      string `json:"email"`
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	Role       string `json:"role"`
	FirmID     int64  `json:"firmId"`
	MFAEnabled bool   `json:"mfaEnabled"`
}

// Close shuts the server down.
func (s *Server) Close() { s.kit.Close() }

// BaseURL is the API root to give a client: URL + Prefix.
func (s *Server) BaseURL() string { return s.URL + Prefix }

// Config returns a login Config for the account, pointed at the server.
// With MFA on, MFACode computes TOTP codes on the server's clock.
func (s *Server) Config() kyconnect.Config {
	c := kyconnect.Config{BaseURL: s.BaseURL(), Email: s.set.email, Password: auth.Secret(s.set.password)}
	if s.set.mfa {
		c.MFACode = kyconnect.TOTP(s.TOTPSecret(), s.kit.Clock)
	}
	return c
}

// APIKeyConfig returns an API-key Config for the account.
func (s *Server) APIKeyConfig() kyconnect.Config {
	c := kyconnect.Config{BaseURL: s.BaseURL(), APIKey: auth.Secret(s.key)}
	if s.set.apiKeyHeader != kyconnect.DefaultAPIKeyHeader {
		c.APIKeyHeader = s.set.apiKeyHeader
	}
	return c
}

// Email returns the account's email.
func (s *Server) Email() string { return s.set.email }

// Password returns the account's password.
func (s *Server) Password() auth.Secret { return auth.Secret(s.set.password) }

// APIKey returns the account's API key.
func (s *Server) APIKey() auth.Secret { return auth.Secret(s.key) }

// TOTPSecret returns the account's base32 TOTP secret ("" without MFA).
func (s *Server) TOTPSecret() auth.Secret { return auth.Secret(s.set.mfaSecret) }

// User returns the account's user as the client should read GET
// /auth/me's answer.
func (s *Server) User() kyconnect.User {
	u := s.user
	return kyconnect.User{ID: providers.ID(strconv.FormatInt(u.ID, 10)), Email: u.Email, FirstName: u.FirstName,
		LastName: u.LastName, Role: u.Role, FirmID: providers.ID(strconv.FormatInt(u.FirmID, 10)), MFAEnabled: u.MFAEnabled}
}

// String describes the server without its secrets.
func (s *Server) String() string { return fmt.Sprintf("kyconnecttest.Server{URL:%s}", s.URL) }

// GoString is String, for %#v.
func (s *Server) GoString() string { return s.String() }

// Format prints String for every verb, so no verb walks the secrets.
func (s *Server) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, s.String()) }

// LogValue implements slog.LogValuer.
func (s *Server) LogValue() slog.Value { return slog.StringValue(s.String()) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// api turns a path relative to the API root ("/auth/login") into the
// server path; "" (every path) and absolute server paths stay as they are.
func api(path string) string {
	if path == "" || strings.HasPrefix(path, Prefix+"/") {
		return path
	}
	return Prefix + "/" + strings.TrimPrefix(path, "/")
}
