//go:build !pipelinev2

package redisfleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

var errDeadline = errors.New("redisfleet: shared throttle wait would outlast the context deadline")

// Limiter is a providers.Limiter shared by the fleet: a GCRA limiter in
// Redis. Make it with Fleet.Limiter.
type Limiter struct {
	f     *Fleet
	key   string
	limit redis_rate.Limit
	gate  chan struct{} // one waiter of this process asks Redis at a time

	// Local mode: the replica's share of the limit. A fresh limiter is made,
	// emptied, at each switch to local mode, so a switch never bursts.
	localRate  rate.Limit
	localBurst int
	mu         sync.Mutex
	local      *providers.RateLimiter
	localEpoch int64 // the degradation it was made for
}

var _ providers.Limiter = (*Limiter)(nil)

// Limiter returns the fleet's limiter called name, allowing limit requests
// a second with burst, for every replica together (use
// rate.Every(6*time.Second) for "10 a minute"). Every replica must use the
// same name, limit and burst. name is hashed before it is used in a key.
// A limit that is not positive and finite cannot be shared: the limiter is
// then local (rate.Inf never waits).
func (f *Fleet) Limiter(name string, limit rate.Limit, burst int) providers.Limiter {
	burst = max(burst, 1)
	if limit <= 0 || limit == rate.Inf || math.IsNaN(float64(limit)) {
		return providers.NewLimiter(limit, burst, f.cfg.clock)
	}
	n := f.cfg.replicas
	return &Limiter{
		f:          f,
		key:        f.key(hashed(name), "limit"),
		limit:      redis_rate.Limit{Rate: 1, Burst: burst, Period: time.Duration(float64(time.Second) / float64(limit))},
		gate:       make(chan struct{}, 1),
		localRate:  limit / rate.Limit(n),
		localBurst: max(burst/n, 1),
		localEpoch: -1,
	}
}

// Wait blocks until the fleet may send one request; see providers.Limiter.
// It never fails because Redis did: it then waits on the local share.
func (l *Limiter) Wait(ctx context.Context, p providers.Priority) error {
	select {
	case l.gate <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		res, st, err := call(l.f, ctx, func(ctx context.Context) (*redis_rate.Result, error) {
			return l.f.rate.Allow(ctx, l.key, l.limit)
		}, nil)
		switch {
		case st == gaveUp:
			<-l.gate
			return err
		case st == local:
			<-l.gate
			return l.localLimiter().Wait(ctx, p)
		case st == missed:
			continue
		case err != nil:
			<-l.gate
			return err
		case res.Allowed > 0:
			<-l.gate
			return nil
		}
		d := res.RetryAfter
		if dl, has := ctx.Deadline(); has && d > time.Until(dl) {
			<-l.gate
			return fmt.Errorf("%w (%s): %w", errDeadline, d, context.DeadlineExceeded)
		}
		if err := clock.Sleep(ctx, l.f.cfg.clock, d); err != nil {
			<-l.gate
			return err
		}
	}
}

// localLimiter returns the limiter for the current spell of local mode.
func (l *Limiter) localLimiter() *providers.RateLimiter {
	epoch := l.f.h.degradations.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.local == nil || l.localEpoch != epoch {
		l.local, l.localEpoch = providers.NewLimiter(l.localRate, l.localBurst, l.f.cfg.clock), epoch
		for range l.localBurst {
			_ = l.local.Wait(context.Background(), providers.PriorityAPI) // a full bucket: returns at once
		}
	}
	return l.local
}

// Options returns what a provider's New needs to join the fleet: the store,
// a shared limiter of limit requests a second with burst, and a shared 429
// cool-down, both named by account. account names the provider account the
// fleet shares, e.g. "compliancely:" + username; it is hashed before it is
// used in a key, but never pass a secret.
func (f *Fleet) Options(account string, limit rate.Limit, burst int) []providers.Option {
	return []providers.Option{
		providers.WithStore(f.store),
		providers.WithLimiter(f.Limiter(account, limit, burst)),
		providers.WithCoolDown(f.CoolDown(account)),
	}
}
