package icomply

import "github.com/unikyc/unikyc/providers"

// init registers the provider as "icomply" for providers.Open and
// providers.FromEnv.
func init() {
	providers.Register(Name, providers.NewDriver(New,
		providers.EnvVar{Name: "BASE_URL", Field: "BaseURL", Usage: "API origin (default " + DefaultBaseURL + ")"},
		providers.EnvVar{Name: "USERNAME", Field: "Username", Usage: "login user name (or API_KEY)"},
		providers.EnvVar{Name: "PASSWORD", Field: "Password", Usage: "login password"},
		providers.EnvVar{Name: "API_KEY", Field: "APIKey", Usage: "server-to-server API key, instead of USERNAME and PASSWORD"},
		providers.EnvVar{Name: "API_KEY_HEADER", Field: "APIKeyHeader", Usage: "header carrying API_KEY (default " + DefaultAPIKeyHeader + ", an assumption)"},
	))
}
