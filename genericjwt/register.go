package genericjwt

import "github.com/unikyc/unikyc/providers"

// init registers the provider as "genericjwt" for providers.Open and
// providers.FromEnv.
func init() {
	providers.Register(Name, providers.NewDriver(New,
		providers.EnvVar{Name: "BASE_URL", Field: "BaseURL", Usage: "the back office's origin, e.g. https://kyc.example.com (required)"},
		providers.EnvVar{Name: "USERNAME", Field: "Username", Usage: "login user name, often an e-mail address (required)"},
		providers.EnvVar{Name: "PASSWORD", Field: "Password", Usage: "login password (required)"},
		providers.EnvVar{Name: "LOGIN_PATH", Field: "LoginPath", Usage: "login route (default " + DefaultLoginPath + ")"},
		providers.EnvVar{Name: "ME_PATH", Field: "MePath", Usage: "current-user route used by CheckAuth (default " + DefaultMePath + ")"},
		providers.EnvVar{Name: "TOKEN_LIFETIME", Field: "TokenLifetime", Usage: "lifetime of a JWT without exp, e.g. 30m (default: until a 401)"},
	))
}
