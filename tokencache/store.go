package tokencache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/unikyc/unikyc/auth"
)

// Store keeps tokens outside one Cache, so that several caches — in one
// process or, with a shared store, in many — share one login. Keys come
// from [Key] and never contain a secret. Implementations must be safe for
// concurrent use; Load returns nil, nil when there is no token.
type Store interface {
	Load(ctx context.Context, key string) (*auth.Token, error)
	Save(ctx context.Context, key string, t *auth.Token) error
}

// Locker is implemented by stores that can hold a lock across processes. A
// Cache takes the lock around each refresh and reads the store again once
// it holds it, so that only one of many caches calls the provider.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// HandoffLocker is a Locker that can end a wait early: LockOrLoad returns,
// whichever comes first, the lock (tok nil) or a token saved under key by
// the holder that accept approves (unlock nil). A Cache uses it instead of
// Lock when its store has it, so that the caches that lost the race take
// the winner's token as soon as it is saved rather than when they next
// look. accept is quick and safe to call from any goroutine.
type HandoffLocker interface {
	Locker
	LockOrLoad(ctx context.Context, key string, accept func(*auth.Token) bool) (tok *auth.Token, unlock func(), err error)
}

// Degrader is implemented by shared stores that can fall back to serving
// one process alone, as fleet mode does during a Redis outage. While
// Degraded reports true, a Cache that holds a valid token puts off the
// refresh its soft window starts until the narrowest soft window that
// still leaves room for it (WithMinSoftWindow, at least the hard window):
// every process would otherwise log in on its own, and the shared store
// may well be back before then.
type Degrader interface {
	Degraded() bool
}

// Key returns the store key for one account: the provider's name and a
// hash of its base URL and principal (user name or key id). Never pass a
// password or token as principal; it would be hashed, but it is not needed.
func Key(provider, baseURL, principal string) string {
	sum := sha256.Sum256([]byte(baseURL + "\x00" + principal))
	return "unikyc:" + provider + ":" + hex.EncodeToString(sum[:16])
}

// MemoryStore is a Store in process memory.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]*auth.Token
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]*auth.Token{}} }

// Load returns the token saved under key, or nil.
func (s *MemoryStore) Load(_ context.Context, key string) (*auth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

// Save saves t under key.
func (s *MemoryStore) Save(_ context.Context, key string, t *auth.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = t
	return nil
}
