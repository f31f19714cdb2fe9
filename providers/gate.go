package providers

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unikyc/unikyc/internal/deadline"
	"github.com/unikyc/unikyc/internal/tokenseam"
)

// gate holds requests back while a cool-down lasts and, when it ends, lets
// one request (the probe) go first. The others follow once the probe got
// an answer that is not another 429, so a pause ends with one request, not
// a herd.
type gate struct {
	cool  CoolDown
	armed atomic.Bool   // a pause was seen and no answer after its end yet
	gen   atomic.Uint64 // pauses started here; tells a caller one began while it waited

	mu      sync.Mutex
	probing bool
	wake    chan struct{} // closed when the probe is answered
}

func newGate(c CoolDown) *gate { return &gate{cool: c, wake: make(chan struct{})} }

// enter waits until a request may pass. probe reports that the caller is
// the probe and must call leave with the attempt's outcome.
func (g *gate) enter(ctx context.Context, p *pipeline, c *call) (probe bool, err error) {
	for {
		gen := g.gen.Load()
		until := g.cool.Until(ctx)
		if until.IsZero() && !g.armed.Load() {
			return false, nil // the hot path: two atomic loads
		}
		if d := until.Sub(p.clk.Now()); d > 0 {
			g.armed.Store(true)
			rl := &RateLimitError{Provider: p.provider, RetryAfter: d}
			if d > p.policy.MaxRetryWait || deadline.Past(ctx, d) {
				rl.deadline = deadline.Past(ctx, d)
				return false, rl
			}
			// A shared login tells the callers waiting for it; it stops when
			// none of them can wait this long.
			if c.kind != CallAPI && !tokenseam.Pause(ctx, d, rl) {
				return false, rl
			}
			p.emitWait(ctx, p.trace.CoolDownWait, c, "", d)
			if err := p.sleep(ctx, d); err != nil {
				return false, err
			}
			continue
		}
		// Logins and refreshes do not queue behind the probe: the probe may
		// itself be waiting for the token they bring.
		if !g.armed.Load() || c.kind != CallAPI {
			return false, nil
		}
		g.mu.Lock()
		if !g.armed.Load() {
			g.mu.Unlock()
			return false, nil
		}
		// Look again under the lock: a probe answered with a new 429 while
		// this caller waited for the lock has started a new pause, which it
		// must wait out, not probe into. The count of pauses tells, not a
		// second Until: a fleet's Until hands out the fleet's probe role,
		// and a second ask would see the hold that the first one started.
		if g.gen.Load() != gen {
			g.mu.Unlock()
			continue
		}
		if !g.probing {
			g.probing = true
			g.mu.Unlock()
			return true, nil
		}
		wake := g.wake
		g.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return false, ctx.Err()
		case <-p.closed:
			return false, ErrClosed
		}
	}
}

// holds reports whether enter would hold a request of c's kind back now:
// a pause lasts, or (for API calls) a probe is out or due.
func (g *gate) holds(p *pipeline, c *call) bool {
	until := g.cool.Until(context.Background())
	if until.IsZero() && !g.armed.Load() {
		return false
	}
	if until.After(p.clk.Now()) {
		return true
	}
	return c.kind == CallAPI && g.armed.Load()
}

// leave ends a probe. answered: the provider answered with something other
// than a pause, so the way is open for everyone.
func (g *gate) leave(answered bool) {
	g.mu.Lock()
	g.probing = false
	if answered {
		g.armed.Store(false)
	}
	close(g.wake)
	g.wake = make(chan struct{})
	g.mu.Unlock()
}

// pause starts or extends the cool-down to end at until.
func (g *gate) pause(ctx context.Context, until time.Time) {
	g.armed.Store(true)
	g.cool.Extend(ctx, until)
	g.gen.Add(1)
}
