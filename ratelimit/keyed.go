package ratelimit

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/deadline"
	"github.com/unikyc/unikyc/internal/errs"
)

// KeyedLimiter counts a budget per value of a key: at most Limit requests
// in any Window for each value, whatever the other values do (KYConnect's
// 5 onboarding submissions per 2 hours per email). A Budget with PerField
// is one; the pipeline gives each request the key its body names (see
// Budget.PerField) through For.
//
// Keys are folded (spaces trimmed, lower case) and kept only as SHA-256
// digests: spellings of one email address count together, the safe side
// whatever the server folds, and no key (personal data) stays in memory in
// clear. A key whose last request left the span is dropped, so memory
// follows the keys in use, not every key ever seen.
//
// A wait longer than maxWait (or the caller's deadline) is not waited for:
// Wait returns a *WaitError with the wait at once. Every request goes to
// the key's log when it is admitted, a refused one included, as servers
// count arrivals.
type KeyedLimiter struct {
	b       Budget
	span    time.Duration
	clk     clock.Clock
	maxWait time.Duration

	mu     sync.Mutex
	keys   map[[sha256.Size]byte][]time.Time // each key's admissions within the span, oldest first
	sweep  int                               // sweep idle keys when this many are held
	closed chan struct{}
	shut   bool
}

// minSweep is the number of keys held below which idle ones are not
// looked for.
const minSweep = 64

// NewKeyedLimiter returns a limiter for b per key, on clk. maxWait bounds
// a wait (0: as long as the caller's deadline allows).
func NewKeyedLimiter(b Budget, clk clock.Clock, maxWait time.Duration) *KeyedLimiter {
	return &KeyedLimiter{b: b, span: b.Span(), clk: clock.Or(clk), maxWait: maxWait,
		keys: map[[sha256.Size]byte][]time.Time{}, sweep: minSweep, closed: make(chan struct{})}
}

// Budget returns the budget counted per key.
func (k *KeyedLimiter) Budget() Budget { return k.b }

// For returns the Limiter of one key's budget.
func (k *KeyedLimiter) For(key string) Limiter {
	return keyLimiter{k: k, key: sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(key))))}
}

// Wait blocks until a request for key may be sent; see Limiter. It is
// For(key).Wait.
func (k *KeyedLimiter) Wait(ctx context.Context, key string, p Priority) error {
	return k.For(key).Wait(ctx, p)
}

// Keys returns how many keys the limiter holds.
func (k *KeyedLimiter) Keys() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// Close makes every waiting and future Wait return the module's ErrClosed.
func (k *KeyedLimiter) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.shut {
		k.shut = true
		close(k.closed)
		clear(k.keys)
	}
}

type keyLimiter struct {
	k   *KeyedLimiter
	key [sha256.Size]byte
}

func (l keyLimiter) Wait(ctx context.Context, _ Priority) error {
	k := l.k
	for {
		d, err := k.take(l.key)
		if err != nil || d == 0 {
			return err
		}
		if (k.maxWait > 0 && d > k.maxWait) || deadline.Past(ctx, d) {
			return &WaitError{Budget: k.b.Name, RetryAfter: d}
		}
		t := k.clk.NewTimer(d)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-k.closed:
			t.Stop()
			return errs.ErrClosed
		}
		t.Stop()
	}
}

// take admits a request for key now, or returns how long until the key's
// oldest request leaves the span.
func (k *KeyedLimiter) take(key [sha256.Size]byte) (time.Duration, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.shut {
		return 0, errs.ErrClosed
	}
	now := k.clk.Now()
	if len(k.keys) >= k.sweep {
		k.dropIdle(now)
	}
	log := k.keys[key]
	n := 0
	for n < len(log) && !log[n].After(now.Add(-k.span)) {
		n++
	}
	log = log[n:]
	if len(log) >= k.b.Limit {
		k.keys[key] = log
		return max(log[0].Add(k.span).Sub(now), time.Nanosecond), nil
	}
	k.keys[key] = append(log, now)
	return 0, nil
}

// dropIdle forgets the keys whose last request left the span; the next
// sweep comes when twice as many keys are held (amortised O(1) a request).
func (k *KeyedLimiter) dropIdle(now time.Time) {
	for key, log := range k.keys {
		if len(log) == 0 || !log[len(log)-1].After(now.Add(-k.span)) {
			delete(k.keys, key)
		}
	}
	k.sweep = max(2*len(k.keys), minSweep)
}
