//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain stops every server a test started, then checks that no
// goroutine was left behind.
func TestMain(m *testing.M) {
	code := m.Run()
	stopServers()
	if scratch != "" {
		_ = os.RemoveAll(scratch)
	}
	hooks.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// server is one framework server, started once for the whole run.
type server struct {
	name string
	base string // http://127.0.0.1:<port>
	cmd  *exec.Cmd
	out  *output
}

var (
	scratch   string // a directory for the servers' files, made on first use
	serversMu sync.Mutex
	servers   = map[string]*server{}
	startErrs = map[string]error{}
)

// startOnce returns the named server, starting it on first use. A server
// that cannot start fails every test that needs it (no skipping).
func startOnce(t *testing.T, name, dir string, env []string, argv ...string) *server {
	t.Helper()
	serversMu.Lock()
	defer serversMu.Unlock()
	if s, ok := servers[name]; ok {
		return s
	}
	if err, ok := startErrs[name]; ok {
		t.Fatalf("%s server did not start: %v", name, err)
	}
	s, err := start(name, dir, env, argv...)
	if err != nil {
		startErrs[name] = err
		t.Fatalf("%s server did not start: %v", name, err)
	}
	servers[name] = s
	return s
}

// scratchFile is a path in the run's scratch directory.
func scratchFile(t *testing.T, name string) string {
	t.Helper()
	serversMu.Lock()
	defer serversMu.Unlock()
	if scratch == "" {
		dir, err := os.MkdirTemp("", "unikyc-integration-")
		if err != nil {
			t.Fatal(err)
		}
		scratch = dir
	}
	return filepath.Join(scratch, name)
}

// start runs argv in dir and waits for the "PORT=<n>" line it prints.
func start(name, dir string, env []string, argv ...string) (*server, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out := &output{port: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group, killed with the test binary if it dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, cmd: cmd, out: out}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case port := <-out.port:
		s.base = "http://127.0.0.1:" + port
		go func() { <-exited; out.closeDone() }() // reaped by stop
		return s, nil
	case err := <-exited:
		return nil, fmt.Errorf("exited (%v) before listening:\n%s", err, out.tail())
	case <-time.After(90 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return nil, fmt.Errorf("not listening after 90 s:\n%s", out.tail())
	}
}

// stopServers ends every server with SIGTERM (SIGKILL after 5 s) and
// waits for it to exit.
func stopServers() {
	serversMu.Lock()
	defer serversMu.Unlock()
	for name, s := range servers {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.out.done():
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.out.done()
		}
		delete(servers, name)
	}
}

// output keeps the last lines a server wrote and reports its port.
type output struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	port   chan string
	seen   bool
	doneMu sync.Once
	doneCh chan struct{}
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.seen {
		sc := bufio.NewScanner(bytes.NewReader(o.buf.Bytes()))
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "PORT="); ok {
				o.seen = true
				o.port <- port
				break
			}
		}
	}
	if o.buf.Len() > 64<<10 {
		o.buf.Next(o.buf.Len() - 32<<10)
	}
	return len(p), nil
}

func (o *output) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func (o *output) done() chan struct{} {
	o.doneMu.Do(func() { o.doneCh = make(chan struct{}) })
	return o.doneCh
}

func (o *output) closeDone() { close(o.done()) }

// python is the interpreter with Debian's packages: /usr/bin/python3
// unless UNIKYC_PYTHON says otherwise (a pyenv shim first on PATH lacks them).
func python() string {
	if p := os.Getenv("UNIKYC_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

func here(t *testing.T, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// --- the servers' own counts ----------------------------------------------

// hooks talks to the test hooks; it is not the library's client.
var hooks = &http.Transport{}

// counts is what a server answered: "METHOD /path STATUS" → requests.
type counts map[string]int

func (s *server) hook(t *testing.T, method, path string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: hooks}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", s.name, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d", s.name, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", s.name, path, err)
		}
	}
}

// reset clears the server's counts and its throttle.
func (s *server) reset(t *testing.T) { t.Helper(); s.hook(t, http.MethodPost, "/_test/reset", nil) }

func (s *server) counts(t *testing.T) counts {
	t.Helper()
	var c counts
	s.hook(t, http.MethodGet, "/_test/counts", &c)
	return c
}

// n is how many requests to method path were answered with status (0: any).
func (c counts) n(method, path string, status int) int {
	total := 0
	for k, v := range c {
		f := strings.Fields(k)
		if len(f) == 3 && f[0] == method && f[1] == path && (status == 0 || f[2] == fmt.Sprint(status)) {
			total += v
		}
	}
	return total
}

// status is how many requests, to any path, were answered with status.
func (c counts) status(status int) int {
	total := 0
	for k, v := range c {
		if strings.HasSuffix(k, " "+fmt.Sprint(status)) {
			total += v
		}
	}
	return total
}

// total is how many requests the server answered.
func (c counts) total() int {
	total := 0
	for _, v := range c {
		total += v
	}
	return total
}

func (c counts) String() string {
	b, _ := json.Marshal(map[string]int(c))
	return string(b)
}

// --- the servers' own log of arrivals ---------------------------------------

// arrival is one request as a server saw it arrive.
type arrival struct {
	T       float64 `json:"t"` // when it arrived: seconds since the epoch, the server's clock
	Method  string  `json:"method"`
	Path    string  `json:"path"`
	Status  int     `json:"status"`
	Expired string  `json:"expired"` // the expired token it carried: "access", "refresh" or ""
	Token   string  `json:"token"`   // a fingerprint of its token (KYConnect's server)
	Done    float64 `json:"done"`    // when it was answered (KYConnect's server)
}

func (a arrival) at() time.Time { return time.UnixMicro(int64(a.T * 1e6)) }

// serverLog is every request a server answered since its reset, in order
// of arrival (the servers write each when answered), and the most requests its own throttle counted in its window
// (0 for a server without one).
type serverLog struct {
	Arrivals     []arrival `json:"arrivals"`
	MostInWindow int       `json:"most_in_window"`
}

func (s *server) log(t *testing.T) serverLog {
	t.Helper()
	var l serverLog
	s.hook(t, http.MethodGet, "/_test/log", &l)
	sort.SliceStable(l.Arrivals, func(i, j int) bool { return l.Arrivals[i].T < l.Arrivals[j].T })
	return l
}

// expired is how many requests carried a token the server saw expired.
func (l serverLog) expired() int {
	n := 0
	for _, a := range l.Arrivals {
		if a.Expired != "" {
			n++
		}
	}
	return n
}

// resentRefused is how many requests carried a token the server had
// already refused (answered 401) before they arrived.
func (l serverLog) resentRefused() int {
	refused := map[string]float64{} // token → when its first 401 was answered
	for _, a := range l.Arrivals {
		if a.Status == http.StatusUnauthorized && a.Token != "" {
			if at, ok := refused[a.Token]; !ok || a.Done < at {
				refused[a.Token] = a.Done
			}
		}
	}
	n := 0
	for _, a := range l.Arrivals {
		if at, ok := refused[a.Token]; ok && a.T > at {
			n++
		}
	}
	return n
}

// status is how many requests were answered with status.
func (l serverLog) status(status int) int {
	n := 0
	for _, a := range l.Arrivals {
		if a.Status == status {
			n++
		}
	}
	return n
}

// mostIn is the most arrivals in any closed window of length w.
func (l serverLog) mostIn(w time.Duration) int {
	best := 0
	for i := range l.Arrivals {
		n := 0
		for j := i; j < len(l.Arrivals) && l.Arrivals[j].at().Sub(l.Arrivals[i].at()) <= w; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

// densest lists the arrivals of the first window of length w that holds
// the most, for a failure's message.
func (l serverLog) densest(w time.Duration) string {
	best, from := 0, 0
	for i := range l.Arrivals {
		n := 0
		for j := i; j < len(l.Arrivals) && l.Arrivals[j].at().Sub(l.Arrivals[i].at()) <= w; j++ {
			n++
		}
		if n > best {
			best, from = n, i
		}
	}
	var b strings.Builder
	for _, a := range l.Arrivals[from : from+best] {
		fmt.Fprintf(&b, "\n  +%6.3fs %s %s %d %s", a.T-l.Arrivals[from].T, a.Method, a.Path, a.Status, a.Expired)
	}
	return b.String()
}

// --- sixteen callers back to back ------------------------------------------

// outcome is one call made by a back-to-back caller.
type outcome struct {
	start time.Time
	took  time.Duration
	err   error
}

// backToBack runs n goroutines, each calling call back to back until run
// is cancelled. With d > 0 each call has a deadline of d and runs to its
// end; with d == 0 each call has run's context, and is cut when it ends
// (its error matches context.Canceled). It returns every call's outcome.
func backToBack(run context.Context, n int, d time.Duration, call func(context.Context) error) []outcome {
	var (
		mu  sync.Mutex
		out []outcome
		wg  sync.WaitGroup
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for run.Err() == nil {
				ctx, cancel := run, context.CancelFunc(func() {})
				if d > 0 {
					ctx, cancel = context.WithTimeout(context.Background(), d)
				}
				start := time.Now()
				err := call(ctx)
				took := time.Since(start)
				cancel()
				mu.Lock()
				out = append(out, outcome{start: start, took: took, err: err})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// runFor is a context cancelled (not timed out: a call waiting with it
// has no deadline to be refused against) after d.
func runFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	stop := time.AfterFunc(d, cancel)
	t.Cleanup(func() { stop.Stop(); cancel() })
	return ctx
}

// figures are what the issue asks of a run; each must be 0 or within
// the limit. Tests log them, for the closing note.
type figures struct {
	unauthorized int // 401s that reached callers
	expired      int // expired tokens on the wire, as the server judged them
	throttled    int // 429s the client's own pacing drew
	mostCounted  int // the most requests in any window, as the server's throttle counted
	mostArrived  int // the most arrivals in any window of the server's length (every route)
	limit        int
}

func (f figures) String() string {
	if f.limit == 0 {
		return fmt.Sprintf("401s reaching callers %d, expired tokens on the wire %d, 429s drawn %d, no throttle",
			f.unauthorized, f.expired, f.throttled)
	}
	return fmt.Sprintf("401s reaching callers %d, expired tokens on the wire %d, 429s drawn %d, "+
		"most in any window: %d as the throttle counted, %d arrivals, limit %d",
		f.unauthorized, f.expired, f.throttled, f.mostCounted, f.mostArrived, f.limit)
}

func itoa(n int) string { return fmt.Sprint(n) }

// secs writes d in whole seconds for a server's environment.
func secs(d time.Duration) string { return fmt.Sprint(int(d / time.Second)) }

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
