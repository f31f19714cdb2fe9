package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

func TestMain(m *testing.M) {
	// No test reads or writes the user's real cache: the default token
	// file goes to a directory of the run's own, or one of a test's.
	dir, err := os.MkdirTemp("", "unikyc-cli-test-")
	if err != nil {
		panic(err)
	}
	userCacheDir = func() (string, error) { return dir, nil }
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// ownCache gives the test a token cache directory of its own.
func ownCache(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	old := userCacheDir
	userCacheDir = func() (string, error) { return dir, nil }
	t.Cleanup(func() { userCacheDir = old })
	return dir
}

// result is one invocation of the tool.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) all() string { return r.stdout + r.stderr }

func cli(env map[string]string, stdin string, args ...string) result {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

// noLeak fails when any secret shows in the tool's output.
func noLeak(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" {
			assert.NotContains(t, r.all(), s)
		}
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"check", "--help"}, {"token", "-h"}, {"env", "--help"},
		{"idenfy", "--help"}, {"idenfy", "kyb-token", "--help"}, {"webhook", "--help"}, {"webhook", "verify", "--help"},
		{"fakes", "--help"}, {"routes", "--help"},
	} {
		r := cli(nil, "", args...)
		assert.Equal(t, exitOK, r.code, "%v", args)
		assert.Equal(t, 1, strings.Count(r.stdout, "Usage"), "%v: usage once: %s", args, r.stdout)
		assert.Empty(t, r.stderr, "%v: help goes to stdout only", args)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := cli(nil, "", args...)
		assert.Equal(t, exitOK, r.code)
		assert.Equal(t, "unikyc "+providers.Version+"\n", r.stdout)
	}
	r := cli(nil, "", "--help")
	assert.Contains(t, r.stdout, "0 ok, 1 failure")
	for _, c := range commands {
		assert.Contains(t, r.stdout, "unikyc "+c.name)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"check"}, "want one provider"},
		{[]string{"check", "a", "b"}, "want one provider"},
		{[]string{"check", "--bogus", "idenfy"}, "unikyc check: unknown flag --bogus"},
		{[]string{"token", "genericjwt", "--timeout", "soon"}, `unikyc token: invalid value "soon" for flag --timeout`},
		{[]string{"idenfy", "kyb-token", "--lifetime"}, "unikyc idenfy kyb-token: flag needs an argument: --lifetime"},
		{[]string{"check", "onfido"}, "compliancely, genericjwt, icomply, idenfy, kyconnect"},
		{[]string{"check", "idenfy"}, "UNIKYC_IDENFY_API_KEY is required"},
		{[]string{"token", "genericjwt"}, "UNIKYC_GENERICJWT_USERNAME is required"},
		{[]string{"env", "onfido"}, "unknown provider"},
		{[]string{"idenfy"}, "kyb-token"},
		{[]string{"webhook", "sign"}, "verify"},
	} {
		r := cli(nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.all())
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
	}
}

func genericJWTEnv(srv *genericjwttest.Server) map[string]string {
	cfg := srv.Config()
	return map[string]string{
		"UNIKYC_GENERICJWT_BASE_URL": cfg.BaseURL,
		"UNIKYC_GENERICJWT_USERNAME": cfg.Username,
		"UNIKYC_GENERICJWT_PASSWORD": string(cfg.Password),
	}
}

func idenfyEnv(srv *idenfytest.Server) map[string]string {
	cfg := srv.Config()
	return map[string]string{
		"UNIKYC_IDENFY_BASE_URL":   cfg.BaseURL,
		"UNIKYC_IDENFY_API_KEY":    string(cfg.APIKey),
		"UNIKYC_IDENFY_API_SECRET": string(cfg.APISecret),
	}
}

func TestCheckEveryProvider(t *testing.T) {
	// Compliancely paces at one request every 6 s; the test lifts it.
	clientOptions = []providers.Option{providers.WithLimiter(nil)}
	defer func() { clientOptions = nil }()

	g := genericjwttest.NewServer()
	defer g.Close()
	ic := icomplytest.NewServer()
	defer ic.Close()
	id := idenfytest.NewServer()
	defer id.Close()
	co := compliancelytest.NewServer()
	defer co.Close()
	ky := kyconnecttest.NewServer(kyconnecttest.WithMFA(""))
	defer ky.Close()

	icCfg, coCfg := ic.APIKeyConfig(), co.Config()
	for _, tc := range []struct {
		provider string
		env      map[string]string
		spoil    string
		want     []string
	}{
		{"genericjwt", genericJWTEnv(g), "UNIKYC_GENERICJWT_PASSWORD", []string{`token expires: 20\S+ \(in (59m5\ds|1h0m0s)\)`}},
		{"icomply", map[string]string{"UNIKYC_ICOMPLY_BASE_URL": icCfg.BaseURL, "UNIKYC_ICOMPLY_API_KEY": string(icCfg.APIKey)},
			"UNIKYC_ICOMPLY_API_KEY", []string{`static credentials`}},
		{"idenfy", idenfyEnv(id), "UNIKYC_IDENFY_API_SECRET", []string{`static credentials`}},
		{"compliancely", map[string]string{"UNIKYC_COMPLIANCELY_BASE_URL": coCfg.BaseURL,
			"UNIKYC_COMPLIANCELY_USERNAME": coCfg.Username, "UNIKYC_COMPLIANCELY_PASSWORD": string(coCfg.Password)},
			"UNIKYC_COMPLIANCELY_PASSWORD", []string{`token expires: 20\S+ \(in (59m5\ds|1h0m0s)\)`, `refresh token expires: 20\S+ \(in (23h59m5\ds|24h0m0s)\)`}},
		{"kyconnect", map[string]string{"UNIKYC_KYCONNECT_BASE_URL": ky.BaseURL(), "UNIKYC_KYCONNECT_EMAIL": ky.Email(),
			"UNIKYC_KYCONNECT_PASSWORD": string(ky.Password()), "UNIKYC_KYCONNECT_TOTP_SECRET": string(ky.TOTPSecret())},
			"UNIKYC_KYCONNECT_PASSWORD", []string{`token expires: 20\S+ \(in (14m5\ds|15m0s)\)`, `refresh token expires: 20`}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			var secrets []string
			for k, v := range tc.env {
				if !strings.HasSuffix(k, "BASE_URL") && !strings.HasSuffix(k, "USERNAME") && !strings.HasSuffix(k, "EMAIL") {
					secrets = append(secrets, v)
				}
			}
			r := cli(tc.env, "", "check", tc.provider)
			require.Equal(t, exitOK, r.code, r.all())
			assert.Contains(t, r.stdout, tc.provider+": credentials accepted by 127.0.0.1:")
			for _, w := range tc.want {
				assert.Regexp(t, w, r.stdout)
			}
			noLeak(t, r, secrets...)

			bad := map[string]string{}
			for k, v := range tc.env {
				bad[k] = v
			}
			bad[tc.spoil] = "wrong-" + bad[tc.spoil]
			r = cli(bad, "", "check", "--no-cache", "--timeout", "10s", tc.provider)
			assert.Equal(t, exitFailure, r.code, r.all())
			assert.Contains(t, r.stderr, "unikyc check "+tc.provider+": ")
			noLeak(t, r, append(secrets, bad[tc.spoil])...)
		})
	}
}

func TestTokenShowsClaimsNotTheToken(t *testing.T) {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	env := genericJWTEnv(srv)

	r := cli(env, "", "token", "genericjwt")
	require.Equal(t, exitOK, r.code, r.all())
	for _, want := range []string{"provider: genericjwt", "type: Bearer", "token expires: ", "claims (unverified):", "  exp: ", "  sub: "} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, "access token:")
	noLeak(t, r, env["UNIKYC_GENERICJWT_PASSWORD"])
	assert.NotRegexp(t, `eyJ[A-Za-z0-9_-]+\.`, r.stdout, "no JWT in the output")

	r = cli(env, "", "token", "genericjwt", "--show-secret")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Regexp(t, `access token: eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n`, r.stdout)

	id := idenfytest.NewServer()
	defer id.Close()
	r = cli(idenfyEnv(id), "", "token", "idenfy")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "static credentials")
	assert.Equal(t, 0, id.Requests())
}

func TestEnvListsVariablesNeverValues(t *testing.T) {
	r := cli(map[string]string{"UNIKYC_IDENFY_API_KEY": "key-value-1"}, "", "env")
	require.Equal(t, exitOK, r.code)
	for _, p := range providers.Drivers() {
		vars, err := providers.EnvVars(p)
		require.NoError(t, err)
		for _, v := range vars {
			assert.Contains(t, r.stdout, providers.EnvName(p, v.Name))
		}
	}
	assert.Regexp(t, `UNIKYC_IDENFY_API_KEY +yes +yes`, r.stdout)
	assert.Regexp(t, `UNIKYC_IDENFY_API_SECRET +- +yes`, r.stdout)
	assert.Regexp(t, `UNIKYC_IDENFY_WEBHOOK_KEY +- +yes`, r.stdout)
	assert.Regexp(t, `UNIKYC_TOKEN_STORE +- +-`, r.stdout)
	assert.Regexp(t, `UNIKYC_TOKEN_KEY +- +yes`, r.stdout)
	noLeak(t, r, "key-value-1")
	r = cli(nil, "", "env", "idenfy")
	assert.Contains(t, r.stdout, "UNIKYC_IDENFY_WEBHOOK_KEY")
}

// Rule: with --cache, runs after the first take the token from the file:
// check and token make no login.
func TestCacheFileSharesTheLoginBetweenRuns(t *testing.T) {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	env := genericJWTEnv(srv)
	env["UNIKYC_TOKEN_KEY"] = strings.Repeat("5a", 32)
	file := filepath.Join(t.TempDir(), "tokens")
	for _, cmd := range []string{"check", "token", "check"} {
		r := cli(env, "", cmd, "genericjwt", "--cache", file)
		require.Equal(t, exitOK, r.code, r.all())
		noLeak(t, r, string(srv.Config().Password))
	}
	assert.Equal(t, 1, srv.Logins(), "one login for three runs")
	env["UNIKYC_TOKEN_STORE"] = file // the default of --cache
	r := cli(env, "", "check", "genericjwt")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Equal(t, 1, srv.Logins())

	env["UNIKYC_TOKEN_KEY"] = "short"
	r = cli(env, "", "check", "genericjwt")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "32 bytes")
	noLeak(t, r, "short")
}

// Rule: a check that waits on a throttle says so, once, instead of looking
// hung.
func TestCheckSaysWhenItWaits(t *testing.T) {
	defer func(d time.Duration) { throttleNotice = d }(throttleNotice)
	throttleNotice = 20 * time.Millisecond
	srv := genericjwttest.NewServer()
	defer srv.Close()
	srv.DelayNext(srv.Config().LoginPath, 1, 200*time.Millisecond)
	r := cli(genericJWTEnv(srv), "", "check", "genericjwt")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Equal(t, 1, strings.Count(r.stderr, "waiting: the provider's rate limit"), r.stderr)
	r = cli(genericJWTEnv(srv), "", "check", "genericjwt")
	assert.NotContains(t, r.stderr, "waiting", "a quick answer says nothing")
}

func TestKYBToken(t *testing.T) {
	srv := idenfytest.NewServer()
	defer srv.Close()
	env := idenfyEnv(srv)

	r := cli(env, "", "idenfy", "kyb-token", "--client-id", "company-42", "--tag", "onboarding", "--tag", "eu",
		"--lifetime", "2h", "--locale", "de", "--external-ref", "ref-1", "--no-questionnaire", "--questionnaire-required=false")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Contains(t, r.stdout, "client id: company-42")
	assert.Contains(t, r.stdout, "tags: onboarding, eu")
	tokenString := strings.TrimPrefix(strings.SplitN(r.stdout, "\n", 2)[0], "token: ")
	tok, ok := srv.KYBToken(tokenString)
	require.True(t, ok, "the printed token is the one iDenfy issued")
	assert.Equal(t, "de", tok.Locale)
	assert.Equal(t, "ref-1", tok.ExternalRef)
	q, _ := srv.KYBQuestionnaire(tokenString)
	assert.True(t, q.IsNull(), "--no-questionnaire sends null")
	var sent map[string]any
	require.NoError(t, json.Unmarshal(srv.LastBody(idenfytest.PathKYBTokens), &sent))
	assert.Equal(t, float64(7200), sent["lifetime"])
	assert.Equal(t, false, sent["questionnaireRequired"])
	assert.Equal(t, "FORM", sent["tokenType"])
	noLeak(t, r, env["UNIKYC_IDENFY_API_KEY"], env["UNIKYC_IDENFY_API_SECRET"])

	r = cli(env, "", "idenfy", "kyb-token", "--client-id", "c", "--questionnaire", "kyb-q", "--json")
	require.Equal(t, exitOK, r.code, r.all())
	var out idenfy.KYBToken
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	q, _ = srv.KYBQuestionnaire(out.TokenString)
	v, isSet := q.Get()
	assert.True(t, isSet && v == "kyb-q", "--questionnaire sends the key")
}

func TestKYBTokenFlagsAreValidatedBeforeSending(t *testing.T) {
	srv := idenfytest.NewServer()
	defer srv.Close()
	env := idenfyEnv(srv)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--client-id is required"},
		{[]string{"--client-id", strings.Repeat("x", 101)}, "--client-id must be at most 100 characters"},
		{[]string{"--client-id", "c", "--tag", "ok", "--tag", "a,b"}, "--tag (#2) must not contain a comma"},
		{[]string{"--client-id", "c", "--tag", "1", "--tag", "2", "--tag", "3", "--tag", "4", "--tag", "5", "--tag", "6"}, "--tag must have at most 5 items"},
		{[]string{"--client-id", "c", "--scan-ref", "x,y"}, "--scan-ref (#1) must not contain a comma"},
		{[]string{"--client-id", "c", "--token-type", "GOV9"}, "--token-type must be one of FORM, GOV1, GOV2"},
		{[]string{"--client-id", "c", "--locale", "xx"}, "--locale must be one of"},
		{[]string{"--client-id", "c", "--flow", "not-a-uuid"}, "--flow must be a UUID"},
		{[]string{"--client-id", "c", "--theme", "nope"}, "--theme must be a UUID"},
		{[]string{"--client-id", "c", "--external-ref", strings.Repeat("r", 41)}, "--external-ref must be at most 40 characters"},
		{[]string{"--client-id", "c", "--lifetime", "721h"}, "--lifetime must be at most 720h (30 days)"},
		{[]string{"--client-id", "c", "--lifetime", "1.5s"}, "--lifetime must be whole seconds"},
		{[]string{"--client-id", "c", "--lifetime", "0s"}, "--lifetime 0 would create an expired token"},
		{[]string{"--client-id", "c", "--questionnaire", ""}, "--questionnaire must be at least 1 characters"},
		{[]string{"--client-id", "c", "--questionnaire", "q", "--no-questionnaire"}, "exclude each other"},
		{[]string{"--client-id", "c", "--questionnaire-required=maybe"}, "must be true or false"},
		{[]string{"--client-id", "c", "stray"}, `unexpected argument "stray"`},
	} {
		r := cli(env, "", append([]string{"idenfy", "kyb-token"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.all())
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
	}
	assert.Equal(t, 0, srv.Requests(), "nothing was sent")

	bad := idenfyEnv(srv)
	bad["UNIKYC_IDENFY_API_SECRET"] = "wrong"
	r := cli(bad, "", "idenfy", "kyb-token", "--client-id", "c")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "401")
}

func TestWebhookVerify(t *testing.T) {
	srv := idenfytest.NewServer()
	defer srv.Close()
	key := srv.WebhookKey()
	body := `{"final":true,"scanRef":"scan-1","clientId":"person-7","status":{"overall":"APPROVED"},"data":{"docFirstName":"JOHN"}}`
	sig := idenfy.SignWebhook([]byte(body), key)

	r := cli(nil, body, "webhook", "verify", "--provider", "idenfy", "--key", string(key), "--signature", sig)
	require.Equal(t, exitOK, r.code, r.all())
	assert.Equal(t, "signature valid\nscanRef: scan-1\nstatus: APPROVED\nfinal: true\n", r.stdout)
	assert.NotContains(t, r.all(), "JOHN", "no personal data is printed")

	env := map[string]string{webhookKeyVar: string(key)}
	r = cli(env, body, "webhook", "verify", "--provider", "idenfy", "--signature", sig)
	assert.Equal(t, exitOK, r.code, "the key from the environment")

	for _, tc := range []struct {
		body, sig string
	}{
		{body + " ", sig}, // one byte more
		{body, "00" + sig[2:]},
		{body, ""},
	} {
		r = cli(env, tc.body, "webhook", "verify", "--provider", "idenfy", "--signature", tc.sig)
		assert.Equal(t, exitFailure, r.code, "sig %q: %s", tc.sig, r.all())
		assert.Contains(t, r.stderr, "bad webhook signature")
		assert.Empty(t, r.stdout, "no payload on a bad signature")
		noLeak(t, r, string(key))
	}

	r = cli(nil, body, "webhook", "verify", "--provider", "idenfy", "--signature", sig)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no key")
	r = cli(env, body, "webhook", "verify", "--provider", "kyconnect", "--signature", sig)
	assert.Equal(t, exitUsage, r.code)

	r = cli(env, body+"\n", "webhook", "verify", "--provider", "idenfy", "--signature", sig)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "hint: the signature matches the body without its trailing line break")
	r = cli(env, body+"\n", "webhook", "verify", "--provider", "idenfy", "--signature", "00"+sig[2:])
	assert.Contains(t, r.stderr, "hint: the body ends with a line break")

	big := strings.Repeat("x", idenfy.MaxWebhookBody+1)
	r = cli(env, big, "webhook", "verify", "--provider", "idenfy", "--signature", idenfy.SignWebhook([]byte(big), key))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "larger than")
}

// The README's configuration table lists every variable the drivers read.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, p := range providers.Drivers() {
		vars, err := providers.EnvVars(p)
		require.NoError(t, err)
		for _, v := range vars {
			row := fmt.Sprintf("| `%s` | |", providers.EnvName(p, v.Name))
			if v.Secret {
				row = fmt.Sprintf("| `%s` | yes |", providers.EnvName(p, v.Name))
			}
			assert.True(t, strings.Contains(string(readme), row), "README has no row %s", row)
		}
	}
	assert.True(t, strings.Contains(string(readme), "| `"+webhookKeyVar+"` | yes |"), "README has no row for "+webhookKeyVar)
}

// Rule: check shows each budget's live state after its call: what is left
// in the window and the next free slot (iDenfy: 10,000 an hour, one spent).
func TestCheckShowsBudgets(t *testing.T) {
	id := idenfytest.NewServer()
	defer id.Close()
	r := cli(idenfyEnv(id), "", "check", "--no-cache", "idenfy")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Contains(t, r.stdout, "budget requests: 10000 per 1h0m0s, 9999 left, next slot now\n")
}
