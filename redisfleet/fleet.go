package redisfleet

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

// Fleet connects one replica to the fleet's Redis. Make one per process
// (per Redis) with New and share it between clients; it is safe for
// concurrent use and owns nothing that needs closing (the Redis client
// stays the caller's).
type Fleet struct {
	rdb   redis.UniversalClient
	cfg   config
	aead  cipher.AEAD // nil: tokens stored in clear
	h     *health
	store *Store
}

// Option configures a Fleet.
type Option func(*config)

type config struct {
	key      []byte
	prefix   string
	lockTTL  time.Duration
	replicas int
	timeout  time.Duration
	probe    time.Duration
	logger   *slog.Logger
	clock    clock.Clock
}

// WithEncryptionKey seals tokens in Redis with AES-256-GCM under key, which
// must be 32 bytes (e.g. from a secret manager; never hard-coded). Every
// replica needs the same key. Without it tokens are stored in clear.
func WithEncryptionKey(key []byte) Option {
	return func(c *config) { c.key = append([]byte(nil), key...) }
}

// WithPrefix sets the prefix of every key (default "unikyc:fleet:"), for
// instance to keep two environments apart in one Redis. It must not
// contain braces: the rest of each key holds the hash tag that keeps an
// account's keys in one Redis Cluster slot.
func WithPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithLockTTL sets the refresh lock's TTL (default 30 s). The holder renews
// it every third of it while it logs in, so it bounds only how long a
// crashed holder blocks the others.
func WithLockTTL(d time.Duration) Option { return func(c *config) { c.lockTTL = d } }

// WithReplicas tells how many replicas share the account (default 1). In
// local mode each limiter allows 1/n of its limit.
func WithReplicas(n int) Option { return func(c *config) { c.replicas = n } }

// WithTimeout bounds every Redis call (default 250 ms). A call that takes
// longer counts as Redis failing.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithProbeInterval sets how often, in local mode, Redis is tried again
// (default 5 s).
func WithProbeInterval(d time.Duration) Option { return func(c *config) { c.probe = d } }

// WithLogger sets where the Fleet reports switching between shared and local
// mode. Nothing secret is logged. Default: nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock for waits, TTLs computed from token expiry and
// probes (default clock.System). Give it the clients' clock.
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// New returns a Fleet on rdb. It fails only on a bad option (a key that is
// not 32 bytes); it does not contact Redis.
func New(rdb redis.UniversalClient, opts ...Option) (*Fleet, error) {
	if rdb == nil {
		return nil, errors.New("redisfleet: nil Redis client")
	}
	cfg := config{prefix: "unikyc:fleet:", lockTTL: 30 * time.Second, replicas: 1,
		timeout: 250 * time.Millisecond, probe: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.clock = clock.Or(cfg.clock)
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	cfg.replicas = max(cfg.replicas, 1)
	if cfg.lockTTL < 3*time.Millisecond {
		cfg.lockTTL = 30 * time.Second
	}
	if strings.ContainsAny(cfg.prefix, "{}") {
		return nil, errors.New("redisfleet: key prefix must not contain braces")
	}
	f := &Fleet{rdb: rdb, cfg: cfg}
	if cfg.key != nil {
		if len(cfg.key) != 32 {
			return nil, fmt.Errorf("redisfleet: encryption key must be 32 bytes, got %d", len(cfg.key))
		}
		block, err := aes.NewCipher(cfg.key)
		if err != nil {
			return nil, fmt.Errorf("redisfleet: %w", err)
		}
		if f.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("redisfleet: %w", err)
		}
		clear(cfg.key)
		f.cfg.key = nil
	} else {
		cfg.logger.Warn("redisfleet: no encryption key; tokens are stored in Redis in clear text (use WithEncryptionKey)")
	}
	f.h = &health{clk: cfg.clock, every: cfg.probe, log: cfg.logger, ping: f.ping}
	f.store = newStore(f)
	return f, nil
}

// Store returns the fleet's token store and refresh lock: pass it to
// providers.WithStore (Options does).
func (f *Fleet) Store() *Store { return f.store }

// Stats tells what the Fleet's connection to Redis has been through. A
// client given the Fleet's Options shows it in its own Stats (Fleet).
type Stats = providers.FleetStats

// Stats returns the Fleet's counters.
func (f *Fleet) Stats() Stats {
	return Stats{Shared: !f.h.down.Load(), Degradations: f.h.degradations.Load(),
		Recoveries: f.h.recoveries.Load(), RedisErrors: f.h.errors.Load(), LateReplies: f.h.missed.Load(),
		LostLogs: f.h.lostLogs.Load()}
}

// String describes the Fleet without its key.
func (f *Fleet) String() string {
	return fmt.Sprintf("redisfleet.Fleet{prefix:%q encrypted:%t replicas:%d shared:%t}",
		f.cfg.prefix, f.aead != nil, f.cfg.replicas, !f.h.down.Load())
}

// GoString is String, for %#v.
func (f *Fleet) GoString() string { return f.String() }

// Format prints String for every verb, so no verb walks the cipher.
func (f *Fleet) Format(s fmt.State, _ rune) { _, _ = fmt.Fprint(s, f.String()) }

// LogValue implements slog.LogValuer.
func (f *Fleet) LogValue() slog.Value { return slog.StringValue(f.String()) }

// result is what one Redis call gave.
type result[T any] struct {
	v   T
	err error
}

// status is how a Redis call ended.
type status int

const (
	answered status = iota // Redis answered; err is its answer when it is one (redis.Nil, a script's error)
	missed                 // Redis is up (it answered a probe, or again since the call began) but gave this call no answer: ask again later
	local                  // an outage is confirmed, now or before: serve locally
	gaveUp                 // the caller's context ended; err is its error
)

// call runs op on Redis, bounded by the per-call timeout, and reports the
// Fleet's health: see status. In local mode op runs only as the probe of
// the probe interval; the other calls return local at once.
func call[T any](f *Fleet, ctx context.Context, op func(ctx context.Context) (T, error), discard func(T)) (v T, st status, err error) {
	if !f.h.useRedis() {
		if ctx.Err() != nil {
			return v, gaveUp, ctx.Err()
		}
		return v, local, nil
	}
	epoch := f.h.recoveries.Load()
	v, err = bounded(ctx, f.cfg.timeout, op, discard)
	if err == nil || isAnswer(err) {
		f.h.ok()
		return v, answered, err
	}
	var zero T
	if ctx.Err() != nil {
		f.h.release() // the caller gave up: that says nothing about Redis
		return zero, gaveUp, ctx.Err()
	}
	if f.h.fail(err, epoch) {
		return zero, local, nil
	}
	return zero, missed, err
}

// bounded runs op within timeout even when the Redis client ignores its
// context (go-redis does while it dials and greets a server that never
// answers): op runs on its own goroutine, which is left to finish on its
// own when time is up; late, its value goes to discard (when not nil),
// e.g. to release a lock nobody waits for.
func bounded[T any](ctx context.Context, timeout time.Duration, op func(ctx context.Context) (T, error), discard func(T)) (T, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	var (
		mu        sync.Mutex
		abandoned bool
		done      = make(chan result[T], 1)
	)
	go func() {
		defer cancel()
		v, err := op(cctx)
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			if err == nil && discard != nil {
				discard(v)
			}
			return
		}
		done <- result[T]{v, err}
	}()
	var r result[T]
	select {
	case r = <-done:
	case <-cctx.Done():
		mu.Lock()
		select {
		case r = <-done: // answered just in time
		default:
			abandoned, r.err = true, cctx.Err()
		}
		mu.Unlock()
	}
	return r.v, r.err
}

// isAnswer reports an error that is Redis's answer, not its failure: a
// missing key, or an error reply other than "not ready" ones.
func isAnswer(err error) bool {
	if errors.Is(err, redis.Nil) {
		return true
	}
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, notReady := range []string{"LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "BUSY"} {
		if strings.HasPrefix(re.Error(), notReady) {
			return false
		}
	}
	return true
}

// ping is the health probe: one PING, given four call timeouts (a Redis
// that is gone refuses at once; one that is only slow, e.g. a new client's
// first calls on a loaded machine, gets the time to say so).
func (f *Fleet) ping(ctx context.Context) error {
	_, err := bounded(ctx, 4*f.cfg.timeout, func(ctx context.Context) (string, error) {
		return f.rdb.Ping(ctx).Result()
	}, nil)
	return err
}

// key names the Redis key of one kind (token, lock, cool, …) for an
// account: prefix, then the account in braces, so that every key of one
// account is in one Redis Cluster slot and a script may touch several.
func (f *Fleet) key(account, kind string) string {
	return f.cfg.prefix + "{" + account + "}:" + kind
}

// hashed names a limiter or cool-down without showing the name.
func hashed(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:16])
}
