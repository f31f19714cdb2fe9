package icomply

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

const (
	// Name is the provider's short name in errors and logs.
	Name = "icomply"
	// DefaultBaseURL is iComply's production API.
	DefaultBaseURL = "https://api.icomplykyc.com"
	// DefaultAPIKeyHeader carries the API key unless Config.APIKeyHeader
	// says otherwise. iComply does not publish the name: an assumption.
	DefaultAPIKeyHeader = "X-API-Key"
	// TokenLifetime is the documented lifetime of a login token; the JWT's
	// own "exp" is preferred when present.
	TokenLifetime = 20 * time.Minute

	// TokenPath is the login endpoint.
	TokenPath = "/api/gettoken"
	// TokenValidPath is the token check endpoint.
	TokenValidPath = "/api/tokenvalid"
)

// ErrNoToken is returned by CheckToken for a client that uses an API key:
// there is no token to check.
var ErrNoToken = errors.New("unikyc: icomply: no token to check: the client uses an API key")

// Config configures a Client. Set Username (and Password), or APIKey: not
// both. Secrets are auth.Secret, so printing or logging a Config is safe.
type Config struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string

	// Username and Password log in for 20-minute tokens.
	Username string
	Password auth.Secret

	// APIKey is a long-lived server-to-server key, sent on every request
	// in APIKeyHeader (default DefaultAPIKeyHeader).
	APIKey       auth.Secret
	APIKeyHeader string

	// NaturalPersonPath is the path GetNaturalPerson appends an entity ID
	// to (default NaturalPersonPath); without its trailing slash it is the
	// collection AddNaturalPerson posts to and SearchNaturalPersons
	// searches. iComply's documentation names
	// /api/v2/entities/natural-persons/{id} in its heading and
	// /api/v2/natural-persons/{id} in its sample (AltNaturalPersonPath);
	// set this if your account answers the other one.
	NaturalPersonPath string

	// LegalEntityPath is the path GetLegalEntity appends an entity ID to
	// (default LegalEntityPath); its documentation disagrees with itself
	// the same way (AltLegalEntityPath in the sample). The collection
	// (this path without its trailing slash) is where AddLegalEntity posts
	// and SearchLegalEntities searches.
	LegalEntityPath string
}

// Client calls the iComply API. It is safe for concurrent use; Close it
// when done to stop background token refreshes. Besides the typed calls,
// [Client.NewRequest] and [Client.Do], or [Client.HTTPClient], reach
// endpoints this package does not type, with the same authentication,
// throttling and retries.
type Client struct {
	conn       *providers.Core
	apiKey     bool
	personPath string
	legalPath  string
}

//go:generate go run ../internal/cmd/clientgen

// New returns a Client for cfg. A bad cfg returns a *providers.ValidationError
// naming the field; nothing is sent before the first call.
func New(cfg Config, opts ...providers.Option) (_ *Client, err error) {
	defer func() { err = providers.Named(Name, err) }()
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	apiKey := cfg.APIKey != ""
	spec := providers.Spec{Name: Name, BaseURL: cfg.BaseURL, DecodeError: decoder(apiKey)}
	switch {
	case apiKey && (cfg.Username != "" || cfg.Password != ""):
		return nil, providers.Invalid("APIKey", "set either APIKey or Username and Password, not both")
	case apiKey:
		header := cfg.APIKeyHeader
		if header == "" {
			header = DefaultAPIKeyHeader
		}
		if err := auth.CheckHeaderName(header); err != nil {
			return nil, providers.Invalid("APIKeyHeader", err.Error())
		}
		if err := auth.CheckHeaderValue(string(cfg.APIKey)); err != nil {
			return nil, providers.Invalid("APIKey", err.Error())
		}
		spec.Credential = auth.APIKey(header, string(cfg.APIKey))
	case strings.TrimSpace(cfg.Username) == "":
		return nil, providers.Invalid("Username", "is required (or set APIKey)")
	case cfg.Password == "":
		return nil, providers.Invalid("Password", "is required")
	default:
		spec.Account, spec.Config = cfg.Username, cfg
		spec.Login = login(cfg.Username, cfg.Password)
	}
	conn, err := providers.Build(spec, opts...)
	if err != nil {
		return nil, err
	}
	personPath, err := entityPath("NaturalPersonPath", cfg.NaturalPersonPath, NaturalPersonPath)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	legalPath, err := entityPath("LegalEntityPath", cfg.LegalEntityPath, LegalEntityPath)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &Client{conn: conn, apiKey: apiKey, personPath: personPath, legalPath: legalPath}, nil
}

// entityPath checks a Config entity path: an absolute path that ends in
// "/", without query or fragment; "" is def.
func entityPath(field, p, def string) (string, error) {
	if p == "" {
		return def, nil
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || len(p) < 3 || strings.ContainsAny(p, "?#") {
		return "", providers.Invalid(field, "must be an absolute path ending in / without query or fragment")
	}
	return p, nil
}

// login returns the Spec.Login for a username and password.
func login(username string, password auth.Secret) func(context.Context, *providers.Sender) (*auth.Token, error) {
	return func(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
		body, err := loginForm(username, string(password))
		if err != nil {
			return nil, err
		}
		req, err := s.NewRequest(ctx, http.MethodPost, TokenPath, body)
		if err != nil {
			return nil, err
		}
		var ans struct {
			Token string `json:"token"`
		}
		if err := s.Do(req, "login", &ans); err != nil {
			return nil, err
		}
		if ans.Token == "" {
			return nil, errors.New("unikyc: icomply login: answer without a token")
		}
		return &auth.Token{AccessToken: ans.Token, TokenType: "Bearer",
			Expiry: s.Expiry(ans.Token, 0, TokenLifetime)}, nil
	}
}

// loginForm encodes the gettoken body: the endpoint takes only
// multipart/form-data.
func loginForm(username, password string) (providers.RawBody, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range [][2]string{{"Username", username}, {"Password", password}} {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return providers.RawBody{}, err
		}
	}
	if err := w.Close(); err != nil {
		return providers.RawBody{}, err
	}
	return providers.RawBody{ContentType: w.FormDataContentType(), Data: buf.Bytes()}, nil
}

// CheckToken reports whether iComply accepts the token the client holds
// now (GET /api/tokenvalid), in one request: a 401 is iComply's answer
// about that token, so it is neither replaced nor the call replayed, and
// CheckToken returns false, nil. The client logs in first only if it holds
// no token. With an API key it returns ErrNoToken and sends nothing.
func (c *Client) CheckToken(ctx context.Context) (bool, error) {
	if c.apiKey {
		return false, ErrNoToken
	}
	req, err := c.NewRequest(ctx, http.MethodGet, TokenValidPath, nil)
	if err != nil {
		return false, err
	}
	var ans struct {
		IsTokenValid bool `json:"isTokenValid"`
	}
	err = c.Do(providers.TokenInBody(req), "tokenvalid", &ans)
	var pe *providers.Error
	if errors.As(err, &pe) && pe.Operation == "tokenvalid" && pe.StatusCode == http.StatusUnauthorized {
		return false, nil // the check itself was refused, not the login
	}
	if err != nil {
		return false, err
	}
	return ans.IsTokenValid, nil
}
