package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/jwtexp"
	"github.com/unikyc/unikyc/tokencache"
)

// Spec is what a provider package tells Build about itself. It is the
// provider-author API: users of a provider never see it.
type Spec struct {
	Name    string // short provider name: "icomply"
	BaseURL string // absolute http(s) URL; credentials go only to its origin
	Account string // principal for the token-store key (user name, key id); never a secret

	// Credential is a static credential. Set it, or Login.
	Credential auth.Credential
	// Login logs in and returns a token; s sends token calls (through the
	// same pipeline, ahead of API calls, answers capped at 1 MiB, never
	// redirected).
	Login func(ctx context.Context, s *Sender) (*auth.Token, error)
	// Refresh, when the provider has refresh tokens, exchanges one.
	Refresh func(ctx context.Context, s *Sender, refreshToken string) (*auth.Token, error)

	// DecodeError reads the provider's error format.
	DecodeError ErrorDecoder

	// Budgets are the provider's documented limits, used unless the user
	// replaces their limiters (WithLimiter, WithLimiters).
	Budgets []Budget
	// Penalty is the documented pause after a 429 without Retry-After.
	Penalty time.Duration
	// PenaltyFloor: the docs make Penalty the least pause after any 429,
	// even when Retry-After asks for less (Compliancely).
	PenaltyFloor bool
	// TokenRules are the provider's rules for retrying token calls.
	TokenRules TokenRules
	// TokenCache holds the provider's cache defaults (e.g. its soft window).
	TokenCache []tokencache.Option
}

// Conn is one provider account's ready-made pipeline, made by [Build]: the
// http.Client that authenticates, throttles and retries, the token cache
// behind it, and helpers that decode answers and errors. It is the
// provider-author API. A provider's Client holds its Conn in an unexported
// field, not embedded, and declares the user API as its own methods, each
// delegating to the Conn: Name, HTTPClient, NewRequest, Do, CheckResponse,
// Stats, Budgets, TokenSource, BaseURL and Close. Users then find those in
// go doc and never reach the helpers Conn gets from [Sender] (Exchange,
// Expiry, Now).
type Conn struct {
	*Sender
	p       *pipeline
	base    *url.URL
	cache   *tokencache.Cache
	stats   *counters
	owned   *http.Transport // the base transport Build made, closed by Close
	limits  []*WindowLimiter
	closers []interface{ Close() } // limiters WithLimiters made for this client
	closing sync.Once
}

// Sender sends requests for one provider through its pipeline and decodes
// the answers. It is the provider-author API: provider packages use it,
// through [Conn], for their typed calls and, in Spec.Login and
// Spec.Refresh, for token calls, whose tokens [Sender.Expiry] dates.
type Sender struct {
	p     *pipeline
	hc    *http.Client
	kind  CallKind
	limit int64
	sent  atomic.Pointer[time.Time] // token calls: when the last one left
	short sync.Once                 // logs a too-short lifetime once
}

// Stats counts what a client has done.
type Stats struct {
	Requests      int64 // attempts sent, logins, refreshes, retries and replays included
	Retries       int64 // attempts repeated after an error, a 5xx or a 429
	Replays       int64 // requests sent again with a new token after a 401
	CoolDownWaits int64 // attempts held back by a 429 pause
	BudgetWaits   int64 // attempts that waited for a budget slot
	RateLimited   int64 // 429 answers received
	Logins        int64
	Refreshes     int64
	StoreHits     int64 // tokens taken from a shared store instead of the provider
	Invalidations int64 // tokens dropped after a 401 (including ones already replaced)
}

type counters struct {
	requests, retries, replays, coolDownWaits, budgetWaits, rateLimited, invalidations atomic.Int64
}

// trace makes the counters one more subscriber of the pipeline's events.
func (c *counters) trace() *Trace {
	return &Trace{
		AttemptStart:  func(Attempt) { c.requests.Add(1) },
		Retry:         func(Retry) { c.retries.Add(1) },
		Replay:        func(Attempt) { c.replays.Add(1) },
		CoolDownStart: func(Wait) { c.rateLimited.Add(1) },
		CoolDownWait:  func(Wait) { c.coolDownWaits.Add(1) },
		BudgetWait:    func(Wait) { c.budgetWaits.Add(1) },
		Invalidated:   func(Attempt) { c.invalidations.Add(1) },
	}
}

// maxAnswer caps an API answer decoded by Do.
const maxAnswer = 16 << 20

// DefaultTimeout bounds how long one attempt waits for the provider's
// answer (WithTimeout changes it).
const DefaultTimeout = 30 * time.Second

// Build assembles the pipeline for spec. It validates the base URL and
// refuses plain http to a non-loopback host unless AllowInsecureHTTP is
// given. It is the provider-author API.
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
	timeout := o.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &Conn{base: base, stats: &counters{}}
	rt := o.transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = timeout
		rt, c.owned = t, t
	} else if o.timeout > 0 {
		// A transport of the user's keeps its own timeouts unless
		// WithTimeout asks for one per attempt (a context per attempt costs
		// a few allocations, which the transport Build makes avoids).
		rt = &attemptTimeout{next: rt, d: timeout}
	}
	policy := o.retry.withDefaults(spec.Penalty)
	p := &pipeline{
		provider:      spec.Name,
		scheme:        strings.ToLower(base.Scheme),
		host:          auth.CanonicalHost(base),
		baseURL:       base,
		basePath:      base.EscapedPath(),
		allowInsecure: o.allowInsecure,
		next:          rt,
		cred:          spec.Credential,
		policy:        policy,
		rules:         spec.TokenRules,
		penaltyFloor:  spec.PenaltyFloor && o.retry.Penalty <= 0,
		decode:        spec.DecodeError,
		clk:           clk,
		log:           logger,
		closed:        make(chan struct{}),
		minLife:       MinTokenLifetime,
	}
	if o.minLife > 0 {
		p.minLife = o.minLife
	}
	p.trace = join(c.stats.trace(), o.trace)
	if p.tel, err = newTelemetry(spec.Name, base, &o); err != nil {
		return nil, err
	}
	c.p = p
	c.buildScopes(spec, &o, policy)
	if p.tel != nil && o.meterProvider != nil {
		if err := p.tel.observeBudgets(o.meterProvider, append([]*scope{p.account}, p.routes...)); err != nil {
			return nil, fmt.Errorf("unikyc: %s: opentelemetry instruments: %w", spec.Name, err)
		}
	}

	if spec.Login != nil {
		c.cache = c.buildCache(spec, &o, policy, timeout)
		p.cache = c.cache
	}
	c.Sender = &Sender{p: p, kind: CallAPI, limit: maxAnswer, hc: &http.Client{Transport: p, CheckRedirect: sameOriginRedirects}}
	return c, nil
}

// buildScopes makes the account scope and one scope per route budget,
// each with its limiter and its cool-down gate.
func (c *Conn) buildScopes(spec Spec, o *options, policy RetryPolicy) {
	clk := c.p.clk
	cool := o.coolDown
	if cool == nil {
		cool = &LocalCoolDown{}
	}
	account := &scope{budget: Budget{Name: "requests"}, gate: newGate(cool), penalty: policy.Penalty}
	for _, b := range spec.Budgets {
		if b.Limit <= 0 || b.Window <= 0 {
			continue
		}
		lim := c.limiterFor(b, o, clk)
		if !b.Route() {
			account.budget, account.limiter = b, lim
			continue
		}
		penalty := o.retry.Penalty
		if penalty <= 0 {
			penalty = b.Penalty
		}
		if penalty <= 0 {
			penalty = b.Window
		}
		c.p.routes = append(c.p.routes, &scope{budget: b, limiter: lim, gate: newGate(&LocalCoolDown{}), penalty: penalty})
	}
	if o.limiterSet && account.limiter == nil && o.limiter != nil {
		// The user paces a provider that declares no account budget.
		if _, none := o.limiter.(unlimited); !none {
			account.limiter = o.limiter
		}
	}
	if account.penalty <= 0 {
		account.penalty = 30 * time.Second
	}
	c.p.account = account
}

// limiterFor returns the limiter of budget b: the user's, or a new
// WindowLimiter. nil means none.
func (c *Conn) limiterFor(b Budget, o *options, clk clock.Clock) Limiter {
	var l Limiter
	switch {
	case !b.Route() && o.limiterSet:
		l = o.limiter
	case b.Name == "login" && o.loginLimiterSet:
		l = o.loginLimiter
	case o.limiters != nil:
		l = o.limiters(b)
		if cl, ok := l.(interface{ Close() }); ok {
			c.closers = append(c.closers, cl) // made for this client: its waiters end with it
		}
	default:
		w := NewWindowLimiter(b, clk)
		c.limits = append(c.limits, w)
		l = w
	}
	if _, none := l.(unlimited); none {
		return nil
	}
	return l
}

// buildCache makes the token cache that logs in and refreshes through the
// pipeline.
func (c *Conn) buildCache(spec Spec, o *options, policy RetryPolicy, timeout time.Duration) *tokencache.Cache {
	p := c.p
	login := &Sender{p: p, kind: CallLogin, limit: httpbody.AuthLimit,
		hc: &http.Client{Transport: p, CheckRedirect: noRedirect}}
	copts := []tokencache.Option{
		tokencache.WithClock(p.clk), tokencache.WithLogger(p.log),
		// A token call may wait out a pause of up to MaxRetryWait, or a
		// whole span of a budget; callers who cannot wait that long leave
		// with a *RateLimitError.
		tokencache.WithRefreshTimeout(max(policy.MaxRetryWait, p.longestSpan()) + 2*timeout),
		tokencache.WithObserver(func(ev tokencache.Event) { p.tokenEvent(ev) }),
	}
	if p.tel != nil && p.tel.tracer != nil {
		copts = append(copts, tokencache.WithFlightHooks(p.tel.flightHooks()))
	}
	// The soft window must fit a refresh into the budget before the hard
	// window: a burst may have spent the budget, so the next slot can be a
	// whole span away.
	if b := p.account.budget; b.Limit > 0 && p.account.limiter != nil {
		copts = append(copts, tokencache.WithMinSoftWindow(b.Span()+10*time.Second))
	}
	if spec.Refresh != nil {
		refresh := &Sender{p: p, kind: CallRefresh, limit: httpbody.AuthLimit,
			hc: &http.Client{Transport: p, CheckRedirect: noRedirect}}
		copts = append(copts, tokencache.WithRefresh(func(ctx context.Context, rt string) (*auth.Token, error) {
			return spec.Refresh(ctx, refresh, rt)
		}))
	}
	if o.store != nil {
		copts = append(copts, tokencache.WithStore(o.store, tokencache.Key(spec.Name, c.base.String(), spec.Account)))
	}
	copts = append(copts, spec.TokenCache...)
	copts = append(copts, o.cacheOpts...)
	return tokencache.New(func(ctx context.Context) (*auth.Token, error) {
		return spec.Login(ctx, login)
	}, copts...)
}

// longestSpan is the longest span of the budgets the client enforces.
func (p *pipeline) longestSpan() time.Duration {
	var d time.Duration
	for _, s := range append([]*scope{p.account}, p.routes...) {
		if s.limiter != nil && s.budget.Limit > 0 {
			d = max(d, s.budget.Span())
		}
	}
	return d
}

func (p *pipeline) tokenEvent(ev tokencache.Event) {
	te := TokenEvent{Provider: p.provider, Source: ev.Source, Duration: ev.Duration, Err: ev.Err}
	if p.tel != nil {
		p.tel.token(te)
	}
	if ev.Err == nil {
		if p.trace.TokenObtained != nil {
			p.trace.TokenObtained(te)
		}
		return
	}
	if p.trace.TokenFailed != nil {
		p.trace.TokenFailed(te)
	}
}

// attemptTimeout bounds each attempt through a transport the user gave
// (Build sets ResponseHeaderTimeout on the one it makes instead, which
// costs nothing per request).
type attemptTimeout struct {
	next http.RoundTripper
	d    time.Duration
}

func (t *attemptTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.d)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (t *attemptTimeout) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error { err := b.ReadCloser.Close(); b.cancel(); return err }

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// sameOriginRedirects is net/http's default policy (at most 10 hops);
// the pipeline attaches credentials to the provider's own origin only.
func sameOriginRedirects(_ *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// ParseBaseURL checks that raw is an absolute http(s) URL with a host and
// no user info, query or fragment, and that plain http is used only for
// loopback hosts unless allowInsecure, as Build does. It is the
// provider-author API.
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
	case len(u.Hostname()) > 253:
		return nil, bad("has a host name longer than 253 bytes")
	case u.Port() != "" && !validPort(u.Port()):
		return nil, bad("has a port outside 1-65535")
	case u.Scheme == "http" && !allowInsecure && !auth.IsLoopback(u):
		return nil, fmt.Errorf("unikyc: %s: %w", provider, auth.ErrInsecureHTTP)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
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
		return nil, fmt.Errorf("unikyc: %s: bad path: %w", s.p.provider, err)
	}
	u := *s.p.baseURL
	u.Path = s.p.baseURL.Path + "/" + strings.TrimPrefix(ref.Path, "/")
	// Keep escapes such as %2F inside a segment.
	u.RawPath = s.p.baseURL.EscapedPath() + "/" + strings.TrimPrefix(ref.EscapedPath(), "/")
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
			return nil, fmt.Errorf("unikyc: %s: encoding request: %w", s.p.provider, err)
		}
		contentType = "application/json"
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("unikyc: %s: %w", s.p.provider, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	return req, nil
}

// UserAgent is sent with every request unikyc builds.
const UserAgent = "unikyc-go/" + Version + " (+https://github.com/unikyc/unikyc)"

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// HTTPClient returns the client that authenticates, throttles and retries
// every request to the provider. Use it for any endpoint, typed or not. It
// returns every response it obtained, like any http.Client: a final 401 or
// 429 is a response (check it with [Conn.CheckResponse]); it errs only when
// it got none. It is shared and safe for concurrent use. A provider's Client
// declares its own HTTPClient method that returns this one.
func (s *Sender) HTTPClient() *http.Client { return s.hc }

// Name returns the provider's short name.
func (s *Sender) Name() string { return s.p.provider }

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
		Replays:       c.stats.replays.Load(),
		CoolDownWaits: c.stats.coolDownWaits.Load(),
		BudgetWaits:   c.stats.budgetWaits.Load(),
		RateLimited:   c.stats.rateLimited.Load(),
		Invalidations: c.stats.invalidations.Load(),
	}
	if c.cache != nil {
		cs := c.cache.Stats()
		s.Logins, s.Refreshes, s.StoreHits = cs.Logins, cs.Refreshes, cs.StoreHits
	}
	return s
}

// Budgets returns the budgets the client enforces, after options.
func (c *Conn) Budgets() []Budget {
	var out []Budget
	for _, s := range append([]*scope{c.p.account}, c.p.routes...) {
		if s.limiter != nil {
			out = append(out, s.budget)
		}
	}
	return out
}

// Close stops background token refreshes, makes every request waiting for
// a pause or a budget slot return ErrClosed, and releases idle
// connections. Nothing is sent after Close.
func (c *Conn) Close() error {
	c.closing.Do(func() {
		close(c.p.closed)
		if c.p.tel != nil {
			c.p.tel.close()
		}
		for _, l := range c.limits {
			l.Close()
		}
		for _, l := range c.closers {
			l.Close()
		}
	})
	if c.cache != nil {
		_ = c.cache.Close()
	}
	if c.owned != nil {
		c.owned.CloseIdleConnections()
	} else if ci, ok := c.p.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
	return nil
}

// Do sends req through the pipeline. A 2xx answer is decoded as JSON into
// out (unless out is nil); any other answer becomes the typed error
// (*Error, or *RateLimitError for a 429) named by operation. The answer is
// read inside the attempt: an idempotent call whose answer breaks off
// mid-body is sent again.
func (s *Sender) Do(req *http.Request, operation string, out any) error {
	data, err := s.Exchange(req, operation)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &DecodeError{Provider: s.p.provider, Operation: operation, Err: err}
	}
	return nil
}

// Exchange is Do without the decoding: it returns the 2xx answer's body.
// It is the provider-author API.
func (s *Sender) Exchange(req *http.Request, operation string) ([]byte, error) {
	c := &call{kind: s.kind, operation: operation, read: s.limit}
	if c.kind != CallAPI && s.closedNow() {
		return nil, ErrClosed
	}
	// Through the http.Client, so that API calls follow redirects (with
	// credentials for the provider's own origin only) and token calls do
	// not; RoundTrip finds c in the context.
	resp, err := s.hc.Do(req.WithContext(context.WithValue(req.Context(), callKey{}, c)))
	if c.kind != CallAPI && !c.sent.IsZero() {
		sent := c.sent
		s.sent.Store(&sent)
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // http.Client's wrapper quotes the URL, which may be personal
		}
		return nil, err
	}
	var data []byte
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		data, _ = io.ReadAll(resp.Body) // already read inside the attempt
	}
	if err := s.p.check(resp, c); err != nil {
		return nil, err
	}
	_ = resp.Body.Close()
	return data, nil
}

func (s *Sender) closedNow() bool {
	select {
	case <-s.p.closed:
		return true
	default:
		return false
	}
}

// Now returns the client's clock reading (the clock of WithClock), for
// provider code that dates tokens or codes. It is the provider-author API.
func (s *Sender) Now() time.Time { return s.p.clk.Now() }

// MinTokenLifetime is the shortest lifetime a token is given: a provider
// that answers a lifetime of a second would otherwise cost a login per
// request.
const MinTokenLifetime = 30 * time.Second

// Expiry returns when accessToken expires, for token calls. It takes the
// earlier of the answer's own lifetime field (lifetime > 0) and the JWT
// "exp" claim (read without verification, for scheduling only), else the
// provider's documented lifetime (documented > 0). A lifetime is counted
// from when the token call was sent, not from when its answer arrived. The
// zero time means unknown: the token is used until the provider rejects it.
//
// When "exp" is already past on our clock (ours runs ahead of the
// provider's), the JWT's own lifetime, exp minus iat, counts instead;
// otherwise every request would log in again. A lifetime below
// MinTokenLifetime is raised to it (and logged once). It is the
// provider-author API.
func (s *Sender) Expiry(accessToken string, lifetime, documented time.Duration) time.Time {
	now := s.p.clk.Now()
	from := now
	if t := s.sent.Load(); t != nil && !t.After(now) {
		from = *t
	}
	var at time.Time
	if lifetime > 0 {
		at = from.Add(lifetime)
	}
	if exp, ok := jwtexp.Expiry(accessToken); ok {
		switch {
		case exp.After(now) && (at.IsZero() || exp.Before(at)):
			at = exp
		case !exp.After(now) && at.IsZero():
			if life, ok := jwtexp.Lifetime(accessToken); ok {
				at = from.Add(life)
			}
		}
	}
	if at.IsZero() && documented > 0 {
		at = from.Add(documented)
	}
	if floor := s.p.minLife; !at.IsZero() && at.Sub(from) < floor {
		s.short.Do(func() {
			s.p.log.Warn("unikyc: provider gave a very short token lifetime; using the minimum",
				"provider", s.p.provider, "lifetime", at.Sub(from).Round(time.Millisecond), "minimum", floor)
		})
		at = from.Add(floor)
	}
	return at
}

// DecodeError is a 2xx answer that could not be decoded. Its message names
// the provider, the operation and what did not fit, never the answer.
type DecodeError struct {
	Provider  string
	Operation string
	Err       error
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("unikyc: ")
	b.WriteString(e.Provider)
	if e.Operation != "" {
		b.WriteString(" ")
		b.WriteString(e.Operation)
	}
	b.WriteString(": decoding answer")
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(e.Err, &te):
		b.WriteString(": field ")
		writeText(&b, te.Field)
		b.WriteString(" is a JSON ")
		writeText(&b, te.Value)
		b.WriteString(", want ")
		writeText(&b, te.Type.String())
	case errors.As(e.Err, &se):
		fmt.Fprintf(&b, ": invalid JSON at byte %d", se.Offset)
	default:
		b.WriteString(": not the expected JSON")
	}
	return b.String()
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// unlimited marks a budget removed by an option (WithLimiter(nil)).
type unlimited struct{}

func (unlimited) Wait(context.Context, Priority) error { return nil }
