//go:build pipelinev2

package redisfleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/providers"
)

// Options returns what a provider's New needs to join the fleet: the
// store, a shared limiter for every budget the provider declares (through
// providers.WithLimiters) and a shared 429 cool-down, all named by account,
// the provider account the fleet shares, e.g. "compliancely:" + username;
// it is hashed before it is used in a key, but never pass a secret.
func (f *Fleet) Options(account string) []providers.Option {
	return []providers.Option{
		providers.WithStore(f.store),
		providers.WithLimiters(func(b providers.Budget) providers.Limiter { return f.Limiter(account, b) }),
		providers.WithCoolDown(f.CoolDown(account)),
	}
}

var errDeadline = errors.New("redisfleet: shared budget wait would outlast the context deadline")

// Limiter is a providers.Limiter shared by the fleet for one of a
// provider's budgets: "at most Limit requests in any Window (plus its
// margin)" for every replica together, as one client's limiter promises. It
// is a sliding log in a Redis sorted set, one entry per admitted request:
// one script, one round trip, decides each admission, so a burst may use
// all of the budget the window has left and no window ever holds more than
// Limit. Make it with Fleet.Limiter (Fleet.Options does, for every budget
// the provider declares).
//
// Within a replica one waiter at a time asks Redis; token calls
// (providers.PriorityToken) go before API calls, and one that arrives while
// an API call waits for a slot takes its turn. Across replicas slots go to
// whoever asks first.
type Limiter struct {
	f    *Fleet
	b    providers.Budget
	key  string
	span time.Duration

	mu      sync.Mutex
	busy    bool               // a waiter of this replica has the turn
	queue   [2][]chan struct{} // waiting for the turn: [0] token calls, [1] API calls
	preempt chan struct{}      // closed when a token call queues behind an API call's wait
	local   *providers.WindowLimiter
	epoch   int64 // the degradation local was made for
}

var _ providers.Limiter = (*Limiter)(nil)

// admit is one admission decision on the sliding log KEYS[1]: drop the
// entries older than the span, then admit (add ARGV[4] at now) when fewer
// than the limit remain, else return how many µs until the oldest entry
// that blocks leaves the span. ARGV: now (µs), span (µs), limit, member.
var admit = redis.NewScript(`
local now, span, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - span)
local n = redis.call("ZCARD", KEYS[1])
if n < limit then
  redis.call("ZADD", KEYS[1], now, ARGV[4])
  redis.call("PEXPIRE", KEYS[1], math.floor(span / 1000) + 1000)
  return 0
end
local blocking = redis.call("ZRANGE", KEYS[1], n - limit, n - limit, "WITHSCORES")
return math.max(tonumber(blocking[2]) + span - now, 1)`)

// Limiter returns the fleet's limiter for budget b of account (e.g.
// "compliancely:" + username; hashed in the key, never pass a secret).
// Every replica must declare the same budget. Times are the clients'
// clock's, so replicas' clocks should agree (NTP); the budget's margin
// absorbs small skew. A budget with no positive Limit or Window cannot be
// counted and gets a local limiter.
func (f *Fleet) Limiter(account string, b providers.Budget) providers.Limiter {
	if b.Limit <= 0 || b.Window <= 0 {
		return providers.NewWindowLimiter(b, f.cfg.clock)
	}
	h := hashed(account)
	return &Limiter{f: f, b: b, span: b.Span(), epoch: -1,
		key: f.key(h, "budget:"+hashed(b.Name+"\x00"+b.Method+"\x00"+b.Path))}
}

// Wait blocks until the fleet may send one request under the budget; see
// providers.Limiter. A wait that would outlast ctx's deadline returns at
// once with an error matching context.DeadlineExceeded and
// providers.ErrRateLimited. It never fails because Redis did: after a
// confirmed outage it waits on this replica's share of the budget.
func (l *Limiter) Wait(ctx context.Context, p providers.Priority) error {
	if err := l.enter(ctx, p); err != nil {
		return err
	}
	held := true // this waiter has the turn
	defer func() {
		if held {
			l.leave()
		}
	}()
	clk := l.f.cfg.clock
	for {
		now := clk.Now()
		wait, st, err := call(l.f, ctx, func(ctx context.Context) (int64, error) {
			return admit.Run(ctx, l.f.rdb, []string{l.key}, now.UnixMicro(), l.span.Microseconds(),
				l.b.Limit, member(now)).Int64()
		}, nil)
		switch {
		case st == gaveUp:
			return err
		case st == local:
			return l.localLimiter().Wait(ctx, p)
		case st == missed:
			continue // Redis is up: ask again (a lost admission only costs a slot)
		case err != nil:
			return err
		case wait == 0:
			return nil
		}
		d := time.Duration(wait) * time.Microsecond
		if dl, has := ctx.Deadline(); has && now.Add(d).After(dl) {
			return fmt.Errorf("%w (%s): %w: %w", errDeadline, d, providers.ErrRateLimited, context.DeadlineExceeded)
		}
		if p == providers.PriorityAPI && l.yield(ctx, d) {
			// A token call took the turn while this one waited: queue again, first.
			if err := l.reenter(ctx); err != nil {
				held = false
				return err
			}
			continue
		}
		if p == providers.PriorityToken {
			if err := sleepOn(ctx, l, d); err != nil {
				return err
			}
		}
	}
}

// enter waits for this replica's turn to ask Redis, token calls first.
func (l *Limiter) enter(ctx context.Context, p providers.Priority) error {
	i := 1
	if p == providers.PriorityToken {
		i = 0
	}
	l.mu.Lock()
	if !l.busy {
		l.busy = true
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.queue[i] = append(l.queue[i], ch)
	if i == 0 && l.preempt != nil {
		close(l.preempt) // an API call holds the turn while it waits: it steps aside
		l.preempt = nil
	}
	l.mu.Unlock()
	return l.await(ctx, ch, i)
}

// reenter queues an API call that stepped aside at the head of its queue.
func (l *Limiter) reenter(ctx context.Context) error {
	ch := make(chan struct{})
	l.mu.Lock()
	l.queue[1] = append([]chan struct{}{ch}, l.queue[1]...)
	l.handOn()
	l.mu.Unlock()
	return l.await(ctx, ch, 1)
}

func (l *Limiter) await(ctx context.Context, ch chan struct{}, i int) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	for j, c := range l.queue[i] {
		if c == ch {
			l.queue[i] = append(l.queue[i][:j], l.queue[i][j+1:]...)
			l.mu.Unlock()
			return ctx.Err()
		}
	}
	l.mu.Unlock()
	<-ch // handed the turn as ctx ended: pass it on
	l.leave()
	return ctx.Err()
}

// leave passes the turn to the next waiter, token calls first.
func (l *Limiter) leave() {
	l.mu.Lock()
	l.handOn()
	l.mu.Unlock()
}

// handOn gives the turn away or frees it; l.mu is held.
func (l *Limiter) handOn() {
	l.preempt = nil
	for i := range l.queue {
		if len(l.queue[i]) > 0 {
			ch := l.queue[i][0]
			l.queue[i] = l.queue[i][1:]
			close(ch)
			return
		}
	}
	l.busy = false
}

// yield sleeps d for an API call holding the turn, and reports true
// (having given the turn to the token call) when a token call queued
// meanwhile.
func (l *Limiter) yield(ctx context.Context, d time.Duration) bool {
	l.mu.Lock()
	if len(l.queue[0]) > 0 {
		l.mu.Unlock()
		return true
	}
	pre := make(chan struct{})
	l.preempt = pre
	l.mu.Unlock()
	t := l.f.cfg.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
	case <-ctx.Done():
	case <-pre:
		return true
	}
	l.mu.Lock()
	if l.preempt == pre {
		l.preempt = nil
	}
	l.mu.Unlock()
	return false
}

func sleepOn(ctx context.Context, l *Limiter, d time.Duration) error {
	t := l.f.cfg.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// member names one admission in the log: its time and a random suffix, so
// that two replicas admitted in the same microsecond are two entries.
func member(now time.Time) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return strconv.FormatInt(now.UnixMicro(), 10) + "-" + hex.EncodeToString(b)
}

// localLimiter returns the limiter for the current spell of local mode:
// this replica's share of the budget (Limit / WithReplicas, at least 1),
// made full at each switch so that a switch never bursts.
func (l *Limiter) localLimiter() *providers.WindowLimiter {
	epoch := l.f.h.degradations.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.local == nil || l.epoch != epoch {
		b := l.b
		b.Limit = max(b.Limit/l.f.cfg.replicas, 1)
		l.local, l.epoch = providers.NewWindowLimiter(b, l.f.cfg.clock), epoch
		for range b.Limit {
			_ = l.local.Wait(context.Background(), providers.PriorityToken) // free slots: returns at once
		}
	}
	return l.local
}
