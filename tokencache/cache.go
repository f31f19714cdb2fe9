// Package tokencache keeps a provider's token fresh for every goroutine of a
// client, so that callers never log in, never see an expired token and never
// wait on the hot path.
//
// A provider package writes two calls — log in ([LoginFunc]) and, when the
// provider has refresh tokens, refresh ([RefreshFunc]) — and [New] turns them
// into an auth.TokenSource with:
//
//   - a hot path of two atomic loads: no lock, no allocation and no clock
//     read while the token is fresh (a timer on the clock marks the token
//     stale when its soft window opens);
//   - a soft window before expiry (default: the larger of 60 s and 10 % of
//     the lifetime, plus jitter) in which one background refresh starts and
//     every caller keeps the current token without waiting;
//   - a hard window (default 10 s) in which callers wait for the refresh;
//   - single flight: at most one login or refresh per Cache at a time, on a
//     context detached from any caller's, with its own timeout, while each
//     waiter leaves when its own context ends;
//   - backoff after a failed background refresh, serving the still-valid
//     token meanwhile; the error reaches callers only once the token expired;
//     after a failure with no valid token, callers get that error at once
//     until the backoff ends, so an outage does not burn the login budget;
//   - refresh token first, then login when the refresh token is expired or
//     refused with a 4xx; invalid credentials are final (no further logins);
//   - compare-and-swap [Cache.Invalidate] for 401s, keeping the refresh token;
//   - an optional [Store] shared between caches (and, in fleet mode, between
//     processes) under a hashed key, read again before every login.
package tokencache

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/errs"
	"github.com/unikyc/unikyc/internal/tokenseam"
)

// LoginFunc logs in with the account's credentials and returns a new token.
// It must return an error matching providers.ErrInvalidCredentials when the
// provider refuses the credentials themselves.
type LoginFunc func(ctx context.Context) (*auth.Token, error)

// RefreshFunc exchanges a refresh token for a new token. An error carrying a
// 4xx status other than 429 means the refresh token was refused; the cache
// then logs in again. A new token without a refresh token keeps the old one.
type RefreshFunc func(ctx context.Context, refreshToken string) (*auth.Token, error)

// ErrClosed is returned by Token after Close when no valid token is cached.
var ErrClosed = errs.ErrClosed

// Stats counts what a Cache has done.
type Stats struct {
	Logins        int64 // successful logins
	Refreshes     int64 // successful refresh-token exchanges
	StoreHits     int64 // tokens taken from the Store instead of the provider
	Failures      int64 // failed login or refresh attempts
	Invalidations int64 // tokens dropped after a 401
}

// Cache is a caching, refresh-ahead auth.TokenSource. It is safe for
// concurrent use. Create it with New and stop it with Close.
type Cache struct {
	login   LoginFunc
	refresh RefreshFunc
	cfg     config

	cur atomic.Pointer[entry]

	mu     sync.Mutex
	flight *flight

	final atomic.Pointer[error] // set once login failed with invalid credentials

	flights    atomic.Uint64 // flights started so far: a token's generation is its flight's number
	refusedGen atomic.Uint64 // flights when the last refusal (401) was seen; 0: none since the last success
	distrusts  atomic.Int64  // account refusals in a row, for the backoff
	lastLife   atomic.Int64  // lifetime of the last token obtained, ns

	hooksMu   sync.Mutex
	onRefresh []func(*auth.Token) // added by the OnRefresh method

	closeOnce sync.Once
	closed    chan struct{}
	closeCtx  context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	logins, refreshes, storeHits, failures, invalidations atomic.Int64
}

// entry is an immutable snapshot of the cached token and its schedule.
// Times are derived from the clock's Now so that, with the system clock,
// they carry a monotonic reading and ignore wall-clock jumps.
type entry struct {
	stale atomic.Bool // set by timer at quietUntil: the hot path's only check
	used  atomic.Bool // a caller took the token: worth refreshing when it goes stale
	timer clock.Timer // nil when nothing is scheduled
	tok   *auth.Token // nil after a failed first login
	err   error       // the last failure, served to callers during backoff

	quietUntil time.Time // before it: serve tok, nothing else to do
	hardAt     time.Time // from it: callers wait for a refresh
	expiresAt  time.Time // zero: no known expiry
	retryAt    time.Time // after a failed refresh: no new attempt before it
	failures   int
	rejected   bool   // the provider refused tok's access token (401)
	gen        uint64 // the number of the flight that obtained tok (0: given with WithToken)
}

type flight struct {
	seq  uint64          // flights started before it, plus one (its token's generation)
	ctx  context.Context // the context the flight runs on
	done chan struct{}
	tok  *auth.Token
	err  error

	// Callers waiting for a token, so that a login the provider pauses
	// can tell them (see Pause) and stop when none of them can wait.
	mu         sync.Mutex
	foreground bool        // callers have no usable token meanwhile
	joined     int         // callers that ever waited
	patient    int         // waiters without a deadline
	deadlines  []time.Time // the other waiters' deadlines
	paused     chan struct{}
	pauseErr   error
	pauseEnd   time.Time   // on the cache's clock: when the pause ends
	clk        clock.Clock // the cache's
	abandoned  bool        // Pause found no caller that could wait: it is ending
	gaveUpAt   time.Time   // on the cache's clock: when Pause abandoned it
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// New returns a Cache that obtains tokens with login.
func New(login LoginFunc, opts ...Option) *Cache {
	c := &Cache{login: login, cfg: defaults(), closed: make(chan struct{})}
	for _, o := range opts {
		o(&c.cfg)
	}
	c.refresh = c.cfg.refresh
	c.cfg.clock = clock.Or(c.cfg.clock)
	if c.cfg.logger == nil {
		c.cfg.logger = slog.New(slog.DiscardHandler)
	}
	c.closeCtx, c.cancel = context.WithCancel(context.Background())
	if c.cfg.link == nil {
		c.cfg.link = &tokenseam.Link{} // no attempt loop: nothing to tell
	}
	c.cfg.link.Loop = loopView{c}
	if c.cfg.initial != nil {
		c.replace(c.newEntry(c.cfg.initial, c.cfg.clock.Now(), 0))
	}
	return c
}

// Token returns a valid token, logging in or refreshing only when needed.
// The returned token is shared: do not modify it.
func (c *Cache) Token(ctx context.Context) (*auth.Token, error) {
	if e := c.cur.Load(); e != nil && !e.stale.Load() {
		if !e.used.Load() {
			e.used.Store(true)
		}
		return e.tok, nil
	}
	return c.slowToken(ctx)
}

func (c *Cache) slowToken(ctx context.Context) (*auth.Token, error) {
	if errp := c.final.Load(); errp != nil {
		return nil, *errp
	}
	select {
	case <-c.closed:
		if e := c.cur.Load(); e != nil && e.usable(c.cfg.clock.Now()) {
			return e.tok, nil
		}
		return nil, ErrClosed
	default:
	}
	for {
		now := c.cfg.clock.Now()
		e := c.cur.Load()
		usable := e != nil && e.usable(now)
		if !usable && e != nil && e.err != nil && now.Before(e.retryAt) {
			return nil, e.err // failed moments ago: do not ask the provider again yet
		}
		if usable {
			e.used.Store(true)
			if now.Before(e.quietUntil) || now.Before(e.retryAt) {
				return e.tok, nil
			}
			if now.Before(e.hardAt) {
				c.startFlight(e, false) // background; nil means it already changed
				return e.tok, nil
			}
		}
		f := c.startFlight(e, !usable)
		if f == nil {
			continue // the entry changed while we looked: look again
		}
		if join := c.cfg.link.Flight.Join; join != nil && f.ctx != nil {
			join(ctx, f.ctx)
		}
		if err := f.wait(ctx); err != nil {
			if usable && e.usable(c.cfg.clock.Now()) {
				return e.tok, nil // paused inside the hard window: the old token still works
			}
			return nil, err
		}
		if f.err == nil {
			return f.tok, nil
		}
		if usable && e.usable(c.cfg.clock.Now()) {
			return e.tok, nil // refresh failed inside the hard window: the old token still works
		}
		return nil, f.err
	}
}

// startFlight joins the refresh in flight or starts one for e. It returns
// nil when e is no longer the current entry. foreground: the callers have
// no usable token while it runs.
func (c *Cache) startFlight(e *entry, foreground bool) *flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.flight; old != nil {
		old.mu.Lock()
		abandoned := old.abandoned
		if foreground && !abandoned {
			old.foreground = true
		}
		old.mu.Unlock()
		if !abandoned {
			return old
		}
		// A caller that comes while an abandoned flight winds down (no one
		// could wait out its pause) gets a flight of its own: it may be
		// able to wait, or the pause may be over.
	}
	if c.cur.Load() != e {
		return nil
	}
	f := &flight{done: make(chan struct{}), foreground: foreground, paused: make(chan struct{}), clk: c.cfg.clock,
		seq: c.flights.Add(1)}
	select {
	case <-c.closed:
		f.err = ErrClosed
		close(f.done)
		return f
	default:
	}
	c.flight = f
	c.wg.Add(1)
	// The flight carries no caller's values or cancellation: it serves
	// every caller, and none of them owns it.
	f.ctx = tokenseam.WithFlight(context.Background(), f)
	if start := c.cfg.link.Flight.Start; start != nil {
		f.ctx = start(f.ctx)
	}
	go c.run(f.ctx, f, e)
	return f
}

// wait waits for the flight as one of its callers. It returns ctx's error,
// or the pause error when the provider paused the flight for longer than
// ctx's deadline allows.
func (f *flight) wait(ctx context.Context) error {
	dl, hasDL := ctx.Deadline()
	f.mu.Lock()
	f.joined++
	if hasDL {
		f.deadlines = append(f.deadlines, dl)
	} else {
		f.patient++
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		if hasDL {
			if i := slices.Index(f.deadlines, dl); i >= 0 {
				f.deadlines = slices.Delete(f.deadlines, i, i+1)
			}
		} else {
			f.patient--
		}
		f.mu.Unlock()
	}()
	for {
		f.mu.Lock()
		paused, perr, pend := f.paused, f.pauseErr, f.pauseEnd
		f.mu.Unlock()
		// What is left of the pause, on the cache's clock, against the
		// caller's deadline in real time. A pause that is over tells nothing.
		if left := pend.Sub(f.clk.Now()); perr != nil && hasDL && left > 0 && dl.Before(time.Now().Add(left)) {
			return perr
		}
		select {
		case <-f.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-paused:
		}
	}
}

// Pause is told by the code that sends the flight's login or refresh that
// the provider asks it to wait d; see tokenseam.Flight.
func (f *flight) Pause(d time.Duration, err error) bool {
	end := time.Now().Add(d)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pauseErr, f.pauseEnd = err, f.clk.Now().Add(d)
	close(f.paused)
	f.paused = make(chan struct{})
	if !f.foreground || f.patient > 0 || f.joined == 0 {
		return true // (no caller has joined yet: each one decides when it does)
	}
	for _, dl := range f.deadlines {
		if !dl.Before(end) {
			return true
		}
	}
	f.abandoned, f.gaveUpAt = true, f.clk.Now()
	return false
}

// run performs one refresh on a context detached from the caller that
// started it, bounded by the refresh timeout and by Close.
func (c *Cache) run(parent context.Context, f *flight, prev *entry) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(parent, c.cfg.refreshTimeout)
	stop := context.AfterFunc(c.closeCtx, cancel)
	start := c.cfg.clock.Now()
	tok, source, refused, err := c.obtain(ctx, prev)
	if err == nil && source == "store" {
		c.observe("store", start, nil)
	}
	deferred := errors.Is(err, errDeferred)
	if end := c.cfg.link.Flight.End; end != nil {
		src, endErr := source, err
		switch {
		case deferred:
			src, endErr = "deferred", nil
		case err != nil:
			src = ""
		}
		end(ctx, src, endErr)
	}
	stop()
	cancel()
	if err != nil && refused && prev != nil && prev.tok != nil {
		// The refresh token was refused and the login after it failed too:
		// never send that refresh token again.
		cp := *prev.tok
		cp.RefreshToken, cp.RefreshExpiry = "", time.Time{}
		prev = &entry{tok: &cp, quietUntil: prev.quietUntil, hardAt: prev.hardAt,
			expiresAt: prev.expiresAt, failures: prev.failures, rejected: prev.rejected, gen: prev.gen}
	}

	now := c.cfg.clock.Now()
	f.mu.Lock()
	used := f.foreground || f.patient > 0 || len(f.deadlines) > 0 || c.busy()
	abandoned := f.abandoned
	failedAt := now
	if f.abandoned {
		// Its callers were told of the failure then: its backoff counts from
		// that moment, not from this bookkeeping, which a caller that waited
		// out the pause (on a fake clock, at once) may otherwise overtake.
		failedAt = f.gaveUpAt
	}
	f.mu.Unlock()
	c.mu.Lock()
	switch {
	case c.flight != f:
		// Abandoned and superseded (see Pause): the newer flight decides
		// the entry.
		if err != nil {
			c.failures.Add(1)
		}
	case deferred:
		// Not a failure: the current token serves until the refresh is due.
		n := &entry{tok: prev.tok, quietUntil: c.deferUntil(prev), hardAt: prev.hardAt,
			expiresAt: prev.expiresAt, failures: prev.failures, rejected: prev.rejected, gen: prev.gen}
		n.used.Store(true)
		c.replace(c.schedule(n, now))
		tok, err = prev.tok, nil
	case err == nil:
		n := c.newEntry(tok, now, f.seq)
		if used {
			n.used.Store(true)
		}
		c.replace(n)
	case abandoned:
		// No caller could wait out the provider's pause, so the call was
		// given up, not refused: a caller who comes next with a longer
		// deadline must be able to wait for it, not get this failure for
		// a backoff (the pause itself still holds every token call back).
		c.failures.Add(1)
	default:
		c.failures.Add(1)
		c.replace(c.failedEntry(prev, err, failedAt))
	}
	if c.flight == f {
		c.flight = nil
	}
	if err == nil && !deferred {
		// Counted once the token is the cache's: whoever sees the count
		// finds the token.
		switch source {
		case "login":
			c.logins.Add(1)
		case "refresh":
			c.refreshes.Add(1)
		case "store":
			c.storeHits.Add(1)
		}
	}
	c.mu.Unlock()
	f.tok, f.err = tok, err
	close(f.done)
	if changed := c.cfg.link.Changed; changed != nil {
		changed() // the next token call is due at another time
	}
}

// obtain gets a new token: from the store when another cache already did
// the work, else by refresh token, else by logging in. refused reports that
// the provider refused the refresh token on the way. With a shared store it
// reads the store, takes the lock (or, with a HandoffLocker, the holder's
// token as soon as it is saved), then reads the store again.
func (c *Cache) obtain(ctx context.Context, prev *entry) (tok *auth.Token, source string, refused bool, err error) {
	log := c.cfg.logger
	if c.cfg.store != nil {
		tok, stored := c.fromStore(ctx, prev, nil)
		if tok != nil {
			return tok, "store", false, nil // no lock to wait for
		}
		if d, ok := c.cfg.store.(Degrader); ok && d.Degraded() && c.deferUntil(prev).After(c.cfg.clock.Now()) {
			return nil, "", false, errDeferred
		}
		if l, ok := c.cfg.store.(Locker); ok {
			var handed *auth.Token
			var unlock func()
			var err error
			if h, ok := l.(HandoffLocker); ok {
				handed, unlock, err = h.LockOrLoad(ctx, c.cfg.key, func(t *auth.Token) bool {
					tok, _ := c.fromStore(ctx, prev, t)
					return tok != nil
				})
			} else {
				unlock, err = l.Lock(ctx, c.cfg.key)
			}
			switch {
			case err != nil && prev != nil && prev.usable(c.cfg.clock.Now()):
				// Another cache may hold a token we cannot reach: keep ours and
				// try again after the backoff rather than without the lock.
				log.Warn("unikyc: token store lock unavailable; keeping the current token", "err", err)
				return nil, "", false, err
			case err != nil:
				log.Warn("unikyc: token store lock unavailable; refreshing without it", "err", err)
			case handed != nil:
				return handed, "store", false, nil
			default:
				defer unlock()
				tok, again := c.fromStore(ctx, prev, nil)
				if tok != nil {
					return tok, "store", false, nil // saved by the holder before us
				}
				if again != nil {
					stored = again
				}
			}
		}
		if (prev == nil || prev.tok == nil) && stored != nil {
			// A cache that starts with nothing (a new process) refreshes
			// with the stored refresh token rather than logging in.
			prev = &entry{tok: stored}
		}
	}

	var prevTok *auth.Token
	if prev != nil && prev.tok != nil {
		prevTok = prev.tok
	}
	tok, source, refused, err = c.fromProvider(ctx, prevTok)
	if err != nil {
		return nil, "", refused, err
	}
	if c.cfg.store != nil {
		if err := c.cfg.store.Save(ctx, c.cfg.key, tok); err != nil {
			log.Warn("unikyc: could not save token to store", "err", err)
		}
	}
	for _, f := range c.cfg.onRefresh {
		f(tok)
	}
	c.hooksMu.Lock()
	later := c.onRefresh
	c.hooksMu.Unlock()
	for _, f := range later {
		f(tok)
	}
	return tok, source, refused, nil
}

// fromStore returns the store's token when this cache should take it: not
// the one it replaces (or that was rejected), and further from expiry than
// the hard window (a one-shot program uses it to its end; a long-lived
// cache refreshes it in the background as its own). With t it judges t (a
// token handed over by the lock) instead of loading. stored is what the
// store held, usable or not, for its refresh token.
func (c *Cache) fromStore(ctx context.Context, prev *entry, t *auth.Token) (tok, stored *auth.Token) {
	tok = t
	if tok == nil {
		var err error
		if tok, err = c.cfg.store.Load(ctx, c.cfg.key); err != nil {
			c.cfg.logger.Warn("unikyc: could not load token from store", "err", err)
			return nil, nil
		}
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, nil
	}
	if prev != nil && prev.tok != nil && prev.tok.AccessToken == tok.AccessToken {
		return nil, nil // the one we are replacing (or that was rejected)
	}
	now := c.cfg.clock.Now()
	if tok.Expiry.IsZero() || tok.Expiry.Sub(now) > c.cfg.hard {
		return tok, tok
	}
	return nil, tok
}

func (c *Cache) fromProvider(ctx context.Context, prev *auth.Token) (_ *auth.Token, source string, refusedRT bool, _ error) {
	log := c.cfg.logger
	now := c.cfg.clock.Now()
	if c.refresh != nil && prev != nil && prev.RefreshUsable(now) && c.refreshOutlivesNext(prev, now) {
		start := c.cfg.clock.Now()
		// The refresh may wait (a budget slot, a pause) before it leaves:
		// the loop checks the refresh token's expiry again then, and
		// answers ErrRefreshExpired rather than send an expired one.
		tok, err := c.refresh(tokenseam.WithRefreshExpiry(ctx, prev.RefreshExpiry), prev.RefreshToken)
		c.observe("refresh", start, err)
		if err == nil {
			if err := checkToken(tok); err != nil {
				return nil, "", false, err
			}
			if tok.RefreshToken == "" {
				cp := *tok
				cp.RefreshToken, cp.RefreshExpiry = prev.RefreshToken, prev.RefreshExpiry
				tok = &cp
			}
			log.Debug("unikyc: token refreshed", "token", tok)
			return tok, "refresh", false, nil
		}
		if !refused(err) {
			return nil, "", false, err // transient: keep the refresh token for the next try
		}
		refusedRT = true
		log.Info("unikyc: refresh token refused; logging in again", "status", errs.Status(err))
	}
	start := c.cfg.clock.Now()
	tok, err := c.login(ctx)
	c.observe("login", start, err)
	if err != nil {
		if errors.Is(err, errs.ErrInvalidCredentials) {
			c.final.CompareAndSwap(nil, &err)
			log.Error("unikyc: credentials refused; no further logins", "err", err)
		}
		return nil, "", refusedRT, err
	}
	if err := checkToken(tok); err != nil {
		return nil, "", refusedRT, err
	}
	log.Debug("unikyc: logged in", "token", tok)
	return tok, "login", refusedRT, nil
}

// refreshOutlivesNext reports whether prev's refresh token will still be
// usable at the next refresh, one token lifetime from now. When it will
// not, logging in now (instead of refreshing) means no caller ever waits
// for a login when the refresh token runs out (Compliancely's "refresh the
// refresh token every 12 hours" when its server does not rotate them).
func (c *Cache) refreshOutlivesNext(prev *auth.Token, now time.Time) bool {
	life := time.Duration(c.lastLife.Load())
	return prev.RefreshExpiry.IsZero() || life <= 0 || prev.RefreshExpiry.After(now.Add(life))
}

func (c *Cache) observe(source string, start time.Time, err error) {
	if obs := c.cfg.link.Observe; obs != nil {
		obs(tokenseam.Event{Source: source, Duration: c.cfg.clock.Now().Sub(start), Err: err})
	}
}

func checkToken(t *auth.Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("unikyc: provider returned an empty token")
	}
	return nil
}

// refused reports whether a refresh error means the refresh token itself
// was refused (any 4xx but 429), as opposed to a passing failure.
func refused(err error) bool {
	if errors.Is(err, tokenseam.ErrRefreshExpired) {
		return true // not sent: it expired while the refresh waited
	}
	if errors.Is(err, errs.ErrInvalidCredentials) || errors.Is(err, errs.ErrUnauthorized) {
		return true
	}
	s := errs.Status(err)
	return s >= 400 && s < 500 && s != 429
}

// Invalidate drops t if it is still the cached token, keeping its refresh
// token for the next refresh. A t that was already replaced is ignored, so
// a 401 that arrives late never discards a newer token; so is a t that
// was already dropped.
func (c *Cache) Invalidate(t *auth.Token) {
	if t == nil {
		return
	}
	for {
		e := c.cur.Load()
		if e == nil || e.rejected || e.tok == nil || e.tok.AccessToken != t.AccessToken {
			return
		}
		n := &entry{tok: e.tok, rejected: true, gen: e.gen}
		n.stale.Store(true)
		if c.cur.CompareAndSwap(e, n) {
			e.stop()
			c.invalidations.Add(1)
			return
		}
	}
}

// refuse: see tokenseam.Loop.Refused.
func (c *Cache) refuse(t *auth.Token, err error) (account bool) {
	if t == nil {
		return false
	}
	e := c.cur.Load()
	current := e != nil && e.tok != nil && e.tok.AccessToken == t.AccessToken
	if seen := c.refusedGen.Load(); seen != 0 && current && e.gen > seen {
		c.refuseAccount(e, err)
		return true
	}
	// The first refusal seen since the last success, or a token whose
	// flight started before it was seen (a refresh may have minted it
	// before the revocation): drop the token; the next flight's tells.
	c.refusedGen.Store(max(c.flights.Load(), 1))
	c.Invalidate(t)
	return false
}

// refuseAccount drops e's token, refused although it was obtained after a
// refusal was seen: the account, not the token, is refused. Until the
// backoff ends (growing with every refusal in a row), callers get err at
// once and nothing is sent: no refused token, and no login faster than
// the backoff.
func (c *Cache) refuseAccount(e *entry, err error) {
	n := c.distrusts.Add(1)
	d := c.cfg.backoff(int(n))
	ne := &entry{tok: e.tok, rejected: true, err: err, retryAt: c.cfg.clock.Now().Add(d),
		expiresAt: e.expiresAt, failures: e.failures, gen: e.gen}
	ne.stale.Store(true)
	if c.cur.CompareAndSwap(e, ne) {
		e.stop()
		c.invalidations.Add(1)
	}
	c.cfg.logger.Warn("unikyc: a token obtained after a refusal was refused too; no new login before the backoff ends",
		"backoff", d)
}

// accept: see tokenseam.Loop.Accepted.
func (c *Cache) accept() {
	if c.refusedGen.Load() != 0 {
		c.refusedGen.Store(0)
	}
	if c.distrusts.Load() != 0 {
		c.distrusts.Store(0)
	}
}

// OnRefresh calls f with every token obtained from the provider from now
// on (not from the store), for instance to persist a rotated refresh
// token; as the OnRefresh option does for a cache being made. f runs on the
// refreshing goroutine and should return quickly.
func (c *Cache) OnRefresh(f func(*auth.Token)) {
	c.hooksMu.Lock()
	c.onRefresh = append(c.onRefresh, f)
	c.hooksMu.Unlock()
}

// Source is what a provider client hands its users of its token cache
// (Client.TokenSource): the token the next request will carry, a way to
// drop a token the user saw refused, and OnRefresh. *Cache implements it;
// what only the client's pipeline may call on a cache is not part of it.
type Source interface {
	auth.TokenSource
	// Invalidate drops t if it is still the cached token (compare-and-swap:
	// a newer token is never dropped).
	Invalidate(t *auth.Token)
	// OnRefresh calls f with every token obtained from the provider from
	// now on.
	OnRefresh(f func(*auth.Token))
}

var _ Source = (*Cache)(nil)

// loopView is the cache as the attempt loop sees it (tokenseam.Loop).
type loopView struct{ c *Cache }

func (v loopView) Refused(t *auth.Token, err error) bool { return v.c.refuse(t, err) }
func (v loopView) Replaceable(t *auth.Token) bool        { return v.c.replaceable(t) }
func (v loopView) Accepted(*auth.Token)                  { v.c.accept() }
func (v loopView) NextCall() time.Time                   { return v.c.nextCall() }
func (v loopView) Ready() bool                           { return v.c.ready() }

// ready: see tokenseam.Loop.Ready. It answers as Token decides: at once
// (no clock read) before the soft window, as Token's fast path does; a
// token inside its hard window is usable but waited for (Token refreshes
// in the foreground then).
func (c *Cache) ready() bool {
	e := c.cur.Load()
	if e == nil || c.final.Load() != nil {
		return false
	}
	if !e.stale.Load() {
		return true
	}
	now := c.cfg.clock.Now()
	return e.usable(now) && (now.Before(e.quietUntil) || now.Before(e.retryAt) || now.Before(e.hardAt))
}

// busy reports whether the attempt loop has requests under way: the token
// is in use though no caller took it since it came (they queue for a
// budget slot with the one before).
func (c *Cache) busy() bool {
	b := c.cfg.link.Busy
	return b != nil && b()
}

// nextCall: see tokenseam.Loop.NextCall. Atomic loads only: the limiters
// call it under their lock.
func (c *Cache) nextCall() time.Time {
	if c.final.Load() != nil {
		return time.Time{} // no login will be made again
	}
	select {
	case <-c.closed:
		return time.Time{}
	default:
	}
	e := c.cur.Load()
	now := c.cfg.clock.Now()
	switch {
	case e == nil || !e.usable(now):
		return now // a login (or a refresh) is due now
	case e.expiresAt.IsZero():
		return time.Time{} // valid until refused: nothing to plan for
	case e.stale.Load():
		return now
	}
	return maxTime(e.quietUntil, e.retryAt)
}

func init() {
	tokenseam.Option = func(l *tokenseam.Link) any { return Option(func(c *config) { c.link = l }) }
}

// Refreshing reports whether a login or refresh is in flight.
func (c *Cache) Refreshing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flight != nil
}

// Waiting returns how many callers wait for the login or refresh in
// flight.
func (c *Cache) Waiting() int {
	c.mu.Lock()
	f := c.flight
	c.mu.Unlock()
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.patient + len(f.deadlines)
}

// replaceable: see tokenseam.Loop.Replaceable.
func (c *Cache) replaceable(t *auth.Token) bool {
	e := c.cur.Load()
	return e == nil || e.rejected || e.tok == nil || e.tok.AccessToken != t.AccessToken
}

// Stats returns counts of what the cache has done so far.
func (c *Cache) Stats() Stats {
	return Stats{
		Logins:        c.logins.Load(),
		Refreshes:     c.refreshes.Load(),
		StoreHits:     c.storeHits.Load(),
		Failures:      c.failures.Load(),
		Invalidations: c.invalidations.Load(),
	}
}

// Close stops background refreshes and waits for them to end. A fresh
// cached token is still served after Close; anything that would need the
// provider returns ErrClosed.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		close(c.closed)
		c.mu.Unlock()
		c.cancel()
	})
	c.wg.Wait()
	if e := c.cur.Load(); e != nil {
		e.stop()
	}
	c.wg.Wait()
	return nil
}

// replace makes e current and stops the timer of the entry it replaces.
func (c *Cache) replace(e *entry) {
	if old := c.cur.Swap(e); old != nil {
		old.stop()
	}
}

// schedule arms e's stale flag for quietUntil.
func (c *Cache) schedule(e *entry, now time.Time) *entry {
	if e.quietUntil.Equal(farFuture) {
		return e
	}
	// Measure from the clock's reading now, not from now: the clock may
	// have moved since, and AfterFunc counts from its own present.
	d := e.quietUntil.Sub(c.cfg.clock.Now())
	if d <= 0 {
		e.stale.Store(true)
		return e
	}
	// The timer starts the refresh itself, so that it does not wait for
	// some caller to happen by (and queue behind its calls); a token no
	// caller has used since it came is left to lapse.
	e.timer = c.cfg.clock.AfterFunc(d, func() {
		e.stale.Store(true)
		if (e.used.Load() || c.busy()) && e.usable(c.cfg.clock.Now()) {
			if e.err == nil {
				c.distrusts.Store(0) // it lived to its refresh: no refusal streak
			}
			c.startFlight(e, false)
		}
	})
	return e
}

func (e *entry) stop() {
	if e.timer != nil {
		e.timer.Stop()
	}
}

func (c *Cache) newEntry(tok *auth.Token, now time.Time, gen uint64) *entry {
	e := &entry{tok: tok, quietUntil: farFuture, hardAt: farFuture, gen: gen}
	if tok.Expiry.IsZero() {
		return e
	}
	life := tok.Expiry.Sub(now)
	e.expiresAt = now.Add(life)
	c.lastLife.Store(int64(life))
	soft := c.cfg.jittered(c.cfg.soft(life))
	hard := c.cfg.jittered(c.cfg.hard)
	// The soft window takes at most a quarter of the lifetime, so a
	// short-lived token is renewed near its end, not at half-life; but it
	// is wide enough for the refresh to get a budget slot (never more than
	// half the lifetime, so a short token cannot refresh in a loop).
	soft = min(soft, life/4)
	soft = min(max(soft, c.cfg.minSoft), life/2)
	hard = min(hard, soft, life/4)
	e.quietUntil = e.expiresAt.Add(-soft)
	e.hardAt = e.expiresAt.Add(-hard)
	return c.schedule(e, now)
}

// errDeferred is obtain's answer when a degraded shared store puts off a
// refresh the current token does not need yet.
var errDeferred = errors.New("tokencache: refresh deferred while the shared store is degraded")

// deferUntil is when a refresh of prev's token can wait for while the
// shared store is degraded: the narrowest soft window that leaves room for
// it. The zero time when prev has no valid token to wait with.
func (c *Cache) deferUntil(prev *entry) time.Time {
	if prev == nil || !prev.usable(c.cfg.clock.Now()) || prev.expiresAt.IsZero() {
		return time.Time{}
	}
	at := prev.hardAt
	if c.cfg.minSoft > 0 {
		at = minTime(at, prev.expiresAt.Add(-c.cfg.minSoft))
	}
	return maxTime(at, prev.quietUntil)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// usable reports whether e's access token may still be sent at now.
func (e *entry) usable(now time.Time) bool {
	return e.tok != nil && !e.rejected && (e.expiresAt.IsZero() || now.Before(e.expiresAt))
}

// failedEntry returns prev after a failed refresh: same token (if any),
// the error, and no new attempt before the backoff ends.
func (c *Cache) failedEntry(prev *entry, err error, now time.Time) *entry {
	n := &entry{}
	if prev != nil {
		n.tok, n.quietUntil, n.hardAt, n.expiresAt = prev.tok, prev.quietUntil, prev.hardAt, prev.expiresAt
		n.failures, n.rejected, n.gen = prev.failures, prev.rejected, prev.gen
	}
	n.err = err
	n.failures++
	n.retryAt = now.Add(c.cfg.backoff(n.failures))
	if !n.usable(now) {
		n.stale.Store(true)
		return n
	}
	n.quietUntil = maxTime(n.quietUntil, n.retryAt)
	if !n.expiresAt.IsZero() && n.quietUntil.After(n.expiresAt) {
		n.quietUntil = n.expiresAt
	}
	return c.schedule(n, now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (cfg config) jittered(d time.Duration) time.Duration {
	if cfg.jitter <= 0 || d <= 0 {
		return d
	}
	span := time.Duration(float64(d) * cfg.jitter)
	if span <= 0 {
		return d
	}
	return d + rand.N(span)
}

func (cfg config) backoff(failures int) time.Duration {
	d := cfg.minBackoff << min(failures-1, 20)
	if d <= 0 || d > cfg.maxBackoff {
		d = cfg.maxBackoff
	}
	return d
}
