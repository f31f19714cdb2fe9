package tokencache_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/tokenseam"
	"github.com/unikyc/unikyc/tokencache"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// provider is a scripted token endpoint: it counts calls, can block until
// released, and fails with queued errors.
type provider struct {
	clk      *clock.Fake
	lifetime time.Duration
	refLife  time.Duration

	logins, refreshes atomic.Int64
	mu                sync.Mutex
	gate              chan struct{} // when set, calls block until it is closed
	loginErrs         []error
	refreshErrs       []error
	seen              []string // refresh tokens presented
}

func newProvider(clk *clock.Fake, lifetime time.Duration) *provider {
	return &provider{clk: clk, lifetime: lifetime, refLife: 24 * time.Hour}
}

func (p *provider) block() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate = make(chan struct{})
	return p.gate
}

func (p *provider) wait(ctx context.Context) error {
	p.mu.Lock()
	g := p.gate
	p.mu.Unlock()
	if g == nil {
		return nil
	}
	select {
	case <-g:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *provider) next(errs *[]error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(*errs) == 0 {
		return nil
	}
	err := (*errs)[0]
	*errs = (*errs)[1:]
	return err
}

func (p *provider) token(kind string, n int64) *auth.Token {
	now := p.clk.Now()
	var exp time.Time
	if p.lifetime > 0 {
		exp = now.Add(p.lifetime)
	}
	return &auth.Token{
		AccessToken:   fmt.Sprintf("access-%s-%d", kind, n),
		Expiry:        exp,
		RefreshToken:  fmt.Sprintf("refresh-%s-%d", kind, n),
		RefreshExpiry: now.Add(p.refLife),
	}
}

func (p *provider) login(ctx context.Context) (*auth.Token, error) {
	n := p.logins.Add(1)
	if err := p.wait(ctx); err != nil {
		return nil, err
	}
	if err := p.next(&p.loginErrs); err != nil {
		return nil, err
	}
	return p.token("login", n), nil
}

func (p *provider) refresh(ctx context.Context, rt string) (*auth.Token, error) {
	n := p.refreshes.Add(1)
	p.mu.Lock()
	p.seen = append(p.seen, rt)
	p.mu.Unlock()
	if err := p.wait(ctx); err != nil {
		return nil, err
	}
	if err := p.next(&p.refreshErrs); err != nil {
		return nil, err
	}
	return p.token("refresh", n), nil
}

// statusErr is an error carrying an HTTP status, as *providers.Error does.
type statusErr int

func (s statusErr) Error() string   { return fmt.Sprintf("status %d", int(s)) }
func (s statusErr) HTTPStatus() int { return int(s) }

func newCache(t *testing.T, p *provider, opts ...tokencache.Option) *tokencache.Cache {
	t.Helper()
	base := []tokencache.Option{tokencache.WithClock(p.clk), tokencache.WithJitter(0)}
	c := tokencache.New(p.login, append(base, opts...)...)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// settle waits until no refresh is in flight, by asking for a token with a
// context that allows waiting: a cache whose token is fresh answers at once.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond) // polling a background goroutine, not timing the code under test
	}
}

// withFlightHooks installs h as the pipeline does, through the seam
// (internal/tokenseam) rather than a public option.
func withFlightHooks(h tokenseam.FlightHooks) tokencache.Option {
	return tokenseam.Option(&tokenseam.Link{Flight: h}).(tokencache.Option)
}
