package redisfleet_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/tokencache/redisfleet"
)

// newClient returns a Redis client for addr (the package's server when
// empty), closed when the test ends.
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	if addr == "" {
		addr = srv.Addr()
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// prefix returns a key prefix no other test uses, so tests can share a
// Redis (REDIS_ADDR included) without flushing it.
func prefix(t testing.TB) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return "test:" + name + ":" + hex.EncodeToString(b) + ":"
}

// newFleet returns a Fleet on its own Redis client under p.
func newFleet(t testing.TB, p string, opts ...redisfleet.Option) (*redisfleet.Fleet, *redis.Client) {
	t.Helper()
	rdb := newClient(t, "")
	f, err := redisfleet.New(rdb, append([]redisfleet.Option{redisfleet.WithPrefix(p)}, opts...)...)
	require.NoError(t, err)
	return f, rdb
}

// keys lists the keys under p (and redis_rate's "rate:"+p).
func keys(t testing.TB, rdb *redis.Client, p string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{p + "*", "rate:" + p + "*"} {
		ks, err := rdb.Keys(context.Background(), pat).Result()
		require.NoError(t, err)
		out = append(out, ks...)
	}
	return out
}

// testKey is a 32-byte AES key.
func testKey(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

// blackhole is a TCP listener that accepts connections and never answers:
// a Redis that is "slow" forever.
func blackhole(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// deadAddr is a loopback address where nothing listens.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// start is the fake clocks' first reading.
var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
