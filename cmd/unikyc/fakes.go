package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
)

// The fakes command serves the five fake providers (the <provider>test
// packages' servers, the same ones Go tests use) on loopback ports, for
// tests of services written in other languages and for end-to-end suites.
//
// Each fake is made in memory (WithInMemory) and served on its own
// 127.0.0.1 listener through a reverse proxy to its in-memory transport,
// so its port can be chosen (--<provider>-port, 0 for a free one). Only
// loopback: the fakes' credentials are public, and the library refuses to
// send credentials over plain http to any other host.

// fakeKnobs are the knobs and counters every fake shares (its embedded
// Knobs), as the admin API uses them.
type fakeKnobs interface {
	FailNext(path string, n, status int, body []byte)
	RateLimitNext(path string, n int, retryAfter string)
	UnavailableNext(path string, n int, retryAfter string)
	DelayNext(path string, n int, d time.Duration)
	ClearFaults()
	ExpireTokens()
	RevokeTokens()
	ResetCounts()
	Requests() int
	Calls(path string) int
	Faults() int
	Rejected() int
	RateLimited() int
	Logins() int
	LoginAttempts() int
	Refreshes() int
	LiveTokens() int
	Transport() http.RoundTripper
}

// fake is one served provider.
type fake struct {
	provider string
	knobs    fakeKnobs
	nominal  string // the in-memory fake's own URL, which no one serves
	config   any    // the provider's Config for the fake's account
	extraEnv [][2]string
	close    func()

	listener net.Listener
	server   *http.Server
	url      string // where it is served: http://127.0.0.1:port
}

// fakeSet is the running command: the fakes and the admin API.
type fakeSet struct {
	fakes []*fake
	admin *http.Server
	// adminURL is the admin API's root, http://127.0.0.1:port/_unikyc.
	adminURL  string
	adminLn   net.Listener
	env       [][2]string
	idenfyHub *idenfytest.Server
}

// fakesOptions are the command's flags.
type fakesOptions struct {
	ports        map[string]*int
	adminPort    int
	envFile      string
	kyconnectMFA bool
	webhookURL   string
}

// fakeProviders is the order of the fakes in the output.
var fakeProviders = []string{"genericjwt", "icomply", "idenfy", "compliancely", "kyconnect"}

func fakesCmd(e *env, args []string) int {
	fs := newFlags(e, "fakes", "[--<provider>-port N]… [--admin-port N] [--env-file FILE]",
		"Serves the five fake providers on 127.0.0.1 until interrupted (Ctrl-C, SIGINT or SIGTERM), prints the\n"+
			"UNIKYC_* variables that point a client at them as shell `export` lines, and serves an admin API\n"+
			"(JSON) to inject faults, revoke tokens, complete iDenfy verifications (signed webhooks) and read\n"+
			"counters: see the README, \"Fake servers for tests outside Go\".\n"+
			"Ports are 0 by default: a free port each, printed. The fakes' credentials are not secrets.\n"+
			"Exit 0: stopped by a signal; 1: a port could not be opened; 2: usage.")
	o := fakesOptions{ports: map[string]*int{}}
	for _, p := range fakeProviders {
		o.ports[p] = fs.Int(p+"-port", 0, "port of the "+p+" fake (0: a free one)")
	}
	fs.IntVar(&o.adminPort, "admin-port", 0, "port of the admin API (0: a free one)")
	fs.StringVar(&o.envFile, "env-file", "", "also write the export lines to FILE (mode 0600), once every port is open:\n"+
		"a script can wait for FILE and source it")
	fs.BoolVar(&o.kyconnectMFA, "kyconnect-mfa", false, "the KYConnect account has TOTP MFA (the secret is printed)")
	fs.StringVar(&o.webhookURL, "idenfy-webhook-url", "", "where iDenfy webhooks of sessions without a callbackUrl go")
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, fs, "unexpected argument %s", echo(pos[0]))
	}
	if o.webhookURL != "" {
		if u, err := url.Parse(o.webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError(e, fs, "--idenfy-webhook-url must be an http or https URL")
		}
	}
	for _, p := range append(fakeProviders, "admin") {
		port := o.adminPort
		if p != "admin" {
			port = *o.ports[p]
		}
		if port < 0 || port > 65535 {
			return usageError(e, fs, "--%s-port must be between 0 and 65535", p)
		}
	}

	ctx, stop := signal.NotifyContext(e.context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	set, err := startFakes(o)
	if err != nil {
		fmt.Fprintf(e.stderr, "unikyc fakes: %s\n", err)
		return exitFailure
	}
	defer set.stop()
	out := exportLines(set.env)
	if o.envFile != "" {
		if err := writeEnvFile(o.envFile, out); err != nil {
			fmt.Fprintf(e.stderr, "unikyc fakes: %s\n", err)
			return exitFailure
		}
	}
	fmt.Fprint(e.stdout, out)
	fmt.Fprintf(e.stderr, "unikyc fakes: serving %d fakes on 127.0.0.1; admin API at %s/; stop with Ctrl-C\n",
		len(set.fakes), set.adminURL)
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "unikyc fakes: stopping")
	return exitOK
}

// startFakes makes the fakes, opens every port, and serves.
func startFakes(o fakesOptions) (*fakeSet, error) {
	set := &fakeSet{}
	fail := func(err error) (*fakeSet, error) {
		set.stop()
		return nil, err
	}
	set.fakes = newFakes(o, set)
	for _, f := range set.fakes {
		ln, err := listen(*o.ports[f.provider])
		if err != nil {
			return fail(fmt.Errorf("%s fake: %w", f.provider, err))
		}
		f.listener, f.url = ln, "http://"+ln.Addr().String()
	}
	ln, err := listen(o.adminPort)
	if err != nil {
		return fail(fmt.Errorf("admin API: %w", err))
	}
	set.adminLn, set.adminURL = ln, "http://"+ln.Addr().String()+adminPrefix
	for _, f := range set.fakes {
		set.env = append(set.env, fakeEnv(f)...)
	}
	set.env = append(set.env, [2]string{adminURLVar, set.adminURL})

	for _, f := range set.fakes {
		f.server = newHTTPServer(proxyTo(f))
		go serve(f.server, f.listener)
	}
	set.admin = newHTTPServer(set.adminHandler())
	go serve(set.admin, set.adminLn)
	return set, nil
}

// adminURLVar is the variable that holds the admin API's root.
const adminURLVar = "UNIKYC_FAKES_ADMIN_URL"

func listen(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			return nil, fmt.Errorf("cannot listen on 127.0.0.1:%d: %v", port, op.Err)
		}
		return nil, fmt.Errorf("cannot listen on 127.0.0.1:%d", port)
	}
	return ln, nil
}

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog}
}

func serve(s *http.Server, ln net.Listener) { _ = s.Serve(ln) }

// stop shuts every server down (in-flight requests get 5 s), closes the
// listeners — Shutdown closes only those Serve has taken up, and a server
// stopped right after it started may not have — then closes the fakes.
func (set *fakeSet) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, f := range set.fakes {
		if f.server != nil {
			_ = f.server.Shutdown(ctx)
		}
		if f.listener != nil {
			_ = f.listener.Close()
		}
	}
	if set.admin != nil {
		_ = set.admin.Shutdown(ctx)
	}
	if set.adminLn != nil {
		_ = set.adminLn.Close()
	}
	for _, f := range set.fakes {
		f.close()
	}
}

// newFakes makes the five fakes, in memory.
func newFakes(o fakesOptions, set *fakeSet) []*fake {
	g := genericjwttest.NewServer(genericjwttest.WithInMemory())
	ic := icomplytest.NewServer(icomplytest.WithInMemory())
	idOpts := []idenfytest.Option{idenfytest.WithInMemory()}
	if o.webhookURL != "" {
		idOpts = append(idOpts, idenfytest.WithWebhookURL(o.webhookURL))
	}
	id := idenfytest.NewServer(idOpts...)
	co := compliancelytest.NewServer(compliancelytest.WithInMemory())
	kyOpts := []kyconnecttest.Option{kyconnecttest.WithInMemory()}
	if o.kyconnectMFA {
		kyOpts = append(kyOpts, kyconnecttest.WithMFA(""))
	}
	ky := kyconnecttest.NewServer(kyOpts...)
	set.idenfyHub = id
	kyExtra := [][2]string(nil)
	if o.kyconnectMFA {
		kyExtra = append(kyExtra, [2]string{"TOTP_SECRET", string(ky.TOTPSecret())})
	}
	return []*fake{
		{provider: "genericjwt", knobs: g, nominal: g.URL, config: g.Config(), close: g.Close},
		{provider: "icomply", knobs: ic, nominal: ic.URL, config: ic.Config(), close: ic.Close},
		{provider: "idenfy", knobs: id, nominal: id.URL, config: id.Config(), close: id.Close,
			extraEnv: [][2]string{{"WEBHOOK_KEY", string(id.WebhookKey())}}},
		{provider: "compliancely", knobs: co, nominal: co.URL, config: co.Config(), close: co.Close},
		{provider: "kyconnect", knobs: ky, nominal: ky.URL, config: ky.Config(), close: ky.Close, extraEnv: kyExtra},
	}
}

// proxyTo serves f's fake on its listener: every request goes to the
// fake's in-memory transport, as if sent to the fake's own URL.
func proxyTo(f *fake) http.Handler {
	target, _ := url.Parse(f.nominal)
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		Transport: f.knobs.Transport(),
		ErrorLog:  discardLog,
	}
}

// fakeEnv is the UNIKYC_<PROVIDER>_* environment of f, from its Config:
// every variable the provider reads whose field is set, the base URL
// pointed at f's listener.
func fakeEnv(f *fake) [][2]string {
	vars, err := providers.EnvVars(f.provider)
	if err != nil {
		return nil
	}
	cfg := reflect.ValueOf(f.config)
	var env [][2]string
	for _, v := range vars {
		fv := cfg.FieldByName(v.Field)
		if !fv.IsValid() || fv.IsZero() {
			continue
		}
		var s string
		switch {
		case fv.Type() == reflect.TypeFor[time.Duration]():
			s = time.Duration(fv.Int()).String()
		case fv.Kind() == reflect.String:
			s = fv.String()
		case fv.Kind() == reflect.Bool:
			s = strconv.FormatBool(fv.Bool())
		case fv.CanInt():
			s = strconv.FormatInt(fv.Int(), 10)
		default:
			continue
		}
		if v.Name == "BASE_URL" {
			s = f.url + strings.TrimPrefix(s, f.nominal)
		}
		env = append(env, [2]string{providers.EnvName(f.provider, v.Name), s})
	}
	for _, kv := range f.extraEnv {
		env = append(env, [2]string{providers.EnvName(f.provider, kv[0]), kv[1]})
	}
	return env
}

// exportLines writes env as POSIX shell: a comment, then one export line
// per variable, each value in single quotes (a quote inside it is closed,
// escaped with a backslash and reopened), so no shell expands anything.
func exportLines(env [][2]string) string {
	var b strings.Builder
	b.WriteString("# unikyc fakes: the environment that points a unikyc client at the fakes\n")
	for _, kv := range env {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeEnvFile writes the export lines to path whole or not at all (a
// temporary file renamed into place), mode 0600: it holds the fakes'
// credentials, and a script waiting for it never reads half.
func writeEnvFile(path, content string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".unikyc-fakes-env-*")
	if err != nil {
		return fmt.Errorf("cannot write --env-file %s: %s", echo(path), pathReason(err))
	}
	defer os.Remove(tmp.Name())
	_, err = io.WriteString(tmp, content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("cannot write --env-file %s: %s", echo(path), pathReason(err))
	}
	return nil
}

// fake returns the served fake of provider, or nil.
func (set *fakeSet) fake(provider string) *fake {
	for _, f := range set.fakes {
		if f.provider == provider {
			return f
		}
	}
	return nil
}

// discardLog swallows the reverse proxy's log of a client gone early.
var discardLog = log.New(io.Discard, "", 0)
