package kyconnect

import "github.com/unikyc/unikyc/providers"

// init registers the provider as "kyconnect" for providers.Open and
// providers.FromEnv.
func init() {
	providers.Register(Name, providers.NewDriver(New,
		providers.EnvVar{Name: "BASE_URL", Field: "BaseURL", Usage: "API root with its version prefix, e.g. https://kyc.example.com/api/v1 (required)"},
		providers.EnvVar{Name: "EMAIL", Field: "Email", Usage: "login e-mail (or API_KEY)"},
		providers.EnvVar{Name: "PASSWORD", Field: "Password", Usage: "login password"},
		providers.EnvVar{Name: "TOTP_SECRET", Field: "TOTPSecret", Secret: true,
			Usage: "base32 TOTP secret of an account with MFA; codes are computed at each login"},
		providers.EnvVar{Name: "API_KEY", Field: "APIKey", Usage: "machine-to-machine API key, instead of EMAIL and PASSWORD"},
		providers.EnvVar{Name: "API_KEY_HEADER", Field: "APIKeyHeader", Usage: "header carrying API_KEY (default " + DefaultAPIKeyHeader + ", an assumption)"},
	))
}
