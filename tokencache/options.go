package tokencache

import (
	"log/slog"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/tokenseam"
)

// Option configures a Cache.
type Option func(*config)

type config struct {
	refresh        RefreshFunc
	clock          clock.Clock
	logger         *slog.Logger
	softFixed      time.Duration // zero: max(60 s, 10 % of lifetime)
	hard           time.Duration
	jitter         float64
	refreshTimeout time.Duration
	minBackoff     time.Duration
	maxBackoff     time.Duration
	store          Store
	key            string
	onRefresh      []func(*auth.Token)
	initial        *auth.Token
	minSoft        time.Duration
	link           *tokenseam.Link // the attempt loop's, when a client made the cache
}

func defaults() config {
	return config{
		hard:           10 * time.Second,
		jitter:         0.25,
		refreshTimeout: 30 * time.Second,
		minBackoff:     time.Second,
		maxBackoff:     30 * time.Second,
	}
}

func (cfg config) soft(life time.Duration) time.Duration {
	if cfg.softFixed > 0 {
		return cfg.softFixed
	}
	return max(time.Minute, life/10)
}

// WithRefresh sets how to exchange a refresh token for a new token.
// Without it the cache logs in again whenever a token runs out.
func WithRefresh(f RefreshFunc) Option { return func(c *config) { c.refresh = f } }

// WithClock sets the clock (default clock.System).
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithLogger sets where the cache reports refreshes and failures. Tokens
// and credentials are never logged. Default: nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithSoftWindow sets how long before expiry a background refresh starts
// (default: the larger of 60 s and 10 % of the token's lifetime).
func WithSoftWindow(d time.Duration) Option { return func(c *config) { c.softFixed = d } }

// WithHardWindow sets how long before expiry callers start waiting for the
// refresh instead of using the old token (default 10 s).
func WithHardWindow(d time.Duration) Option { return func(c *config) { c.hard = d } }

// WithJitter widens each window by a random fraction of itself, up to f
// (default 0.25), so that caches sharing an account do not refresh in step.
// Zero turns jitter off.
func WithJitter(f float64) Option { return func(c *config) { c.jitter = f } }

// WithRefreshTimeout bounds one login or refresh (default 30 s).
func WithRefreshTimeout(d time.Duration) Option { return func(c *config) { c.refreshTimeout = d } }

// WithBackoff sets the wait after a failed background refresh: min after
// the first failure, doubling up to max (default 1 s to 30 s).
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) { c.minBackoff, c.maxBackoff = min, max }
}

// WithStore keeps tokens in s under key (make it with [Key]) as well as in
// memory, so that caches sharing s share one login.
func WithStore(s Store, key string) Option {
	return func(c *config) { c.store, c.key = s, key }
}

// OnRefresh calls f with every token obtained from the provider (not from
// the store), for instance to persist a rotated refresh token. f runs on
// the refreshing goroutine and should return quickly.
func OnRefresh(f func(*auth.Token)) Option {
	return func(c *config) { c.onRefresh = append(c.onRefresh, f) }
}

// WithToken starts the cache with t, for instance a token persisted by
// OnRefresh; its refresh token is used before any login.
func WithToken(t *auth.Token) Option { return func(c *config) { c.initial = t } }

// WithMinSoftWindow sets the narrowest soft window (still at most half
// of a token's lifetime): wide enough for a refresh to get a slot of the
// provider's budget before the hard window.
func WithMinSoftWindow(d time.Duration) Option { return func(c *config) { c.minSoft = d } }
