package idenfy

import "github.com/unikyc/unikyc/providers"

// init registers the provider as "idenfy" for providers.Open and
// providers.FromEnv.
func init() {
	providers.Register(Name, providers.NewDriver(New,
		providers.EnvVar{Name: "BASE_URL", Field: "BaseURL", Usage: "API origin (default " + DefaultBaseURL + ", sandbox and live)"},
		providers.EnvVar{Name: "API_KEY", Field: "APIKey", Usage: "API key, the Basic auth user name (required)"},
		providers.EnvVar{Name: "API_SECRET", Field: "APISecret", Usage: "API secret, the Basic auth password (required)"},
	))
}
