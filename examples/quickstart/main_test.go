package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var providerNames = []string{"genericjwt", "icomply", "idenfy", "compliancely", "kyconnect"}

func noEnv(string) string { return "" }

// row returns the table row of provider, split into cells.
func row(t *testing.T, out, provider string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == provider {
			return f
		}
	}
	t.Fatalf("no row for %s:\n%s", provider, out)
	return nil
}

func TestQuickstartPassesAndReportsEveryProvider(t *testing.T) {
	var out bytes.Buffer
	began := time.Now()
	code := Main(&out, noEnv)
	took := time.Since(began)
	for _, f := range failedChecks(out.String()) {
		t.Errorf("check failed: %s", f)
	}
	require.Equal(t, 0, code, out.String())
	assert.Less(t, took, 15*time.Second)

	header := regexp.MustCompile(`provider +mode +logins +refreshes +requests +retries +429s +throttled +401s +errors +clock +checks`)
	assert.Regexp(t, header, out.String())
	fitsWidth(t, out.String())
	for _, p := range providerNames {
		cells := row(t, out.String(), p)
		require.Len(t, cells, 12, "%s: %v", p, cells) // every column filled
		assert.Equal(t, "fake", cells[1])
		n, total, ok := strings.Cut(cells[len(cells)-1], "/")
		assert.True(t, ok && n == total && n != "0", "%s checks %s", p, cells[len(cells)-1])
	}
	// What the scenarios are about shows in the table.
	assert.Equal(t, "1", row(t, out.String(), "kyconnect")[2], "kyconnect logs in once")
	assert.NotEqual(t, "0", row(t, out.String(), "compliancely")[3], "compliancely refreshes")
	assert.NotContains(t, out.String(), "FAIL")
	assert.Contains(t, out.String(), "every provider behaved as documented")
	for _, want := range []string{"KYB token generated", "signed webhook verified", "TOTP MFA", "10 a minute", "no Retry-After: waited out, 10m"} {
		assert.Contains(t, out.String(), want)
	}
}

// With UNIKYC_<PROVIDER>_* set, that provider is checked live with
// CheckAuth; here the "live" providers are fakes on loopback.
func TestQuickstartChecksConfiguredProvidersLive(t *testing.T) {
	id := idenfytest.NewServer()
	defer id.Close()
	ky := kyconnecttest.NewServer()
	defer ky.Close()
	cfg := id.Config()
	env := map[string]string{
		"UNIKYC_IDENFY_BASE_URL":      cfg.BaseURL,
		"UNIKYC_IDENFY_API_KEY":       string(cfg.APIKey),
		"UNIKYC_IDENFY_API_SECRET":    string(cfg.APISecret),
		"UNIKYC_KYCONNECT_BASE_URL":   ky.BaseURL(),
		"UNIKYC_KYCONNECT_EMAIL":      ky.Email(),
		"UNIKYC_KYCONNECT_PASSWORD":   string(ky.Password()),
		"UNIKYC_KYCONNECT_API_KEY":    "",
		"UNIKYC_COMPLIANCELY_API_KEY": "not a variable compliancely reads",
	}
	getenv := func(k string) string { return env[k] }

	var out bytes.Buffer
	require.Equal(t, 0, Main(&out, getenv), out.String())
	assert.Equal(t, "live", row(t, out.String(), "idenfy")[1])
	assert.Equal(t, "live", row(t, out.String(), "kyconnect")[1])
	assert.Equal(t, "fake", row(t, out.String(), "compliancely")[1])
	assert.Contains(t, out.String(), "ok   CheckAuth against "+strings.TrimPrefix(cfg.BaseURL, "http://")+": credentials accepted")
	assert.NotContains(t, out.String(), "FAIL")
	fitsWidth(t, out.String())
	assert.Equal(t, 1, id.Calls(idenfytest.PathKYCToken), "CheckAuth: one refused token request, /api/v2/status is not polled")
	assert.Equal(t, 1, ky.Logins())

	env["UNIKYC_IDENFY_API_SECRET"] = "wrong-secret"
	out.Reset()
	assert.Equal(t, 1, Main(&out, getenv))
	assert.Contains(t, out.String(), "FAIL CheckAuth against "+strings.TrimPrefix(cfg.BaseURL, "http://")+": credentials refused: ")
	assert.NotContains(t, out.String(), "credentials work", "a failure never reads as a success")
	assert.NotContains(t, out.String(), strings.TrimPrefix(cfg.BaseURL, "http://")+": credentials accepted")
	assert.Contains(t, out.String(), "SOME CHECKS FAILED")
	fitsWidth(t, out.String())

	// Nothing listens at the base URL: the check says the provider was not
	// reached, not that the credentials were refused.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	env["UNIKYC_IDENFY_API_SECRET"] = string(cfg.APISecret)
	env["UNIKYC_IDENFY_BASE_URL"] = dead.URL
	out.Reset()
	assert.Equal(t, 1, Main(&out, getenv))
	assert.Contains(t, out.String(), "FAIL CheckAuth against "+strings.TrimPrefix(dead.URL, "http://")+": no answer: ")
	assert.NotContains(t, out.String(), "wrong-secret")
	assert.NotContains(t, out.String(), string(cfg.APIKey))

	env["UNIKYC_IDENFY_BASE_URL"] = cfg.BaseURL
	delete(env, "UNIKYC_IDENFY_API_KEY")
	out.Reset()
	assert.Equal(t, 1, Main(&out, getenv))
	assert.Contains(t, out.String(), "FAIL stopped: unikyc: UNIKYC_IDENFY_API_KEY is required")
}

// failedChecks returns the report's failed checks, each as "provider:
// text" with its wrapped lines joined, so a failure names them.
func failedChecks(out string) []string {
	var (
		failed   []string
		provider string
		in       bool // the last line was a FAIL or its continuation
	)
	for _, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "  FAIL "):
			failed = append(failed, provider+": "+strings.TrimPrefix(line, "  FAIL "))
			in = true
		case in && strings.HasPrefix(line, "       ") && trimmed != "":
			failed[len(failed)-1] += " " + trimmed
		case !strings.HasPrefix(line, " ") && strings.HasSuffix(trimmed, ")") && strings.Contains(trimmed, " ("):
			provider, _, _ = strings.Cut(trimmed, " (")
			in = false
		default:
			in = false
		}
	}
	return failed
}

// fitsWidth fails for any line of out wider than a 100-column terminal.
func fitsWidth(t *testing.T, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 100, "too wide: %q", line)
	}
}

// A failed check is named by the test, wrapped lines and all: a failure
// that happens once in a hundred runs must say which check it was.
func TestFailedChecksNameEachFailure(t *testing.T) {
	long := "refused token: one 401, a new token by login, request replayed (saw 1 401s, 0 new tokens by " +
		"login, and a line long enough to wrap at the report's width)"
	var out bytes.Buffer
	report(&out, []*run{
		{provider: "icomply", mode: "fake", checks: []check{{"5 calls, 1 login", true}, {long, false}}},
		{provider: "kyconnect", mode: "fake", checks: []check{{"fine", true}}},
		{provider: "idenfy", mode: "live", err: errors.New("unikyc: no answer")},
	})
	require.Contains(t, out.String(), "SOME CHECKS FAILED")
	assert.Equal(t, []string{"icomply: " + long, "idenfy: stopped: unikyc: no answer"}, failedChecks(out.String()))
}
