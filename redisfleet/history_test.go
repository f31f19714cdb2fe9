package redisfleet_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/redisfleet/redisfleettest"
)

// sixPerTwo is the budget of issue 24's report: 6 requests in any 2 s
// (no margin, so the figures read plainly).
var sixPerTwo = ratelimit.Budget{Name: "requests", Limit: 6, Window: 2 * time.Second, Margin: -1}

// admitEach admits n requests one after the other on l, moving the fake
// clock to each wait's end, and returns the fake times they were admitted.
func admitEach(t *testing.T, clk *clock.Fake, l ratelimit.Limiter, n int) []time.Time {
	t.Helper()
	var at []time.Time
	for i := range n {
		var err error
		clk.Drive(func() { err = l.Wait(context.Background(), ratelimit.PriorityAPI) })
		require.NoError(t, err, "request %d", i+1)
		at = append(at, clk.Now())
	}
	return at
}

// mostInSpan is the largest number of admissions in any span [t, t+span).
func mostInSpan(at []time.Time, span time.Duration) int {
	most := 0
	for _, from := range at {
		n := 0
		for _, x := range at {
			if !x.Before(from) && x.Sub(from) < span {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// Rule: a budget log that Redis lost in a restart is detected, and the
// fleet paces as after a 429 for one span: never more than Limit in any
// span, though go-redis reconnects without a word.
func TestLostLogAfterRestartPacesForOneSpan(t *testing.T) {
	own, err := redisfleettest.StartOwn()
	require.NoError(t, err)
	defer own.Close()
	clk := clock.NewFake(start)
	rdb := redis.NewClient(&redis.Options{Addr: own.Addr()})
	defer rdb.Close()
	f, err := redisfleet.New(rdb, redisfleet.WithPrefix(prefix(t)), redisfleet.WithClock(clk),
		redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	l := f.Limiter("acct", sixPerTwo)

	at := admitEach(t, clk, l, 6) // the whole window's budget
	clk.Advance(80 * time.Millisecond)
	require.NoError(t, own.Stop())
	require.NoError(t, own.Restart()) // the log is gone
	at = append(at, admitEach(t, clk, l, 6)...)

	assert.LessOrEqual(t, mostInSpan(at, sixPerTwo.Span()), 6, "admitted at %v", offsets(at))
	assert.False(t, at[6].Before(start.Add(80*time.Millisecond+sixPerTwo.Span())),
		"the first after the loss waits a span from the loss: %v", at[6].Sub(start))
	st := f.Stats()
	assert.True(t, st.Shared)
	assert.EqualValues(t, 1, st.LostLogs)
}

// Rule: a log deleted under the fleet (FLUSHALL, an eviction, a DEL) is
// detected by every replica that knew it, and paced once for the fleet.
func TestLostLogDeletedPacesTheFleet(t *testing.T) {
	p := prefix(t)
	clk := clock.NewFake(start)
	fa, rdb := newFleet(t, p, redisfleet.WithClock(clk))
	fb, _ := newFleet(t, p, redisfleet.WithClock(clk))
	la, lb := fa.Limiter("acct", sixPerTwo), fb.Limiter("acct", sixPerTwo)

	at := admitEach(t, clk, la, 3)
	at = append(at, admitEach(t, clk, lb, 3)...)
	clk.Advance(80 * time.Millisecond)
	require.NoError(t, rdb.Del(context.Background(), keys(t, rdb, p)...).Err())
	for i := range 6 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		at = append(at, admitEach(t, clk, l, 1)...)
	}
	assert.LessOrEqual(t, mostInSpan(at, sixPerTwo.Span()), 6, "admitted at %v", offsets(at))
	assert.EqualValues(t, 1, fa.Stats().LostLogs+fb.Stats().LostLogs, "detected once, by the first to ask")
}

// Rule: a failover to a replica that had not received the latest writes
// is detected (the log's sequence went back) and paced for one span. The
// promoted replica's state is made with DUMP and RESTORE on a real
// redis-server: the keys as they were three admissions ago.
func TestLostRecentWritesAfterFailoverPace(t *testing.T) {
	p := prefix(t)
	clk := clock.NewFake(start)
	f, rdb := newFleet(t, p, redisfleet.WithClock(clk))
	l := f.Limiter("acct", sixPerTwo)
	ctx := context.Background()

	at := admitEach(t, clk, l, 3)
	replica := map[string]string{}
	for _, k := range keys(t, rdb, p) {
		d, err := rdb.Dump(ctx, k).Result()
		require.NoError(t, err)
		replica[k] = d
	}
	at = append(at, admitEach(t, clk, l, 3)...) // never reached the replica
	clk.Advance(80 * time.Millisecond)
	require.NoError(t, rdb.Del(ctx, keys(t, rdb, p)...).Err())
	for k, d := range replica { // the replica is promoted
		require.NoError(t, rdb.Restore(ctx, k, time.Hour, d).Err())
	}
	at = append(at, admitEach(t, clk, l, 6)...)
	assert.LessOrEqual(t, mostInSpan(at, sixPerTwo.Span()), 6, "admitted at %v", offsets(at))
	assert.EqualValues(t, 1, f.Stats().LostLogs)
}

// Rule: the way back from local mode is paced like the way there: waiters
// admitted by the local share are not invisible to the fleet, and shared
// mode does not start with a burst.
func TestWayBackFromLocalModeIsPaced(t *testing.T) {
	px := newCutProxy(t, srv.Addr())
	clk := clock.NewFake(start)
	rdb := redis.NewClient(&redis.Options{Addr: px.addr, MaxRetries: -1})
	defer rdb.Close()
	f, err := redisfleet.New(rdb, redisfleet.WithPrefix(prefix(t)), redisfleet.WithClock(clk),
		redisfleet.WithProbeInterval(100*time.Millisecond), redisfleet.WithEncryptionKey(testKey(1)))
	require.NoError(t, err)
	l := f.Limiter("acct", sixPerTwo)

	at := admitEach(t, clk, l, 6) // shared: the window's budget
	px.cut()
	var (
		mu   sync.Mutex
		sent []time.Time
		wg   sync.WaitGroup
		left atomic.Int64
	)
	call := func(n int) {
		left.Add(int64(n))
		for range n {
			wg.Go(func() {
				defer left.Add(-1)
				if assert.NoError(t, l.Wait(context.Background(), ratelimit.PriorityAPI)) {
					mu.Lock()
					sent = append(sent, clk.Now())
					mu.Unlock()
				}
			})
		}
	}
	recorded := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(sent)
	}
	// step moves the clock to the next timer once the goroutines have
	// settled (what they recorded and the timers they wait on unchanged for
	// 15 ms), so that each admission is recorded at the time it was made.
	step := func() {
		for lastN, lastT, stable := -1, -1, 0; stable < 3; time.Sleep(5 * time.Millisecond) {
			n, tm := recorded(), clk.Timers()
			if n == lastN && tm == lastT {
				stable++
			} else {
				lastN, lastT, stable = n, tm, 0
			}
		}
		clk.Step()
	}
	call(8) // local mode: they queue on the replica's share
	require.True(t, clk.WaitForTimers(1, nil))
	require.False(t, f.Stats().Shared)
	// Two of them are sent on the local share, then Redis is back; new
	// callers keep coming.
	for recorded() < 2 {
		step()
	}
	px.mend()
	call(6) // the first is the probe that finds Redis back
	for left.Load() > 0 {
		step()
	}
	wg.Wait()
	at = append(at, sent...)
	assert.True(t, f.Stats().Shared)
	assert.Len(t, at, 6+8+6)
	assert.LessOrEqual(t, mostInSpan(at, sixPerTwo.Span()), 6, "admitted at %v", offsets(at))
}

// offsets shows admission times as offsets from the fake clock's start.
func offsets(at []time.Time) []time.Duration {
	var ds []time.Duration
	for _, x := range at {
		ds = append(ds, x.Sub(start))
	}
	return ds
}

// cutProxy forwards TCP to a Redis until cut, which closes every
// connection and refuses (closes at once) new ones until mend: an outage
// that keeps Redis's data, as a network partition would.
type cutProxy struct {
	addr string
	down atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t testing.TB, upstream string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{addr: l.Addr().String()}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if p.down.Load() {
				_ = c.Close()
				continue
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			wg.Go(func() { pipeAndClose(u, c) })
			wg.Go(func() { pipeAndClose(c, u) })
		}
	})
	t.Cleanup(func() {
		_ = l.Close()
		p.cut()
		wg.Wait()
	})
	return p
}

func pipeAndClose(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = dst.Close()
	_ = src.Close()
}

func (p *cutProxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) mend() { p.down.Store(false) }
