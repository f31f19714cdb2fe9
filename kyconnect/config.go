package kyconnect

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// Name is the provider's short name, used in errors, logs and store keys.
const Name = "kyconnect"

// DevelopmentBaseURL is the base URL KYConnect's documentation shows. It
// points at a local development server; production deployments have their
// own, so Config.BaseURL has no default.
const DevelopmentBaseURL = "http://localhost:3000/api/v1"

// DefaultAPIKeyHeader carries the API key when Config.APIKeyHeader is
// empty. (I): KYConnect does not publish the header name.
const DefaultAPIKeyHeader = "X-API-Key"

// AccessTokenLifetime is the documented lifetime of an access token, used
// when neither the login answer nor the JWT says otherwise.
const AccessTokenLifetime = 15 * time.Minute

// Paths, relative to the base URL.
const (
	LoginPath   = "/auth/login"
	RefreshPath = "/auth/refresh"
	MePath      = "/auth/me"
)

// ForgotPasswordPath is the documented route with its own limit.
const ForgotPasswordPath = "/auth/forgot-password"

// Budgets are KYConnect's documented limits, counted as @nestjs/throttler
// counts them (per route and client IP): 100 requests a minute in
// general, 10 logins an hour and 10 password-reset requests an hour. A
// re-login after a revocation leaves at once while the hour's budget
// lasts. The fourth documented limit, 5 individual onboardings per 2 hours
// per email, is keyed by the email in the body: [OnboardingBudget], a
// budget counted per value of the body's "email" (Budget.PerField), which
// every client applies with these. The onboarding route also has
// a scope of its own, "onboarding-route", whose limit is only the general
// one: a 429 on onboarding (one email's quota spent, by another process
// say) then pauses onboarding, for the 2 hours KYConnect's throttler
// blocks, instead of every call of the account.
var Budgets = []ratelimit.Budget{
	{Name: "requests", Limit: 100, Window: time.Minute},
	{Name: "login", Limit: 10, Window: time.Hour, Method: http.MethodPost, Path: LoginPath},
	{Name: "forgot-password", Limit: 10, Window: time.Hour, Method: http.MethodPost, Path: ForgotPasswordPath},
	{Name: "onboarding-route", Limit: 100, Window: time.Minute, Method: http.MethodPost, Path: OnboardIndividualPath,
		Penalty: 2 * time.Hour},
}

// Config is one KYConnect account. Set Email and Password (and MFACode when
// the account has MFA) to log in, or APIKey for machine-to-machine access;
// not both. Secrets are auth.Secret values: printing, logging or marshalling
// a Config never shows them.
type Config struct {
	// BaseURL is the API root including its version prefix, e.g.
	// "https://kyc.example.com/api/v1". Required.
	BaseURL string

	// Email and Password are the user's login.
	Email    string
	Password auth.Secret
	// MFACode returns the current MFA (TOTP) code. It is called once per
	// login (and once more when the login then waited over 15 s to be
	// sent, so the code is not stale); never for refreshes. nil means the
	// account has no MFA. Use TOTP to compute codes from a secret.
	MFACode func(ctx context.Context) (string, error) `json:"-" xml:"-" yaml:"-"`
	// TOTPSecret is the account's base32 TOTP secret (what an
	// authenticator app is given), instead of MFACode: New checks it, and
	// each login computes the current code on the client's clock.
	TOTPSecret auth.Secret

	// APIKey is a static API key; with it no login is made.
	APIKey auth.Secret
	// APIKeyHeader is the header that carries APIKey (default X-API-Key).
	APIKeyHeader string
}

// validate rejects a Config that cannot work, naming the field.
func (c Config) validate() error {
	if strings.TrimSpace(c.BaseURL) == "" {
		return providers.Invalid("BaseURL", "is required (KYConnect publishes no production URL)")
	}
	if c.APIKey != "" {
		switch {
		case c.Email != "" || c.Password != "":
			return providers.Invalid("APIKey", "set either APIKey or Email and Password, not both")
		case c.MFACode != nil:
			return providers.Invalid("MFACode", "applies only to Email and Password logins")
		case c.TOTPSecret != "":
			return providers.Invalid("TOTPSecret", "applies only to Email and Password logins")
		}
		if c.APIKeyHeader != "" {
			if err := auth.CheckHeaderName(c.APIKeyHeader); err != nil {
				return providers.Invalid("APIKeyHeader", err.Error())
			}
		}
		if err := auth.CheckHeaderValue(string(c.APIKey)); err != nil {
			return providers.Invalid("APIKey", err.Error())
		}
		return nil
	}
	switch {
	case c.Email == "" && c.Password == "":
		return providers.Invalid("Email", "set Email and Password, or APIKey")
	case !plausibleEmail(c.Email):
		return providers.Invalid("Email", "must be an email address")
	case c.Password == "":
		return providers.Invalid("Password", "is required")
	case c.TOTPSecret != "" && c.MFACode != nil:
		return providers.Invalid("TOTPSecret", "set either TOTPSecret or MFACode, not both")
	case c.TOTPSecret != "" && !validTOTPSecret(c.TOTPSecret):
		return providers.Invalid("TOTPSecret", "must be a base32 TOTP secret")
	}
	return nil
}

// spec describes the account to providers.Build.
func (c Config) spec() providers.Spec {
	s := providers.Spec{
		Name:        Name,
		BaseURL:     c.BaseURL,
		DecodeError: decodeError,
		Budgets:     append(append([]ratelimit.Budget(nil), Budgets...), OnboardingBudget),
		// NestJS's throttler blocks for its window when it sends no
		// Retry-After (setHeaders: false).
		Penalty: time.Minute,
	}
	if c.APIKey != "" {
		header := c.APIKeyHeader
		if header == "" {
			header = DefaultAPIKeyHeader
		}
		s.Credential = auth.APIKey(header, string(c.APIKey))
		return s
	}
	l := &login{email: c.Email, password: string(c.Password), mfa: c.MFACode}
	s.Account = c.Email
	s.Login = l.login
	s.Refresh = refresh
	return s
}

func plausibleEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n")
}
