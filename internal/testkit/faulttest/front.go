package faulttest

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Behavior answers one request in place of (or around) the fake; next is
// the fake behind the front.
type Behavior func(f *Front, w http.ResponseWriter, r *http.Request, next http.Handler)

// Front is an httptest server that proxies to a fake and, for the requests
// a test picks, behaves as told instead. It counts requests by path.
type Front struct {
	URL    string // the front's origin, e.g. http://127.0.0.1:4711
	srv    *httptest.Server
	proxy  *httputil.ReverseProxy
	tr     *http.Transport
	target *url.URL
	quit   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	rules    []rule
	counts   map[string]int
	statuses map[string]int // "path status" → answers
	pick     func(*http.Request) Behavior
}

type rule struct {
	path string // "" matches any path
	n    int
	b    Behavior
}

// NewFront starts a front for the fake at origin (scheme and host only
// matter).
func NewFront(origin string) *Front {
	target, err := url.Parse(origin)
	if err != nil {
		panic(err)
	}
	target.Path, target.RawPath = "", ""
	f := &Front{target: target, quit: make(chan struct{}), counts: map[string]int{}, statuses: map[string]int{}}
	f.tr = http.DefaultTransport.(*http.Transport).Clone()
	f.proxy = &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: f.tr,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f
}

// Rebase returns baseURL (the fake's) with its origin replaced by the
// front's, keeping the path (e.g. /api/v1).
func (f *Front) Rebase(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		panic(err)
	}
	return f.URL + strings.TrimSuffix(u.Path, "/")
}

// Next makes the next n requests to path ("" for any) go to b.
func (f *Front) Next(path string, n int, b Behavior) {
	f.mu.Lock()
	f.rules = append(f.rules, rule{path: path, n: n, b: b})
	f.mu.Unlock()
}

// Calls counts the requests the front received for path.
func (f *Front) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[path]
}

// Answered counts the answers with status the front sent for path, its
// own and the fake's.
func (f *Front) Answered(path string, status int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statuses[path+" "+strconv.Itoa(status)]
}

// Close releases hanging requests and shuts the front down.
func (f *Front) Close() {
	f.once.Do(func() { close(f.quit) })
	f.srv.Close()
	f.tr.CloseIdleConnections()
}

func (f *Front) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.counts[r.URL.Path]++
	var b Behavior
	for i := range f.rules {
		q := &f.rules[i]
		if q.path != "" && q.path != r.URL.Path {
			continue
		}
		b = q.b
		if q.n--; q.n == 0 {
			f.rules = append(f.rules[:i], f.rules[i+1:]...)
		}
		break
	}
	pick := f.pick
	f.mu.Unlock()
	if b == nil && pick != nil {
		b = pick(r)
	}
	sw := &statusWriter{ResponseWriter: w}
	if b == nil {
		f.proxy.ServeHTTP(sw, r)
	} else {
		b(f, sw, r, f.proxy)
	}
	if sw.status != 0 {
		f.mu.Lock()
		f.statuses[r.URL.Path+" "+strconv.Itoa(sw.status)]++
		f.mu.Unlock()
	}
}

// statusWriter notes the status written; it still hijacks.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return s.ResponseWriter.(http.Hijacker).Hijack()
}

func (s *statusWriter) Flush() {
	if fl, ok := s.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// Answer answers with status and body, as JSON.
func Answer(status int, body []byte) Behavior {
	return func(_ *Front, w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// ResetMidBody sends a 200 header that promises 4 KiB and the first bytes
// of a token answer, then resets the connection (TCP RST).
func ResetMidBody() Behavior {
	return func(_ *Front, w http.ResponseWriter, r *http.Request, _ http.Handler) {
		_, _ = readAll(r)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n" +
			`{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIi`)
		_ = buf.Flush()
		resetClose(conn)
	}
}

// ResetBeforeAnswer reads the request and resets the connection without
// answering.
func ResetBeforeAnswer() Behavior {
	return func(_ *Front, w http.ResponseWriter, r *http.Request, _ http.Handler) {
		_, _ = readAll(r)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		resetClose(conn)
	}
}

func resetClose(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST, not FIN
	}
	_ = conn.Close()
}

// Truncate lets the fake answer, then sends only the first half of its
// body, with a Content-Length that matches the half: a complete HTTP
// answer holding cut JSON.
func Truncate() Behavior {
	return func(_ *Front, w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		body = body[:len(body)/2]
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}
}

// Huge answers status with a JSON-looking body of size bytes, streamed.
func Huge(status, size int) Behavior {
	return func(_ *Front, w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(status)
		head := []byte(`{"access_token":"`)
		_, _ = w.Write(head)
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for left := size - len(head); left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return // the client stopped reading: that is the point
			}
		}
	}
}

// Hang holds the request until the client gives up or the front closes.
func Hang() Behavior {
	return func(f *Front, _ http.ResponseWriter, r *http.Request, _ http.Handler) {
		select {
		case <-r.Context().Done():
		case <-f.quit:
		}
	}
}

// RedirectTo answers 307 to the same path and query on origin.
func RedirectTo(origin string) Behavior {
	return func(_ *Front, w http.ResponseWriter, r *http.Request, _ http.Handler) {
		w.Header().Set("Location", origin+r.URL.RequestURI())
		w.WriteHeader(http.StatusTemporaryRedirect)
	}
}

// Then lets the fake answer, then calls fn (e.g. to expire what the fake
// just issued).
func Then(fn func()) Behavior {
	return func(_ *Front, w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(w, r)
		fn()
	}
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}

func itoa(n int) string { return strconv.Itoa(n) }
