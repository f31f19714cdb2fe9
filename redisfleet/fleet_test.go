package redisfleet_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
)

// replica is one process of the fleet: its own Redis client, Fleet,
// provider client (with its own http.Client and token cache).
type replica[C any] struct {
	fleet  *redisfleet.Fleet
	client C
}

// Rule: Compliancely allows 10 requests a minute per account, then a
// 10-minute penalty. Five replicas with four busy goroutines each share one
// account for 10 minutes of the fake's time, on Compliancely's own budget:
// one login for the fleet, no 429, never more than 10 requests in any
// minute as the server counts them, and at least 9 a minute in total.
func TestFleetSharesCompliancelyAccount(t *testing.T) {
	const replicas, goroutines, run = 5, 4, 10 * time.Minute
	clk := clock.NewFake(start)
	fake := compliancelytest.NewServer(compliancelytest.WithClock(clk))
	defer fake.Close()
	p := prefix(t)
	var log leakcheck.Log
	account := "compliancely:" + fake.Config().Username
	w := newWire(clk)
	var fleet []replica[*compliancely.Client]
	for range replicas {
		f, rdb := newFleet(t, p, redisfleet.WithClock(clk), redisfleet.WithEncryptionKey(testKey(7)),
			redisfleet.WithReplicas(replicas), redisfleet.WithLogger(log.Logger()))
		rdb.AddHook(w)
		c, err := compliancely.New(fake.Config(), append(f.Options(account), w.options()...,
		)...)
		require.NoError(t, err)
		c2 := c
		t.Cleanup(func() { _ = c2.Close() })
		fleet = append(fleet, replica[*compliancely.Client]{f, c})
	}
	ctx := context.Background()
	for i, r := range fleet { // warm: one login, the others read the store
		_, err := r.client.ValidateToken(ctx)
		require.NoError(t, err, "replica %d", i)
	}

	end := start.Add(run)
	ctx, stop := context.WithCancel(ctx)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for _, r := range fleet {
		for range goroutines {
			wg.Go(func() {
				for ctx.Err() == nil {
					if _, err := r.client.ValidateToken(ctx); err != nil && ctx.Err() == nil {
						failed.Add(1)
						t.Errorf("request failed: %v", err)
						return
					}
				}
			})
		}
	}
	w.pump(t, end)
	stop()
	wg.Wait()

	var hits []compliancelytest.Hit
	for _, h := range fake.Hits() {
		if h.At.Before(end) {
			hits = append(hits, h)
		}
	}
	perMinute := float64(len(hits)) / run.Minutes()
	t.Logf("%d requests in %s: %.2f a minute, %d logins, %d 429", len(hits), run, perMinute, fake.Logins(), fake.RateLimited())
	assert.Zero(t, failed.Load())
	assert.Zero(t, fake.RateLimited(), "no 429")
	if !assert.LessOrEqual(t, maxInWindow(hits, time.Minute), 10, "requests in any minute, as the server counts") {
		for _, h := range hits {
			t.Logf("%s %s %d", h.At.Sub(start), h.Path, h.Status)
		}
	}
	assert.GreaterOrEqual(t, perMinute, 9.0, "the fleet uses the budget")
	assert.Equal(t, 1, fake.Logins(), "one login for the whole fleet")
	var logins, hitsFromStore int64
	for _, r := range fleet {
		st := r.client.Stats()
		logins += st.Logins
		hitsFromStore += st.StoreHits
		assert.Zero(t, st.RateLimited)
		assert.True(t, r.fleet.Stats().Shared)
		assert.Zero(t, r.fleet.Stats().RedisErrors)
	}
	assert.EqualValues(t, 1, logins)
	assert.GreaterOrEqual(t, hitsFromStore, int64(replicas-1), "the other replicas took the winner's token from Redis")
	assert.NotContains(t, log.String(), "clear text")
	assert.NotContains(t, log.String(), compliancelytest.Password)

	// The token the fleet shares is sealed in Redis: the raw value shows
	// neither the access nor the refresh token.
	tok, err := fleet[0].client.TokenSource().Token(context.Background())
	require.NoError(t, err)
	rdb := newClient(t, "")
	var sealed int
	for _, k := range keys(t, rdb, p) {
		if strings.HasSuffix(k, "}:token") {
			raw, err := rdb.Get(context.Background(), k).Result()
			require.NoError(t, err)
			assert.NotContains(t, raw, tok.AccessToken)
			assert.NotContains(t, raw, tok.RefreshToken)
			sealed++
		}
	}
	assert.Equal(t, 1, sealed)
}

// maxInWindow is the most hits that arrived within any window w.
func maxInWindow(hits []compliancelytest.Hit, w time.Duration) int {
	at := make([]time.Time, len(hits))
	for i, h := range hits {
		at[i] = h.At
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	best, lo := 0, 0
	for hi := range at {
		for !at[lo].After(at[hi].Add(-w)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// One replica's 429 pauses every replica until it ends, on the clients'
// clock.
func TestFleetShares429CoolDown(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	fake := compliancelytest.NewServer(compliancelytest.WithClock(clk), compliancelytest.WithRateLimit(0, 0, 0))
	defer fake.Close()
	p := prefix(t)
	account := "compliancely:" + fake.Config().Username
	var clients []*compliancely.Client
	for range 2 {
		f, _ := newFleet(t, p, redisfleet.WithClock(clk), redisfleet.WithEncryptionKey(testKey(7)))
		c, err := compliancely.New(fake.Config(), append(f.Options(account), requestBudget(f, account, 1000, time.Second), providers.WithClock(clk))...)
		require.NoError(t, err)
		defer c.Close()
		clients = append(clients, c)
	}
	a, b := clients[0], clients[1]
	_, err := a.ValidateToken(ctx)
	require.NoError(t, err)

	// A's next call is answered 429 without Retry-After: Compliancely's
	// 10-minute penalty. A's caller gives up (its deadline is shorter).
	fake.RateLimitNext(compliancely.DefaultValidatePath, 1, "")
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = a.ValidateToken(short)
	require.ErrorIs(t, err, providers.ErrRateLimited)

	// B never saw a 429, yet waits out the same 10 minutes.
	done := make(chan error, 1)
	go func() {
		_, err := b.ValidateToken(ctx)
		done <- err
	}()
	require.True(t, clk.WaitForTimers(1, nil))
	next, _ := clk.NextTimer()
	assert.Equal(t, compliancely.Penalty, next.Sub(clk.Now()))
	requests := fake.Requests()
	clk.Advance(compliancely.Penalty)
	require.NoError(t, <-done)
	assert.Equal(t, requests+1, fake.Requests(), "B sent nothing until the pause ended")
	assert.EqualValues(t, 1, b.Stats().CoolDownWaits)
	assert.Zero(t, b.Stats().RateLimited)
	assert.Equal(t, 1, fake.Logins())
}

func TestFleetSharesKYConnectLogin(t *testing.T) {
	const replicas, goroutines = 5, 40 // 200 cold goroutines across the fleet
	fake := kyconnecttest.NewServer()
	defer fake.Close()
	p := prefix(t)
	account := "kyconnect:" + fake.Email()
	var clients []*kyconnect.Client
	for range replicas {
		f, _ := newFleet(t, p, redisfleet.WithEncryptionKey(testKey(8)), redisfleet.WithReplicas(replicas))
		// The fake allows 100 API requests a minute: more than this test sends.
		c, err := kyconnect.New(fake.Config(), append(f.Options(account), requestBudget(f, account, 50, time.Second))...)
		require.NoError(t, err)
		defer c.Close()
		clients = append(clients, c)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	startGun := make(chan struct{})
	tokens := make(chan string, replicas*goroutines)
	var wg sync.WaitGroup
	for _, c := range clients {
		for range goroutines {
			wg.Go(func() {
				<-startGun
				tok, err := c.TokenSource().Token(ctx) // what every request does first
				if assert.NoError(t, err) {
					tokens <- tok.AccessToken
				}
			})
		}
	}
	close(startGun)
	wg.Wait()
	close(tokens)
	distinct := map[string]bool{}
	for tok := range tokens {
		distinct[tok] = true
	}
	assert.Len(t, distinct, 1, "every goroutine of every replica got the same token")
	assert.Equal(t, 1, fake.Logins())
	assert.Equal(t, 1, fake.LoginAttempts())

	// Each replica's shared token is accepted on a real call.
	for i, c := range clients {
		me, err := c.Me(ctx)
		require.NoError(t, err, "replica %d", i)
		assert.Equal(t, fake.Email(), me.Email)
	}
	assert.Equal(t, 1, fake.Logins())
}

// Nothing in a fleet, its parts, or the errors and logs of a run shows a
// secret.
func TestFleetLeaksNoSecret(t *testing.T) {
	key := testKey(9)
	var log leakcheck.Log
	f, _ := newFleet(t, prefix(t), redisfleet.WithEncryptionKey(key), redisfleet.WithLogger(log.Logger()))
	ctx := context.Background()
	tok := sampleToken(time.Now())
	require.NoError(t, f.Store().Save(ctx, "k", tok))
	g, _ := newFleet(t, prefix(t), redisfleet.WithLogger(log.Logger())) // no key: warns
	_, loadErr := g.Store().Load(ctx, "k")
	dead, err := redisfleet.New(newClient(t, deadAddr(t)), redisfleet.WithLogger(log.Logger()), redisfleet.WithEncryptionKey(key))
	require.NoError(t, err)
	require.NoError(t, dead.Store().Save(ctx, "k", tok))
	_, err = redisfleet.New(newClient(t, ""), redisfleet.WithEncryptionKey(key[:31]))
	require.Error(t, err)
	secrets := []string{access, refresh, string(key), fmt.Sprintf("%x", key)}
	leakcheck.NoSecrets(t, secrets, f, f.Store(), f.Limiter("a", ratelimit.Budget{Name: "requests", Limit: 1, Window: time.Minute}), f.CoolDown("a"), f.Stats(), dead, err, loadErr)
	for _, s := range secrets {
		assert.NotContains(t, log.String(), s)
	}
	assert.Contains(t, log.String(), "Redis unavailable")
}
