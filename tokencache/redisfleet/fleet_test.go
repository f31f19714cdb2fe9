package redisfleet_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache/redisfleet"
)

// Compliancely allows 10 requests a minute; time is scaled 30 times here,
// to 10 requests per 2 s, so the run takes seconds. The fleet paces at 96 %
// of it: the provider's sliding window counts arrival times, so a limiter
// pacing at exactly the limit lets latency differences (a replica's first
// request dials a new connection) put an 11th request in some window. At
// 10 a minute that margin is 2.5 s; here it is 83 ms.
const (
	scaledLimit  = 10
	scaledWindow = 2 * time.Second
	scaledShare  = 0.96
)

// scaledRate is the provider's limit in requests a second.
var scaledRate = float64(scaledLimit) / scaledWindow.Seconds()

// replica is one process of the fleet: its own Redis client, Fleet,
// provider client (with its own http.Client and token cache).
type replica[C any] struct {
	fleet  *redisfleet.Fleet
	client C
}

func TestFleetSharesCompliancelyAccount(t *testing.T) {
	const replicas, goroutines, run = 5, 50, 4 * time.Second
	fake := compliancelytest.NewServer(compliancelytest.WithRateLimit(scaledLimit, scaledWindow, time.Minute))
	defer fake.Close()
	p := prefix(t)
	var log leakcheck.Log
	account := "compliancely:" + fake.Config().Username
	var fleet []replica[*compliancely.Client]
	for range replicas {
		f, _ := newFleet(t, p, redisfleet.WithEncryptionKey(testKey(7)), redisfleet.WithReplicas(replicas),
			redisfleet.WithLogger(log.Logger()))
		opts := append(f.Options(account, rate.Limit(scaledRate*scaledShare), 1), providers.WithLogger(log.Logger()))
		c, err := compliancely.New(fake.Config(), opts...)
		require.NoError(t, err)
		defer c.Close()
		fleet = append(fleet, replica[*compliancely.Client]{f, c})
	}

	ctx, stop := context.WithTimeout(context.Background(), run)
	defer stop()
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for _, r := range fleet {
		for range goroutines {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, err := r.client.ValidateToken(ctx)
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, context.DeadlineExceeded):
						// the run ends before this call's turn would come
					default:
						failed.Add(1)
						t.Errorf("request failed: %v", err)
						return
					}
				}
			})
		}
	}
	wg.Wait()

	assert.Equal(t, 1, fake.Logins(), "one login for the whole fleet")
	assert.Zero(t, fake.RateLimited(), "no 429")
	assert.Zero(t, failed.Load())
	var logins, hits int64
	for _, r := range fleet {
		st := r.client.Stats()
		logins += st.Logins
		hits += st.StoreHits
		assert.Zero(t, st.RateLimited)
		assert.True(t, r.fleet.Stats().Shared)
		assert.Zero(t, r.fleet.Stats().RedisErrors)
	}
	assert.EqualValues(t, 1, logins)
	assert.EqualValues(t, replicas-1, hits, "the other replicas took the winner's token from Redis")

	got := measuredRate(fake.Hits())
	t.Logf("fleet rate %.2f requests/s of %.2f allowed (%.1f %%), %d requests answered", got, scaledRate, 100*got/scaledRate, ok.Load())
	assert.GreaterOrEqual(t, got, 0.9*scaledRate, "the fleet uses at least 90 % of the allowed rate")
	if !assert.LessOrEqual(t, maxInWindow(fake.Hits(), scaledWindow), scaledLimit) || fake.RateLimited() > 0 {
		for _, h := range fake.Hits() {
			t.Logf("%s %s %d", h.At.Sub(fake.Hits()[0].At), h.Path, h.Status)
		}
	}
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

// measuredRate is requests a second between the first and last hit.
func measuredRate(hits []compliancelytest.Hit) float64 {
	if len(hits) < 2 {
		return 0
	}
	span := hits[len(hits)-1].At.Sub(hits[0].At)
	return float64(len(hits)-1) / span.Seconds()
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
		c, err := compliancely.New(fake.Config(), append(f.Options(account, 1000, 1000), providers.WithClock(clk))...)
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
		c, err := kyconnect.New(fake.Config(), f.Options(account, 50, 5)...)
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
	leakcheck.NoSecrets(t, secrets, f, f.Store(), f.Limiter("a", 1, 1), f.CoolDown("a"), f.Stats(), dead, err, loadErr)
	for _, s := range secrets {
		assert.NotContains(t, log.String(), s)
	}
	assert.Contains(t, log.String(), "Redis unavailable")
}
