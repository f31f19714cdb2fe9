package genericjwt

import (
	"net/url"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// Name is the provider's short name, used in errors and store keys.
const Name = "genericjwt"

// Default paths of the FastAPI-Users routers.
const (
	DefaultLoginPath = "/auth/jwt/login"
	DefaultMePath    = "/users/me"
)

// Config is one back-office account. Password is an auth.Secret: printing,
// logging or marshalling a Config never shows it.
type Config struct {
	// BaseURL is the back office's origin, e.g. "https://kyc.example.com".
	// Required: there is no default.
	BaseURL string
	// Username is the login given out of band (often an e-mail address).
	Username string
	// Password is the login's password.
	Password auth.Secret
	// LoginPath is the JWT login route (default "/auth/jwt/login").
	LoginPath string
	// MePath is the current-user route Me and CheckAuth call (default
	// "/users/me").
	MePath string
	// TokenLifetime is the lifetime to assume for a token whose JWT has no
	// "exp" claim, when the back office documents one. Zero: such a token
	// is used until it is rejected with a 401. A JWT's own "exp" always
	// wins.
	TokenLifetime time.Duration
}

func (c Config) withDefaults() Config {
	if c.LoginPath == "" {
		c.LoginPath = DefaultLoginPath
	}
	if c.MePath == "" {
		c.MePath = DefaultMePath
	}
	return c
}

// validate checks what Build does not: the credentials and paths. It
// names the field, never its value.
func (c Config) validate() error {
	switch {
	case strings.TrimSpace(c.Username) == "":
		return providers.Invalid("Username", "is required")
	case c.Password == "":
		return providers.Invalid("Password", "is required")
	case c.TokenLifetime < 0:
		return providers.Invalid("TokenLifetime", "must not be negative")
	}
	if err := checkPath("LoginPath", c.LoginPath); err != nil {
		return err
	}
	return checkPath("MePath", c.MePath)
}

// checkPath accepts a path under the base URL, optionally with a query;
// never another host.
func checkPath(field, p string) error {
	u, err := url.Parse(p)
	switch {
	case err != nil:
		return providers.Invalid(field, "is not a valid path")
	case !strings.HasPrefix(p, "/") || u.Scheme != "" || u.Host != "" || u.User != nil:
		return providers.Invalid(field, "must be a path starting with /")
	case u.Fragment != "":
		return providers.Invalid(field, "must not have a fragment")
	}
	return nil
}
