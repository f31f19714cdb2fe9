package providers_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// stubConfig has a field of every kind FromEnv parses, and one it needs
// EnvVar.Set for.
type stubConfig struct {
	URL     string
	Token   auth.Secret
	Verbose bool
	Workers int
	Timeout time.Duration
	Hook    func() time.Time
}

type stubClient struct {
	cfg    stubConfig
	closed bool
}

func (c *stubClient) Name() string                    { return "zzstub" }
func (c *stubClient) HTTPClient() *http.Client        { return http.DefaultClient }
func (c *stubClient) CheckAuth(context.Context) error { return nil }
func (c *stubClient) Close() error                    { c.closed = true; return nil }

func newStub(cfg stubConfig, _ ...providers.Option) (*stubClient, error) {
	if cfg.URL == "" {
		return nil, providers.Invalid("URL", "is required (or set Token)")
	}
	return &stubClient{cfg: cfg}, nil
}

// errHookValue is a Set error that is not a *ValidationError.
var errHookValue = errors.New("must be now or never")

func init() {
	providers.Register("zzstub", providers.NewDriver(newStub,
		providers.EnvVar{Name: "URL", Field: "URL"},
		providers.EnvVar{Name: "TOKEN", Field: "Token"},
		providers.EnvVar{Name: "VERBOSE", Field: "Verbose"},
		providers.EnvVar{Name: "WORKERS", Field: "Workers"},
		providers.EnvVar{Name: "TIMEOUT", Field: "Timeout"},
		providers.EnvVar{Name: "HOOK", Field: "Hook", Set: func(cfg any, v string, clk clock.Clock) error {
			if v != "now" {
				return errHookValue
			}
			cfg.(*stubConfig).Hook = clk.Now
			return nil
		}},
	))
}

func stubEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestFromEnvParsesEveryKind(t *testing.T) {
	clk := clock.NewFake(regStart)
	c, err := providers.FromEnvFunc("zzstub", stubEnv(map[string]string{
		"UNIKYC_ZZSTUB_URL":     "  https://x.example  ",
		"UNIKYC_ZZSTUB_TOKEN":   " tok with blanks \n",
		"UNIKYC_ZZSTUB_VERBOSE": "true",
		"UNIKYC_ZZSTUB_WORKERS": "12",
		"UNIKYC_ZZSTUB_TIMEOUT": "90s",
		"UNIKYC_ZZSTUB_HOOK":    "now",
	}), providers.WithClock(clk))
	require.NoError(t, err)
	cfg := c.(*stubClient).cfg
	assert.Equal(t, "https://x.example", cfg.URL, "blanks around a plain value are dropped")
	assert.Equal(t, auth.Secret(" tok with blanks "), cfg.Token, "a secret loses only its line end")
	assert.True(t, cfg.Verbose)
	assert.Equal(t, 12, cfg.Workers)
	assert.Equal(t, 90*time.Second, cfg.Timeout)
	require.NotNil(t, cfg.Hook)
	assert.Equal(t, regStart, cfg.Hook(), "Set gets the client's clock")
}

func TestFromEnvEmptyIsUnset(t *testing.T) {
	getenv := stubEnv(map[string]string{"UNIKYC_ZZSTUB_URL": "u", "UNIKYC_ZZSTUB_WORKERS": "", "UNIKYC_ZZSTUB_TOKEN": "\n"})
	c, err := providers.FromEnvFunc("zzstub", getenv)
	require.NoError(t, err)
	assert.Equal(t, stubConfig{URL: "u"}, c.(*stubClient).cfg)
	assert.True(t, providers.Configured("zzstub", getenv))
	assert.False(t, providers.Configured("zzstub", stubEnv(map[string]string{"UNIKYC_ZZSTUB_TOKEN": "\r\n"})))
}

func TestFromEnvNamesMalformedValues(t *testing.T) {
	for _, tc := range []struct{ name, value, field, reason string }{
		{"VERBOSE", secretValue, "Verbose", "must be true or false"},
		{"WORKERS", secretValue, "Workers", "must be a whole number"},
		{"WORKERS", "99999999999999999999", "Workers", "must be a whole number"},
		{"TIMEOUT", secretValue, "Timeout", "must be a duration such as 90s or 15m"},
		{"TIMEOUT", "15", "Timeout", "must be a duration such as 90s or 15m"},
		{"HOOK", secretValue, "Hook", "must be now or never"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := "UNIKYC_ZZSTUB_" + tc.name
			_, err := providers.FromEnvFunc("zzstub", stubEnv(map[string]string{"UNIKYC_ZZSTUB_URL": "u", v: tc.value}))
			var ee *providers.EnvError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, v, ee.Var)
			assert.Equal(t, "unikyc: "+v+" "+tc.reason, err.Error())
			assert.ErrorIs(t, err, providers.ErrValidation)
			var ve *providers.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			leakcheck.NoSecrets(t, []string{secretValue, "99999999999999999999"}, err)
		})
	}
}

func TestFromEnvBlamesTheVariableOfTheFieldNew(t *testing.T) {
	_, err := providers.FromEnvFunc("zzstub", stubEnv(nil))
	assert.EqualError(t, err, "unikyc: UNIKYC_ZZSTUB_URL is required (or set UNIKYC_ZZSTUB_TOKEN)")
	var ve *providers.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "URL", ve.Field)
}

func TestNewDriverChecksItsTable(t *testing.T) {
	for name, v := range map[string]providers.EnvVar{
		"missing field":    {Name: "X", Field: "Nope"},
		"unexported field": {Name: "X", Field: "cfg"},
		"needs Set":        {Name: "HOOK", Field: "Hook"},
		"lower-case name":  {Name: "url", Field: "URL"},
		"empty name":       {Field: "URL"},
	} {
		assert.Panics(t, func() { providers.NewDriver(newStub, v) }, name)
	}
	assert.Panics(t, func() {
		providers.NewDriver(func(string, ...providers.Option) (*stubClient, error) { return nil, nil })
	}, "a Config that is not a struct")

	d := providers.NewDriver(newStub, providers.EnvVar{Name: "TOKEN", Field: "Token"}, providers.EnvVar{Name: "URL", Field: "URL"})
	vars := d.Env()
	assert.True(t, vars[0].Secret, "auth.Secret fields are secret")
	assert.False(t, vars[1].Secret)
	vars[0].Name = "CHANGED"
	assert.Equal(t, "TOKEN", d.Env()[0].Name, "Env returns a copy")
}

func TestEnvName(t *testing.T) {
	assert.Equal(t, "UNIKYC_KYCONNECT_TOTP_SECRET", providers.EnvName("kyconnect", "TOTP_SECRET"))
}
