package providers

import (
	"reflect"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/tokencache"
)

// Accounts in one process. Clients of the same provider, base URL and
// principal (Spec.Account), with the same settings (Spec.Config), built in
// one process share one account state:
// the token cache (one login, one refresh), the budgets and the cool-down
// after a 429, as fleet mode shares them across processes. Two clients
// with their own budgets would together send twice the provider's limit
// and draw its penalty (issue 24, item 10: a second compliancely.New drew
// Compliancely's 10-minute pause).
//
// What is shared and what stays each client's own:
//
//   - Shared: the token cache, every budget's limiter and every cool-down
//     gate, and the pause after a 429 without Retry-After (the
//     RetryPolicy.Penalty of the client that opened the account).
//   - Each client's own: its transport (WithTransport, WithTimeout), its
//     logger, hooks and subscribers, its retries (the rest of
//     RetryPolicy), its Stats (but Logins and Refreshes are the account's)
//     and Close. Logins and refreshes go through the transport and hooks of
//     the client that opened the account, for as long as any client holds
//     it (the account outlives the client that opened it).
//   - Part of the account's identity: the clock (clients on two clocks,
//     as two tests are, never share) and WithMinTokenLifetime.
//   - Private: a client given WithPrivateAccount, or an option that makes
//     the account state itself — WithLimiter, WithLoginLimiter,
//     WithLimiters, WithCoolDown, WithStore, WithTokenCacheOptions (the
//     user has taken charge of it, as fleet mode does) — and a provider
//     that names no principal or no comparable Config (iDenfy: its key is
//     the principal; KYConnect: its MFACode function), whose clients
//     cannot be told apart.
//
// The state is counted by reference: Close of one client leaves the
// others working; the last Close ends the token cache and the limiters.
// Config holds the credentials, so a client with a new password is
// another account state (while the old clients live, the two count the
// provider's limits separately).
var accounts struct {
	sync.Mutex
	m map[accountKey]*accountState
}

// accountKey is an account's identity in the process.
type accountKey struct {
	provider, base, principal string
	config                    any // Spec.Config: logins use these settings
	clock                     clock.Clock
	minLife                   time.Duration
}

// accountState is what the clients of one account share.
type accountState struct {
	key     accountKey
	refs    int
	home    *pipeline // token calls are sent here; closed with the last client
	account *scope
	routes  []*scope
	cache   *tokencache.Cache
	seam    tokenseam.Loop
	limits  []*WindowLimiter
	closers []interface{ Close() } // keyed budgets' limiters
}

// WithPrivateAccount gives the client its own account state — token
// cache, budgets, cool-down — even when another client of the process has
// the same provider, base URL and principal. The two then count the
// provider's limits separately: together they may exceed them.
func WithPrivateAccount() Option { return func(o *options) { o.private = true } }

// sharedKey returns the key under which a client of spec shares its
// account state, and false when the account is private.
func sharedKey(spec Spec, base string, o *options, clk clock.Clock) (accountKey, bool) {
	switch {
	case o.private, spec.Account == "", spec.Config == nil, !reflect.ValueOf(spec.Config).Comparable(),
		o.limiterSet, o.loginLimiterSet, o.limiters != nil, o.coolDown != nil,
		o.store != nil, len(o.cacheOpts) > 0:
		return accountKey{}, false
	}
	if t := reflect.TypeOf(clk); t == nil || !t.Comparable() {
		return accountKey{}, false
	}
	minLife := o.minLife
	if minLife <= 0 {
		minLife = MinTokenLifetime
	}
	return accountKey{provider: spec.Name, base: base, principal: spec.Account, config: spec.Config,
		clock: clk, minLife: minLife}, true
}

// joinAccount takes a reference to the account of key when one is open, and
// otherwise returns nil with the registry still locked: the caller builds
// the account and calls openAccount (or abandonAccount) to unlock it.
func joinAccount(key accountKey) *accountState {
	accounts.Lock()
	if a := accounts.m[key]; a != nil {
		a.refs++
		accounts.Unlock()
		return a
	}
	return nil
}

// openAccount registers a new account built while joinAccount's lock was held, and
// unlocks the registry.
func openAccount(a *accountState) {
	defer accounts.Unlock()
	if accounts.m == nil {
		accounts.m = map[accountKey]*accountState{}
	}
	a.refs = 1
	accounts.m[a.key] = a
}

// abandonAccount unlocks the registry after a build that failed.
func abandonAccount() { accounts.Unlock() }

// release gives a client's reference back; the last one closes the
// account's limiters and token cache and stops its token calls.
func (a *accountState) release() {
	accounts.Lock()
	a.refs--
	last := a.refs == 0
	if last && accounts.m[a.key] == a {
		delete(accounts.m, a.key)
	}
	accounts.Unlock()
	if !last {
		return
	}
	a.home.shut.Store(true)
	close(a.home.closed)
	a.home.cancel()
	for _, l := range a.limits {
		l.Close()
	}
	for _, l := range a.closers {
		l.Close()
	}
	if a.cache != nil {
		_ = a.cache.Close()
	}
}

// use points the client's pipeline at the account's state.
func (a *accountState) use(p *pipeline) {
	p.account, p.routes, p.cache, p.seam, p.active = a.account, a.routes, a.cache, a.seam, a.home.active
}
