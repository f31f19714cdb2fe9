package providers

import (
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/tokencache"
)

// Core is what [Build] makes of a [Spec]: the provider-independent core
// of one provider's Client — the attempt loop behind an http.Client that
// authenticates, throttles and retries, the token cache, the budgets — and
// the user API every Client delegates to. It is the provider-author API.
// A provider's Client holds its Core in an unexported field, not embedded,
// and declares the user API as its own methods, each delegating to the
// Core: Name, HTTPClient, NewRequest, Do, CheckResponse, Stats, Budgets,
// TokenSource, BaseURL and Close. Users then find those in go doc and
// never reach the helpers Core gets from [Sender] (Exchange, Expiry, Now).
//
// (It was called Conn, but it is no connection: it holds none, and one
// Core sends over many.)
type Core struct {
	*Sender
	p       *pipeline
	base    *url.URL
	cache   *tokencache.Cache
	stats   *counters
	owned   *http.Transport // the base transport Build made, closed by Close
	limits  []*WindowLimiter
	closers []interface{ Close() } // limiters WithLimiters made for this client
	stops   []func()               // subscribers' (WithSubscriber)
	acct    *accountState          // the account shared in the process; nil: private
	fleet   FleetReporter          // the fleet the account is shared through; nil: none
	closing sync.Once
}

// Conn is the old name of Core.
//
// Deprecated: use Core (kept for one release).
type Conn = Core

// Stats is the one account of what a client has done: its requests and
// waits, the token cache's logins and refreshes (the account's, when
// clients of one process share it), and the fleet's state when the
// account is shared through one (redisfleet). It is the only Stats a user
// needs to read: tokencache.Stats is the cache's part of it, for those
// who use a Cache on its own.
type Stats struct {
	Requests      int64 // attempts sent, logins, refreshes, retries and replays included
	Retries       int64 // attempts repeated after an error, a 5xx or a 429
	Replays       int64 // requests sent again with a new token after a 401
	CoolDownWaits int64 // attempts held back by a 429 pause
	BudgetWaits   int64 // attempts that waited for a budget slot
	RateLimited   int64 // 429 answers received
	Logins        int64
	Refreshes     int64
	TokenFailures int64 // failed login or refresh attempts
	StoreHits     int64 // tokens taken from a shared store instead of the provider
	Invalidations int64 // tokens dropped after a 401 (including ones already replaced)
	// Fleet is the state of the fleet the account is shared through
	// (redisfleet: its WithStore reports it), nil without one.
	Fleet *FleetStats
}

// FleetStats is the state of a fleet of replicas sharing accounts through
// Redis (redisfleet.Stats is this type).
type FleetStats struct {
	Shared       bool  // in shared mode now
	Degradations int64 // switches to local mode
	Recoveries   int64 // switches back to shared mode
	RedisErrors  int64 // Redis calls that failed or timed out
	LateReplies  int64 // of those, calls Redis missed while it answered the probe: asked again, still shared
	LostLogs     int64 // budget logs found to have lost their history (restart, flush, failover), each paced for a span
}

// FleetReporter is implemented by a token store (WithStore) that shares
// the account through a fleet: Stats reports its state.
type FleetReporter interface {
	FleetStats() FleetStats
}

type counters struct {
	requests, retries, replays, coolDownWaits, budgetWaits, rateLimited, invalidations atomic.Int64
}

// maxAnswer caps an API answer decoded by Do.
// BaseURL returns a copy of the provider's base URL.
func (c *Core) BaseURL() *url.URL { u := *c.base; return &u }

// TokenSource returns the client's token cache as its users may use it
// (tokens, invalidating a token seen refused, OnRefresh), or nil for
// providers that use static credentials.
func (c *Core) TokenSource() tokencache.Source {
	if c.cache == nil {
		return nil
	}
	return c.cache
}

// Stats returns counts of what the client has done.
func (c *Core) Stats() Stats {
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
		s.Logins, s.Refreshes, s.StoreHits, s.TokenFailures = cs.Logins, cs.Refreshes, cs.StoreHits, cs.Failures
	}
	if c.fleet != nil {
		fs := c.fleet.FleetStats()
		s.Fleet = &fs
	}
	return s
}

// Budgets returns the budgets the client enforces, after options, each
// with its live state: what remains in the window, when the next slot
// frees, and the end of a pause a 429 started.
func (c *Core) Budgets() []BudgetState { return c.p.budgetStates() }

// Close stops background token refreshes, makes every request waiting for
// a pause or a budget slot return ErrClosed, and releases idle
// connections. Nothing is sent after Close.
func (c *Core) Close() error {
	c.closing.Do(func() {
		c.p.shut.Store(true)
		close(c.p.closed)
		c.p.cancel()
		for _, stop := range c.stops {
			stop()
		}
		if c.acct != nil {
			c.acct.release() // the last client's release closes the account
		}
		for _, l := range c.limits {
			l.Close()
		}
		for _, l := range c.closers {
			l.Close()
		}
	})
	if c.cache != nil && c.acct == nil {
		_ = c.cache.Close()
	}
	// Attempts that looked before Close marked the client shut may be on
	// their way out: let them leave before Close returns (a second at most).
	for i := 0; c.p.sending.Load() > 0 && i < 1000; i++ {
		time.Sleep(time.Millisecond)
	}
	if c.owned != nil {
		c.owned.CloseIdleConnections()
	} else if ci, ok := c.p.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
	return nil
}

// CheckResponse returns nil for a 2xx response and otherwise the typed
// error the answer means, in the style of go-github's CheckResponse: a
// *RateLimitError for a 429 (wrapping the *Error), an *Error for the
// rest. It reads (capped) and closes the body of a non-2xx response. Use
// it on what HTTPClient returned; typed calls already do.
func (c *Core) CheckResponse(resp *http.Response) error {
	if resp == nil {
		return errors.New("unikyc: " + c.p.provider + ": no response")
	}
	return c.p.check(resp, &call{p: c.p, kind: CallAPI})
}
