package redisfleet

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/ratelimit"
)

// probeHold is how long, after a shared pause ends, the rest of the fleet
// waits for the one request that goes first: long enough for its answer
// (a 429 extends the pause for all before the hold ends), short next to
// any pause a provider imposes.
const probeHold = 2 * time.Second

// CoolDown is the 429 pause shared by the fleet: when one replica is told to
// wait, every replica waits, and when the pause ends one request of the
// whole fleet goes first: the first Until after the end sees the pause
// over, every other sees it last until that probe's answer has had
// probeHold (2 s) to arrive, and to extend the pause if it was another 429.
// Make it with Fleet.CoolDown. Times are stored as Unix microseconds of the
// clients' clock, so replicas' clocks should agree (NTP).
type CoolDown struct {
	f     *Fleet
	key   string
	probe string
	local ratelimit.LocalCoolDown // this replica's view; all there is in local mode
}

var _ ratelimit.CoolDown = (*CoolDown)(nil)

// extend sets the key to ARGV[1] unless it already holds a later time.
var extend = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1`)

// until answers "until when do I wait" in one round trip: the pause's end
// (KEYS[1]) as "p<µs>" while it lasts; once it is over, "0" for the first asker, which
// becomes the probe (KEYS[2] holds "<pause end>:<hold end>"), and the hold's
// end ("h<µs>") for the others until it passes. ARGV: now, hold end (µs), probe TTL (ms).
var until = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if not cur then return "0" end
local now = tonumber(ARGV[1])
if tonumber(cur) > now then return "p" .. cur end
local p = redis.call("GET", KEYS[2])
if p then
  local pend, hold = string.match(p, "^(%d+):(%d+)$")
  if pend == cur then
    if tonumber(hold) > now then return "h" .. hold end
    return "0"
  end
end
redis.call("SET", KEYS[2], cur .. ":" .. ARGV[2], "PX", ARGV[3])
return "0"`)

// CoolDown returns the fleet's cool-down called name (hashed in the key).
// Give a provider's limiter and cool-down the same name.
func (f *Fleet) CoolDown(name string) *CoolDown {
	h := hashed(name)
	return &CoolDown{f: f, key: f.key(h, "cool"), probe: f.key(h, "probe")}
}

// Until returns when the fleet's pause ends (the zero time: none), or, just
// after it ended, when the fleet's probe has had its answer.
func (c *CoolDown) Until(ctx context.Context) time.Time {
	local := c.local.Until(ctx)
	now := c.f.cfg.clock.Now()
	v, st, err := call(c.f, ctx, func(ctx context.Context) (string, error) {
		return until.Run(ctx, c.f.rdb, []string{c.key, c.probe}, now.UnixMicro(),
			now.Add(probeHold).UnixMicro(), (probeHold + time.Second).Milliseconds()).Text()
	}, nil)
	if st != answered || err != nil {
		return local
	}
	var us int64
	if len(v) > 1 {
		us, _ = strconv.ParseInt(v[1:], 10, 64)
	}
	if us == 0 {
		if local.After(now) {
			return local // a pause this replica saw that Redis does not know (yet)
		}
		return time.Time{}
	}
	t := time.UnixMicro(us)
	if v[0] == 'p' && t.After(local) {
		c.local.Extend(ctx, t) // remembered if Redis goes away during the pause
	}
	return t
}

// Extend moves the fleet's pause end to t if t is later.
func (c *CoolDown) Extend(ctx context.Context, t time.Time) {
	c.local.Extend(ctx, t)
	ttl := t.Sub(c.f.cfg.clock.Now())
	if ttl <= 0 {
		return
	}
	// The key outlives the pause by a second, for replicas whose clocks lag.
	px := (ttl + time.Second).Milliseconds()
	for range 2 {
		_, st, _ := call(c.f, ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, extend.Run(ctx, c.f.rdb, []string{c.key}, t.UnixMicro(), px).Err()
		}, nil)
		if st != missed {
			return // a late reply is asked once more: the fleet must hear of a 429
		}
	}
}
