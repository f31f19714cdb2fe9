package compliancely

import "github.com/unikyc/unikyc/providers"

// init registers the provider as "compliancely" for providers.Open and
// providers.FromEnv.
func init() {
	providers.Register(Name, providers.NewDriver(New,
		providers.EnvVar{Name: "BASE_URL", Field: "BaseURL", Usage: "API origin (default " + DefaultBaseURL + "; sandbox " + SandboxBaseURL + ")"},
		providers.EnvVar{Name: "USERNAME", Field: "Username", Usage: "login user name (required)"},
		providers.EnvVar{Name: "PASSWORD", Field: "Password", Usage: "login password (required)"},
		providers.EnvVar{Name: "LOGIN_PATH", Field: "LoginPath", Usage: "login route (default " + DefaultLoginPath + "; the guide also names " + AltLoginPath + ")"},
		providers.EnvVar{Name: "REFRESH_PATH", Field: "RefreshPath", Usage: "refresh route (default " + DefaultRefreshPath + ")"},
		providers.EnvVar{Name: "VALIDATE_PATH", Field: "ValidatePath", Usage: "token validation route used by CheckAuth (default " + DefaultValidatePath + ")"},
		providers.EnvVar{Name: "AUTH_SCHEME", Field: "AuthScheme", Usage: "Authorization scheme of the access token (default Bearer)"},
	))
}
