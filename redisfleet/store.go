package redisfleet

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// Store is the fleet's tokencache.Store and tokencache.HandoffLocker. Make
// it with Fleet.Store. In local mode it keeps tokens in memory and locks
// within the process only.
type Store struct {
	f     *Fleet
	local *tokencache.MemoryStore

	mu    sync.Mutex
	gates map[string]chan struct{} // local locks, by store key
}

// FleetStats reports the fleet's state: a client given this Store
// (Fleet.Options) shows it in its Stats.
func (s *Store) FleetStats() providers.FleetStats { return s.f.Stats() }

var (
	_ providers.FleetReporter  = (*Store)(nil)
	_ tokencache.Store         = (*Store)(nil)
	_ tokencache.HandoffLocker = (*Store)(nil)
)

// errMissed is a Redis call that got no answer in time from a Redis that
// still answers: not an outage, and no value.
var errMissed = errors.New("redisfleet: Redis did not answer in time")

// ErrOutageWhileWaiting is LockOrLoad's error when Redis went away while
// another replica held the lock and nothing it saved had arrived: that
// replica may have a token this one cannot reach. A token cache that still
// holds a valid token keeps it and tries again after its backoff (then in
// local mode) instead of logging in at once.
var ErrOutageWhileWaiting = errors.New("redisfleet: Redis went away while another replica held the refresh lock")

// The lock's waits between two looks at Redis, besides the news it
// subscribes to: growing from pollMin to pollMax, each jittered.
const (
	pollMin = 10 * time.Millisecond
	pollMax = 200 * time.Millisecond
)

// save stores the token (KEYS[1]) with a TTL in ms (ARGV[2], 0: none) and
// hands it to every waiter on the channel ARGV[3]: the waiters have it even
// if Redis goes away the next moment.
var save = redis.NewScript(`
if tonumber(ARGV[2]) > 0 then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
else
  redis.call("SET", KEYS[1], ARGV[1])
end
redis.call("PUBLISH", ARGV[3], ARGV[1])
return 1`)

// lockOrLoad tries to take the lock (KEYS[1], value ARGV[1], TTL ARGV[2]
// ms) and reads the token (KEYS[2]): one round trip per look.
var lockOrLoad = redis.NewScript(`
local got = 0
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then got = 1 end
local t = redis.call("GET", KEYS[2])
if t then return {got, t} end
return {got}`)

// unlock frees the lock if it still holds ARGV[1] and tells the waiters
// on channel ARGV[2] to look again (the holder may have failed).
var unlock = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
  redis.call("PUBLISH", ARGV[2], "")
  return 1
end
return 0`)

// renew extends the lock if it still holds ARGV[1].
var renew = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

func newStore(f *Fleet) *Store {
	return &Store{f: f, local: tokencache.NewMemoryStore(), gates: map[string]chan struct{}{}}
}

// Load returns the token saved under key: from Redis in shared mode, from
// memory in local mode. A value it cannot decrypt is an error (the token
// cache then logs in and overwrites it), and so is a reply that came too
// late from a Redis that is up; an outage is not.
func (s *Store) Load(ctx context.Context, key string) (*auth.Token, error) {
	rkey := s.f.key(key, "token")
	b, st, err := call(s.f, ctx, func(ctx context.Context) ([]byte, error) {
		return s.f.rdb.Get(ctx, rkey).Bytes()
	}, nil)
	switch {
	case st == gaveUp:
		return nil, err
	case st == missed:
		return nil, errMissed
	case st == local:
		return s.local.Load(ctx, key)
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, err
	}
	tok, err := s.f.open(rkey, b)
	if err == nil {
		_ = s.local.Save(ctx, key, tok) // what local mode starts from if Redis goes away
	}
	return tok, err
}

// Save saves t under key, in memory and, in shared mode, in Redis until the
// later of its access and refresh expiry (forever when its expiry is
// unknown), and hands it to the replicas waiting for the lock. A late
// reply is asked once more.
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
	rkey := s.f.key(key, "token")
	val, err := s.f.seal(rkey, t)
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		_, st, err := call(s.f, ctx, func(ctx context.Context) (any, error) {
			return save.Run(ctx, s.f.rdb, []string{rkey}, val, max(ttl.Milliseconds(), 1)*sign(ttl), s.f.key(key, "saved")).Result()
		}, nil)
		switch {
		case st == missed && try == 0:
			continue // SET is idempotent: once more
		case st == missed:
			return errMissed
		case st == local:
			return nil // kept in memory
		}
		return err
	}
}

func sign(d time.Duration) int64 {
	if d > 0 {
		return 1
	}
	return 0
}

// Lock takes the fleet-wide refresh lock for key, waiting until it is free
// or ctx ends; see LockOrLoad, of which it is the case that accepts no
// token.
func (s *Store) Lock(ctx context.Context, key string) (unlock func(), err error) {
	_, unlock, err = s.LockOrLoad(ctx, key, nil)
	return unlock, err
}

// Degraded reports whether the Fleet is in local mode (a confirmed Redis
// outage). A token cache then puts off the refresh its soft window would
// start while its token is valid (see tokencache.Degrader): each replica
// would log in on its own, and Redis may be back before it must.
func (s *Store) Degraded() bool { return s.f.h.down.Load() }

// LockOrLoad takes the fleet-wide refresh lock for key or, if a token that
// accept approves is saved under key first, returns that token without the
// lock. While it waits it listens for the holder's save (Redis pub/sub; the
// message carries the sealed token, so a waiter has it even if Redis dies a
// moment later) and looks at the lock and the token together, in one
// script, at jittered intervals from 10 ms growing to 200 ms. A reply that
// comes too late from a Redis that still answers means "keep waiting, look
// again", never "Redis is gone". The lock is renewed while held; unlock
// releases it and wakes the waiters. After a confirmed outage it takes a
// lock within this process instead.
func (s *Store) LockOrLoad(ctx context.Context, key string, accept func(*auth.Token) bool) (*auth.Token, func(), error) {
	lkey, tkey, ch := s.f.key(key, "lock"), s.f.key(key, "token"), s.f.key(key, "saved")
	ttl := s.f.cfg.lockTTL.Milliseconds()
	val := lockValue()
	var sub *redis.PubSub
	defer func() {
		if sub != nil {
			_ = sub.Close()
		}
	}()
	subscribed, waited := false, false
	wait := pollMin
	for {
		r, st, err := call(s.f, ctx, func(ctx context.Context) ([]any, error) {
			return lockOrLoad.Run(ctx, s.f.rdb, []string{lkey, tkey}, val, ttl).Slice()
		}, func(r []any) {
			if got, _ := r[0].(int64); got == 1 {
				s.unlock(lkey, val, ch)
			}
		})
		switch st {
		case gaveUp:
			return nil, nil, err
		case local:
			if !waited {
				return s.localLock(ctx, key)
			}
			if sub != nil { // a save may have reached us before Redis went
				if tok, _ := s.listen(ctx, sub, time.Millisecond, tkey, accept); tok != nil {
					_ = s.local.Save(ctx, key, tok)
					return tok, nil, nil
				}
			}
			return nil, nil, ErrOutageWhileWaiting
		case answered:
			if err != nil {
				return nil, nil, err
			}
			got, _ := r[0].(int64)
			if len(r) > 1 {
				raw, _ := r[1].(string)
				if tok := s.accepted(tkey, []byte(raw), accept); tok != nil {
					if got == 1 {
						s.unlock(lkey, val, ch)
					}
					_ = s.local.Save(ctx, key, tok)
					return tok, nil, nil
				}
			}
			if got == 1 {
				return nil, s.keepAlive(lkey, val, ch), nil
			}
			waited = true
		case missed: // another replica may hold the lock: keep waiting, look again
		}
		if !subscribed {
			subscribed = true
			if sub = s.subscribe(ctx, ch); sub != nil {
				continue // look once more: a save before the subscription is in the token key
			}
		}
		d := wait/2 + rand.N(wait/2+1)
		wait = min(2*wait, pollMax)
		if sub == nil {
			t := time.NewTimer(d) // Redis's TTLs run in real time, so does this
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, nil, ctx.Err()
			}
			continue
		}
		tok, ok := s.listen(ctx, sub, d, tkey, accept)
		if tok != nil {
			_ = s.local.Save(ctx, key, tok)
			return tok, nil, nil
		}
		if !ok {
			_ = sub.Close()
			sub = nil // the subscription broke: polls only from now on
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
	}
}

// accepted opens a value read from tkey and returns its token if accept
// approves it.
func (s *Store) accepted(tkey string, raw []byte, accept func(*auth.Token) bool) *auth.Token {
	if accept == nil || len(raw) == 0 {
		return nil
	}
	tok, err := s.f.open(tkey, raw)
	if err != nil || !accept(tok) {
		return nil
	}
	return tok
}

// subscribe listens to the lock's channel, within the call timeout. It
// returns nil when that did not work; the lock then only polls.
func (s *Store) subscribe(ctx context.Context, ch string) *redis.PubSub {
	sub, st, _ := call(s.f, ctx, func(ctx context.Context) (*redis.PubSub, error) {
		sub := s.f.rdb.Subscribe(ctx, ch)
		if _, err := sub.Receive(ctx); err != nil { // the confirmation: from now on no save is missed
			_ = sub.Close()
			return nil, err
		}
		return sub, nil
	}, func(sub *redis.PubSub) { _ = sub.Close() })
	if st != answered {
		return nil
	}
	return sub
}

// listen waits up to d for news on sub. It returns a token handed over
// that accept approves; it returns early on the holder's unlock (look
// now); ok is false when the subscription failed.
func (s *Store) listen(ctx context.Context, sub *redis.PubSub, d time.Duration, tkey string, accept func(*auth.Token) bool) (tok *auth.Token, ok bool) {
	end := time.Now().Add(d)
	if dl, has := ctx.Deadline(); has && dl.Before(end) {
		end = dl
	}
	for {
		left := time.Until(end)
		if left <= 0 || ctx.Err() != nil {
			return nil, true
		}
		m, err := sub.ReceiveTimeout(ctx, left)
		var ne interface{ Timeout() bool }
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			return nil, true
		case err != nil:
			return nil, false
		}
		if msg, isMsg := m.(*redis.Message); isMsg {
			if msg.Payload == "" {
				return nil, true // unlocked: look now
			}
			if tok := s.accepted(tkey, []byte(msg.Payload), accept); tok != nil {
				return tok, true
			}
		}
	}
}

// keepAlive renews the lock every third of its TTL until the returned
// unlock runs.
func (s *Store) keepAlive(lkey, val, ch string) (unlockFn func()) {
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
				n, st, _ := call(s.f, context.Background(), func(ctx context.Context) (int64, error) {
					return renew.Run(ctx, s.f.rdb, []string{lkey}, val, ttl.Milliseconds()).Int64()
				}, nil)
				if st == local || (st == answered && n == 0) {
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
			s.unlock(lkey, val, ch)
		})
	}
}

// unlock frees the lock if this holder still has it and wakes the waiters.
// A late reply is asked once more: a lock left behind would make every
// waiter wait out its TTL.
func (s *Store) unlock(lkey, val, ch string) {
	for range 2 {
		_, st, _ := call(s.f, context.Background(), func(ctx context.Context) (int64, error) {
			return unlock.Run(ctx, s.f.rdb, []string{lkey}, val, ch).Int64()
		}, nil)
		if st != missed {
			return
		}
	}
}

// lockValue is a random value that tells this holder's lock from others'.
func lockValue() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

// localLock is the lock of local mode: one holder per key in this process.
func (s *Store) localLock(ctx context.Context, key string) (*auth.Token, func(), error) {
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
		return nil, func() { once.Do(func() { <-g }) }, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}
