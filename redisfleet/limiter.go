package redisfleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/internal/deadline"
	"github.com/unikyc/unikyc/internal/errs"
	"github.com/unikyc/unikyc/ratelimit"
)

// Limiter is a ratelimit.Limiter shared by the fleet for one of a
// provider's budgets: "at most Limit requests in any Window (plus its
// margin)" for every replica together, the promise one client's
// ratelimit.WindowLimiter keeps. It is a sliding log in a Redis sorted set,
// one entry per admitted request, and one script (one round trip) decides
// each admission: a burst may use whatever the window has left, and no
// span ever holds more than Limit.
//
// Token calls (ratelimit.PriorityToken) go first across the fleet: while
// one waits, it holds a reservation that API calls of every replica leave
// free. Within a replica one waiter at a time, the first in line (token
// calls, then arrival order), asks Redis.
//
// Make it with Fleet.Limiter; Fleet.Options makes one for every budget the
// provider declares.
type Limiter struct {
	f       *Fleet
	b       ratelimit.Budget
	key     string // the sliding log
	reserve string // token calls waiting, fleet-wide: member → expiry (µs)
	marker  string // the log's epoch and admission count: see admit
	span    time.Duration
	step    time.Duration // the even pace after a 429: span / limit

	mu      sync.Mutex
	queue   ratelimit.Queue // within this replica: token calls first, then API calls
	next    time.Time       // when the first in line expects its slot (zero: unknown)
	closed  chan struct{}
	shut    bool
	local   *ratelimit.WindowLimiter
	epoch   int64                      // the degradation local was made for
	retired []*ratelimit.WindowLimiter // earlier spells' limiters, while they have waiters

	// What this replica last learnt of the log's marker, and when.
	known  string
	seen   int64
	seenAt time.Time
	// The way back from local mode: when the local share last admitted a
	// request, and the spell whose way back is paced already.
	lastLocal time.Time
	rejoined  int64
}

var (
	_ ratelimit.Limiter   = (*Limiter)(nil)
	_ ratelimit.Pacer     = (*Limiter)(nil)
	_ ratelimit.Estimator = (*Limiter)(nil)
)

// paceLua rewrites the log KEYS[1] so that one request may leave at untl
// (µs) and the next ones one step apart, or later where the log already
// holds them back: the k-th slot frees at the later of untl + k·step and
// the time the log frees it. It needs now, span and limit.
const paceLua = `
local function pace(untl, step)
  redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", string.format("%d", now - span))
  local log = redis.call("ZRANGE", KEYS[1], 0, -1, "WITHSCORES")
  local n = #log / 2
  local free = math.max(limit - n, 0)
  redis.call("DEL", KEYS[1])
  for k = 0, limit - 1 do
    local real = now
    if k >= free then real = tonumber(log[2 * (n - limit + k) + 2]) + span end
    local at = math.max(untl + k * step, real)
    redis.call("ZADD", KEYS[1], string.format("%d", at - span), "pace:" .. k)
  end
  redis.call("PEXPIRE", KEYS[1], math.floor((untl - now + limit * step + span) / 1000) + 1000)
end
`

// markerTTL is how long the marker of a budget's log outlives the last
// ask. A replica that saw the marker less than half of it ago knows that
// a missing marker was lost, not expired.
const markerTTL = 24 * time.Hour

// admit decides one admission on the log KEYS[1]: drop the entries older
// than the span and the expired reservations (KEYS[2]); admit (add ARGV[4]
// at now) when fewer than the limit remain, less the reservations of
// waiting token calls for an API call; else return how many µs until the
// entry that blocks leaves the span (a step, span / limit, for an API call
// that reservations hold back), and, for a token call, reserve a slot
// under ARGV[4] until then plus a step. Computed scores are formatted as
// integers: Lua would print them with 14 digits, and µs times have 16.
//
// First it checks that the log is the one this replica knew: the marker
// KEYS[3] (epoch e, admissions n, birth b, paced p) is written with every
// admission. A marker that is gone while the replica knew one (a restart,
// a FLUSHALL), an epoch that is not the one it knew (another replica found
// it gone), or fewer admissions than it saw (a failover to a replica that
// missed the latest writes) mean the log lost its history: it is paced as
// after a 429 until a span after the loss was found, once per epoch. ARGV[9], when later
// than now, paces it until then too (the way back from local mode).
//
// ARGV: now (µs), span (µs), limit, member, priority (1: token call),
// known epoch ("" none), known count, new epoch, pace until (µs, 0 none),
// marker TTL (ms). It returns {wait µs, epoch, count, lost (1 or 0)}.
var admit = redis.NewScript(`
local now, span, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local token = ARGV[5] == "1"
local function int(x) return string.format("%d", x) end
local step = math.max(math.floor(span / limit), 1)
` + paceLua + `
local known, seen = ARGV[6], tonumber(ARGV[7])
local m = redis.call("HMGET", KEYS[3], "e", "n", "b", "p")
local e, count, born, paced = m[1], tonumber(m[2]), tonumber(m[3]), m[4] == "1"
local lost = 0
if not e then
  if known ~= "" then lost = 1 end
  e, count, born, paced = ARGV[8], 0, now, false
elseif known ~= "" and e ~= known then
  if not paced then lost = 1 end -- renewed by a replica that did not know
elseif known ~= "" and count < seen then
  lost = 1
  e, count, born, paced = ARGV[8], 0, now, false
end
if lost == 1 then
  paced = true
  if born + span > now then pace(born + span, step) end
end
local untl = tonumber(ARGV[9])
if untl > now then pace(untl, step) end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", int(now - span))
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", ARGV[1])
local n = redis.call("ZCARD", KEYS[1])
local room = limit
if token then
  redis.call("ZREM", KEYS[2], ARGV[4])
else
  room = limit - redis.call("ZCARD", KEYS[2])
end
local ttl = math.floor(span / 1000) + 1000
local wait = 0
if n < room then
  redis.call("ZADD", KEYS[1], ARGV[1], ARGV[4])
  if redis.call("PTTL", KEYS[1]) < ttl then redis.call("PEXPIRE", KEYS[1], ttl) end
  count = count + 1
else
  wait = step
  if room > 0 then
    local blocking = redis.call("ZRANGE", KEYS[1], n - room, n - room, "WITHSCORES")
    wait = math.max(tonumber(blocking[2]) + span - now, 1)
  end
  if token then
    -- The reservation outlives the next ask by a step: it is renewed then.
    redis.call("ZADD", KEYS[2], int(now + wait + step), ARGV[4])
    local pttl = math.floor((wait + step) / 1000) + 1000
    if redis.call("PTTL", KEYS[2]) < pttl then redis.call("PEXPIRE", KEYS[2], pttl) end
  end
end
redis.call("HSET", KEYS[3], "e", e, "n", count, "b", int(born), "p", paced and "1" or "0")
redis.call("PEXPIRE", KEYS[3], ARGV[10])
return {wait, e, count, lost}`)

// peek returns, without admitting anything, how many µs until a token call
// could be admitted. ARGV: now (µs), span (µs), limit.
var peek = redis.NewScript(`
local now, span, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local from = "(" .. string.format("%d", now - span)
local n = redis.call("ZCOUNT", KEYS[1], from, "+inf")
if n < limit then return 0 end
local blocking = redis.call("ZRANGEBYSCORE", KEYS[1], from, "+inf", "WITHSCORES", "LIMIT", n - limit, 1)
return math.max(tonumber(blocking[2]) + span - now, 1)`)

// pace rewrites the log after a 429 so that one request may leave at until
// (ARGV[4], µs) and the next ones one step (ARGV[5]) apart: see paceLua.
// ARGV: now, span, limit.
var pace = redis.NewScript(`
local now, span, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
` + paceLua + `
pace(tonumber(ARGV[4]), tonumber(ARGV[5]))
return 0`)

// Limiter returns the fleet's limiter for budget b of account (e.g.
// "compliancely:" + username; hashed in the key, never pass a secret).
// Every replica must declare the same budget. Times are the clients'
// clock's, so replicas' clocks should agree (NTP); the budget's margin
// absorbs small skew. A budget with no positive Limit or Window cannot be
// counted and gets a local limiter.
func (f *Fleet) Limiter(account string, b ratelimit.Budget) ratelimit.Limiter {
	if b.Limit <= 0 || b.Window <= 0 {
		return ratelimit.NewWindowLimiter(b, f.cfg.clock)
	}
	name := hashed(b.Name + "\x00" + b.Method + "\x00" + b.Path)
	h := hashed(account)
	return &Limiter{f: f, b: b, span: b.Span(), step: b.Span() / time.Duration(b.Limit), epoch: -1, rejoined: -1,
		key: f.key(h, "budget:"+name), reserve: f.key(h, "reserve:"+name), marker: f.key(h, "epoch:"+name),
		closed: make(chan struct{})}
}

// Budget returns the budget the limiter enforces.
func (l *Limiter) Budget() ratelimit.Budget { return l.b }

// Wait blocks until the fleet may send one request under the budget; see
// ratelimit.Limiter. A wait that would outlast ctx's deadline returns at
// once with a *ratelimit.WaitError that matches
// context.DeadlineExceeded. It never fails because Redis did: after a
// confirmed outage it waits on this replica's share of the budget.
func (l *Limiter) Wait(ctx context.Context, p ratelimit.Priority) error {
	l.mu.Lock()
	if l.shut {
		l.mu.Unlock()
		return errs.ErrClosed
	}
	w, pos := l.queue.Add(p)
	if pos == 0 && l.queue.Len() > 1 {
		l.next = time.Time{} // the one displaced asks again
	}
	l.mu.Unlock()
	defer func() { l.remove(w) }()

	clk := l.f.cfg.clock
	id := member()
	for {
		first, ahead, next := l.place(w)
		if !first {
			if !next.IsZero() {
				// Each one ahead needs about one step more once the first has
				// its slot: tell a deadline that cannot be met now.
				if d := next.Sub(clk.Now()) + time.Duration(ahead-1)*l.step; d > 0 && deadline.Past(ctx, d) {
					return &ratelimit.WaitError{Budget: l.b.Name, RetryAfter: d}
				}
			}
			if err := l.sleep(ctx, w, nil); err != nil {
				return err
			}
			continue
		}
		now := clk.Now()
		prio := "0"
		if p == ratelimit.PriorityToken {
			prio = "1"
		}
		known, seen, untl, spell := l.memory(now)
		reply, st, err := call(l.f, ctx, func(ctx context.Context) ([]any, error) {
			return admit.Run(ctx, l.f.rdb, []string{l.key, l.reserve, l.marker}, now.UnixMicro(), l.span.Microseconds(),
				l.b.Limit, id, prio, known, seen, member(), untl, markerTTL.Milliseconds()).Slice()
		}, nil)
		var us int64
		if st == answered && err == nil {
			if us, err = l.learn(now, reply, spell); err != nil {
				return err
			}
		}
		if p == ratelimit.PriorityToken && (st == gaveUp || st == local || st == answered && err != nil) {
			// A reservation an earlier ask made must not hold the fleet's
			// API calls back once this call stops waiting for Redis.
			l.unreserve(id)
		}
		switch {
		case st == gaveUp:
			return err
		case st == local:
			l.remove(w) // the ones behind go local too, without waiting for this one
			if err := l.waitLocal(ctx, p); err != errRejoin {
				return err
			}
			// Shared mode is back: wait in the fleet's line again.
			l.mu.Lock()
			if l.shut {
				l.mu.Unlock()
				return errs.ErrClosed
			}
			w, _ = l.queue.Add(p)
			l.mu.Unlock()
			continue
		case st == missed:
			continue // Redis is up: ask again
		case err != nil:
			return err
		case us == 0:
			return nil
		}
		d := time.Duration(us) * time.Microsecond
		l.mu.Lock()
		l.next = now.Add(d)
		l.mu.Unlock()
		l.wakeRest() // the ones behind check their deadlines against it
		if deadline.Past(ctx, d) {
			if p == ratelimit.PriorityToken {
				l.unreserve(id)
			}
			return &ratelimit.WaitError{Budget: l.b.Name, RetryAfter: d}
		}
		t := clk.NewTimer(d)
		err = l.sleep(ctx, w, t.C())
		t.Stop()
		if err != nil {
			if p == ratelimit.PriorityToken {
				l.unreserve(id)
			}
			return err
		}
	}
}

// memory returns what the next admission tells the script: the marker
// this replica knew (forgotten after half the marker's TTL, when it may
// have expired of itself), and, on the way back from local mode, when the
// log is paced until.
func (l *Limiter) memory(now time.Time) (known string, seen int64, untl int64, spell int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.known != "" && now.Sub(l.seenAt) < markerTTL/2 {
		known, seen = l.known, l.seen
	}
	// The local share admitted requests Redis never saw: the fleet may
	// have used the whole budget just now, as on the way there.
	spell = l.epoch
	if spell != l.rejoined && !l.lastLocal.IsZero() && now.Sub(l.lastLocal) < l.span {
		untl = now.Add(l.span).UnixMicro()
	}
	return known, seen, untl, spell
}

// learn reads the admit script's reply: it remembers the marker, counts
// and reports a lost log, and returns the wait in µs.
func (l *Limiter) learn(now time.Time, reply []any, spell int64) (int64, error) {
	if len(reply) != 4 {
		return 0, errBadReply
	}
	us, ok1 := reply[0].(int64)
	e, ok2 := reply[1].(string)
	n, ok3 := reply[2].(int64)
	lost, ok4 := reply[3].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, errBadReply
	}
	l.mu.Lock()
	l.known, l.seen, l.seenAt, l.rejoined = e, n, now, spell
	l.mu.Unlock()
	if lost == 1 {
		l.f.h.lostLogs.Add(1)
		l.f.cfg.logger.Warn("redisfleet: a budget's log in Redis lost its history (restart, flush or failover); pacing as after a 429 for one span",
			"budget", l.b.Name, "span", l.span)
	}
	return us, nil
}

// errBadReply is a script reply of the wrong shape: a Redis that is not
// running our script.
var errBadReply = errors.New("redisfleet: unexpected reply from the budget script")

// errRejoin tells Wait that shared mode came back while it waited on the
// local share.
var errRejoin = errors.New("redisfleet: back to shared mode")

// waitLocal waits on this spell's local share. When Redis answers again
// before the share admits the request, it returns errRejoin: the request
// goes back to the fleet's line, where Redis sees it, rather than leaving
// on a share the fleet cannot see.
func (l *Limiter) waitLocal(ctx context.Context, p ratelimit.Priority) error {
	lim := l.localLimiter()
	back := l.f.h.back()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-back:
			cancel()
		case <-lctx.Done():
		}
	}()
	err := lim.Wait(lctx, p)
	if err == nil {
		l.mu.Lock()
		l.lastLocal = l.f.cfg.clock.Now()
		l.mu.Unlock()
		return nil
	}
	select {
	case <-back:
		if ctx.Err() == nil && errors.Is(err, context.Canceled) {
			return errRejoin
		}
	default:
	}
	return err
}

// sleep waits for fire, for w to be told it may be first, or for the end.
func (l *Limiter) sleep(ctx context.Context, w *ratelimit.Waiter, fire <-chan time.Time) error {
	select {
	case <-fire:
	case <-w.Ready():
	case <-ctx.Done():
		return ctx.Err()
	case <-l.closed:
		return errs.ErrClosed
	}
	return nil
}

// place reports whether w is first in line, how many are ahead of it, and
// when the first expects its slot.
func (l *Limiter) place(w *ratelimit.Waiter) (first bool, ahead int, next time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := l.queue.Position(w); i >= 0 {
		return i == 0, i, l.next
	}
	return false, 0, time.Time{}
}

// remove takes w out of the line (if it is still in it); the queue wakes
// the new first.
func (l *Limiter) remove(w *ratelimit.Waiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.queue.Remove(w) {
		l.next = time.Time{}
	}
}

// wakeRest tells every waiter but the first to look again.
func (l *Limiter) wakeRest() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue.WakeRest()
}

// unreserve gives back the slot a token call that stopped waiting held.
func (l *Limiter) unreserve(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), l.f.cfg.timeout)
	defer cancel()
	_, _, _ = call(l.f, ctx, func(ctx context.Context) (int64, error) {
		return l.f.rdb.ZRem(ctx, l.reserve, id).Result()
	}, nil)
}

// Estimate returns how long a request of priority p would wait for a slot
// now (one Redis round trip; in local mode, the local share's estimate).
// The pipeline asks before a shared login waits, to tell the callers
// waiting for it.
func (l *Limiter) Estimate(p ratelimit.Priority) time.Duration {
	now := l.f.cfg.clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), l.f.cfg.timeout)
	defer cancel()
	us, st, err := call(l.f, ctx, func(ctx context.Context) (int64, error) {
		return peek.Run(ctx, l.f.rdb, []string{l.key}, now.UnixMicro(), l.span.Microseconds(), l.b.Limit).Int64()
	}, nil)
	switch {
	case st == local:
		return l.localLimiter().Estimate(p)
	case st != answered || err != nil:
		return 0 // unknown: Wait will tell
	}
	return time.Duration(us) * time.Microsecond
}

// PaceFrom tells the fleet that the provider refused a request until
// until: one request of the fleet may leave then and the next ones one
// even step (span / limit) apart; see ratelimit.Pacer.
func (l *Limiter) PaceFrom(until time.Time) {
	now := l.f.cfg.clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), l.f.cfg.timeout)
	defer cancel()
	_, st, _ := call(l.f, ctx, func(ctx context.Context) (int64, error) {
		return pace.Run(ctx, l.f.rdb, []string{l.key}, now.UnixMicro(), l.span.Microseconds(), l.b.Limit,
			until.UnixMicro(), l.step.Microseconds()).Int64()
	}, nil)
	if st == local {
		l.localLimiter().PaceFrom(until)
	}
	l.mu.Lock()
	l.next = time.Time{}
	l.queue.WakeFirst() // ask again: the log changed
	l.mu.Unlock()
}

// Close makes every waiting and future Wait return errs.ErrClosed.
// Conn.Close calls it for the limiters Fleet.Options made.
func (l *Limiter) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.shut {
		l.shut = true
		close(l.closed)
		if l.local != nil {
			l.local.Close()
		}
		for _, r := range l.retired {
			r.Close()
		}
		l.retired = nil
	}
}

// localLimiter returns the limiter for the current spell of local mode:
// this replica's share of the budget (Limit / WithReplicas, at least 1),
// made full at each switch so that a switch never bursts.
func (l *Limiter) localLimiter() *ratelimit.WindowLimiter {
	epoch := l.f.h.degradations.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.local == nil || l.epoch != epoch {
		b := l.b
		b.Limit = max(b.Limit/l.f.cfg.replicas, 1)
		if l.local != nil {
			// Its waiters of an earlier outage keep their place in it.
			l.retired = append(l.retired, l.local)
		}
		kept := l.retired[:0]
		for _, r := range l.retired {
			if r.Queued() > 0 {
				kept = append(kept, r)
			}
		}
		clear(l.retired[len(kept):])
		l.retired = kept
		l.local, l.epoch = ratelimit.NewWindowLimiter(b, l.f.cfg.clock), epoch
		// Other replicas may have used the whole budget just now: the first
		// local request waits a span, the next ones one step apart.
		l.local.PaceFrom(l.f.cfg.clock.Now().Add(b.Span()))
		if l.shut {
			l.local.Close()
		}
	}
	return l.local
}

// member names one request in the log: a random id, so that two replicas
// admitted in the same microsecond are two entries, and a token call's
// reservation is its own.
func member() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
