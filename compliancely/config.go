package compliancely

import (
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// Base URLs.
const (
	DefaultBaseURL = "https://app1.compliancely.com"
	SandboxBaseURL = "https://sandbox.compliancely.com"
)

// Paths. Every Compliancely path ends in "/", as its endpoint reference
// spells them: Django routes the slash form only, and a POST without it
// is a 404. The guide also names the login path "/api/v2/token/create"
// ([AltLoginPath], with its slash); set Config.LoginPath to use it.
const (
	DefaultLoginPath    = "/api/v2/token/"
	AltLoginPath        = "/api/v2/token/create/"
	DefaultRefreshPath  = "/api/v2/token/refresh/"
	DefaultValidatePath = "/api/v2/token/validate/"
)

// Documented lifetimes and limits.
const (
	AccessLifetime  = time.Hour
	RefreshLifetime = 24 * time.Hour
	// Penalty is how long Compliancely refuses requests after a 429.
	Penalty = 10 * time.Minute
	// RefreshAhead is how long before the access token expires the client
	// refreshes it; jitter of up to half of it makes that 10 to 15 minutes.
	RefreshAhead = 10 * time.Minute
)

// DefaultBudget is Compliancely's limit: 10 requests a minute, logins and
// refreshes included, counted the way Django REST Framework counts (a
// request exactly a minute old still counts; the budget's margin covers
// it).
var DefaultBudget = ratelimit.Budget{Name: "requests", Limit: 10, Window: time.Minute}

// Config is one Compliancely account. Password is an auth.Secret: printing
// or logging a Config never shows it.
type Config struct {
	// BaseURL defaults to DefaultBaseURL; SandboxBaseURL for the sandbox.
	BaseURL  string
	Username string
	Password auth.Secret

	// LoginPath defaults to DefaultLoginPath.
	LoginPath string
	// RefreshPath defaults to DefaultRefreshPath.
	RefreshPath string
	// ValidatePath defaults to DefaultValidatePath.
	ValidatePath string
	// SubmissionsPath is the TIN match route (default
	// DefaultSubmissionsPath, the documented v1 path: inferred to work with
	// a v2 token, see the package doc).
	SubmissionsPath string
	// BulkUploadPath is the bulk TIN upload route (default
	// DefaultBulkUploadPath, inferred from the reference).
	BulkUploadPath string

	// AuthScheme is the Authorization scheme for the access token
	// (default "Bearer", as the v2 reference's examples send it).
	AuthScheme string
}

// withDefaults fills empty fields and checks the rest; it names the
// offending field, never its value.
func (c Config) withDefaults() (Config, error) {
	def := func(s *string, d string) {
		if strings.TrimSpace(*s) == "" {
			*s = d
		}
	}
	def(&c.BaseURL, DefaultBaseURL)
	def(&c.LoginPath, DefaultLoginPath)
	def(&c.RefreshPath, DefaultRefreshPath)
	def(&c.ValidatePath, DefaultValidatePath)
	def(&c.SubmissionsPath, DefaultSubmissionsPath)
	def(&c.BulkUploadPath, DefaultBulkUploadPath)
	def(&c.AuthScheme, "Bearer")
	switch {
	case strings.TrimSpace(c.Username) == "":
		return c, providers.Invalid("Username", "is required")
	case c.Password == "":
		return c, providers.Invalid("Password", "is required")
	}
	if err := auth.CheckScheme(c.AuthScheme); err != nil {
		return c, providers.Invalid("AuthScheme", err.Error())
	}
	for _, p := range []struct{ field, path string }{
		{"LoginPath", c.LoginPath}, {"RefreshPath", c.RefreshPath}, {"ValidatePath", c.ValidatePath},
		{"SubmissionsPath", c.SubmissionsPath}, {"BulkUploadPath", c.BulkUploadPath},
	} {
		if !strings.HasPrefix(p.path, "/") || strings.ContainsAny(p.path, "?#") {
			return c, providers.Invalid(p.field, "must be an absolute path without query or fragment")
		}
	}
	return c, nil
}
