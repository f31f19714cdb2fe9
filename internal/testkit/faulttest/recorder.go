package faulttest

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
)

// recordCap bounds how much of each body a Recorder keeps to look for
// tokens: tokens sit at the start of the answers that carry them.
const recordCap = 256 << 10

var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// Recorder is a client's base transport that remembers every credential
// header it sends and every JWT that crosses it either way (access and
// refresh tokens, in requests and answers), so that a test can check that
// none of them shows up where it must not.
type Recorder struct {
	base    *http.Transport
	headers []string

	mu     sync.Mutex
	values []string
	bodies []*capture
}

// NewRecorder returns a Recorder over a clone of http.DefaultTransport;
// headers names the credential headers to record besides Authorization.
func NewRecorder(headers ...string) *Recorder {
	return &Recorder{base: http.DefaultTransport.(*http.Transport).Clone(),
		headers: append([]string{"Authorization"}, headers...)}
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	for _, h := range r.headers {
		if v := req.Header.Get(h); v != "" {
			r.values = append(r.values, v)
		}
	}
	r.mu.Unlock()
	if req.Body != nil && req.Body != http.NoBody {
		cp := *req
		cp.Body = r.capture(req.Body)
		req = &cp
	}
	resp, err := r.base.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = r.capture(resp.Body)
	}
	return resp, err
}

// CloseIdleConnections closes the base transport's idle connections.
func (r *Recorder) CloseIdleConnections() { r.base.CloseIdleConnections() }

func (r *Recorder) capture(rc io.ReadCloser) io.ReadCloser {
	c := &capture{rc: rc}
	r.mu.Lock()
	r.bodies = append(r.bodies, c)
	r.mu.Unlock()
	return c
}

// Secrets returns every credential value sent (and, for Bearer and Basic,
// the bare token, key and secret) and every JWT seen.
func (r *Recorder) Secrets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, v := range r.values {
		out = append(out, credentialParts(v)...)
	}
	for _, c := range r.bodies {
		out = append(out, jwtPattern.FindAllString(c.String(), -1)...)
	}
	return out
}

// credentialParts returns an Authorization-like value and its secret parts.
func credentialParts(v string) []string {
	out := []string{v}
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok {
		return out
	}
	out = append(out, rest)
	if strings.EqualFold(scheme, "basic") {
		if dec, err := base64.StdEncoding.DecodeString(rest); err == nil {
			user, pass, _ := strings.Cut(string(dec), ":")
			out = append(out, string(dec), user, pass)
		}
	}
	return out
}

type capture struct {
	rc  io.ReadCloser
	mu  sync.Mutex
	buf []byte
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.mu.Lock()
	if room := recordCap - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *capture) Close() error { return c.rc.Close() }

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

// Other is a second host, somewhere a redirect may point. It answers 200
// {} and remembers every header value and body it received.
type Other struct {
	URL string
	srv *httptest.Server

	mu   sync.Mutex
	n    int
	seen []string
}

// NewOther starts another host.
func NewOther() *Other {
	o := &Other{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.n++
		for k, vs := range r.Header {
			for _, v := range vs {
				o.seen = append(o.seen, k+": "+v)
			}
		}
		o.seen = append(o.seen, string(body))
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	o.URL = o.srv.URL
	return o
}

// Requests counts the requests the other host received.
func (o *Other) Requests() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// Seen returns every header ("Name: value") and body received.
func (o *Other) Seen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// Close shuts the other host down.
func (o *Other) Close() { o.srv.Close() }
