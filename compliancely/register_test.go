package compliancely_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// CheckAuth is a login and a validate: two of the ten requests a minute,
// sent at once (a burst inside the budget).
func TestCheckAuthLogsInAndValidates(t *testing.T) {
	e := setup(t, nil)
	require.NoError(t, e.call(e.c.CheckAuth))
	assert.Equal(t, 1, e.srv.Logins())
	assert.Equal(t, 1, e.srv.Calls(compliancely.DefaultValidatePath))
	assert.Equal(t, 2, e.srv.Requests())
	assert.Equal(t, start, e.clk.Now(), "nothing waited")
}

func TestCheckAuthRefusals(t *testing.T) {
	e := setup(t, nil)
	e.srv.SetPassword(compliancelytest.Username, "changed")
	err := e.call(e.c.CheckAuth)
	require.ErrorIs(t, err, providers.ErrInvalidCredentials)
	leakcheck.NoSecrets(t, []string{compliancelytest.Password, "changed"}, err)

	// A token the provider no longer accepts is replaced (refreshed) and
	// checked again: the credentials are good.
	v := setup(t, nil)
	require.NoError(t, v.call(v.c.CheckAuth))
	v.srv.RevokeAccessTokens()
	require.NoError(t, v.call(v.c.CheckAuth))
	assert.Equal(t, 1, v.srv.Refreshes())
	assert.Equal(t, 3, v.srv.Calls(compliancely.DefaultValidatePath))

	// A provider that calls every token invalid is reported (4 faults: the
	// transport replays each 401 once with a new token).
	w := setup(t, nil)
	w.srv.FailNext(compliancely.DefaultValidatePath, 4, 401, []byte(`{"detail":"Token is invalid","code":"token_not_valid"}`))
	err = w.call(w.c.CheckAuth)
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	assert.Contains(t, err.Error(), "validate says a new token is invalid")
}

func TestFromEnvReadsThePaths(t *testing.T) {
	e := setup(t, nil)
	cfg := e.srv.Config()
	env := map[string]string{
		"UNIKYC_COMPLIANCELY_BASE_URL":      cfg.BaseURL,
		"UNIKYC_COMPLIANCELY_USERNAME":      cfg.Username,
		"UNIKYC_COMPLIANCELY_PASSWORD":      string(cfg.Password),
		"UNIKYC_COMPLIANCELY_LOGIN_PATH":    compliancely.AltLoginPath,
		"UNIKYC_COMPLIANCELY_VALIDATE_PATH": compliancely.DefaultValidatePath,
		"UNIKYC_COMPLIANCELY_REFRESH_PATH":  compliancely.DefaultRefreshPath,
		"UNIKYC_COMPLIANCELY_AUTH_SCHEME":   "Bearer",
	}
	c, err := providers.FromEnvFunc(compliancely.Name, func(k string) string { return env[k] },
		providers.WithClock(e.clk), providers.WithLimiter(nil))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, e.call(c.CheckAuth))
	assert.Equal(t, 1, e.srv.Calls(compliancely.AltLoginPath))
	assert.Equal(t, 0, e.srv.Calls(compliancely.DefaultLoginPath))
}
