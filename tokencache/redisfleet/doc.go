// Package redisfleet is unikyc's fleet mode: many replicas of a service share
// one provider account through Redis and behave like one client.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"}) // or any redis.UniversalClient
//	fleet, err := redisfleet.New(rdb, redisfleet.WithEncryptionKey(key), redisfleet.WithReplicas(5))
//	...
//	c, err := compliancely.New(cfg, fleet.Options("compliancely:"+cfg.Username, compliancely.DefaultRate, 1)...)
//
// A [Fleet] gives four things, each a plug for an interface the rest of
// unikyc already takes:
//
//   - [Fleet.Store]: a tokencache.Store in Redis. Tokens are bearer secrets:
//     with [WithEncryptionKey] they are sealed with AES-256-GCM (random nonce,
//     the Redis key as additional data, so a value cannot be moved to another
//     account's key). WITHOUT A KEY THEY ARE STORED IN CLEAR, readable by
//     anyone who can read Redis; New logs that once at Warn. Each entry lives
//     until the later of the token's expiry and its refresh token's expiry
//     (no TTL when neither is known).
//   - the refresh lock: the Store is also a tokencache.Locker. The token cache
//     takes the lock (github.com/bsm/redislock) around every login and refresh
//     and reads the store again once it holds it, so the replicas that lost
//     the race take the winner's token instead of logging in. The lock's TTL
//     ([WithLockTTL], default 30 s) is renewed while it is held, so a long
//     login keeps it and a crashed holder frees it within one TTL. Waiting for
//     the lock honours the caller's context.
//   - [Fleet.Limiter]: a providers.Limiter on a GCRA limiter in Redis
//     (github.com/go-redis/redis_rate/v10), so the fleet together stays under
//     the provider's limit. The GCRA runs on Redis's clock (one clock for the
//     whole fleet); the waits run on the injected clock. Per process, one
//     waiter at a time asks Redis; the others queue behind it. When the wait
//     Redis announces would outlast ctx's deadline, Wait returns at once with
//     an error wrapping context.DeadlineExceeded.
//   - [Fleet.CoolDown]: the pause after a 429, shared: one replica's 429 pauses
//     every replica until it ends.
//
// Cost: in shared mode each request attempt makes two Redis round trips
// (the GCRA and the cool-down); each login or refresh adds the lock, a read
// and a write. The hot path of the token cache does not touch Redis. Slots
// go to whichever replica asks first, so a fleet shares the rate but not
// necessarily evenly.
//
// [Fleet.Options] bundles the store, the limiter and the cool-down as
// providers.Options for any provider's New.
//
// # When Redis fails
//
// Every Redis call has a short timeout ([WithTimeout], default 250 ms). When
// one fails (Redis down, unreachable or slow), the Fleet switches to local
// mode: an in-memory store and lock, a local limiter at this replica's share
// of the limit (limit / [WithReplicas]), a local cool-down. It logs the switch
// once at Warn, not once per request, and keeps serving: a request never
// fails only because Redis did. In local mode it tries Redis again at most
// once per probe interval ([WithProbeInterval], default 5 s, on the injected
// clock), with the real call that needed it; when Redis answers, it logs that
// once at Info and is back in shared mode. While it is in local mode each
// replica logs in or refreshes on its own when its token runs out, and the
// replicas' limits add up to the fleet's only if [WithReplicas] is right.
//
// # Keys
//
// Every key starts with the prefix ([WithPrefix], default "unikyc:fleet:"):
// token:<store key> and lock:<store key>, where the store key comes from
// tokencache.Key (provider name and a hash of base URL and principal), and
// limit:<hash> (under redis_rate's own "rate:" prefix) and cool:<hash>, where
// <hash> is a SHA-256 of the name given to Limiter or CoolDown. No secret and
// no account name appears in a key. Each key is single-slot, so Redis
// Cluster works.
package redisfleet
