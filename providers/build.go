package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/tokencache"
)

// Spec is what a provider package tells Build about itself. It is the
// provider-author API: users of a provider never see it.
type Spec struct {
	Name    string // short provider name: "icomply"
	BaseURL string // absolute http(s) URL; credentials go only to its origin
	Account string // principal for the token-store key (user name, key id); never a secret
	// Config is the provider's configuration (a comparable value, e.g. its
	// Config struct): clients of one process share an account state (see
	// WithPrivateAccount) only when Name, BaseURL, Account and Config are
	// equal, so that logins always use the client's own settings. nil, or a
	// value that cannot be compared: the client's account is private. It is
	// compared, never printed.
	Config any

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

// DefaultTimeout bounds how long one attempt waits for the provider's
// answer (WithTimeout changes it).
const DefaultTimeout = 30 * time.Second

// Build assembles the pipeline for spec. It validates the base URL and
// refuses plain http to a non-loopback host unless AllowInsecureHTTP is
// given. It is the provider-author API.
func Build(spec Spec, opts ...Option) (*Core, error) {
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
		logger = slog.New(waitWarnings{}) // the long-wait warning only, to slog.Default()
	}
	timeout := o.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &Core{base: base, stats: &counters{}}
	c.fleet, _ = o.store.(FleetReporter)
	var attempt time.Duration
	rt := o.transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = timeout
		rt, c.owned = t, t
		attempt = timeout // typed calls: the body read too (pipeline.send)
	} else if o.timeout > 0 {
		// A transport of the user's keeps its own timeouts unless
		// WithTimeout asks for one per attempt (a context per attempt costs
		// a few allocations, which the transport Build makes avoids).
		rt = &attemptTimeout{next: rt, d: timeout}
	}
	policy := o.retry.withDefaults(spec.Penalty)
	// newPipeline makes the loop; an account shared in the process gets a
	// second one for its token calls, which outlives the client.
	newPipeline := func() *pipeline {
		p := &pipeline{
			provider:     spec.Name,
			origin:       auth.NewOrigin(base, o.allowInsecure),
			baseURL:      base,
			basePath:     base.EscapedPath(),
			next:         rt,
			cred:         spec.Credential,
			policy:       policy,
			rules:        spec.TokenRules,
			penaltyFloor: spec.PenaltyFloor && o.retry.Penalty <= 0,
			decode:       spec.DecodeError,
			clk:          clk,
			log:          logger,
			closed:       make(chan struct{}),
			minLife:      MinTokenLifetime,
			timeout:      attempt,
			waitWarning:  DefaultWaitWarning,
			active:       new(atomic.Int64),
		}
		if o.waitWarning != 0 {
			p.waitWarning = max(o.waitWarning, 0)
		}
		if o.minLife > 0 {
			p.minLife = o.minLife
		}
		p.closing, p.cancel = context.WithCancel(context.Background())
		p.server = serverOf(base)
		return p
	}
	p := newPipeline()
	c.p = p
	c.Sender = &Sender{p: p, kind: CallAPI, limit: maxAnswer, hc: &http.Client{Transport: p, CheckRedirect: sameOriginRedirects}}
	key, shared := sharedKey(spec, base.String(), &o, clk)
	if shared {
		if a := joinAccount(key); a != nil {
			// Another client of this process holds the account: share it.
			a.use(p)
			c.cache, c.acct = a.cache, a
			if err := c.subscribe(&o); err != nil {
				c.Close()
				return nil, fmt.Errorf("unikyc: %s: %w", spec.Name, err)
			}
			return c, nil
		}
	}
	// joinAccount left the registry locked: build the account and open it.
	c.buildScopes(spec, &o, policy)
	if err := c.subscribe(&o); err != nil {
		if shared {
			abandonAccount()
		}
		c.Close()
		return nil, fmt.Errorf("unikyc: %s: %w", spec.Name, err)
	}
	home := p
	if shared {
		// Token calls outlive this client while others hold the account;
		// they are counted by its hooks, and no longer end with its Close.
		home = newPipeline()
		home.account, home.routes, home.trace, home.active = p.account, p.routes, p.trace, p.active
		for _, s := range append([]*scope{p.account}, p.routes...) {
			s.owned = false // the account's: a client's Close ends only its own waits
		}
	}
	if spec.Login != nil {
		c.cache = c.buildCache(spec, &o, policy, timeout, home)
		p.cache, p.seam = c.cache, home.seam
	}
	if shared {
		a := &accountState{key: key, home: home, account: p.account, routes: p.routes,
			cache: c.cache, seam: p.seam, limits: c.limits, closers: c.closers}
		c.limits, c.closers, c.acct = nil, nil, a
		openAccount(a)
	}
	return c, nil
}

// buildScopes makes the account scope and one scope per route budget,
// each with its limiter and its cool-down gate.
func (c *Core) buildScopes(spec Spec, o *options, policy RetryPolicy) {
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
		if b.PerField != "" {
			// Counted per value of a body field: a limiter of its own, which
			// waits at most MaxRetryWait (a longer wait fails at once).
			keyed := ratelimit.NewKeyedLimiter(b, clk, policy.MaxRetryWait)
			c.closers = append(c.closers, keyed)
			c.p.routes = append(c.p.routes, &scope{budget: b, keyed: keyed, owned: true,
				gate: newGate(&LocalCoolDown{}), penalty: routePenalty(b, o)})
			continue
		}
		lim, owned := c.limiterFor(b, o, clk)
		if !b.Route() {
			account.budget, account.limiter, account.owned = b, lim, owned
			continue
		}
		c.p.routes = append(c.p.routes, &scope{budget: b, limiter: lim, owned: owned, gate: newGate(&LocalCoolDown{}), penalty: routePenalty(b, o)})
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

// routePenalty is the pause after a 429 without Retry-After on route
// budget b's requests.
func routePenalty(b Budget, o *options) time.Duration {
	penalty := o.retry.Penalty
	if penalty <= 0 {
		penalty = b.Penalty
	}
	if penalty <= 0 {
		penalty = b.Window
	}
	return penalty
}

// limiterFor returns the limiter of budget b: the user's, or a new
// WindowLimiter. nil means none. owned: the client closes it.
func (c *Core) limiterFor(b Budget, o *options, clk clock.Clock) (l Limiter, owned bool) {
	switch {
	case !b.Route() && o.limiterSet:
		l = o.limiter
	case b.Name == "login" && o.loginLimiterSet:
		l = o.loginLimiter
	case o.limiters != nil:
		l = o.limiters(b)
		if cl, ok := l.(interface{ Close() }); ok {
			c.closers = append(c.closers, cl) // made for this client: its waiters end with it
			owned = true
		}
	default:
		w := NewWindowLimiter(b, clk)
		c.limits = append(c.limits, w)
		l, owned = w, true
	}
	if _, none := l.(unlimited); none {
		return nil, false
	}
	return l, owned
}

// buildCache makes the token cache that logs in and refreshes through the
// pipeline.
func (c *Core) buildCache(spec Spec, o *options, policy RetryPolicy, timeout time.Duration, p *pipeline) *tokencache.Cache {
	login := &Sender{p: p, kind: CallLogin, limit: httpbody.AuthLimit,
		hc: &http.Client{Transport: p, CheckRedirect: noRedirect}}
	copts := []tokencache.Option{
		tokencache.WithClock(p.clk), tokencache.WithLogger(p.log),
		// A token call may wait out a pause of up to MaxRetryWait, or a
		// whole span of a budget; callers who cannot wait that long leave
		// with a *RateLimitError.
		tokencache.WithRefreshTimeout(max(policy.MaxRetryWait, p.longestSpan()) + 2*timeout),
	}
	// The seam: what the cache tells the loop, and what only the loop may
	// ask of the cache (p.seam, once the cache is made).
	link := &tokenseam.Link{Observe: p.tokenEvent}
	if t := p.trace; t.FlightStart != nil || t.FlightJoin != nil || t.FlightDone != nil {
		link.Flight = tokenseam.FlightHooks{Start: t.FlightStart, Join: t.FlightJoin}
		if done := t.FlightDone; done != nil {
			link.Flight.End = func(ctx context.Context, source string, err error) {
				done(ctx, TokenEvent{Provider: p.provider, Source: source, Err: err})
			}
		}
	}
	copts = append(copts, tokenseam.Option(link).(tokencache.Option))
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
	cache := tokencache.New(func(ctx context.Context) (*auth.Token, error) {
		return spec.Login(ctx, login)
	}, copts...)
	p.seam = link.Loop
	p.keepHeadroom(link)
	return cache
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

func (p *pipeline) tokenEvent(ev tokenseam.Event) {
	te := TokenEvent{Provider: p.provider, Source: ev.Source, Duration: ev.Duration, Err: ev.Err}
	ctx := context.Background()
	if ev.Err == nil {
		if h := p.trace.TokenObtained; h != nil {
			h(ctx, te)
		}
		return
	}
	if h := p.trace.TokenFailed; h != nil {
		h(ctx, te)
	}
}

// subscribe assembles the client's one event stream: its Stats, its slog
// records, the user's Trace hooks and every subscriber's.
func (c *Core) subscribe(o *options) error {
	t := c.stats.trace()
	if o.logger != nil {
		t = join(t, logTrace(o.logger))
	}
	t = join(t, c.p.pauseWarning())
	t = join(t, o.trace)
	if len(o.subscribers) > 0 {
		info := ClientInfo{Provider: c.p.provider, BaseURL: c.BaseURL()}
		for _, s := range append([]*scope{c.p.account}, c.p.routes...) {
			if s.limiter != nil {
				info.Budgets = append(info.Budgets, s.budget)
				info.Limiters = append(info.Limiters, s.limiter)
			}
		}
		for _, sub := range o.subscribers {
			st, stop, err := sub(info)
			if err != nil {
				return err
			}
			t = join(t, st)
			if stop != nil {
				c.stops = append(c.stops, stop)
			}
		}
	}
	c.p.trace = t
	return nil
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

// unlimited marks a budget removed by an option (WithLimiter(nil)).
type unlimited struct{}

func (unlimited) Wait(context.Context, Priority) error { return nil }

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
