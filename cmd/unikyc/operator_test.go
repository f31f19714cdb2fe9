package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

// Rule: check and token keep the token by default, so that the second run
// makes no login (a login costs budget: Compliancely's tenth request in a
// minute draws a 10-minute penalty), and say where the token came from.
func TestSecondCheckMakesNoLogin(t *testing.T) {
	dir := ownCache(t)
	srv := genericjwttest.NewServer()
	defer srv.Close()
	env := genericJWTEnv(srv)

	r := cli(env, "", "check", "genericjwt")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Contains(t, r.stdout, "genericjwt: credentials accepted by 127.0.0.1:")
	file := filepath.Join(dir, "unikyc", "tokens")
	assert.Contains(t, r.stdout, "token: new login, kept in "+file+"\n")
	require.Equal(t, 1, srv.Logins())

	for _, cmd := range []string{"check", "token", "check"} {
		r = cli(env, "", cmd, "genericjwt")
		require.Equal(t, exitOK, r.code, r.all())
		assert.Contains(t, r.stdout, "token: from the cache "+file+" (no login made", cmd)
		noLeak(t, r, env["UNIKYC_GENERICJWT_PASSWORD"])
	}
	assert.Contains(t, r.stdout, "genericjwt: cached token accepted by 127.0.0.1:", "a cached token is not a checked password")
	assert.Equal(t, 1, srv.Logins(), "one login for four runs")

	// At rest: the file holds neither the token nor the password, and the
	// key beside it is the owner's only.
	tok, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(tok), "eyJ", "no JWT in clear")
	assert.NotContains(t, string(tok), env["UNIKYC_GENERICJWT_PASSWORD"])
	if runtime.GOOS != "windows" {
		for _, f := range []string{file, file + ".key"} {
			fi, err := os.Stat(f)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
		}
	}

	r = cli(env, "", "check", "--no-cache", "genericjwt")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Contains(t, r.stdout, "token: new login, not kept (--no-cache)\n")
	assert.Equal(t, 2, srv.Logins(), "--no-cache logs in")
}

// The refresh-token provider: a cached pair whose access token has expired
// is renewed by a refresh, not a login, and the output says so.
func TestCachedRefreshTokenIsUsedInsteadOfALogin(t *testing.T) {
	ownCache(t)
	clientOptions = []providers.Option{providers.WithLimiter(nil)}
	defer func() { clientOptions = nil }()
	co := compliancelytest.NewServer()
	defer co.Close()
	cfg := co.Config()
	env := map[string]string{"UNIKYC_COMPLIANCELY_BASE_URL": cfg.BaseURL,
		"UNIKYC_COMPLIANCELY_USERNAME": cfg.Username, "UNIKYC_COMPLIANCELY_PASSWORD": string(cfg.Password)}

	r := cli(env, "", "check", "compliancely")
	require.Equal(t, exitOK, r.code, r.all())
	co.ExpireAccessTokens() // the cached access token is refused: 401, then a refresh
	r = cli(env, "", "check", "compliancely")
	require.Equal(t, exitOK, r.code, r.all())
	assert.Contains(t, r.stdout, "token: renewed with the cached refresh token (no login), kept in ")
	assert.Equal(t, 1, co.Logins())
	assert.Equal(t, 1, co.Refreshes())
}

func TestTokenCacheKey(t *testing.T) {
	srv := genericjwttest.NewServer()
	defer srv.Close()

	t.Run("UNIKYC_TOKEN_KEY is used when set, and no key file is made", func(t *testing.T) {
		dir := ownCache(t)
		env := genericJWTEnv(srv)
		env["UNIKYC_TOKEN_KEY"] = strings.Repeat("5a", 32)
		require.Equal(t, exitOK, cli(env, "", "check", "genericjwt").code)
		_, err := os.Stat(filepath.Join(dir, "unikyc", "tokens.key"))
		assert.ErrorIs(t, err, os.ErrNotExist)

		env["UNIKYC_TOKEN_KEY"] = "short-key-value"
		r := cli(env, "", "check", "genericjwt")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "UNIKYC_TOKEN_KEY must be 32 bytes")
		assert.NotContains(t, r.stderr, "WithKey", "advice for operators, not for Go code")
		noLeak(t, r, "short-key-value")
	})
	t.Run("a key file others can read is refused", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			return // no POSIX modes
		}
		dir := ownCache(t)
		require.Equal(t, exitOK, cli(genericJWTEnv(srv), "", "check", "genericjwt").code)
		key := filepath.Join(dir, "unikyc", "tokens.key")
		require.NoError(t, os.Chmod(key, 0o644))
		r := cli(genericJWTEnv(srv), "", "check", "genericjwt")
		assert.Equal(t, exitUsage, r.code, r.all())
		assert.Contains(t, r.stderr, "can be read by others (mode 0644): chmod 600")
	})
	t.Run("a link at the key's path is not followed", func(t *testing.T) {
		dir := ownCache(t)
		target := filepath.Join(t.TempDir(), "elsewhere")
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "unikyc"), 0o700))
		require.NoError(t, os.Symlink(target, filepath.Join(dir, "unikyc", "tokens.key")))
		r := cli(genericJWTEnv(srv), "", "check", "genericjwt")
		assert.Equal(t, exitUsage, r.code, r.all())
		assert.Contains(t, r.stderr, "is not a regular file")
		_, err := os.Stat(target)
		assert.ErrorIs(t, err, os.ErrNotExist, "the link's target was not created")
	})
	t.Run("no cache directory: the run works and says the token is not kept", func(t *testing.T) {
		old := userCacheDir
		userCacheDir = func() (string, error) { return "", errors.New("neither $XDG_CACHE_HOME nor $HOME is defined") }
		defer func() { userCacheDir = old }()
		r := cli(genericJWTEnv(srv), "", "check", "genericjwt")
		require.Equal(t, exitOK, r.code, r.all())
		assert.Contains(t, r.stdout, "token: new login, not kept: no user cache directory")
	})
}

// Rule: --lifetime takes a duration or seconds, and its limit is said in
// the unit an operator uses.
func TestLifetimeTakesDurationsAndSeconds(t *testing.T) {
	srv := idenfytest.NewServer()
	defer srv.Close()
	env := idenfyEnv(srv)
	for _, tc := range []struct {
		flag string
		want float64
	}{{"3600", 3600}, {"800m", 48000}, {"720h", 2592000}} {
		r := cli(env, "", "idenfy", "kyb-token", "--client-id", "c", "--lifetime", tc.flag)
		require.Equal(t, exitOK, r.code, "%s: %s", tc.flag, r.all())
		var sent map[string]any
		require.NoError(t, json.Unmarshal(srv.LastBody("/kyb/tokens/"), &sent))
		assert.Equal(t, tc.want, sent["lifetime"], tc.flag)
	}
	before := srv.Requests()
	for flag, want := range map[string]string{
		"800h":   "--lifetime must be at most 720h (30 days), iDenfy's limit",
		"-5":     "invalid value \"-5\" for flag --lifetime: want a duration such as 2h or 720h, or seconds such as 7200",
		"a week": "invalid value \"a week\" for flag --lifetime",
	} {
		r := cli(env, "", "idenfy", "kyb-token", "--client-id", "c", "--lifetime", flag)
		assert.Equal(t, exitUsage, r.code, flag)
		assert.Contains(t, r.stderr, want, flag)
	}
	assert.Equal(t, before, srv.Requests(), "nothing sent")
}

// Rule: a bad --timeout is a usage error (exit 2) like every other bad
// flag, not a failed call.
func TestTimeoutMustBePositive(t *testing.T) {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	for _, v := range []string{"0s", "0", "-1s"} {
		for _, cmd := range [][]string{{"check", "genericjwt"}, {"token", "genericjwt"}, {"idenfy", "kyb-token", "--client-id", "c"}} {
			r := cli(genericJWTEnv(srv), "", append(cmd, "--timeout", v)...)
			assert.Equal(t, exitUsage, r.code, "%v --timeout %s: %s", cmd, v, r.all())
			assert.Contains(t, r.stderr, "for flag --timeout")
		}
	}
	assert.Equal(t, 0, srv.Requests())
}

// Rule: errors speak to operators: no advice about Go imports or options.
func TestErrorsSpeakToOperators(t *testing.T) {
	r := cli(nil, "", "check", "onfido")
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "unikyc check: unknown provider \"onfido\": the providers are compliancely, genericjwt, icomply, idenfy, kyconnect\n", r.stderr)
	for _, cmd := range []string{"token", "env"} {
		r = cli(nil, "", cmd, "onfido")
		assert.NotContains(t, r.stderr, "import", cmd)
		assert.NotContains(t, r.stderr, "providers/all", cmd)
	}
	r = cli(nil, "", "check", strings.Repeat("x", 5000))
	assert.Less(t, len(r.stderr), 400, "an unknown provider is echoed capped")
}

// Rule: the tool never echoes a secret flag's value, and caps and escapes
// every value it does echo.
func TestErrorsNeverEchoSecretsAndCapWhatTheyEcho(t *testing.T) {
	const key = "s3cr3t-webhook-key"
	// --signature left without its value takes "--key"; the key becomes a
	// stray argument.
	r := cli(nil, "{}", "webhook", "verify", "--provider", "idenfy", "--signature", "--key", key)
	assert.Equal(t, exitUsage, r.code, r.all())
	noLeak(t, r, key)
	assert.Contains(t, r.stderr, "1 unexpected argument(s)")

	r = cli(nil, "{}", "webhook", "verify", "--key="+key, "--provider", "idenfy", "--signature", "ab", "--provider="+key)
	assert.Equal(t, exitUsage, r.code)
	noLeak(t, r, key)
	r = cli(nil, "", "--key="+key)
	assert.Equal(t, exitUsage, r.code)
	noLeak(t, r, key)

	long := strings.Repeat("y", 100_000)
	for _, args := range [][]string{
		{"token", "genericjwt", "--timeout", long},
		{"idenfy", "kyb-token", "--client-id", "c", "--lifetime", long},
		{"idenfy", "kyb-token", "--client-id", "c", "--questionnaire-required=" + long},
		{"idenfy", "kyb-token", "--client-id", "c", long},
		{"check", "--" + long},
		{long},
	} {
		r = cli(nil, "", args...)
		assert.Equal(t, exitUsage, r.code)
		first, _, _ := strings.Cut(r.stderr, "\n") // the error; the usage may follow
		assert.Less(t, len(first), 200, "%.40s: %.300s", args, r.all())
		assert.Contains(t, first, "…", "%.40s", args)
	}
	r = cli(nil, "", "check", "--timeout", "\x1b]0;title\x07")
	assert.NotContains(t, r.stderr, "\x1b", "control characters are escaped")
	assert.Contains(t, r.stderr, `\x1b]0;title\a`)
}

// Rule: claims are shown with control characters escaped: a token's
// issuer cannot send escape sequences to the operator's terminal.
func TestTokenEscapesControlCharactersInClaims(t *testing.T) {
	claims := `{"sub":"ops\u001b]0;owned\u0007\u001b[2J","role\u001b[31m":"a\u202etxt.exe","exp":4102444800}`
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
	// A FastAPI-Users back office answering its login as documented:
	// {"access_token": "<JWT>", "token_type": "bearer"}
	// (/work/shared/seeds/001_8c015a6d0835bd0b.txt, "Successful Response").
	backOffice := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/auth/jwt/login" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": jwt, "token_type": "bearer"})
	}))
	defer backOffice.Close()
	env := map[string]string{"UNIKYC_GENERICJWT_BASE_URL": backOffice.URL,
		"UNIKYC_GENERICJWT_USERNAME": "ops@example.com", "UNIKYC_GENERICJWT_PASSWORD": "pw-123456"}

	r := cli(env, "", "token", "--no-cache", "genericjwt")
	require.Equal(t, exitOK, r.code, r.all())
	assert.NotContains(t, r.stdout, "\x1b")
	assert.NotContains(t, r.stdout, "\x07")
	assert.NotContains(t, r.stdout, "\u202e")
	assert.Contains(t, r.stdout, `  sub: ops\x1b]0;owned\x07\x1b[2J`+"\n")
	assert.Contains(t, r.stdout, `  role\x1b[31m: a\u202etxt.exe`+"\n")
	assert.Contains(t, r.stdout, "  exp: 4102444800 (2100-01-01T00:00:00Z)\n")
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode ✓": "plain text, ünïcode ✓",
		"\x1b[2J\r\n\t\x7f":     `\x1b[2J\x0d\x0a\x09\x7f`,
		"\u0085\u009b\u202e":    `\u0085\u009b\u202e`,
		"\xff":                  `\ufffd`,
	} {
		assert.Equal(t, want, printable(in), "%q", in)
	}
	assert.Equal(t, strings.Repeat("a", maxShown)+"…", printable(strings.Repeat("a", maxShown+1)))
	assert.Equal(t, strings.Repeat("a", maxShown), printable(strings.Repeat("a", maxShown)))
}

// Rule: one "unikyc" prefix per line, the tool's, even for a library
// error that wraps another.
func TestOnePrefixPerError(t *testing.T) {
	err := fmt.Errorf("unikyc: idenfy: reading webhook: %w", errors.New("unikyc: body too large"))
	assert.Equal(t, "idenfy: reading webhook: body too large", operatorMessage(err))
	env := map[string]string{webhookKeyVar: "k"}
	big := strings.Repeat("x", idenfy.MaxWebhookBody+1)
	r := cli(env, big, "webhook", "verify", "--provider", "idenfy", "--signature", "ab")
	assert.Equal(t, exitFailure, r.code)
	assert.Equal(t, fmt.Sprintf("unikyc webhook verify: body larger than %d bytes\n", idenfy.MaxWebhookBody), r.stderr)
}

// Rule: runs started together make one key, and all use it: the key file
// is linked into place whole, never overwritten.
func TestFirstRunsTogetherShareOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unikyc", "tokens.key")
	const runs = 16
	keys := make([][]byte, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			keys[i], errs[i] = loadOrCreateKey(path)
		}()
	}
	close(start)
	wg.Wait()
	for i := range runs {
		require.NoError(t, errs[i])
		assert.Len(t, keys[i], 32)
		assert.Equal(t, keys[0], keys[i], "run %d", i)
	}
	again, err := loadOrCreateKey(path)
	require.NoError(t, err)
	assert.Equal(t, keys[0], again, "later runs read the same key")
	left, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".key-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "no temporary file left behind")
}

// A cache directory that cannot be made is the operator's to fix (exit 2),
// and the message says how to run without one.
// A file where the directory should be fails for every user, root too.
func TestUnwritableCacheDirectory(t *testing.T) {
	dir := ownCache(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "unikyc"), []byte("not a directory"), 0o600))
	srv := genericjwttest.NewServer()
	defer srv.Close()
	r := cli(genericJWTEnv(srv), "", "check", "genericjwt")
	assert.Equal(t, exitUsage, r.code, r.all())
	assert.Contains(t, r.stderr, "(--no-cache runs without a cache)")
	assert.Equal(t, 0, srv.Requests(), "nothing sent")
	r = cli(genericJWTEnv(srv), "", "check", "--no-cache", "genericjwt")
	assert.Equal(t, exitOK, r.code, r.all())
}
