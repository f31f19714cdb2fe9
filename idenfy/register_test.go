package idenfy_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// Rule: iDenfy asks that /api/v2/status not be polled. CheckAuth costs one
// token request whose body iDenfy can only refuse: nothing is created and
// the status endpoint is never called.
func TestCheckAuthIsOneHarmlessRead(t *testing.T) {
	srv, c, _ := setup(t, nil)
	require.NoError(t, c.CheckAuth(ctx(t)))
	assert.Equal(t, 1, srv.Requests())
	assert.Zero(t, srv.Calls(idenfytest.PathStatus), "the status endpoint is not polled")
	assert.Equal(t, 1, srv.Calls(idenfytest.PathKYCToken))
	assert.Equal(t, 1, srv.Rejected(), "refused as invalid: no session created")
	assert.Empty(t, srv.LastBody(idenfytest.PathKYBTokens))
}

func TestCheckAuthAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  func(*idenfytest.Server)
		wantOK bool
		is     error
	}{
		{"400 about the body proves the pair", func(s *idenfytest.Server) {
			s.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodeValidationError, "clientId: required")
		}, true, nil},
		{"400 TOO_MANY_REQUESTS proves nothing", func(s *idenfytest.Server) {
			s.FailNextWith("", 1, http.StatusBadRequest, idenfy.CodeTooManyRequests, "Too many requests.")
		}, false, providers.ErrRateLimited},
		{"401 refuses it", func(s *idenfytest.Server) {
			s.FailNextWith("", 1, http.StatusUnauthorized, idenfy.CodeUnauthorized, "Provided credentials are invalid.")
		}, false, providers.ErrUnauthorized},
		{"5xx proves nothing", func(s *idenfytest.Server) { s.FailNext("", 10, http.StatusServiceUnavailable, nil) }, false, nil},
		{"403: partner inactive or wrong environment", func(s *idenfytest.Server) { s.FailNext("", 1, http.StatusForbidden, nil) }, false, idenfy.ErrPartnerInactive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := setup(t, nil)
			tc.fault(srv)
			err := c.CheckAuth(ctx(t))
			if tc.wantOK {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
}

func TestCheckAuthWithWrongSecret(t *testing.T) {
	srv := idenfytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	env := map[string]string{
		"UNIKYC_IDENFY_BASE_URL":   cfg.BaseURL,
		"UNIKYC_IDENFY_API_KEY":    string(cfg.APIKey),
		"UNIKYC_IDENFY_API_SECRET": "wrong-secret",
	}
	c, err := providers.FromEnvFunc(idenfy.Name, func(k string) string { return env[k] })
	require.NoError(t, err)
	defer c.Close()
	err = c.CheckAuth(ctx(t))
	require.ErrorIs(t, err, providers.ErrUnauthorized)
	leakcheck.NoSecrets(t, []string{"wrong-secret", string(cfg.APIKey), string(cfg.APISecret)}, err, c)
}
