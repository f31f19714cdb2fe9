package redisfleet

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/providers"
)

// CoolDown is the 429 pause shared by the fleet: when one replica is told to
// wait, every replica waits. Make it with Fleet.CoolDown. The end is stored
// as a Unix time in microseconds, so replicas' clocks should agree (NTP).
type CoolDown struct {
	f     *Fleet
	key   string
	local providers.LocalCoolDown // this replica's view; all there is in local mode
}

var _ providers.CoolDown = (*CoolDown)(nil)

// extend sets the key to ARGV[1] unless it already holds a later time.
var extend = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1`)

// CoolDown returns the fleet's cool-down called name (hashed in the key).
// Give a provider's limiter and cool-down the same name.
func (f *Fleet) CoolDown(name string) *CoolDown {
	return &CoolDown{f: f, key: f.key(hashed(name), "cool")}
}

// Until returns when the fleet's pause ends (the zero time: none).
func (c *CoolDown) Until(ctx context.Context) time.Time {
	until := c.local.Until(ctx)
	v, st, err := call(c.f, ctx, func(ctx context.Context) (string, error) {
		return c.f.rdb.Get(ctx, c.key).Result()
	}, nil)
	if st == answered && err == nil {
		us, perr := strconv.ParseInt(v, 10, 64)
		if t := time.UnixMicro(us); perr == nil && t.After(until) {
			c.local.Extend(ctx, t) // remembered if Redis goes away during the pause
			return t
		}
	}
	return until
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
	_, _, _ = call(c.f, ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, extend.Run(ctx, c.f.rdb, []string{c.key}, t.UnixMicro(), px).Err()
	}, nil)
}
