package providers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/tokencache"
)

// Option configures a provider client. Every provider's New accepts them.
type Option func(*options)

type options struct {
	transport       http.RoundTripper
	logger          *slog.Logger
	limiter         Limiter
	limiterSet      bool
	loginLimiter    Limiter
	loginLimiterSet bool
	limiters        func(Budget) Limiter
	coolDown        CoolDown
	retry           RetryPolicy
	store           tokencache.Store
	clock           clock.Clock
	allowInsecure   bool
	cacheOpts       []tokencache.Option
	trace           *Trace
	timeout         time.Duration
	minLife         time.Duration
	subscribers     []Subscriber
	private         bool
	waitWarning     time.Duration
}

// WithTransport sets the RoundTripper that finally sends requests (default:
// a clone of http.DefaultTransport). Use it for proxies, TLS settings or
// instrumentation.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithLogger sets where the client reports pauses, retries and token
// refreshes; every record carries provider=. Nothing secret is logged.
// Default: nothing is logged but the warning of WithWaitWarning (a request
// about to wait longer than DefaultWaitWarning for a budget or a pause),
// which goes to slog.Default(); WithWaitWarning(0) silences it.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithLimiter replaces the limiter of the provider's account-wide budget
// (the one that counts every request), or paces a provider that declares
// none. nil removes that budget.
func WithLimiter(l Limiter) Option {
	return func(o *options) {
		if l == nil {
			l = unlimited{}
		}
		o.limiter, o.limiterSet = l, true
	}
}

// WithLoginLimiter replaces the limiter of the provider's login budget
// (KYConnect allows 10 logins an hour). nil removes it.
func WithLoginLimiter(l Limiter) Option {
	return func(o *options) {
		if l == nil {
			l = unlimited{}
		}
		o.loginLimiter, o.loginLimiterSet = l, true
	}
}

// WithLimiters makes the limiter of every budget the provider declares
// (and that WithLimiter or WithLoginLimiter do not set) with mk, for
// instance limiters shared by a fleet (redisfleet's Fleet.Options). mk is
// called for each budget of each client built with the option, and what it
// returns belongs to that client: Close closes it if it has a Close method
// (its waiters return ErrClosed). Make a new limiter on each call; a
// limiter that several clients share goes in with WithLimiter, which the
// clients never close. mk returning nil removes that budget.
func WithLimiters(mk func(Budget) Limiter) Option {
	return func(o *options) {
		o.limiters = func(b Budget) Limiter {
			if l := mk(b); l != nil {
				return l
			}
			return unlimited{}
		}
	}
}

// WithCoolDown shares the 429 pause of the account, for instance across
// replicas.
func WithCoolDown(c CoolDown) Option { return func(o *options) { o.coolDown = c } }

// WithRetryPolicy sets what is retried and how long to wait.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithStore keeps tokens in s too, so that clients sharing s (in one
// process, or many with a shared store) share one login per token.
func WithStore(s tokencache.Store) Option { return func(o *options) { o.store = s } }

// WithClock sets the clock for token lifetimes, budgets and pauses.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithTrace adds hooks that see every step of every request (see Trace).
// Several WithTrace options add up.
func WithTrace(t *Trace) Option { return func(o *options) { o.trace = join(o.trace, t) } }

// WithTimeout bounds one attempt (default DefaultTimeout, 30 s, on the
// transport Build makes; a transport given with WithTransport keeps its own
// timeouts unless WithTimeout is given too). For typed calls (Do, the
// providers' methods, logins) it bounds the whole attempt, the answer's
// body read included; for requests sent with HTTPClient, until the answer's
// headers (the body is yours to read) on the transport Build makes, and
// until the body is closed on a transport of WithTransport. A stalled
// attempt is a transport error, retried where the request is safe to retry.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMinTokenLifetime sets the shortest lifetime a token is given
// (default MinTokenLifetime, 30 s): a provider that answers a lifetime of a
// second would otherwise cost a login per request. Lower it only for
// servers whose tokens really are that short, as in tests against a real
// server with scaled-down lifetimes.
func WithMinTokenLifetime(d time.Duration) Option { return func(o *options) { o.minLife = d } }

// AllowInsecureHTTP permits a plain-http base URL on a non-loopback host.
// Credentials then cross the network in clear text: use it only for tests.
func AllowInsecureHTTP() Option { return func(o *options) { o.allowInsecure = true } }

// WithTokenCacheOptions passes options to the client's token cache, after
// the provider's own defaults.
func WithTokenCacheOptions(opts ...tokencache.Option) Option {
	return func(o *options) { o.cacheOpts = append(o.cacheOpts, opts...) }
}
