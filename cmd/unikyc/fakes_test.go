package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutine and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// firstWrite hands the first write to stdout (the export lines, written
// at once when every port is open) to the test.
type firstWrite struct {
	once sync.Once
	ch   chan string
}

func (f *firstWrite) Write(p []byte) (int, error) {
	s := string(p)
	f.once.Do(func() { f.ch <- s })
	return len(p), nil
}

// fakesRun is `unikyc fakes` running in-process.
type fakesRun struct {
	env    map[string]string // the exported variables, as a shell would read them
	out    string
	stderr *syncBuffer
	stop   context.CancelFunc
	done   chan int
}

// startFakes runs `unikyc fakes args…` until the test ends (or stop).
func startFakesCmd(t *testing.T, args ...string) *fakesRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &firstWrite{ch: make(chan string, 1)}
	r := &fakesRun{stderr: &syncBuffer{}, stop: cancel, done: make(chan int, 1)}
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: out, stderr: r.stderr, getenv: func(string) string { return "" }}
	go func() { r.done <- e.run(append([]string{"fakes"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("unikyc fakes did not stop")
		}
	})
	select {
	case r.out = <-out.ch:
	case code := <-r.done:
		r.done <- code
		t.Fatalf("unikyc fakes exited %d before serving: %s", code, r.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("unikyc fakes printed nothing")
	}
	r.env = parseExports(t, r.out)
	return r
}

// parseExports reads `export NAME='value'` lines as a POSIX shell would.
func parseExports(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		rest, ok := strings.CutPrefix(line, "export ")
		require.True(t, ok, "not an export line: %q", line)
		name, quoted, ok := strings.Cut(rest, "=")
		require.True(t, ok, line)
		require.True(t, strings.HasPrefix(quoted, "'") && strings.HasSuffix(quoted, "'"), line)
		env[name] = strings.ReplaceAll(quoted[1:len(quoted)-1], `'\''`, `'`)
	}
	return env
}

// curl is one HTTP request as curl would send it; it returns the status,
// the headers and the body.
func curl(t *testing.T, method, url, contentType string, body io.Reader, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

func postJSON(t *testing.T, url, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	return curl(t, http.MethodPost, url, "application/json", strings.NewReader(body), header...)
}

// admin calls the admin API the way the README's curl examples do.
func (r *fakesRun) admin(t *testing.T, method, route, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	status, h, b := curl(t, method, r.env[adminURLVar]+route, "", rd)
	assert.Equal(t, "application/json", h.Get("Content-Type"), "%s %s", method, route)
	var v map[string]any
	require.NoError(t, json.Unmarshal(b, &v), "%s %s: %s", method, route, b)
	return status, v
}

func (r *fakesRun) counts(t *testing.T, provider string) map[string]any {
	t.Helper()
	status, v := r.admin(t, http.MethodGet, "/"+provider+"/counts", "")
	require.Equal(t, http.StatusOK, status, "%v", v)
	return v
}

// login makes each provider's documented login or authenticated call with
// the exported environment, and returns the status.
func (r *fakesRun) login(t *testing.T, provider string) int {
	t.Helper()
	env := r.env
	switch provider {
	case "genericjwt":
		// FastAPI-Users: urlencoded username and password
		// (/work/shared/seeds/001_8c015a6d0835bd0b.txt).
		form := url.Values{"username": {env["UNIKYC_GENERICJWT_USERNAME"]}, "password": {env["UNIKYC_GENERICJWT_PASSWORD"]}}
		status, _, _ := curl(t, http.MethodPost, env["UNIKYC_GENERICJWT_BASE_URL"]+"/auth/jwt/login",
			"application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		return status
	case "icomply":
		// POST /api/gettoken with form-data Username and Password
		// (/work/shared/seeds/000_d912e23688d02280.txt).
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		require.NoError(t, mw.WriteField("Username", env["UNIKYC_ICOMPLY_USERNAME"]))
		require.NoError(t, mw.WriteField("Password", env["UNIKYC_ICOMPLY_PASSWORD"]))
		require.NoError(t, mw.Close())
		status, _, _ := curl(t, http.MethodPost, env["UNIKYC_ICOMPLY_BASE_URL"]+"/api/gettoken", mw.FormDataContentType(), &body)
		return status
	case "idenfy":
		// POST /kyb/tokens/ with Basic auth of key:secret
		// (/work/shared/seeds/002_0917f1a1f134e06b.txt).
		basic := base64.StdEncoding.EncodeToString([]byte(env["UNIKYC_IDENFY_API_KEY"] + ":" + env["UNIKYC_IDENFY_API_SECRET"]))
		status, _, _ := postJSON(t, env["UNIKYC_IDENFY_BASE_URL"]+"/kyb/tokens/", `{"tokenType": "FORM", "clientId": "company-1"}`,
			"Authorization", "Basic "+basic)
		return status
	case "compliancely":
		// SimpleJWT's token pair view: JSON username and password
		// (/work/shared/seeds/004_7d2ae89d03eea33b.txt, /api/v2/token/).
		body, _ := json.Marshal(map[string]string{"username": env["UNIKYC_COMPLIANCELY_USERNAME"], "password": env["UNIKYC_COMPLIANCELY_PASSWORD"]})
		status, _, _ := postJSON(t, env["UNIKYC_COMPLIANCELY_BASE_URL"]+"/api/v2/token/", string(body))
		return status
	case "kyconnect":
		// POST /api/v1/auth/login {"email", "password"}
		// (/work/shared/seeds/003_4357bcee4d220299.txt).
		body, _ := json.Marshal(map[string]string{"email": env["UNIKYC_KYCONNECT_EMAIL"], "password": env["UNIKYC_KYCONNECT_PASSWORD"]})
		status, _, _ := postJSON(t, env["UNIKYC_KYCONNECT_BASE_URL"]+"/auth/login", string(body))
		return status
	}
	t.Fatalf("no login for %s", provider)
	return 0
}

func num(v map[string]any, k string) int {
	f, _ := v[k].(float64)
	return int(f)
}

// The fake server driven as curl would: every provider answers its
// login, a knob works, the counters move.
func TestFakesServeEveryProviderAndTheirKnobs(t *testing.T) {
	r := startFakesCmd(t)
	for _, p := range fakeProviders {
		u, err := url.Parse(r.env["UNIKYC_"+strings.ToUpper(p)+"_BASE_URL"])
		require.NoError(t, err, p)
		assert.Equal(t, "127.0.0.1", u.Hostname(), p)

		before := r.counts(t, p)
		status := r.login(t, p)
		assert.Contains(t, []int{http.StatusOK, http.StatusCreated}, status, p)
		after := r.counts(t, p)
		assert.Equal(t, num(before, "requests")+1, num(after, "requests"), p)
		if p != "idenfy" { // key/secret on every call: no logins
			assert.Equal(t, num(before, "logins")+1, num(after, "logins"), p)
		}
	}
	assert.Contains(t, r.stderr.String(), "unikyc fakes: serving 5 fakes on 127.0.0.1; admin API at "+r.env[adminURLVar]+"/")

	// fail-next on one route: the next login gets the status, the one
	// after is served again.
	status, v := r.admin(t, http.MethodPost, "/compliancely/fail-next", `{"path": "/api/v2/token/", "status": 503}`)
	require.Equal(t, http.StatusOK, status, "%v", v)
	assert.Equal(t, true, v["ok"])
	assert.Equal(t, http.StatusServiceUnavailable, r.login(t, "compliancely"))
	assert.Equal(t, http.StatusOK, r.login(t, "compliancely"))
	c := r.counts(t, "compliancely")
	assert.Equal(t, 1, num(c, "faults"))
	assert.Equal(t, 2, num(c, "logins"))

	// rate-limit-next: 429 with the Retry-After asked for.
	status, _ = r.admin(t, http.MethodPost, "/kyconnect/rate-limit-next", `{"retry_after": "30", "times": 2}`)
	require.Equal(t, http.StatusOK, status)
	for i := 0; i < 2; i++ {
		body, _ := json.Marshal(map[string]string{"email": r.env["UNIKYC_KYCONNECT_EMAIL"], "password": r.env["UNIKYC_KYCONNECT_PASSWORD"]})
		st, h, _ := postJSON(t, r.env["UNIKYC_KYCONNECT_BASE_URL"]+"/auth/login", string(body))
		assert.Equal(t, http.StatusTooManyRequests, st)
		assert.Equal(t, "30", h.Get("Retry-After"))
	}
	assert.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.login(t, "kyconnect"), "served again after two")

	// revoke-tokens: a token issued before is refused after.
	form := url.Values{"username": {r.env["UNIKYC_GENERICJWT_USERNAME"]}, "password": {r.env["UNIKYC_GENERICJWT_PASSWORD"]}}
	_, _, b := curl(t, http.MethodPost, r.env["UNIKYC_GENERICJWT_BASE_URL"]+"/auth/jwt/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(b, &tok))
	me := r.env["UNIKYC_GENERICJWT_BASE_URL"] + r.env["UNIKYC_GENERICJWT_ME_PATH"]
	st, _, _ := curl(t, http.MethodGet, me, "", nil, "Authorization", "Bearer "+tok.AccessToken)
	assert.Equal(t, http.StatusOK, st)
	status, _ = r.admin(t, http.MethodPost, "/genericjwt/revoke-tokens", "")
	require.Equal(t, http.StatusOK, status)
	st, _, _ = curl(t, http.MethodGet, me, "", nil, "Authorization", "Bearer "+tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, st)

	// counts of one path, and reset-counts.
	_, v = r.admin(t, http.MethodGet, "/genericjwt/counts?path="+url.QueryEscape(r.env["UNIKYC_GENERICJWT_ME_PATH"]), "")
	assert.Equal(t, 2, num(v, "calls"))
	status, _ = r.admin(t, http.MethodPost, "/genericjwt/reset-counts", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 0, num(r.counts(t, "genericjwt"), "requests"))
}

// The unikyc clients themselves, configured by nothing but the exported
// environment, accept the fakes: the environment is complete.
func TestFakesEnvironmentConfiguresTheClients(t *testing.T) {
	r := startFakesCmd(t, "--kyconnect-mfa")
	assert.NotEmpty(t, r.env["UNIKYC_KYCONNECT_TOTP_SECRET"])
	assert.NotEmpty(t, r.env["UNIKYC_IDENFY_WEBHOOK_KEY"])
	for _, p := range fakeProviders {
		res := cli(r.env, "", "check", "--no-cache", p)
		assert.Equal(t, exitOK, res.code, "%s: %s", p, res.all())
		assert.Contains(t, res.stdout, p+": credentials accepted by 127.0.0.1:")
	}

	// GET /_unikyc/ and /_unikyc/env give the same environment as JSON.
	status, v := r.admin(t, http.MethodGet, "/", "")
	require.Equal(t, http.StatusOK, status)
	env, _ := v["env"].(map[string]any)
	for k, want := range r.env {
		assert.Equal(t, want, env[k], k)
	}
	ps, _ := v["providers"].(map[string]any)
	assert.Len(t, ps, 5)
	_, v = r.admin(t, http.MethodGet, "/env", "")
	assert.Equal(t, r.env["UNIKYC_IDENFY_API_KEY"], v["UNIKYC_IDENFY_API_KEY"])
}

func TestFakesAdminRefusesBadRequests(t *testing.T) {
	r := startFakesCmd(t)
	for _, tc := range []struct {
		method, route, body string
		status              int
		want                string
	}{
		{http.MethodPost, "/onfido/fail-next", "", http.StatusNotFound, `unknown provider "onfido"`},
		{http.MethodPost, "/idenfy/fail-next", `{"status": 200}`, http.StatusBadRequest, `"status" must be between 400 and 599`},
		{http.MethodPost, "/idenfy/fail-next", `{"statuss": 500}`, http.StatusBadRequest, "must be a JSON object"},
		{http.MethodPost, "/idenfy/fail-next", `{"times": -1}`, http.StatusBadRequest, `"times" must be between 1`},
		{http.MethodPost, "/idenfy/fail-next", `{"path": "api"}`, http.StatusBadRequest, `"path" must start with "/"`},
		{http.MethodPost, "/idenfy/rate-limit-next", `{"retry_after": "1\r\nX-Evil: 1"}`, http.StatusBadRequest, `"retry_after" must be`},
		{http.MethodPost, "/idenfy/delay-next", `{"delay": "1h"}`, http.StatusBadRequest, `"delay" must be`},
		{http.MethodPost, "/idenfy/frobnicate", "", http.StatusNotFound, "no such admin route"},
		{http.MethodPost, "/idenfy/fail-next", strings.Repeat(" ", maxAdminBody+1), http.StatusBadRequest, "body over"},
	} {
		status, v := r.admin(t, tc.method, tc.route, tc.body)
		assert.Equal(t, tc.status, status, "%s %s", tc.method, tc.route)
		assert.Contains(t, v["error"], tc.want, "%s %s", tc.method, tc.route)
	}
	status, _, _ := curl(t, http.MethodGet, r.env[adminURLVar]+"/idenfy/fail-next", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status)

	// What a web page could send: a cross-site POST (with its Origin), a
	// DNS-rebound host name.
	status, _, b := curl(t, http.MethodPost, r.env[adminURLVar]+"/idenfy/fail-next", "text/plain", strings.NewReader(`{"status": 500}`),
		"Origin", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, status, "%s", b)
	req, err := http.NewRequest(http.MethodPost, r.env[adminURLVar]+"/idenfy/fail-next", strings.NewReader(`{"status": 500}`))
	require.NoError(t, err)
	req.Host = "rebound.evil.example"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, 0, num(r.counts(t, "idenfy"), "faults"), "no knob took effect")
	assert.Equal(t, http.StatusCreated, r.login(t, "idenfy"))
}

// Rule: chosen ports are used; a port that is taken is an error (exit 1)
// that names it; the env file is written whole, 0600.
func TestFakesPortsAndEnvFile(t *testing.T) {
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	port, adminPort := free(), free()
	file := filepath.Join(t.TempDir(), "fakes.env")
	r := startFakesCmd(t, "--idenfy-port", strconv.Itoa(port), "--admin-port", strconv.Itoa(adminPort), "--env-file", file)
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port), r.env["UNIKYC_IDENFY_BASE_URL"])
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(adminPort)+"/_unikyc", r.env[adminURLVar])
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, r.out, string(b))
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}

	// The same port again, while the first command holds it.
	var out, errOut bytes.Buffer
	code := run([]string{"fakes", "--idenfy-port", strconv.Itoa(port)}, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut.String(), "unikyc fakes: idenfy fake: cannot listen on 127.0.0.1:"+strconv.Itoa(port))
	assert.Empty(t, out.String(), "no environment for fakes that do not run")

	for _, args := range [][]string{{"--kyconnect-port", "70000"}, {"--admin-port", "-1"}, {"stray"}} {
		res := cli(nil, "", append([]string{"fakes"}, args...)...)
		assert.Equal(t, exitUsage, res.code, "%v: %s", args, res.all())
	}
}

// Rule: the command stops cleanly: every port closed, exit 0, no
// goroutine left (TestMain's goleak check).
func TestFakesStopCleanly(t *testing.T) {
	r := startFakesCmd(t)
	addr := strings.TrimPrefix(r.env["UNIKYC_GENERICJWT_BASE_URL"], "http://")
	require.Equal(t, http.StatusOK, r.login(t, "genericjwt"))
	r.stop()
	select {
	case code := <-r.done:
		r.done <- code
		assert.Equal(t, exitOK, code)
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	assert.Contains(t, r.stderr.String(), "unikyc fakes: stopping")
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the port is closed")
}

// The export lines are shell-safe: a POSIX shell reads back every value,
// quotes included.
func TestExportLinesAreShellSafe(t *testing.T) {
	env := [][2]string{{"UNIKYC_X_A", `it's $HOME "quoted" ` + "`id` \\ \n;"}, {"UNIKYC_X_B", ""}}
	out := exportLines(env)
	assert.Equal(t, "# unikyc fakes: the environment that points a unikyc client at the fakes\n"+
		`export UNIKYC_X_A='it'\''s $HOME "quoted" `+"`id` \\ \n;'\n"+
		"export UNIKYC_X_B=''\n", out)
	sh, err := exec.LookPath("sh")
	if err != nil {
		return // no POSIX shell on this machine; the parser above reads it as one would
	}
	cmd := exec.Command(sh, "-c", out+`printf '%s|%s' "$UNIKYC_X_A" "$UNIKYC_X_B"`)
	cmd.Env = []string{"HOME=/nowhere"}
	b, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, env[0][1]+"|", string(b))
}
