package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/jwtexp"
	"github.com/unikyc/unikyc/tokencache"
)

// Spec is what a provider package tells Build about itself.
type Spec struct {
	Name    string // short provider name: "icomply"
	BaseURL string // absolute http(s) URL; credentials go only to its origin
	Account string // principal for the token-store key (user name, key id); never a secret

	// Credential is a static credential. Set it, or Login.
	Credential auth.Credential
	// Login logs in and returns a token; s sends token calls (retried,
	// throttled, answers capped at 1 MiB, never redirected).
	Login func(ctx context.Context, s *Sender) (*auth.Token, error)
	// Refresh, when the provider has refresh tokens, exchanges one.
	Refresh func(ctx context.Context, s *Sender, refreshToken string) (*auth.Token, error)

	// DecodeError reads the provider's error format.
	DecodeError ErrorDecoder

	// Documented limits, used unless the user passes a Limiter.
	Rate       rate.Limit // requests a second, logins and refreshes included; 0: none
	Burst      int        // default 1
	LoginRate  rate.Limit // logins a second; 0: no separate login limit
	LoginBurst int        // default 1
	// Penalty is the documented pause after a 429 without Retry-After.
	Penalty time.Duration
	// TokenCache holds the provider's cache defaults (e.g. its soft window).
	TokenCache []tokencache.Option
}

// Conn is one provider account's ready-made pipeline: the http.Client that
// authenticates, retries and throttles, the token cache behind it, and
// helpers that decode answers and errors. Provider clients embed it.
type Conn struct {
	*Sender
	base  *url.URL
	cache *tokencache.Cache
	stats *counters
	owned http.RoundTripper // the base transport Build made, closed by Close
}

// Sender sends requests for one provider and decodes its answers.
type Sender struct {
	provider string
	base     *url.URL
	hc       *http.Client
	decode   ErrorDecoder
	limit    int64
	clk      clock.Clock
}

type counters struct {
	requests, retries, coolDownWaits, rateLimited atomic.Int64
}

// Stats counts what a client has done.
type Stats struct {
	Requests      int64 // attempts sent, logins, refreshes and retries included
	Retries       int64
	CoolDownWaits int64 // attempts held back by a 429 cool-down
	RateLimited   int64 // 429 answers received
	Logins        int64
	Refreshes     int64
	StoreHits     int64 // tokens taken from a shared store instead of the provider
	Invalidations int64 // tokens dropped after a 401
}

// maxAnswer caps an API answer decoded by Do.
const maxAnswer = 16 << 20

// Build assembles the pipeline for spec: credentials, retry, throttle,
// base transport. It validates the base URL and refuses plain http to a
// non-loopback host unless AllowInsecureHTTP is given.
func Build(spec Spec, opts ...Option) (*Conn, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if spec.Name == "" {
		return nil, errors.New("unikyc: provider spec without a name")
	}
	if (spec.Credential == nil) == (spec.Login == nil) {
		return nil, fmt.Errorf("unikyc: %s: exactly one of Credential and Login must be set", spec.Name)
	}
	base, err := ParseBaseURL(spec.Name, spec.BaseURL, o.allowInsecure)
	if err != nil {
		return nil, err
	}
	clk := clock.Or(o.clock)
	logger := o.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rt, owned := o.transport, http.RoundTripper(nil)
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
		owned = rt
	}
	limiter := o.limiter
	if limiter == nil && spec.Rate > 0 {
		limiter = NewLimiter(spec.Rate, max(spec.Burst, 1), clk)
	}
	cool := o.coolDown
	if cool == nil {
		cool = &LocalCoolDown{}
	}
	policy := o.retry.withDefaults(spec.Penalty)
	stats := &counters{}
	layer := func(cool CoolDown, limiters ...Limiter) *throttle {
		var ls []Limiter
		for _, l := range limiters {
			if _, none := l.(unlimited); l != nil && !none {
				ls = append(ls, l)
			}
		}
		return &throttle{next: rt, limiters: ls, cool: cool, clk: clk, penalty: policy.Penalty,
			maxWait: policy.MaxRetryWait, provider: spec.Name, decode: spec.DecodeError, stats: stats, log: logger}
	}

	c := &Conn{base: base, stats: stats, owned: owned}
	tr := &auth.Transport{
		Origin:            base,
		Base:              newRetrier(layer(cool, limiter), policy, false),
		AllowInsecureHTTP: o.allowInsecure,
		OnUnauthorized: func(resp *http.Response) error {
			return NewError(spec.Name, "", resp, spec.DecodeError)
		},
	}
	if spec.Credential != nil {
		tr.Credential = spec.Credential
	} else {
		loginLimiter := o.loginLimiter
		if loginLimiter == nil && spec.LoginRate > 0 {
			loginLimiter = NewLimiter(spec.LoginRate, max(spec.LoginBurst, 1), clk)
		}
		// A login endpoint with its own limit gets its own cool-down: a 429
		// on logins must not pause every other call.
		loginCool := cool
		if loginLimiter != nil {
			loginCool = &LocalCoolDown{}
		}
		tokenSender := func(th *throttle) *Sender {
			return &Sender{provider: spec.Name, base: base, decode: spec.DecodeError, limit: httpbody.AuthLimit, clk: clk,
				hc: &http.Client{Transport: newRetrier(th, policy, true), CheckRedirect: noRedirect}}
		}
		loginS := tokenSender(layer(loginCool, loginLimiter, limiter))
		refreshS := tokenSender(layer(cool, limiter))
		copts := []tokencache.Option{tokencache.WithClock(clk), tokencache.WithLogger(logger)}
		if spec.LoginRate > 0 && !math.IsInf(float64(spec.LoginRate), 1) {
			// A login may wait its turn behind the login limit (KYConnect: one
			// every 6 minutes) and then a login 429's pause: allow two turns
			// and the longest pause the retry policy waits out.
			turn := time.Duration(float64(time.Second) / float64(spec.LoginRate))
			copts = append(copts, tokencache.WithRefreshTimeout(max(30*time.Second, 2*turn+policy.MaxRetryWait)))
		}
		if spec.Refresh != nil {
			copts = append(copts, tokencache.WithRefresh(func(ctx context.Context, rt string) (*auth.Token, error) {
				return spec.Refresh(ctx, refreshS, rt)
			}))
		}
		if o.store != nil {
			copts = append(copts, tokencache.WithStore(o.store, tokencache.Key(spec.Name, base.String(), spec.Account)))
		}
		copts = append(copts, spec.TokenCache...)
		copts = append(copts, o.cacheOpts...)
		c.cache = tokencache.New(func(ctx context.Context) (*auth.Token, error) {
			return spec.Login(ctx, loginS)
		}, copts...)
		tr.Source = c.cache
	}
	c.Sender = &Sender{provider: spec.Name, base: base, decode: spec.DecodeError, limit: maxAnswer, clk: clk,
		hc: &http.Client{Transport: tr}}
	return c, nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// ParseBaseURL checks that raw is an absolute http(s) URL with a host and
// no user info, query or fragment, and that plain http is used only for
// loopback hosts unless allowInsecure.
func ParseBaseURL(provider, raw string, allowInsecure bool) (*url.URL, error) {
	bad := func(why string) error {
		return &ValidationError{Field: "BaseURL", Reason: why}
	}
	if strings.TrimSpace(raw) == "" {
		return nil, bad("is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("is not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, bad("must start with https://")
	case u.Host == "" || u.Hostname() == "":
		return nil, bad("has no host")
	case u.User != nil:
		return nil, bad("must not contain user info; use the credential fields")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, bad("must not have a query or fragment")
	case u.Scheme == "http" && !allowInsecure && !auth.IsLoopback(u):
		return nil, fmt.Errorf("unikyc: %s: %w", provider, auth.ErrInsecureHTTP)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// HTTPClient returns the client that authenticates, retries and throttles
// every request to the provider. Use it for any endpoint, typed or not.
// It is shared and safe for concurrent use.
func (s *Sender) HTTPClient() *http.Client { return s.hc }

// Name returns the provider's short name.
func (s *Sender) Name() string { return s.provider }

// BaseURL returns a copy of the provider's base URL.
func (c *Conn) BaseURL() *url.URL { u := *c.base; return &u }

// TokenSource returns the client's token cache, or nil for providers that
// use static credentials.
func (c *Conn) TokenSource() *tokencache.Cache { return c.cache }

// Stats returns counts of what the client has done.
func (c *Conn) Stats() Stats {
	s := Stats{
		Requests:      c.stats.requests.Load(),
		Retries:       c.stats.retries.Load(),
		CoolDownWaits: c.stats.coolDownWaits.Load(),
		RateLimited:   c.stats.rateLimited.Load(),
	}
	if c.cache != nil {
		cs := c.cache.Stats()
		s.Logins, s.Refreshes, s.StoreHits, s.Invalidations = cs.Logins, cs.Refreshes, cs.StoreHits, cs.Invalidations
	}
	return s
}

// Close stops background token refreshes and releases idle connections.
func (c *Conn) Close() error {
	if c.cache != nil {
		_ = c.cache.Close()
	}
	if ci, ok := c.owned.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
	return nil
}

// RawBody is a request body sent as is, with its content type.
type RawBody struct {
	ContentType string
	Data        []byte
}

// NewRequest builds a request to path (with an optional query) under the
// base URL. body may be nil, url.Values (sent as a form), RawBody, or any
// value sent as JSON. The body can be replayed, so the request can be
// retried and re-sent after a 401.
func (s *Sender) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("unikyc: %s: bad path: %w", s.provider, err)
	}
	u := *s.base
	u.Path = s.base.Path + "/" + strings.TrimPrefix(ref.Path, "/")
	// Keep escapes such as %2F inside a segment.
	u.RawPath = s.base.EscapedPath() + "/" + strings.TrimPrefix(ref.EscapedPath(), "/")
	u.RawQuery = ref.RawQuery

	var (
		data        []byte
		contentType string
	)
	switch b := body.(type) {
	case nil:
	case url.Values:
		data, contentType = []byte(b.Encode()), "application/x-www-form-urlencoded"
	case RawBody:
		data, contentType = b.Data, b.ContentType
	default:
		if data, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("unikyc: %s: encoding request: %w", s.provider, err)
		}
		contentType = "application/json"
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("unikyc: %s: %w", s.provider, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	return req, nil
}

// UserAgent is sent with every request unikyc builds.
const UserAgent = "unikyc-go/0.1 (+https://github.com/unikyc/unikyc)"

// Do sends req. A 2xx answer is decoded as JSON into out (unless out is
// nil); any other answer becomes an *Error named by operation.
//
// For token calls (login, refresh), an answer whose body breaks off while
// it is read is asked for once more: the retry layer decided on the status
// before the body arrived, and a lost login answer is safe to repeat.
func (s *Sender) Do(req *http.Request, operation string, out any) error {
	err := s.do(req, operation, out)
	if s.limit != httpbody.AuthLimit || !errors.Is(err, errReadAnswer) || req.GetBody == nil || req.Context().Err() != nil {
		return err
	}
	body, gerr := req.GetBody()
	if gerr != nil {
		return err
	}
	again := req.Clone(req.Context())
	again.Body = body
	return s.do(again, operation, out)
}

// errReadAnswer marks a 2xx answer whose body could not be read.
var errReadAnswer = errors.New("reading answer")

func (s *Sender) do(req *http.Request, operation string, out any) error {
	resp, err := s.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message holds the URL, whose query may be personal
		}
		var pe *Error
		if errors.As(err, &pe) && pe.Operation == "" {
			pe.Operation = operation
		}
		var rl *RateLimitError
		if errors.As(err, &rl) && rl.Response != nil && rl.Response.Operation == "" {
			rl.Response.Operation = operation
		}
		if errors.As(err, &pe) || errors.As(err, &rl) {
			return err
		}
		return fmt.Errorf("unikyc: %s %s: %w", s.provider, operation, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return NewError(s.provider, operation, resp, s.decode)
	}
	defer httpbody.Drain(resp.Body, 4<<10)
	if out == nil {
		return nil
	}
	data, err := httpbody.Read(resp.Body, s.limit)
	if errors.Is(err, httpbody.ErrTooLarge) {
		return fmt.Errorf("unikyc: %s %s: reading answer: %w", s.provider, operation, err)
	}
	if err != nil {
		return fmt.Errorf("unikyc: %s %s: %w: %w", s.provider, operation, errReadAnswer, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("unikyc: %s %s: decoding answer: %w", s.provider, operation, err)
	}
	return nil
}

// Now returns the client's clock reading.
func (s *Sender) Now() time.Time { return s.clk.Now() }

// Expiry returns when accessToken expires, from, in order: the answer's
// own lifetime field (lifetime > 0), the JWT "exp" claim (read without
// verification, for scheduling only), and the provider's documented
// lifetime (documented > 0). The zero time means unknown: the token is used
// until the provider rejects it.
//
// When "exp" is already past on our clock (ours runs ahead of the
// provider's), the JWT's own lifetime, exp minus iat, counts from now
// instead; otherwise every request would log in again.
func (s *Sender) Expiry(accessToken string, lifetime, documented time.Duration) time.Time {
	now := s.clk.Now()
	if lifetime > 0 {
		return now.Add(lifetime)
	}
	if exp, ok := jwtexp.Expiry(accessToken); ok {
		if exp.After(now) {
			return exp
		}
		if life, ok := jwtexp.Lifetime(accessToken); ok {
			return now.Add(life)
		}
	}
	if documented > 0 {
		return now.Add(documented)
	}
	return time.Time{}
}

// unlimited is the Limiter that never waits.
type unlimited struct{}

func (unlimited) Wait(context.Context) error { return nil }
