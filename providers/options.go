package providers

import (
	"log/slog"
	"net/http"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/tokencache"
)

// Option configures a provider client. Every provider's New accepts them.
type Option func(*options)

type options struct {
	transport     http.RoundTripper
	logger        *slog.Logger
	limiter       Limiter
	loginLimiter  Limiter
	coolDown      CoolDown
	retry         RetryPolicy
	store         tokencache.Store
	clock         clock.Clock
	allowInsecure bool
	cacheOpts     []tokencache.Option
}

// WithTransport sets the RoundTripper that finally sends requests (default:
// a clone of http.DefaultTransport). Use it for proxies, TLS settings or
// instrumentation.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithLogger sets where the client reports retries, rate limits and token
// refreshes. Nothing secret is logged. Default: nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithLimiter replaces the provider's default request limiter, for
// instance with a shared one in fleet mode. nil removes the limit.
func WithLimiter(l Limiter) Option {
	return func(o *options) {
		if l == nil {
			l = unlimited{}
		}
		o.limiter = l
	}
}

// WithLoginLimiter replaces the limiter that paces logins (KYConnect
// allows 10 an hour). nil removes the limit.
func WithLoginLimiter(l Limiter) Option {
	return func(o *options) {
		if l == nil {
			l = unlimited{}
		}
		o.loginLimiter = l
	}
}

// WithCoolDown shares the 429 pause, for instance across replicas.
func WithCoolDown(c CoolDown) Option { return func(o *options) { o.coolDown = c } }

// WithRetryPolicy sets what is retried and how long to wait.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithStore keeps tokens in s too, so that clients sharing s (in one
// process, or many with a shared store) share one login per token.
func WithStore(s tokencache.Store) Option { return func(o *options) { o.store = s } }

// WithClock sets the clock for token lifetimes, throttles and cool-downs.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// AllowInsecureHTTP permits a plain-http base URL on a non-loopback host.
// Credentials then cross the network in clear text: use it only for tests.
func AllowInsecureHTTP() Option { return func(o *options) { o.allowInsecure = true } }

// WithTokenCacheOptions passes options to the client's token cache, after
// the provider's own defaults.
func WithTokenCacheOptions(opts ...tokencache.Option) Option {
	return func(o *options) { o.cacheOpts = append(o.cacheOpts, opts...) }
}
