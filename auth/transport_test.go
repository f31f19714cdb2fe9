package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
)

// recorder is a provider that records what reached it and answers 401 to
// tokens it was told to refuse.
type recorder struct {
	mu      sync.Mutex
	auths   []string
	bodies  []string
	refuse  map[string]bool
	srv     *httptest.Server
	reached atomic.Int64
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{refuse: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.reached.Add(1)
		b, _ := io.ReadAll(req.Body)
		h := req.Header.Get("Authorization")
		r.mu.Lock()
		r.auths = append(r.auths, h)
		r.bodies = append(r.bodies, string(b))
		refuse := r.refuse[h] || r.refuse["*"]
		r.mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"detail":"Unauthorized"}`))
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// rotating is a token source that hands out a new token after each
// invalidation.
type rotating struct {
	mu          sync.Mutex
	n           int
	cur         *auth.Token
	invalidated []string
}

func (s *rotating) Token(context.Context) (*auth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		s.n++
		s.cur = &auth.Token{AccessToken: "tok" + string(rune('0'+s.n))}
	}
	return s.cur, nil
}

func (s *rotating) Invalidate(t *auth.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, t.AccessToken)
	if s.cur == t {
		s.cur = nil
	}
}

func transport(t *testing.T, r *recorder, src auth.TokenSource) *auth.Transport {
	u, err := url.Parse(r.srv.URL)
	require.NoError(t, err)
	tr := &auth.Transport{Origin: u, Source: src, Base: r.srv.Client().Transport}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// Rule: a RoundTripper returns the responses it gets. A 401 is the
// caller's to see, sent once, with nothing dropped behind its back.
func TestA401IsReturnedAsItCame(t *testing.T) {
	r := newRecorder(t)
	r.refuse["*"] = true
	src := &rotating{}
	c := &http.Client{Transport: transport(t, r, src)}
	resp, err := c.Post(r.srv.URL+"/x", "text/plain", strings.NewReader("payload"))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.EqualValues(t, 1, r.reached.Load())
	assert.Empty(t, src.invalidated)
}

func TestCallerRequestIsNotModified(t *testing.T) {
	r := newRecorder(t)
	tr := transport(t, r, &rotating{})
	req, err := http.NewRequest(http.MethodGet, r.srv.URL+"/x", nil)
	require.NoError(t, err)
	req.Header.Set("X-Mine", "1")
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, req.Header.Get("Authorization"))
	assert.Equal(t, http.Header{"X-Mine": {"1"}}, req.Header)
	assert.Equal(t, []string{"Bearer tok1"}, r.auths)
}

func TestCrossHostRedirectCarriesNoCredentials(t *testing.T) {
	other := newRecorder(t)
	r := newRecorder(t)
	r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auths = append(r.auths, req.Header.Get("Authorization"))
		r.mu.Unlock()
		http.Redirect(w, req, other.srv.URL+"/landing", http.StatusFound)
	})
	c := &http.Client{Transport: transport(t, r, &rotating{})}
	resp, err := c.Get(r.srv.URL + "/start")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []string{"Bearer tok1"}, r.auths, "the provider gets the token")
	assert.Equal(t, []string{""}, other.auths, "the other host gets nothing")

	// A request straight to another host also goes out bare.
	resp, err = c.Get(other.srv.URL + "/direct")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []string{"", ""}, other.auths)
}

type countingRT struct{ n atomic.Int64 }

func (c *countingRT) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("dialed")
}

type trackedBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackedBody) Close() error { b.closed.Store(true); return nil }

func TestPlainHTTPToRemoteHostRefusedBeforeDialing(t *testing.T) {
	base := &countingRT{}
	origin, _ := url.Parse("http://kyc.example.com")
	tr := &auth.Transport{Origin: origin, Credential: auth.Bearer("secret-token"), Base: base}
	body := &trackedBody{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest(http.MethodPost, "http://kyc.example.com/api", body)
	_, err := tr.RoundTrip(req)
	require.ErrorIs(t, err, auth.ErrInsecureHTTP)
	assert.Zero(t, base.n.Load(), "no connection attempted")
	assert.True(t, body.closed.Load(), "the body is closed, as RoundTrip must")

	tr2 := &auth.Transport{Origin: origin, Credential: auth.Bearer("secret-token"), Base: base, AllowInsecureHTTP: true}
	req, _ = http.NewRequest(http.MethodGet, "http://kyc.example.com/api", nil)
	_, err = tr2.RoundTrip(req)
	require.ErrorContains(t, err, "dialed")
	assert.EqualValues(t, 1, base.n.Load())
}

func TestPlainHTTPToLoopbackAllowed(t *testing.T) {
	for _, host := range []string{"127.0.0.1:8080", "localhost:3000", "[::1]:80", "127.9.9.9"} {
		base := &countingRT{}
		origin, _ := url.Parse("http://" + host)
		tr := &auth.Transport{Origin: origin, Credential: auth.Bearer("t"), Base: base}
		req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/x", nil)
		_, err := tr.RoundTrip(req)
		require.ErrorContains(t, err, "dialed", host)
	}
}

type failingSource struct{}

func (failingSource) Token(context.Context) (*auth.Token, error) {
	return nil, errors.New("login failed")
}

func TestBodyClosedWhenTokenFails(t *testing.T) {
	base := &countingRT{}
	origin, _ := url.Parse("https://kyc.example.com")
	tr := &auth.Transport{Origin: origin, Source: failingSource{}, Base: base}
	body := &trackedBody{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest(http.MethodPost, "https://kyc.example.com/api", body)
	_, err := tr.RoundTrip(req)
	require.ErrorContains(t, err, "login failed")
	assert.True(t, body.closed.Load())
	assert.Zero(t, base.n.Load())
}

func TestOriginMatchIgnoresCaseAndDefaultPort(t *testing.T) {
	got := map[string]string{}
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		got[req.URL.String()] = req.Header.Get("X-Api-Key")
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
	})
	origin, _ := url.Parse("https://API.example.com")
	tr := &auth.Transport{Origin: origin, Credential: auth.APIKey("x-api-key", "k"), Base: base}
	want := map[string]string{
		"https://api.example.com:443/a":  "k",
		"https://api.example.com/b":      "k",
		"http://api.example.com/c":       "", // other scheme: another origin
		"https://api.example.com:8443/d": "", // other port
		"https://evil.example.com/e":     "",
		"https://api.example.com.evil/f": "",
	}
	for u := range want {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		_, err := tr.RoundTrip(req)
		require.NoError(t, err)
	}
	assert.Equal(t, want, got)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestStaticCredentials(t *testing.T) {
	cases := []struct {
		cred   auth.Credential
		header string
		want   string
	}{
		{auth.Basic("key", "secret"), "Authorization", "Basic a2V5OnNlY3JldA=="},
		{auth.APIKey("x-api-key", "k123"), "X-Api-Key", "k123"},
		{auth.Bearer("b123"), "Authorization", "Bearer b123"},
	}
	for _, c := range cases {
		h := http.Header{}
		c.cred.SetHeader(h)
		assert.Equal(t, c.want, h.Get(c.header))
		leakcheck.NoSecrets(t, []string{"secret", "a2V5OnNlY3JldA", "k123", "b123"}, c.cred)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	tok := auth.Token{AccessToken: "acc-SECRET", RefreshToken: "ref-SECRET", Expiry: time.Now()}
	leakcheck.NoSecrets(t, []string{"acc-SECRET", "ref-SECRET"}, tok, &tok, auth.Secret("pw-SECRET"),
		struct{ Password auth.Secret }{"pw-SECRET"})
	leakcheck.NoSecrets(t, []string{"pw-SECRET"}, struct {
		User     string
		Password auth.Secret
	}{"bob", "pw-SECRET"})
	assert.Equal(t, "REDACTED", auth.Secret("x").String())
	assert.Equal(t, "", auth.Secret("").String())
}
