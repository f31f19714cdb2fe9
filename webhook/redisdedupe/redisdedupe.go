// Package redisdedupe is a webhook.DedupeStore in Redis, for a fleet: every
// replica behind one webhook URL claims events in one place, so a retry
// that reaches another replica does not run the handler twice. It is its
// own package so that only programs that use it link go-redis.
//
// A claim is one `SET key 1 NX PX ttl` (atomic: of concurrent claimers
// exactly one gets OK) and a release one `DEL`. Keys are the store's prefix
// and the SHA-256 of the event's dedupe key, so Redis holds no scan
// reference. Any redis.UniversalClient works: a client, a ring, a cluster
// (each claim is one key), the client fleet mode uses
// (redisfleet).
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	store, err := redisdedupe.New(rdb)
//	recv, err := webhook.NewReceiver(hooks, handle, webhook.WithStore(store))
package redisdedupe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "unikyc:webhook:"

// Store is a webhook.DedupeStore in Redis. It is safe for concurrent use;
// it does not close the client.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// Option configures a Store.
type Option func(*Store)

// WithPrefix sets the key prefix (default DefaultPrefix); give each
// application sharing a Redis its own.
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("unikyc: webhook: redisdedupe: nil Redis client")
	}
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Key is the Redis key of a dedupe key.
func (s *Store) Key(dedupeKey string) string {
	sum := sha256.Sum256([]byte(dedupeKey))
	return s.prefix + hex.EncodeToString(sum[:])
}

// Claim sets the key if it is absent, expiring after ttl (whole
// milliseconds, at least one).
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ttl = max(ttl.Truncate(time.Millisecond), time.Millisecond)
	// Spelled out: go-redis's SetArgs would send EX for whole seconds.
	err := s.rdb.Do(ctx, "SET", s.Key(key), "1", "NX", "PX", ttl.Milliseconds()).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil):
		return false, nil
	default:
		return false, fmt.Errorf("unikyc: webhook: redisdedupe: claim: %w", err)
	}
}

// Release deletes the key.
func (s *Store) Release(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.Key(key)).Err(); err != nil {
		return fmt.Errorf("unikyc: webhook: redisdedupe: release: %w", err)
	}
	return nil
}

// String describes the store without its client's address or password.
func (s *Store) String() string { return "redisdedupe.Store(prefix=" + s.prefix + ")" }
