package providers_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	_ "github.com/unikyc/unikyc/providers/all"
)

var regStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// account is one provider account on its fake: its Config, the same as
// variables, and the variable to spoil for a wrong-credentials run.
type account struct {
	label    string
	provider string
	cfg      any
	env      map[string]string
	spoil    string   // variable whose value, changed, is refused
	secrets  []string // values that must never show
	clk      *clock.Fake
}

func (a account) getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// accounts starts a fake of every provider (both modes where a provider
// has two) on one fake clock each.
func accounts(t *testing.T) []account {
	t.Helper()
	var out []account
	add := func(label, provider string, cfg any, spoil string, clk *clock.Fake, extra map[string]string) {
		env := envOf(t, provider, cfg)
		for k, v := range extra {
			env[providers.EnvName(provider, k)] = v
		}
		var secrets []string
		vars, err := providers.EnvVars(provider)
		require.NoError(t, err)
		for _, v := range vars {
			if s := env[providers.EnvName(provider, v.Name)]; v.Secret && s != "" {
				secrets = append(secrets, s)
			}
		}
		out = append(out, account{label, provider, cfg, env, providers.EnvName(provider, spoil), secrets, clk})
	}

	clk := clock.NewFake(regStart)
	g := genericjwttest.NewServer(genericjwttest.WithClock(clk))
	t.Cleanup(g.Close)
	add("genericjwt", genericjwt.Name, g.Config(), "PASSWORD", clk, nil)

	clk = clock.NewFake(regStart)
	ic := icomplytest.NewServer(icomplytest.WithClock(clk))
	t.Cleanup(ic.Close)
	add("icomply", icomply.Name, ic.Config(), "PASSWORD", clk, nil)
	add("icomply api key", icomply.Name, ic.APIKeyConfig(), "API_KEY", clk, nil)

	clk = clock.NewFake(regStart)
	id := idenfytest.NewServer(idenfytest.WithClock(clk))
	t.Cleanup(id.Close)
	add("idenfy", idenfy.Name, id.Config(), "API_SECRET", clk, nil)

	clk = clock.NewFake(regStart)
	co := compliancelytest.NewServer(compliancelytest.WithClock(clk))
	t.Cleanup(co.Close)
	add("compliancely", "compliancely", co.Config(), "PASSWORD", clk, nil)

	clk = clock.NewFake(regStart)
	ky := kyconnecttest.NewServer(kyconnecttest.WithClock(clk), kyconnecttest.WithMFA(""))
	t.Cleanup(ky.Close)
	cfg := ky.Config()
	add("kyconnect mfa", kyconnect.Name, cfg, "TOTP_SECRET", clk, map[string]string{"TOTP_SECRET": string(ky.TOTPSecret())})
	add("kyconnect api key", kyconnect.Name, ky.APIKeyConfig(), "API_KEY", clk, nil)
	return out
}

// envOf writes cfg as the provider's variables, through the driver's own
// table: the inverse of FromEnv, so a variable mapped onto the wrong field
// fails the round trip.
func envOf(t *testing.T, provider string, cfg any) map[string]string {
	t.Helper()
	vars, err := providers.EnvVars(provider)
	require.NoError(t, err)
	rv := reflect.ValueOf(cfg)
	env := map[string]string{}
	for _, v := range vars {
		f := rv.FieldByName(v.Field)
		require.True(t, f.IsValid(), "%s: no field %s", provider, v.Field)
		var s string
		switch {
		case f.Type() == reflect.TypeFor[time.Duration]():
			if d := f.Interface().(time.Duration); d != 0 {
				s = d.String()
			}
		case f.Kind() == reflect.String:
			s = f.String()
		}
		if s != "" {
			env[providers.EnvName(provider, v.Name)] = s
		}
	}
	return env
}

// drive runs fn while moving the fake clock from timer to timer (the
// providers' documented throttles), until fn returns.
func drive(clk *clock.Fake, fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	for clk.WaitForTimers(1, done) {
		if next, ok := clk.NextTimer(); ok && next.After(clk.Now()) {
			clk.Set(next)
		}
	}
}

func checkAuth(clk *clock.Fake, c providers.Client) error {
	var err error
	drive(clk, func() { err = c.CheckAuth(context.Background()) })
	return err
}

func TestDriversListsEveryProvider(t *testing.T) {
	got := providers.Drivers()
	for _, p := range []string{"compliancely", "genericjwt", "icomply", "idenfy", "kyconnect"} {
		assert.Contains(t, got, p)
	}
	assert.IsIncreasing(t, got)
}

func TestEveryProviderOpensFromConfig(t *testing.T) {
	for _, a := range accounts(t) {
		t.Run(a.label, func(t *testing.T) {
			c, err := providers.Open(a.provider, a.cfg, providers.WithClock(a.clk))
			require.NoError(t, err)
			defer c.Close()
			assert.Equal(t, a.provider, c.Name())
			assert.NotNil(t, c.HTTPClient())
			require.NoError(t, checkAuth(a.clk, c))

			// A pointer to the Config works too, and the concrete type is
			// the provider's own client.
			p := reflect.New(reflect.TypeOf(a.cfg))
			p.Elem().Set(reflect.ValueOf(a.cfg))
			c2, err := providers.Open(strings.ToUpper(a.provider), p.Interface(), providers.WithClock(a.clk))
			require.NoError(t, err)
			defer c2.Close()
			assert.Contains(t, fmt.Sprintf("%T", c2), a.provider+".Client")
		})
	}
}

func TestEveryProviderOpensFromEnv(t *testing.T) {
	for _, a := range accounts(t) {
		t.Run(a.label, func(t *testing.T) {
			assert.True(t, providers.Configured(a.provider, a.getenv(a.env)))
			c, err := providers.FromEnvFunc(a.provider, a.getenv(a.env), providers.WithClock(a.clk))
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, checkAuth(a.clk, c))
			leakcheck.NoSecrets(t, a.secrets, c)
		})
	}
}

func TestFromEnvWithWrongCredentialsFailsCheckAuth(t *testing.T) {
	for _, a := range accounts(t) {
		t.Run(a.label, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range a.env {
				env[k] = v
			}
			if strings.HasSuffix(a.spoil, "TOTP_SECRET") {
				env[a.spoil] = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // base32, another account's
			} else {
				env[a.spoil] = "wrong-" + env[a.spoil]
			}
			c, err := providers.FromEnvFunc(a.provider, a.getenv(env), providers.WithClock(a.clk))
			require.NoError(t, err)
			defer c.Close()
			err = checkAuth(a.clk, c)
			require.Error(t, err)
			assert.True(t, errors.Is(err, providers.ErrInvalidCredentials) || errors.Is(err, providers.ErrUnauthorized) ||
				errors.Is(err, kyconnect.ErrInvalidMFACode), "got %v", err)
			leakcheck.NoSecrets(t, append(a.secrets, env[a.spoil]), err, c)
		})
	}
}

// secretValue is set in bad settings to check that no error shows it.
const secretValue = "s3cr3t-Value-42"

func TestFromEnvNamesEveryBadSetting(t *testing.T) {
	loop := "http://127.0.0.1:1"
	cases := []struct {
		provider string
		env      map[string]string // short names
		want     string            // short name of the variable blamed
		reason   string
	}{
		{"genericjwt", map[string]string{"BASE_URL": loop, "PASSWORD": secretValue}, "USERNAME", "is required"},
		{"genericjwt", map[string]string{"BASE_URL": loop, "USERNAME": "u"}, "PASSWORD", "is required"},
		{"genericjwt", map[string]string{"USERNAME": "u", "PASSWORD": secretValue}, "BASE_URL", "is required"},
		{"genericjwt", map[string]string{"BASE_URL": "ftp://kyc.example.com", "USERNAME": "u", "PASSWORD": secretValue}, "BASE_URL", "https"},
		{"genericjwt", map[string]string{"BASE_URL": "http://kyc.example.com", "USERNAME": "u", "PASSWORD": secretValue}, "BASE_URL", "https"},
		{"genericjwt", map[string]string{"BASE_URL": loop, "USERNAME": "u", "PASSWORD": secretValue, "TOKEN_LIFETIME": "soon"}, "TOKEN_LIFETIME", "duration"},
		{"genericjwt", map[string]string{"BASE_URL": loop, "USERNAME": "u", "PASSWORD": secretValue, "TOKEN_LIFETIME": "-5m"}, "TOKEN_LIFETIME", "negative"},
		{"genericjwt", map[string]string{"BASE_URL": loop, "USERNAME": "u", "PASSWORD": secretValue, "LOGIN_PATH": "login"}, "LOGIN_PATH", "/"},
		{"genericjwt", map[string]string{"BASE_URL": loop, "USERNAME": "u", "PASSWORD": secretValue, "ME_PATH": "/me#x"}, "ME_PATH", "fragment"},
		{"icomply", nil, "USERNAME", "UNIKYC_ICOMPLY_API_KEY"},
		{"icomply", map[string]string{"API_KEY": secretValue, "USERNAME": "u"}, "API_KEY", "UNIKYC_ICOMPLY_USERNAME"},
		{"icomply", map[string]string{"API_KEY": secretValue, "API_KEY_HEADER": "X Key"}, "API_KEY_HEADER", "header"},
		{"icomply", map[string]string{"BASE_URL": "https://", "USERNAME": "u", "PASSWORD": secretValue}, "BASE_URL", "host"},
		{"idenfy", nil, "API_KEY", "is required"},
		{"idenfy", map[string]string{"API_KEY": "k"}, "API_SECRET", "is required"},
		{"idenfy", map[string]string{"API_KEY": "k:" + secretValue, "API_SECRET": "s"}, "API_KEY", "colon"},
		{"idenfy", map[string]string{"API_KEY": "k", "API_SECRET": "s", "BASE_URL": "https://ivs.idenfy.com/?x=1"}, "BASE_URL", "query"},
		{"compliancely", nil, "USERNAME", "is required"},
		{"compliancely", map[string]string{"USERNAME": "u", "PASSWORD": secretValue, "BASE_URL": "https://app1.compliancely.com#x"}, "BASE_URL", "fragment"},
		{"compliancely", map[string]string{"USERNAME": "u"}, "PASSWORD", "is required"},
		{"compliancely", map[string]string{"USERNAME": "u", "PASSWORD": secretValue, "LOGIN_PATH": "token"}, "LOGIN_PATH", "absolute path"},
		{"compliancely", map[string]string{"USERNAME": "u", "PASSWORD": secretValue, "REFRESH_PATH": "/r?x"}, "REFRESH_PATH", "absolute path"},
		{"compliancely", map[string]string{"USERNAME": "u", "PASSWORD": secretValue, "VALIDATE_PATH": "v"}, "VALIDATE_PATH", "absolute path"},
		{"kyconnect", nil, "BASE_URL", "is required"},
		{"kyconnect", map[string]string{"BASE_URL": loop}, "EMAIL", "UNIKYC_KYCONNECT_API_KEY"},
		{"kyconnect", map[string]string{"BASE_URL": loop, "EMAIL": "not-an-address", "PASSWORD": secretValue}, "EMAIL", "email"},
		{"kyconnect", map[string]string{"BASE_URL": loop, "EMAIL": "a@b.c"}, "PASSWORD", "is required"},
		{"kyconnect", map[string]string{"BASE_URL": loop, "EMAIL": "a@b.c", "PASSWORD": "p", "TOTP_SECRET": secretValue + "!"}, "TOTP_SECRET", "base32"},
		{"kyconnect", map[string]string{"BASE_URL": loop, "API_KEY": secretValue, "EMAIL": "a@b.c"}, "API_KEY", "UNIKYC_KYCONNECT_EMAIL"},
		{"kyconnect", map[string]string{"BASE_URL": loop, "API_KEY": secretValue, "TOTP_SECRET": "JBSWY3DPEHPK3PXP"}, "TOTP_SECRET", "UNIKYC_KYCONNECT_PASSWORD"},
		{"kyconnect", map[string]string{"BASE_URL": loop, "API_KEY": secretValue, "API_KEY_HEADER": "X:Key"}, "API_KEY_HEADER", "header"},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		want := providers.EnvName(tc.provider, tc.want)
		covered[want] = true
		t.Run(want+"/"+tc.reason, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[providers.EnvName(tc.provider, k)] = v
			}
			c, err := providers.FromEnvFunc(tc.provider, func(k string) string { return env[k] })
			require.Error(t, err)
			require.Nil(t, c)
			var ee *providers.EnvError
			require.ErrorAs(t, err, &ee, "%v", err)
			assert.Equal(t, want, ee.Var)
			assert.Contains(t, err.Error(), want)
			assert.Contains(t, err.Error(), tc.reason)
			leakcheck.NoSecrets(t, []string{secretValue}, err)
		})
	}
	// Every variable that can be wrong on its own is covered above; the
	// rest (plain names, AUTH_SCHEME) accept any value.
	for _, p := range []string{"genericjwt", "icomply", "idenfy", "compliancely", "kyconnect"} {
		vars, err := providers.EnvVars(p)
		require.NoError(t, err)
		for _, v := range vars {
			name := providers.EnvName(p, v.Name)
			if !covered[name] && !v.Secret && v.Name != "AUTH_SCHEME" {
				t.Errorf("no bad-setting case blames %s", name)
			}
		}
	}
}

func TestOpenRefusesUnknownNamesAndWrongConfigs(t *testing.T) {
	_, err := providers.Open("onfido", idenfy.Config{})
	var ue *providers.UnknownProviderError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "onfido", ue.Name)
	assert.Contains(t, err.Error(), "compliancely, genericjwt, icomply, idenfy, kyconnect")
	assert.Contains(t, err.Error(), "providers/all")

	_, err = providers.FromEnvFunc("onfido", func(string) string { return "" })
	require.ErrorAs(t, err, &ue)
	_, err = providers.EnvVars("onfido")
	require.ErrorAs(t, err, &ue)
	assert.False(t, providers.Configured("onfido", func(string) string { return "x" }))

	for _, cfg := range []any{
		icomply.Config{APIKey: auth.Secret(secretValue)},
		&icomply.Config{APIKey: auth.Secret(secretValue)},
		nil,
		(*idenfy.Config)(nil),
		"idenfy://key:secret@",
	} {
		_, err := providers.Open("idenfy", cfg)
		var te *providers.ConfigTypeError
		require.ErrorAs(t, err, &te, "%T", cfg)
		assert.Equal(t, "idenfy", te.Provider)
		assert.Equal(t, "idenfy.Config", te.Want)
		assert.Contains(t, err.Error(), "idenfy.Config")
		leakcheck.NoSecrets(t, []string{secretValue, "key:secret"}, err)
	}

	// A bad Config given directly is the provider's own validation error.
	_, err = providers.Open("idenfy", idenfy.Config{APIKey: "k"})
	var ve *providers.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "APISecret", ve.Field)
}

func TestRegisterPanicsOnMisuse(t *testing.T) {
	d := providers.NewDriver(idenfy.New)
	assert.PanicsWithValue(t, "unikyc: Register called twice for provider idenfy", func() { providers.Register("idenfy", d) })
	assert.Panics(t, func() { providers.Register("zz", nil) })
	assert.Panics(t, func() { providers.Register("Bad-Name", d) })
	assert.Panics(t, func() { providers.Register("", d) })
	assert.NotContains(t, providers.Drivers(), "Bad-Name")
}

// ExampleOpen picks a provider by name; the Config decides the account.
func ExampleOpen() {
	srv := idenfytest.NewServer()
	defer srv.Close()

	c, err := providers.Open("idenfy", srv.Config())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(c.Name(), c.CheckAuth(context.Background()))

	_, err = providers.Open("idenfy", icomply.Config{})
	fmt.Println(err)
	// Output:
	// idenfy <nil>
	// unikyc: idenfy: Open wants idenfy.Config or *idenfy.Config, got icomply.Config
}

// ExampleFromEnvFunc configures a provider from UNIKYC_<PROVIDER>_*
// variables. FromEnv reads the process environment the same way.
func ExampleFromEnvFunc() {
	srv := idenfytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	env := map[string]string{
		"UNIKYC_IDENFY_BASE_URL":   cfg.BaseURL,
		"UNIKYC_IDENFY_API_KEY":    string(cfg.APIKey),
		"UNIKYC_IDENFY_API_SECRET": string(cfg.APISecret),
	}
	c, err := providers.FromEnvFunc("idenfy", func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(c.CheckAuth(context.Background()))

	delete(env, "UNIKYC_IDENFY_API_SECRET")
	_, err = providers.FromEnvFunc("idenfy", func(k string) string { return env[k] })
	fmt.Println(err)
	// Output:
	// <nil>
	// unikyc: UNIKYC_IDENFY_API_SECRET is required
}
