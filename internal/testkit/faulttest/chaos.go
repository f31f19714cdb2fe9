package faulttest

import (
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/unikyc/unikyc/clock"
)

// Chaos answers a share of the requests that reach a Front with a random
// fault: a 5xx, a connection reset (before the answer or mid-body), a 429
// with a one-second Retry-After, or a 401 (a 503 on token calls, where a
// 401 would mean refused credentials). The choices come from a seeded
// generator, so a run's sequence of faults is the same every time. Each
// request also moves the clock by Tick, so that tokens age as traffic
// flows.
type Chaos struct {
	rate  float64
	tick  time.Duration
	clk   *clock.Fake
	token func(path string) bool

	mu     sync.Mutex
	rng    *rand.Rand
	counts map[string]int
}

// NewChaos faults rate (e.g. 0.05) of the requests; token reports the
// token-call paths.
func NewChaos(seed uint64, rate float64, clk *clock.Fake, tick time.Duration, token func(path string) bool) *Chaos {
	return &Chaos{rate: rate, tick: tick, clk: clk, token: token,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), counts: map[string]int{}}
}

// Fault names counted by Chaos.
const (
	Fault5xx          = "5xx"
	FaultReset        = "reset"
	FaultRateLimit    = "429"
	FaultUnauthorized = "401"
)

// Pick returns the behaviour for r: nil to pass it to the fake.
func (c *Chaos) Pick(r *http.Request) Behavior {
	if c.tick > 0 {
		c.clk.Advance(c.tick)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts["requests"]++
	if c.rng.Float64() >= c.rate {
		return nil
	}
	token := c.token(r.URL.Path)
	switch k := c.rng.IntN(4); {
	case k == 0 || (k == 3 && token):
		c.counts[Fault5xx]++
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
		return Answer(codes[c.rng.IntN(len(codes))], injected)
	case k == 1:
		c.counts[FaultReset]++
		if c.rng.IntN(2) == 0 {
			return ResetBeforeAnswer()
		}
		return ResetMidBody()
	case k == 2:
		c.counts[FaultRateLimit]++
		return TooMany("1")
	default:
		c.counts[FaultUnauthorized]++
		if token {
			c.counts[FaultUnauthorized+" on "+r.URL.Path]++
		}
		return Answer(http.StatusUnauthorized,
			[]byte(`{"detail":"Unauthorized","identifier":"UNAUTHORIZED","statusCode":401,"message":"Unauthorized"}`))
	}
}

// Count returns how many requests (name "requests") or faults of a kind
// Chaos saw.
func (c *Chaos) Count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[name]
}

// String lists the counts.
func (c *Chaos) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for k, v := range c.counts {
		parts = append(parts, k+"="+itoa(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// Use makes the front ask pick about every request no rule claims.
func (f *Front) Use(pick func(*http.Request) Behavior) {
	f.mu.Lock()
	f.pick = pick
	f.mu.Unlock()
}

// Pump runs clk flow times faster than real time, and moves it at once to
// its next timer whenever a goroutine waits on it (a 429 pause, a
// limiter), until stop is closed. It returns when it has stopped.
func Pump(clk *clock.Fake, flow float64, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		const every = time.Millisecond
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if next, ok := clk.NextTimer(); ok && next.After(clk.Now()) {
					clk.Set(next)
				} else {
					clk.Advance(time.Duration(flow * float64(every)))
				}
			}
		}
	}()
	return done
}
