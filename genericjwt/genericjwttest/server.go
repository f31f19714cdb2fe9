package genericjwttest

//go:generate go run ../../internal/cmd/knobgen

import (
	"crypto/sha1"
	"fmt"
	"net/http"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/providertest"
)

// The account every Server knows; Config returns it.
const (
	DefaultUsername = "compliance-bot@example.com"
	DefaultPassword = "fake-back-office-password"
)

// ResourcePath is a protected route every Server serves, like the
// "/api/v1/resource" of the back office's documentation.
const ResourcePath = "/api/v1/resource"

// DefaultTokenLifetime is the JWT lifetime unless WithTokenLifetime says
// otherwise (FastAPI-Users' usual lifetime_seconds=3600).
const DefaultTokenLifetime = time.Hour

// Server is a fake back office. Create it with NewServer; Close it.
type Server struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:4711".
	URL string

	*providertest.Knobs
	kit       *providertest.Kit
	inMemory  bool
	pydantic1 bool
	// verifiedOnly: the users router requires a verified user and the
	// auth router does not (WithVerifiedUsersRouter).
	verifiedOnly bool
	lifetime     time.Duration
	loginPath    string
	mePath       string
	// users and byID are written only by NewServer, then only read.
	users  map[string]*account // by username
	byID   map[string]*account
	routes []route
}

type account struct {
	id, username, password string
	verified, active       bool
}

type route struct {
	pattern string
	h       http.Handler
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock tokens are issued and checked on (default: the
// system clock). Give the client the same one.
func WithClock(c clock.Clock) Option { return func(s *Server) { s.kit = providertest.NewKit(c) } }

// WithTokenLifetime sets the lifetime of issued JWTs (default one hour).
// Zero issues JWTs without "exp", valid until revoked.
func WithTokenLifetime(d time.Duration) Option { return func(s *Server) { s.lifetime = d } }

// WithInMemory starts the server without a listener: only its Transport
// reaches it, so it can live inside a testing/synctest bubble.
func WithInMemory() Option { return func(s *Server) { s.inMemory = true } }

// WithPydanticV1 answers 422s in the pydantic v1 shape older FastAPI
// installs send ({"loc","msg","type"}, no "input"); the default is the v2
// shape ({"type","loc","msg","input"}).
func WithPydanticV1() Option { return func(s *Server) { s.pydantic1 = true } }

// WithLoginPath moves the login route (default "/auth/jwt/login").
func WithLoginPath(p string) Option { return func(s *Server) { s.loginPath = p } }

// WithMePath moves the current-user route (default "/users/me").
func WithMePath(p string) Option { return func(s *Server) { s.mePath = p } }

// WithUser adds an active, verified user.
func WithUser(username, password string) Option { return withAccount(username, password, true, true) }

// WithUnverifiedUser adds an active user who is not verified: the right
// password gets 400 LOGIN_USER_NOT_VERIFIED.
func WithUnverifiedUser(username, password string) Option {
	return withAccount(username, password, false, true)
}

// WithVerifiedUsersRouter mounts the routers as FastAPI-Users does with
// get_auth_router(requires_verification=False) and
// get_users_router(requires_verification=True): an unverified user logs
// in, and GET /users/me then answers 403 {"detail":"Forbidden"} (the
// authenticator's HTTPException(status_code=403), fastapi_users v15.0.5,
// authentication/authenticator.py).
func WithVerifiedUsersRouter() Option { return func(s *Server) { s.verifiedOnly = true } }

// WithInactiveUser adds an inactive user: any login gets 400
// LOGIN_BAD_CREDENTIALS, as FastAPI-Users does.
func WithInactiveUser(username, password string) Option {
	return withAccount(username, password, true, false)
}

// WithHandler serves h at pattern (an http.ServeMux pattern such as
// "GET /api/v1/cases/{id}") behind the server's token check: h runs only
// for requests with a valid token; [Username] tells whose.
func WithHandler(pattern string, h http.Handler) Option {
	return func(s *Server) { s.routes = append(s.routes, route{pattern, h}) }
}

func withAccount(username, password string, verified, active bool) Option {
	return func(s *Server) {
		a := &account{id: userID(username), username: username, password: password, verified: verified, active: active}
		s.users[username] = a
		s.byID[a.id] = a
	}
}

// userID derives a stable UUID-shaped id from the username, so answers
// are the same from run to run.
func userID(username string) string {
	h := sha1.Sum([]byte("genericjwttest:" + username))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// NewServer starts a fake back office with the default user.
func NewServer(opts ...Option) *Server {
	s := &Server{
		kit:       providertest.NewKit(nil),
		lifetime:  DefaultTokenLifetime,
		loginPath: genericjwt.DefaultLoginPath,
		mePath:    genericjwt.DefaultMePath,
		users:     map[string]*account{},
		byID:      map[string]*account{},
	}
	WithUser(DefaultUsername, DefaultPassword)(s)
	for _, o := range opts {
		o(s)
	}
	s.Knobs = providertest.NewKnobs(s.kit, errorBody, nil)
	s.URL = s.kit.Start(s.handler(), s.inMemory)
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.kit.Close() }

// Config returns a genericjwt.Config pointed at the server, with the
// default user's credentials and the server's paths.
func (s *Server) Config() genericjwt.Config {
	return genericjwt.Config{
		BaseURL:   s.URL,
		Username:  DefaultUsername,
		Password:  auth.Secret(DefaultPassword),
		LoginPath: s.loginPath,
		MePath:    s.mePath,
	}
}
