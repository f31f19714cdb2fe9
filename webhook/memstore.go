package webhook

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// DefaultMemoryLimit is how many keys a MemoryStore holds by default.
const DefaultMemoryLimit = 100_000

// MemoryStore is the default DedupeStore: a map in this process, with
// expiring claims and a cap on the number of keys. It dedupes the
// deliveries that reach this process only; behind a load balancer use the
// Redis store. At the cap, the oldest claim is forgotten first (a very
// late duplicate of it would run the handler again).
type MemoryStore struct {
	clk   clock.Clock
	limit int

	mu    sync.Mutex
	keys  map[string]*list.Element
	order *list.List // of *memEntry, oldest claim first
}

type memEntry struct {
	key     string
	expires time.Time
}

// NewMemoryStore returns a MemoryStore holding at most limit keys
// (DefaultMemoryLimit when limit ≤ 0), on clk (the system clock when nil).
func NewMemoryStore(limit int, clk clock.Clock) *MemoryStore {
	if limit <= 0 {
		limit = DefaultMemoryLimit
	}
	return &MemoryStore{clk: clock.Or(clk), limit: limit, keys: map[string]*list.Element{}, order: list.New()}
}

// Claim takes key for ttl; it reports false while an unexpired claim holds it.
func (s *MemoryStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.keys[key]; ok {
		if el.Value.(*memEntry).expires.After(now) {
			return false, nil
		}
		s.remove(el)
	}
	s.dropExpired(now)
	for len(s.keys) >= s.limit {
		s.remove(s.order.Front())
	}
	s.keys[key] = s.order.PushBack(&memEntry{key: key, expires: now.Add(ttl)})
	return true, nil
}

// Release forgets key.
func (s *MemoryStore) Release(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.keys[key]; ok {
		s.remove(el)
	}
	return nil
}

// Len reports how many keys are held, expired ones not yet dropped included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// dropExpired removes expired claims from the front; with one TTL the
// front is the next to expire, so a claim costs O(1) amortised.
func (s *MemoryStore) dropExpired(now time.Time) {
	for el := s.order.Front(); el != nil && !el.Value.(*memEntry).expires.After(now); el = s.order.Front() {
		s.remove(el)
	}
}

func (s *MemoryStore) remove(el *list.Element) {
	delete(s.keys, el.Value.(*memEntry).key)
	s.order.Remove(el)
}
