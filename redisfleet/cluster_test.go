package redisfleet_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/redisfleet/redisfleettest"
	"github.com/unikyc/unikyc/tokencache"
)

// newClusterFleet returns a Fleet on its own Redis Cluster client under p.
func newClusterFleet(t testing.TB, p string, opts ...redisfleet.Option) (*redisfleet.Fleet, *redis.ClusterClient) {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	f, err := redisfleet.New(rdb, append([]redisfleet.Option{redisfleet.WithPrefix(p), redisfleet.WithEncryptionKey(testKey(3))}, opts...)...)
	require.NoError(t, err)
	return f, rdb
}

// clusterKeys lists the keys matching pattern on every master.
func clusterKeys(t testing.TB, rdb *redis.ClusterClient, pattern string) []string {
	t.Helper()
	var mu sync.Mutex
	var out []string
	require.NoError(t, rdb.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		ks, err := m.Keys(ctx, pattern).Result()
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	}))
	return out
}

// On Redis Cluster, replicas waiting for the lock take the winner's token
// from the save's message, published on one master and heard on the
// others: one login for five replicas.
func TestClusterReplicasShareOneLogin(t *testing.T) {
	const replicas = 5
	p := prefix(t)
	key := tokencache.Key("p", "https://p.example", "acct")
	login := newBlockingLogin()
	var caches []*tokencache.Cache
	var rdb *redis.ClusterClient
	for range replicas {
		f, r := newClusterFleet(t, p)
		rdb = r
		c := tokencache.New(login.login, tokencache.WithStore(f.Store(), key))
		defer c.Close()
		caches = append(caches, c)
	}
	got := make(chan string, replicas)
	fetch(t, caches[0], got)
	<-login.started
	for _, c := range caches[1:] {
		fetch(t, c, got)
	}
	ch := p + "{" + key + "}:saved"
	require.Eventually(t, func() bool {
		var mu sync.Mutex
		var n int64
		err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
			subs, err := m.PubSubNumSub(ctx, ch).Result()
			mu.Lock()
			n += subs[ch]
			mu.Unlock()
			return err
		})
		return err == nil && n == replicas-1
	}, 10*time.Second, time.Millisecond, "the other replicas wait for the lock")
	close(login.release)
	distinct := map[string]bool{}
	for range replicas {
		distinct[<-got] = true
	}
	assert.Len(t, distinct, 1)
	assert.EqualValues(t, 1, login.n.Load())
	var hits int64
	for _, c := range caches {
		hits += c.Stats().StoreHits
	}
	assert.EqualValues(t, replicas-1, hits)

	// And cold, without waiting for anyone to subscribe: still one login.
	fleets := make([]*redisfleet.Fleet, 20)
	for i := range fleets {
		var rdb *redis.ClusterClient
		fleets[i], rdb = newClusterFleet(t, p)
		require.NoError(t, rdb.Ping(context.Background()).Err()) // connections ready; the token is what is cold
	}
	_, _, logins := coldStart(t, fleets, "cold")
	assert.EqualValues(t, 1, logins)
}

// Rule: every key of one account is in one hash slot, so that the scripts
// touching several of them run on Redis Cluster (which refuses a script
// whose keys span slots with CROSSSLOT).
func TestClusterKeysAreSingleSlot(t *testing.T) {
	ctx := context.Background()
	p := prefix(t)
	f, rdb := newClusterFleet(t, p)
	g, _ := newClusterFleet(t, p)
	if cluster.Kind() == redisfleettest.RedisServer {
		var masters int
		var mu sync.Mutex
		require.NoError(t, rdb.ForEachMaster(ctx, func(context.Context, *redis.Client) error {
			mu.Lock()
			masters++
			mu.Unlock()
			return nil
		}))
		require.Equal(t, 3, masters)
	} else {
		t.Log("miniredis: one node owns every slot; slots are compared, CROSSSLOT is not tested")
	}

	accounts := []string{"compliancely:a@example.com", "kyconnect:b@example.com", "icomply:c"}
	for _, acct := range accounts {
		key := tokencache.Key("p", "https://p.example", acct)
		require.NoError(t, f.Store().Save(ctx, key, sampleToken(time.Now())))
		tok, unlock, err := g.Store().LockOrLoad(ctx, key, func(*auth.Token) bool { return false })
		require.NoError(t, err)
		require.Nil(t, tok)
		// While g holds the lock, f's look (lock and token in one script)
		// sees the token.
		tok, unlockF, err := f.Store().LockOrLoad(ctx, key, func(*auth.Token) bool { return true })
		require.NoError(t, err)
		require.NotNil(t, tok)
		assert.Nil(t, unlockF)
		unlock()
		cd := f.CoolDown(acct)
		cd.Extend(ctx, time.Now().Add(time.Minute))
		assert.False(t, g.CoolDown(acct).Until(ctx).IsZero())
		require.NoError(t, f.Limiter(acct, ratelimit.Budget{Name: "requests", Limit: 100, Window: time.Second}).Wait(ctx, ratelimit.PriorityAPI))
	}
	assert.True(t, f.Stats().Shared && g.Stats().Shared)
	assert.Zero(t, f.Stats().RedisErrors+g.Stats().RedisErrors)

	ks := clusterKeys(t, rdb, p+"*")
	slots := map[string]map[int64]bool{} // hash tag -> slots of its keys
	for _, k := range ks {
		open, end := strings.IndexByte(k, '{'), strings.IndexByte(k, '}')
		require.True(t, open >= 0 && end > open+1, "key %q has a hash tag", k)
		tag := k[open+1 : end]
		slot, err := rdb.ClusterKeySlot(ctx, k).Result()
		require.NoError(t, err)
		if slots[tag] == nil {
			slots[tag] = map[int64]bool{}
		}
		slots[tag][slot] = true
	}
	require.GreaterOrEqual(t, len(slots), 2*len(accounts), "token and cool-down tags of every account")
	for tag, s := range slots {
		assert.Len(t, s, 1, "keys of %s span slots", tag)
	}

	// The control: keys of two accounts in one script are refused by a
	// real cluster.
	if cluster.Kind() == redisfleettest.RedisServer {
		var two []string
		seen := map[int64]bool{}
		for tag := range slots {
			k := p + "{" + tag + "}:x"
			if slot := rdb.ClusterKeySlot(ctx, k).Val(); !seen[slot] {
				seen[slot] = true
				two = append(two, k)
			}
		}
		require.GreaterOrEqual(t, len(two), 2)
		err := rdb.Eval(ctx, `return redis.call("MGET", KEYS[1], KEYS[2])`, two[:2]).Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "CROSSSLOT")
	}
}
