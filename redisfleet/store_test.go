package redisfleet_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/tokencache"
)

const (
	access  = "eyJhbGciOiJIUzI1NiJ9.access-secret-7f3a"
	refresh = "refresh-secret-91bc"
)

func sampleToken(now time.Time) *auth.Token {
	now = now.UTC()
	return &auth.Token{AccessToken: access, TokenType: "Bearer", Expiry: now.Add(time.Hour).Truncate(time.Microsecond),
		RefreshToken: refresh, RefreshExpiry: now.Add(24 * time.Hour).Truncate(time.Microsecond)}
}

func TestStoreRoundTripEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	var log leakcheck.Log
	f, rdb := newFleet(t, p, redisfleet.WithEncryptionKey(testKey(1)), redisfleet.WithLogger(log.Logger()))
	key := tokencache.Key("compliancely", "https://app1.compliancely.com", "api-user@example.com")
	tok := sampleToken(time.Now())

	require.NoError(t, f.Store().Save(ctx, key, tok))

	// Another replica with the same key reads the same token.
	g, _ := newFleet(t, p, redisfleet.WithEncryptionKey(testKey(1)))
	got, err := g.Store().Load(ctx, key)
	require.NoError(t, err)
	require.Equal(t, *tok, *got)

	// The raw value in Redis shows neither secret, and no key name does.
	ks := keys(t, rdb, p)
	require.Equal(t, []string{p + "{" + key + "}:token"}, ks)
	raw, err := rdb.Get(ctx, ks[0]).Bytes()
	require.NoError(t, err)
	for _, secret := range []string{access, refresh, "access-secret", "refresh-secret", "Bearer"} {
		assert.NotContains(t, string(raw), secret)
		assert.NotContains(t, ks[0], secret)
	}
	assert.NotContains(t, ks[0], "api-user")

	// Its TTL runs to the refresh token's expiry, the later of the two.
	ttl, err := rdb.PTTL(ctx, ks[0]).Result()
	require.NoError(t, err)
	assert.InDelta(t, (24 * time.Hour).Seconds(), ttl.Seconds(), 60)

	// Without the key, or with another, the value is useless.
	for name, opts := range map[string][]redisfleet.Option{
		"no key":    nil,
		"other key": {redisfleet.WithEncryptionKey(testKey(2))},
	} {
		h, _ := newFleet(t, p, opts...)
		got, err := h.Store().Load(ctx, key)
		require.Error(t, err, name)
		assert.Nil(t, got, name)
		leakcheck.NoSecrets(t, []string{access, refresh}, err)
	}

	// The value is bound to its key: copied under another account's key it
	// does not decrypt.
	other := tokencache.Key("compliancely", "https://app1.compliancely.com", "someone-else")
	require.NoError(t, rdb.Set(ctx, p+"{"+other+"}:token", raw, time.Minute).Err())
	_, err = f.Store().Load(ctx, other)
	require.Error(t, err)

	leakcheck.NoSecrets(t, []string{access, refresh, string(testKey(1))}, f, f.Store(), f.Stats())
	assert.NotContains(t, log.String(), access)
	assert.NotContains(t, log.String(), "clear text", "a keyed fleet does not warn about clear text")
}

func TestStoreWithoutKeyIsClearTextAndWarnsOnce(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	var log leakcheck.Log
	f, rdb := newFleet(t, p, redisfleet.WithLogger(log.Logger()))
	key := tokencache.Key("kyconnect", "https://kyc.example.com/api/v1", "ops@example.com")
	require.NoError(t, f.Store().Save(ctx, key, sampleToken(time.Now())))
	require.NoError(t, f.Store().Save(ctx, key, sampleToken(time.Now())))

	raw, err := rdb.Get(ctx, p+"{"+key+"}:token").Result()
	require.NoError(t, err)
	assert.Contains(t, raw, access, "documented: without a key tokens are stored in clear")
	assert.Equal(t, 1, strings.Count(log.String(), "clear text"), log.String())
	assert.Contains(t, log.String(), `"level":"WARN"`)

	// A keyed replica refuses a clear value instead of trusting it.
	g, _ := newFleet(t, p, redisfleet.WithEncryptionKey(testKey(1)))
	_, err = g.Store().Load(ctx, key)
	require.Error(t, err)
}

func TestStoreTTLAndMissing(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	clk := clock.NewFake(start)
	f, rdb := newFleet(t, p, redisfleet.WithClock(clk), redisfleet.WithEncryptionKey(testKey(3)))

	got, err := f.Store().Load(ctx, "unikyc:x:none")
	require.NoError(t, err)
	assert.Nil(t, got)

	// Without a refresh token the entry lives as long as the access token,
	// counted on the injected clock.
	require.NoError(t, f.Store().Save(ctx, "k1", &auth.Token{AccessToken: "a", Expiry: start.Add(15 * time.Minute)}))
	ttl, err := rdb.PTTL(ctx, p+"{k1}:token").Result()
	require.NoError(t, err)
	assert.InDelta(t, (15 * time.Minute).Seconds(), ttl.Seconds(), 5)

	// Unknown expiry: kept until overwritten.
	require.NoError(t, f.Store().Save(ctx, "k2", &auth.Token{AccessToken: "b"}))
	ttl, err = rdb.PTTL(ctx, p+"{k2}:token").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl)

	// Already expired: not shared.
	require.NoError(t, f.Store().Save(ctx, "k3", &auth.Token{AccessToken: "c", Expiry: start.Add(-time.Second)}))
	n, err := rdb.Exists(ctx, p+"{k3}:token").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestNewRejectsBadKey(t *testing.T) {
	rdb := newClient(t, "")
	_, err := redisfleet.New(rdb, redisfleet.WithEncryptionKey([]byte("too short")))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "too short")
	_, err = redisfleet.New(nil)
	require.Error(t, err)
}

func TestLockExcludesAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	a, _ := newFleet(t, p)
	b, _ := newFleet(t, p)

	unlockA, err := a.Store().Lock(ctx, "acct")
	require.NoError(t, err)

	got := make(chan func(), 1)
	go func() {
		unlock, err := b.Store().Lock(ctx, "acct")
		assert.NoError(t, err)
		got <- unlock
	}()
	// B waits while A holds the lock; a B whose context ends leaves with it.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = b.Store().Lock(short, "acct")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	select {
	case <-got:
		t.Fatal("B took a lock A holds")
	default:
	}

	unlockA()
	unlockA() // twice is harmless
	unlockB := <-got
	unlockB()
}

func TestLockIsRenewedWhileHeld(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	const ttl = 150 * time.Millisecond
	a, rdb := newFleet(t, p, redisfleet.WithLockTTL(ttl))
	unlock, err := a.Store().Lock(ctx, "acct")
	require.NoError(t, err)
	began := time.Now()
	// The lock's key outlives several TTLs because the holder renews it.
	require.Eventually(t, func() bool {
		n, err := rdb.Exists(ctx, p+"{acct}:lock").Result()
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "the held lock expired")
		return time.Since(began) > 4*ttl
	}, 5*time.Second, 10*time.Millisecond)
	unlock()
	n, err := rdb.Exists(ctx, p+"{acct}:lock").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "unlock releases the key")
}

// Caches of separate replicas sharing the fleet store log in once between
// them, however many goroutines ask at once.
func TestCachesShareOneLogin(t *testing.T) {
	p := prefix(t)
	var logins atomic.Int64
	login := func(ctx context.Context) (*auth.Token, error) {
		logins.Add(1)
		return &auth.Token{AccessToken: "tok", Expiry: time.Now().Add(time.Hour)}, nil
	}
	key := tokencache.Key("p", "https://p.example", "acct")
	var caches []*tokencache.Cache
	for range 5 {
		f, _ := newFleet(t, p, redisfleet.WithEncryptionKey(testKey(4)))
		c := tokencache.New(login, tokencache.WithStore(f.Store(), key))
		defer c.Close()
		caches = append(caches, c)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			tok, err := caches[i%len(caches)].Token(context.Background())
			assert.NoError(t, err)
			assert.Equal(t, "tok", tok.AccessToken)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, logins.Load())
	var hits int64
	for _, c := range caches {
		hits += c.Stats().StoreHits
	}
	assert.EqualValues(t, 4, hits, "the other four replicas took the token from Redis")
}
