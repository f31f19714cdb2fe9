package genericjwt_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

func TestNewRejectsBadConfigBeforeSending(t *testing.T) {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	good := srv.Config()

	for _, tc := range []struct {
		field string
		edit  func(*genericjwt.Config)
	}{
		{"Username", func(c *genericjwt.Config) { c.Username = "" }},
		{"Username", func(c *genericjwt.Config) { c.Username = "  " }},
		{"Password", func(c *genericjwt.Config) { c.Password = "" }},
		{"BaseURL", func(c *genericjwt.Config) { c.BaseURL = "" }},
		{"BaseURL", func(c *genericjwt.Config) { c.BaseURL = "ftp://kyc.example.com" }},
		{"BaseURL", func(c *genericjwt.Config) { c.BaseURL = "https://kyc.example.com/?x=1" }},
		{"TokenLifetime", func(c *genericjwt.Config) { c.TokenLifetime = -1 }},
		{"LoginPath", func(c *genericjwt.Config) { c.LoginPath = "https://elsewhere.example/login" }},
		{"LoginPath", func(c *genericjwt.Config) { c.LoginPath = "//elsewhere.example/login" }},
		{"MePath", func(c *genericjwt.Config) { c.MePath = "users/me" }},
		{"MePath", func(c *genericjwt.Config) { c.MePath = "/users/me#x" }},
	} {
		cfg := good
		tc.edit(&cfg)
		c, err := genericjwt.New(cfg)
		require.Error(t, err, tc.field)
		assert.Nil(t, c)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, tc.field)
		assert.Equal(t, tc.field, ve.Field)
		assert.ErrorIs(t, err, providers.ErrValidation)
		leakcheck.NoSecrets(t, []string{genericjwttest.DefaultPassword}, err)
	}
	assert.Zero(t, srv.Requests(), "a bad config must send nothing")
}

func TestNewRefusesPlainHTTPToRemoteHost(t *testing.T) {
	cfg := genericjwt.Config{BaseURL: "http://kyc.example.com", Username: "u", Password: "p"}
	_, err := genericjwt.New(cfg)
	require.ErrorIs(t, err, auth.ErrInsecureHTTP)

	c, err := genericjwt.New(cfg, providers.AllowInsecureHTTP())
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func TestNewSendsNothing(t *testing.T) {
	_, srv, c := setup(t, nil)
	assert.Zero(t, srv.Requests())
	assert.NotNil(t, c.TokenSource(), "a login provider has a token cache")
	assert.Equal(t, srv.URL, c.BaseURL().String())
	assert.Equal(t, genericjwt.Name, c.Name())
}

func TestDefaultPaths(t *testing.T) {
	_, srv, _ := setup(t, nil)
	cfg := srv.Config()
	cfg.LoginPath, cfg.MePath = "", ""
	c := newClient(t, cfg)
	u, err := c.Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, genericjwttest.DefaultUsername, u.Email)
	assert.Equal(t, 1, srv.Calls(genericjwt.DefaultLoginPath))
	assert.Equal(t, 1, srv.Calls(genericjwt.DefaultMePath))
}

func TestConfiguredPaths(t *testing.T) {
	_, srv, c := setup(t, []genericjwttest.Option{
		genericjwttest.WithLoginPath("/api/auth/token"),
		genericjwttest.WithMePath("/api/v2/whoami"),
	})
	require.NoError(t, c.CheckAuth(context.Background()))
	assert.Equal(t, 1, srv.Calls("/api/auth/token"))
	assert.Equal(t, 1, srv.Calls("/api/v2/whoami"))
	assert.Zero(t, srv.Calls(genericjwt.DefaultLoginPath))

	// The defaults hit routes this back office does not have.
	cfg := srv.Config()
	cfg.LoginPath = ""
	err := newClient(t, cfg).CheckAuth(context.Background())
	require.ErrorIs(t, err, providers.ErrNotFound)
	var pe *providers.Error
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "login", pe.Operation)
}
