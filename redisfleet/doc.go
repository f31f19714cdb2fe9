// Package redisfleet is unikyc's fleet mode: many replicas of a service share
// one provider account through Redis and behave like one client.
//
//	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs}) // one node, Sentinel or Cluster
//	fleet, err := redisfleet.New(rdb, redisfleet.WithEncryptionKey(key), redisfleet.WithReplicas(5))
//	...
//	c, err := compliancely.New(cfg, fleet.Options("compliancely:"+cfg.Username)...)
//
// A [Fleet] gives four things, each a plug for an interface the rest of
// unikyc already takes; [Fleet.Options] bundles them as providers.Options.
//
//   - [Fleet.Store]: a tokencache.Store in Redis. Tokens are bearer secrets:
//     with [WithEncryptionKey] they are sealed with AES-256-GCM (random nonce,
//     the Redis key as additional data, so a value cannot be moved to another
//     account's key). WITHOUT A KEY THEY ARE STORED IN CLEAR, readable by
//     anyone who can read Redis; New logs that once at Warn. Each entry lives
//     until the later of the token's expiry and its refresh token's expiry
//     (no TTL when neither is known).
//   - the refresh lock: the Store is also a tokencache.HandoffLocker. The
//     token cache reads the store, then waits for the lock, then reads the
//     store again; while it waits, the winner's save reaches it at once: the
//     save publishes the sealed token on the lock's channel (Redis pub/sub),
//     and every look at the lock reads the token in the same script, at
//     jittered intervals from 10 ms growing to 200 ms. Twenty replicas
//     starting cold all hold the token a few milliseconds after the winner
//     saved it, with one login. The lock's TTL ([WithLockTTL], default 30 s)
//     is renewed while it is held, so a long login keeps it and a crashed
//     holder frees it within one TTL; unlocking wakes the waiters. Waiting
//     honours the caller's context.
//   - [Fleet.Limiter]: each budget the provider declares
//     (ratelimit.Budget: "at most N in any window", counted over the window
//     plus a margin) shared by the fleet with the same promise one client's
//     limiter keeps: a sliding log in a Redis sorted set, one entry per
//     admitted request, one script (one round trip) per admission. A burst
//     may use whatever the window has left; no span ever holds more than N.
//     Logins and refreshes go first across the fleet: a token call that must
//     wait holds a reservation that every replica's API calls leave free.
//     After a 429, the log is rewritten (ratelimit.Pacer) so that one request
//     leaves when the pause ends and the rest follow one even step apart. When
//     the wait would outlast ctx's deadline, Wait returns at once with a
//     *ratelimit.WaitError matching context.DeadlineExceeded. Times
//     are the clients' clock's (replicas' clocks should agree; the margin
//     absorbs small skew).
//   - [Fleet.CoolDown]: the pause after a 429, shared: one replica's 429
//     pauses every replica, and when the pause ends one request of the whole
//     fleet goes first; the others see the pause last 2 s more, long enough
//     for that probe's 429 (if it gets one) to pause them all again.
//
// Cost: each request attempt makes two Redis round trips (its budget's
// admission and the cool-down); each login or refresh adds a read, the lock
// script (once, or once per poll for the replicas that wait), a
// subscription for the waiters, and the save. The token cache's hot path
// does not touch Redis. Slots go to whichever replica asks first.
//
// # When Redis fails
//
// Every Redis call has a short timeout ([WithTimeout], default 250 ms), kept
// even while go-redis dials a server that never answers. A failed call is
// not yet an outage. The Fleet switches to local mode only on a confirmed
// one: the connection refused, reset or closed; a timeout followed by a
// failed probe (one PING on another connection, within four call
// timeouts, shared by the calls that failed together); or three failed calls in a
// row. One late reply from a Redis that answers the probe is counted
// (Stats.LateReplies) and asked again: a replica waiting for another's lock
// keeps waiting and reads the token again; a save, an unlock or a
// cool-down's Extend is sent once more.
//
// Local mode is an in-memory store (holding every token this replica saw in
// Redis, so the other caches of the process keep the fleet's token), a lock
// within the process (per-replica single flight), a local limiter per
// budget at this replica's share (limit / [WithReplicas]; its first request
// waits one span after the switch, since the other replicas may have used
// the whole budget just before, the next ones leave one even step apart)
// and a local cool-down. The switch is logged
// once at Warn, not once per request, and a request never fails only
// because Redis did. Redis is tried again at most once per probe interval
// ([WithProbeInterval], default 5 s, on the injected clock) with the real
// call that needed it; when it answers, the Fleet logs that once at Info
// and is back in shared mode. A replica that was waiting for another's
// lock when Redis went away, with no token from it, gets
// [ErrOutageWhileWaiting]; a token cache that still holds a valid token
// keeps it and tries again after its backoff rather than log in at once.
// While in local mode a token cache puts off the refresh its soft window
// would start, as long as its token is valid, until the narrowest soft
// window that leaves it room ([Store.Degraded], tokencache.Degrader):
// Redis may be back before then, and each replica would otherwise log in
// on its own. When the token must be renewed, each replica logs in or
// refreshes on its own, and the replicas' budgets add up to the fleet's
// only if [WithReplicas] is right.
//
// The way back is paced like the way there: when Redis answers again, the
// requests waiting on the local share go back to the fleet's line (Redis
// sees them), and if the local share admitted requests within the last
// span — which Redis never saw — the replica's first admission rewrites
// the log so that the next request leaves a span later and the ones after
// one even step apart.
//
// # A budget log Redis lost
//
// Redis can lose a log without an outage: a restart (go-redis reconnects
// without a word), a FLUSHALL, an eviction, or a Sentinel or Cluster
// failover to a replica that had not received the latest writes. Each
// budget's log has a marker written in the same script as every admission
// (an epoch, the count of admissions, when the epoch began; TTL 24 h).
// Each replica remembers what it last saw; a marker that is gone, an epoch
// that changed, or a count that went back means the history is unknown,
// and the script paces the log as after a 429 for one span (the next
// request a span after the loss was found, then one even step apart),
// once for the fleet. Stats.LostLogs counts it and it is logged at Warn.
// A loss nobody remembers (every replica restarted too) cannot be told
// from a new budget.
//
// # Keys and Redis Cluster
//
// Every key is <prefix>{<account>}:<kind>, the prefix from [WithPrefix]
// (default "unikyc:fleet:", no braces). For tokens, <account> is the token
// cache's key (tokencache.Key: provider name and a hash of base URL and
// principal) and the kinds are token, lock and saved (the pub/sub channel);
// for budgets and the cool-down it is a SHA-256 prefix of the account name,
// and the kinds are budget:<hash of the budget>, reserve:<hash of the
// budget>, epoch:<hash of the budget> (the log's marker), cool and probe. The braces
// are a hash tag: all the keys of one account are in one Redis Cluster slot,
// so each script (which touches several) runs on Cluster; the tests prove
// it on a three-master cluster. No secret and no account name appears in a
// key.
package redisfleet
