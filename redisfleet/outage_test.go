package redisfleet_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/redisfleet/redisfleettest"
)

// Redis is killed in the middle of a run and started again: no request
// fails, every replica switches to local mode and logs it once, and all of
// them are back in shared mode (using the new Redis) after the restart.
func TestRedisKilledMidRun(t *testing.T) {
	const replicas, goroutines = 5, 10
	own, err := redisfleettest.StartOwn() // one this test may kill, even with REDIS_ADDR set
	require.NoError(t, err)
	defer own.Close()
	t.Logf("killing a %s", own.Kind())

	fake := compliancelytest.NewServer(compliancelytest.WithRateLimit(0, 0, 0))
	defer fake.Close()
	p := prefix(t)
	var log leakcheck.Log
	account := "compliancely:" + fake.Config().Username
	var fleets []*redisfleet.Fleet
	var clients []*compliancely.Client
	for range replicas {
		rdb := redis.NewClient(&redis.Options{Addr: own.Addr()})
		defer rdb.Close()
		f, err := redisfleet.New(rdb, redisfleet.WithPrefix(p), redisfleet.WithEncryptionKey(testKey(5)),
			// The kill is seen as lost connections, at once: the call timeout
			// plays no part, and one short enough for a starved test process
			// (-race, GOMAXPROCS=1, a loaded machine) to miss would take a
			// replica to local mode before the kill, or after the restart.
			redisfleet.WithReplicas(replicas), redisfleet.WithTimeout(5*time.Second),
			redisfleet.WithProbeInterval(50*time.Millisecond), redisfleet.WithLogger(log.Logger()))
		require.NoError(t, err)
		c, err := compliancely.New(fake.Config(), append(f.Options(account), requestBudget(f, account, 500, time.Second))...)
		require.NoError(t, err)
		defer c.Close()
		fleets, clients = append(fleets, f), append(clients, c)
	}

	ctx, stop := context.WithCancel(context.Background())
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait() // a failed require stops the callers before the fake and Redis close
	defer stop()
	for _, c := range clients {
		for range goroutines {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, err := c.ValidateToken(ctx)
					switch {
					case err == nil:
						served.Add(1)
					case errors.Is(err, context.Canceled) && ctx.Err() != nil: // the run is over
					default:
						failed.Add(1)
						t.Errorf("request failed: %v", err)
					}
				}
			})
		}
	}
	atLeast := func(n int64) func() bool { return func() bool { return served.Load() >= n } }
	allShared := func(want bool) func() bool {
		return func() bool {
			for _, f := range fleets {
				if f.Stats().Shared != want {
					return false
				}
			}
			return true
		}
	}

	require.Eventually(t, atLeast(50), 10*time.Second, time.Millisecond, "shared mode serves")
	require.True(t, allShared(true)())
	// Every replica holds the fleet's token before Redis goes: a replica
	// still waiting for the lock is another test's case.
	for i, c := range clients {
		_, err := c.TokenSource().Token(ctx)
		require.NoError(t, err, "replica %d", i)
	}

	require.NoError(t, own.Stop())
	require.Eventually(t, allShared(false), 10*time.Second, time.Millisecond, "every replica notices")
	n := served.Load()
	require.Eventually(t, atLeast(n+200), 10*time.Second, time.Millisecond, "local mode serves")
	require.True(t, allShared(false)(), "still down")

	require.NoError(t, own.Restart())
	require.Eventually(t, allShared(true), 10*time.Second, time.Millisecond, "every replica goes back to shared mode")
	n = served.Load()
	require.Eventually(t, atLeast(n+50), 10*time.Second, time.Millisecond, "shared mode serves again")
	stop()
	wg.Wait()

	assert.Zero(t, failed.Load(), "no request failed because Redis did")
	assert.Equal(t, 1, fake.Logins(), "the cached token carried every replica through the outage")
	var degradations, recoveries int64
	var stats []redisfleet.Stats
	for i, f := range fleets {
		st := f.Stats()
		stats = append(stats, st)
		// The client's one Stats carries its fleet's state.
		cs := clients[i].Stats()
		if assert.NotNil(t, cs.Fleet, "replica %d", i) {
			assert.Equal(t, st, *cs.Fleet, "replica %d", i)
		}
		assert.GreaterOrEqual(t, st.Degradations, int64(1), "replica %d", i)
		assert.Equal(t, st.Degradations, st.Recoveries, "replica %d", i)
		degradations += st.Degradations
		recoveries += st.Recoveries
	}
	// One log line per switch, not per request.
	assert.EqualValues(t, degradations, strings.Count(log.String(), "Redis unavailable"))
	assert.EqualValues(t, recoveries, strings.Count(log.String(), "back to shared mode"))
	assert.Less(t, degradations, int64(3*replicas), "switches flapped: %+v\n%s", stats, log.String())

	// The restarted Redis holds the fleet's limiter again.
	rdb := redis.NewClient(&redis.Options{Addr: own.Addr()})
	defer rdb.Close()
	assert.NotEmpty(t, keys(t, rdb, p), "the replicas use the new Redis")
}

// Rule: a call that began before Redis answered again does not switch the
// fleet back to local mode when it fails afterwards. A probe of local mode
// still redialing the server that was gone (go-redis retries a refused
// dial for a while) fails after a later probe found Redis back: that is
// old news, not a second outage, and logs nothing.
func TestAProbeFromBeforeTheRestartDoesNotFlap(t *testing.T) {
	own, err := redisfleettest.StartOwn()
	require.NoError(t, err)
	defer own.Close()
	var (
		slow    atomic.Bool // the next dial is the old probe's
		dialing = make(chan struct{}, 1)
		refuse  = make(chan struct{})
	)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if slow.CompareAndSwap(true, false) {
			dialing <- struct{}{}
			<-refuse // still redialing the server that was gone
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	rdb := redis.NewClient(&redis.Options{Addr: own.Addr(), Dialer: dial, DialerRetries: 1, MaxRetries: -1})
	defer rdb.Close()
	clk := clock.NewFake(start)
	var log leakcheck.Log
	f, err := redisfleet.New(rdb, redisfleet.WithPrefix(prefix(t)), redisfleet.WithClock(clk),
		redisfleet.WithTimeout(10*time.Second), redisfleet.WithProbeInterval(time.Second), redisfleet.WithLogger(log.Logger()))
	require.NoError(t, err)
	l := f.Limiter("acct", compliancelyBudget).(*redisfleet.Limiter)
	require.Zero(t, l.Estimate(ratelimit.PriorityAPI))

	require.NoError(t, own.Stop())
	l.Estimate(ratelimit.PriorityAPI) // the connection is lost: local mode
	require.False(t, f.Stats().Shared)

	clk.Advance(time.Second)
	slow.Store(true)
	old := make(chan struct{})
	go func() { defer close(old); l.Estimate(ratelimit.PriorityAPI) }() // the probe, redialing
	<-dialing
	require.NoError(t, own.Restart())
	clk.Advance(time.Second)
	l.Estimate(ratelimit.PriorityAPI) // the next probe: Redis answers
	require.True(t, f.Stats().Shared, "back in shared mode")

	close(refuse) // the old probe fails now
	<-old
	st := f.Stats()
	assert.True(t, st.Shared, "still shared: the old probe's failure is not a new outage")
	assert.EqualValues(t, 1, st.Degradations)
	assert.EqualValues(t, 1, strings.Count(log.String(), "Redis unavailable"), "logged once")
}
