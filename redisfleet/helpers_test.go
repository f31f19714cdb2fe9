package redisfleet_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
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

// keys lists the keys under p.
func keys(t testing.TB, rdb *redis.Client, p string) []string {
	t.Helper()
	ks, err := rdb.Keys(context.Background(), p+"*").Result()
	require.NoError(t, err)
	return ks
}

// requestBudget replaces the provider's account-wide budget with limit
// requests a window, shared by the fleet: for tests on the real clock that
// must not wait out a provider's real budget.
func requestBudget(f *redisfleet.Fleet, account string, limit int, window time.Duration) providers.Option {
	return providers.WithLimiter(f.Limiter(account, ratelimit.Budget{Name: "requests", Limit: limit, Window: window}))
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

// proxy is a TCP proxy in front of a Redis. Hold makes the next chunk
// Redis sends (on any connection) wait before it is passed on: one late
// reply. OnReply sees every chunk once it was passed on to the client.
type proxy struct {
	addr    string
	hold    atomic.Int64 // nanoseconds; taken by the next chunk
	held    atomic.Int64 // chunks held so far
	onReply atomic.Pointer[func([]byte)]
}

func newProxy(t testing.TB, upstream string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{addr: l.Addr().String()}
	var (
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
		wg     sync.WaitGroup
	)
	track := func(cs ...net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			for _, c := range cs {
				_ = c.Close()
			}
			return false
		}
		conns = append(conns, cs...)
		return true
	}
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = c.Close() // Redis is gone: so is the connection
				continue
			}
			if !track(c, u) {
				return
			}
			wg.Go(func() {
				_, _ = io.Copy(u, c)
				_ = u.Close()
				_ = c.Close()
			})
			wg.Go(func() {
				p.pipe(c, u)
				_ = c.Close()
				_ = u.Close()
			})
		}
	})
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}

// Hold delays the next chunk from Redis by d.
func (p *proxy) Hold(d time.Duration) { p.hold.Store(int64(d)) }

func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := p.hold.Swap(0); d > 0 {
				p.held.Add(1)
				time.Sleep(time.Duration(d)) // the late reply itself
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			if f := p.onReply.Load(); f != nil {
				(*f)(buf[:n])
			}
		}
		if err != nil {
			return
		}
	}
}

// blockingLogin is a provider's login that the test lets answer: it counts
// logins, reports each start on started, and answers when release closes.
type blockingLogin struct {
	n       atomic.Int64
	started chan struct{}
	release chan struct{}
}

func newBlockingLogin() *blockingLogin {
	return &blockingLogin{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (l *blockingLogin) login(ctx context.Context) (*auth.Token, error) {
	n := l.n.Add(1)
	l.started <- struct{}{}
	select {
	case <-l.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &auth.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
}

// subscribed waits until n clients listen for saves of the store key.
func subscribed(t testing.TB, rdb *redis.Client, p, key string, n int64) {
	t.Helper()
	ch := p + "{" + key + "}:saved"
	require.Eventually(t, func() bool {
		m, err := rdb.PubSubNumSub(context.Background(), ch).Result()
		return err == nil && m[ch] >= n
	}, 10*time.Second, time.Millisecond, "waiters subscribed")
}
