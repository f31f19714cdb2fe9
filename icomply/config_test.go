package icomply_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// Rule: every credential field is checked in New, and a bad one sends nothing.
func TestNewRejectsBadConfigBeforeSending(t *testing.T) {
	const pw, key = "s3cret-pw", "s3cret-key"
	srv := icomplytest.NewServer()
	defer srv.Close()
	cases := []struct {
		name  string
		cfg   icomply.Config
		field string
	}{
		{"nothing", icomply.Config{BaseURL: srv.URL}, "Username"},
		{"password without username", icomply.Config{BaseURL: srv.URL, Password: pw}, "Username"},
		{"both modes", icomply.Config{BaseURL: srv.URL, Username: "u", APIKey: key}, "APIKey"},
		{"key and password", icomply.Config{BaseURL: srv.URL, Password: pw, APIKey: key}, "APIKey"},
		{"bad header", icomply.Config{BaseURL: srv.URL, APIKey: key, APIKeyHeader: "X Key"}, "APIKeyHeader"},
		{"header with colon", icomply.Config{BaseURL: srv.URL, APIKey: key, APIKeyHeader: "X-Key:"}, "APIKeyHeader"},
		{"base url", icomply.Config{BaseURL: "ftp://x", Username: "u", Password: pw}, "BaseURL"},
		{"empty password", icomply.Config{BaseURL: srv.URL, Username: "u"}, "Password"},
		{"blank username", icomply.Config{BaseURL: srv.URL, Username: " \t", Password: pw}, "Username"},
		{"key with a line break", icomply.Config{BaseURL: srv.URL, APIKey: key + "\r\nX-Evil: 1"}, "APIKey"},
		{"key with NUL", icomply.Config{BaseURL: srv.URL, APIKey: key + "\x00"}, "APIKey"},
		{"key in Host", icomply.Config{BaseURL: srv.URL, APIKey: key, APIKeyHeader: "host"}, "APIKeyHeader"},
		{"key in Content-Length", icomply.Config{BaseURL: srv.URL, APIKey: key, APIKeyHeader: "Content-Length"}, "APIKeyHeader"},
		{"key in Transfer-Encoding", icomply.Config{BaseURL: srv.URL, APIKey: key, APIKeyHeader: "Transfer-Encoding"}, "APIKeyHeader"},
		{"key in Trailer", icomply.Config{BaseURL: srv.URL, APIKey: key, APIKeyHeader: "Trailer"}, "APIKeyHeader"},
		{"key in User-Agent", icomply.Config{BaseURL: srv.URL, APIKey: key, APIKeyHeader: "user-agent"}, "APIKeyHeader"},
		{"base url query", icomply.Config{BaseURL: "https://x/?a=b", APIKey: key}, "BaseURL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := icomply.New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, c)
			var ve *providers.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.ErrorIs(t, err, providers.ErrValidation)
			leakcheck.NoSecrets(t, []string{pw, key}, err)
		})
	}
	assert.Zero(t, srv.Requests(), "a bad config must send nothing")
}

func TestNewDefaults(t *testing.T) {
	c, err := icomply.New(icomply.Config{Username: "u", Password: "p"})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, icomply.DefaultBaseURL, c.BaseURL().String())
	assert.NotNil(t, c.TokenSource(), "username mode logs in through the token cache")

	k, err := icomply.New(icomply.Config{APIKey: "k"})
	require.NoError(t, err)
	defer k.Close()
	assert.Nil(t, k.TokenSource(), "API key mode has no token to cache")

	// A plain-http base URL off loopback is refused by the core.
	_, err = icomply.New(icomply.Config{BaseURL: "http://icomply.example", APIKey: "k"})
	assert.ErrorIs(t, err, auth.ErrInsecureHTTP)
}

func TestConfigAndClientNeverPrintSecrets(t *testing.T) {
	const password, key = "pa55-w0rd-secret", "api-key-secret-123"
	tok := icomply.Config{Username: "user", Password: password}
	k := icomply.Config{APIKey: key, APIKeyHeader: "X-Custom"}
	c1, err := icomply.New(tok)
	require.NoError(t, err)
	defer c1.Close()
	c2, err := icomply.New(k)
	require.NoError(t, err)
	defer c2.Close()
	leakcheck.NoSecrets(t, []string{password, key}, tok, &tok, k, c1, c2, *c1, *c2)
}

func TestErrNoTokenIsDistinct(t *testing.T) {
	assert.False(t, errors.Is(icomply.ErrNoToken, providers.ErrUnauthorized))
}
