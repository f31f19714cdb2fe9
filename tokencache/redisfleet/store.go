package redisfleet

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/tokencache"
)

// Store is the fleet's tokencache.Store and tokencache.Locker. Make it with
// Fleet.Store. In local mode it keeps tokens in memory and locks within
// the process only.
type Store struct {
	f     *Fleet
	local *tokencache.MemoryStore

	mu    sync.Mutex
	gates map[string]chan struct{} // local locks, by store key
}

var (
	_ tokencache.Store  = (*Store)(nil)
	_ tokencache.Locker = (*Store)(nil)
)

func newStore(f *Fleet) *Store {
	return &Store{f: f, local: tokencache.NewMemoryStore(), gates: map[string]chan struct{}{}}
}

// Load returns the token saved under key: from Redis in shared mode, from
// memory in local mode. A value it cannot decrypt is an error (the token
// cache then logs in and overwrites it); Redis failing is not.
func (s *Store) Load(ctx context.Context, key string) (*auth.Token, error) {
	rkey := s.f.key("token", key)
	b, ok, err := call(s.f, ctx, func(ctx context.Context) ([]byte, error) {
		return s.f.rdb.Get(ctx, rkey).Bytes()
	}, nil)
	switch {
	case !ok && err != nil:
		return nil, err
	case !ok:
		return s.local.Load(ctx, key)
	case errors.Is(err, redis.Nil):
		return nil, nil
	}
	return s.f.open(rkey, b)
}

// Save saves t under key, in memory and, in shared mode, in Redis until the
// later of its access and refresh expiry (forever when its expiry is
// unknown).
func (s *Store) Save(ctx context.Context, key string, t *auth.Token) error {
	_ = s.local.Save(ctx, key, t)
	ttl := time.Duration(0)
	if !t.Expiry.IsZero() {
		end := t.Expiry
		if t.RefreshExpiry.After(end) {
			end = t.RefreshExpiry
		}
		if ttl = end.Sub(s.f.cfg.clock.Now()); ttl <= 0 {
			return nil // nothing worth sharing
		}
	}
	rkey := s.f.key("token", key)
	val, err := s.f.seal(rkey, t)
	if err != nil {
		return err
	}
	_, _, err = call(s.f, ctx, func(ctx context.Context) (string, error) {
		return s.f.rdb.Set(ctx, rkey, val, ttl).Result()
	}, nil)
	return err
}

// Lock takes the fleet-wide refresh lock for key, waiting (polling Redis,
// 10 ms growing to 200 ms) until it is free or ctx ends. The lock is
// renewed while held; unlock releases it. In local mode, or when Redis
// fails while it waits, it takes a lock within this process instead.
func (s *Store) Lock(ctx context.Context, key string) (unlock func(), err error) {
	rkey := s.f.key("lock", key)
	ttl := s.f.cfg.lockTTL
	wait := 10 * time.Millisecond
	for {
		l, ok, err := call(s.f, ctx, func(ctx context.Context) (*redislock.Lock, error) {
			return s.f.locks.Obtain(ctx, rkey, ttl, nil)
		}, s.release)
		switch {
		case !ok && err != nil:
			return nil, err
		case !ok:
			return s.localLock(ctx, key)
		case l != nil:
			return s.keepAlive(l), nil
		}
		t := time.NewTimer(wait) // Redis's TTLs run in real time, so does this
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// keepAlive renews l every third of its TTL until the returned unlock runs.
func (s *Store) keepAlive(l *redislock.Lock) (unlock func()) {
	ttl := s.f.cfg.lockTTL
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_, ok, err := call(s.f, context.Background(), func(ctx context.Context) (struct{}, error) {
					return struct{}{}, l.Refresh(ctx, ttl, nil)
				}, nil)
				if !ok || err != nil {
					return // Redis is gone or the lock was lost: nothing left to renew
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			_, _, _ = call(s.f, context.Background(), func(ctx context.Context) (struct{}, error) {
				if err := l.Release(ctx); !errors.Is(err, redislock.ErrLockNotHeld) {
					return struct{}{}, err
				}
				return struct{}{}, nil
			}, nil)
		})
	}
}

// release frees a lock obtained after its caller stopped waiting.
func (s *Store) release(l *redislock.Lock) {
	ctx, cancel := context.WithTimeout(context.Background(), s.f.cfg.timeout)
	defer cancel()
	_ = l.Release(ctx)
}

// localLock is the lock of local mode: one holder per key in this process.
func (s *Store) localLock(ctx context.Context, key string) (func(), error) {
	s.mu.Lock()
	g, ok := s.gates[key]
	if !ok {
		g = make(chan struct{}, 1)
		s.gates[key] = g
	}
	s.mu.Unlock()
	select {
	case g <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-g }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
