package ratelimit

import (
	"context"
	"sync/atomic"
	"time"
)

// CoolDown is the pause after a 429, shared by every goroutine of a client
// (and, in fleet mode, by every replica). Until returns when the pause
// ends (the zero time: no pause); Extend moves the end to t if t is later.
type CoolDown interface {
	Until(ctx context.Context) time.Time
	Extend(ctx context.Context, t time.Time)
}

// LocalCoolDown is a CoolDown in process memory.
type LocalCoolDown struct {
	until atomic.Pointer[time.Time]
}

// Until returns when the pause ends.
func (c *LocalCoolDown) Until(context.Context) time.Time {
	if t := c.until.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

// Extend moves the end of the pause to t if t is later.
func (c *LocalCoolDown) Extend(_ context.Context, t time.Time) {
	for {
		cur := c.until.Load()
		if cur != nil && !t.After(*cur) {
			return
		}
		if c.until.CompareAndSwap(cur, &t) {
			return
		}
	}
}
