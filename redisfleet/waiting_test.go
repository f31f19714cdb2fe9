package redisfleet_test

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/redisfleet/redisfleettest"
	"github.com/unikyc/unikyc/tokencache"
)

// afterSave runs after once a replica's Save returned.
type afterSave struct {
	*redisfleet.Store
	after func()
}

func (s afterSave) Save(ctx context.Context, key string, t *auth.Token) error {
	err := s.Store.Save(ctx, key, t)
	s.after()
	return err
}

// fetch asks c for a token on its own goroutine and sends its access token.
func fetch(t *testing.T, c *tokencache.Cache, got chan<- string) {
	go func() {
		tok, err := c.Token(context.Background())
		if assert.NoError(t, err) {
			got <- tok.AccessToken
		} else {
			got <- ""
		}
	}()
}

// Rule: a timeout while another replica holds the lock means "keep waiting
// and read the token again", not "Redis is gone". B's look at the lock is
// answered 150 ms late (its timeout is 100 ms) while A logs in: B stays in
// shared mode and takes A's token.
func TestLateReplyWhileAnotherHoldsTheLockIsNotAnOutage(t *testing.T) {
	p := prefix(t)
	key := tokencache.Key("p", "https://p.example", "acct")
	login := newBlockingLogin()
	a, rdb := newFleet(t, p, redisfleet.WithEncryptionKey(testKey(4)))
	px := newProxy(t, srv.Addr())
	b, err := redisfleet.New(newClient(t, px.addr), redisfleet.WithPrefix(p), redisfleet.WithEncryptionKey(testKey(4)),
		redisfleet.WithTimeout(100*time.Millisecond))
	require.NoError(t, err)
	ca := tokencache.New(login.login, tokencache.WithStore(a.Store(), key))
	defer ca.Close()
	cb := tokencache.New(login.login, tokencache.WithStore(b.Store(), key))
	defer cb.Close()

	got := make(chan string, 2)
	fetch(t, ca, got)
	<-login.started // A holds the lock and logs in
	fetch(t, cb, got)
	subscribed(t, rdb, p, key, 1) // B waits for the lock
	px.Hold(150 * time.Millisecond)
	require.Eventually(t, func() bool { return b.Stats().LateReplies >= 1 }, 10*time.Second, time.Millisecond,
		"B's look at the lock timed out")
	close(login.release)

	first, second := <-got, <-got
	assert.Equal(t, first, second, "B took A's token")
	assert.EqualValues(t, 1, login.n.Load(), "one login")
	st := b.Stats()
	assert.True(t, st.Shared, "B is still in shared mode")
	assert.Zero(t, st.Degradations)
	assert.EqualValues(t, 1, px.held.Load())
	assert.EqualValues(t, 1, cb.Stats().StoreHits)
}

// Rule: a replica waiting for the lock when Redis dies does not log in
// while the token another replica saved is within its reach. Redis is
// killed right after A saved its token and before A lets go of the lock;
// B, still waiting, has the token the save handed over, and a new cache in
// B's process finds it in B's local store once B is in local mode.
func TestWaiterKeepsTheTokenHandedOverWhenRedisDies(t *testing.T) {
	own, err := redisfleettest.StartOwn()
	require.NoError(t, err)
	defer own.Close()
	p := prefix(t)
	key := tokencache.Key("p", "https://p.example", "acct")
	login := newBlockingLogin()
	opts := []redisfleet.Option{redisfleet.WithPrefix(p), redisfleet.WithEncryptionKey(testKey(4)),
		redisfleet.WithTimeout(100 * time.Millisecond), redisfleet.WithProbeInterval(time.Hour)}
	a, err := redisfleet.New(newClient(t, own.Addr()), opts...)
	require.NoError(t, err)
	px := newProxy(t, own.Addr())
	b, err := redisfleet.New(newClient(t, px.addr), opts...)
	require.NoError(t, err)

	// The save is passed on to B (the message is in B's socket), then Redis
	// is killed: A still holds the lock, B still waits for it.
	delivered := make(chan struct{})
	var once sync.Once
	seen := func(chunk []byte) {
		if bytes.Contains(chunk, []byte("message")) && bytes.Contains(chunk, []byte("}:saved")) {
			once.Do(func() { close(delivered) })
		}
	}
	px.onReply.Store(&seen)
	kill := func() {
		select {
		case <-delivered:
		case <-time.After(10 * time.Second):
			t.Error("the save never reached B")
		}
		assert.NoError(t, own.Stop())
	}
	ca := tokencache.New(login.login, tokencache.WithStore(afterSave{a.Store(), kill}, key))
	defer ca.Close()
	cb := tokencache.New(login.login, tokencache.WithStore(b.Store(), key))
	defer cb.Close()

	got := make(chan string, 2)
	fetch(t, ca, got)
	<-login.started
	fetch(t, cb, got)
	subscribed(t, newClient(t, own.Addr()), p, key, 1)
	close(login.release)
	first, second := <-got, <-got
	require.NotEmpty(t, first)
	assert.Equal(t, first, second, "B has A's token")
	assert.EqualValues(t, 1, login.n.Load(), "B did not log in")

	// Redis is gone; another cache of B's process is served from B's
	// local store, without a login.
	cb2 := tokencache.New(login.login, tokencache.WithStore(b.Store(), key))
	defer cb2.Close()
	tok, err := cb2.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, first, tok.AccessToken)
	assert.False(t, b.Stats().Shared, "B noticed the outage")
	assert.EqualValues(t, 1, login.n.Load())
}

// Rule: a replica that still holds a valid token and waits for the lock
// of a refresh when Redis dies keeps its token (and tries again after its
// backoff) instead of logging in at once: the holder may have a token it
// cannot reach.
func TestWaiterWithValidTokenDoesNotLogInWhenRedisDies(t *testing.T) {
	own, err := redisfleettest.StartOwn()
	require.NoError(t, err)
	defer own.Close()
	p := prefix(t)
	key := tokencache.Key("p", "https://p.example", "acct")
	clk := clock.NewFake(start)
	var logins atomic.Int64
	release := make(chan struct{})
	login := func(ctx context.Context) (*auth.Token, error) {
		if logins.Add(1) > 1 { // every login after the first answers when the test says
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return &auth.Token{AccessToken: "tok-" + clk.Now().String(), Expiry: clk.Now().Add(time.Hour)}, nil
	}
	var fleets []*redisfleet.Fleet
	var caches []*tokencache.Cache
	// The soft window's timer starts a refresh by itself, and a soft
	// window takes at most a quarter of the lifetime: A's opens first (at
	// 45 min), B's later (at 50 min), so A is the one that holds the lock
	// and B the one that waits for it.
	for _, soft := range []time.Duration{15 * time.Minute, 10 * time.Minute} {
		f, err := redisfleet.New(redis.NewClient(&redis.Options{Addr: own.Addr()}), redisfleet.WithPrefix(p),
			redisfleet.WithClock(clk), redisfleet.WithEncryptionKey(testKey(4)), redisfleet.WithTimeout(100*time.Millisecond))
		require.NoError(t, err)
		c := tokencache.New(login, tokencache.WithStore(f.Store(), key), tokencache.WithClock(clk),
			tokencache.WithSoftWindow(soft), tokencache.WithJitter(0))
		defer c.Close()
		fleets, caches = append(fleets, f), append(caches, c)
	}
	ctx := context.Background()
	a, b := caches[0], caches[1]
	t1, err := a.Token(ctx)
	require.NoError(t, err)
	tb, err := b.Token(ctx)
	require.NoError(t, err)
	require.Equal(t, t1.AccessToken, tb.AccessToken)

	// A enters its soft window and refreshes (its login hangs); then B
	// enters its own and waits for A's lock, serving t1 meanwhile.
	clk.Advance(46 * time.Minute)
	_, err = a.Token(ctx)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return logins.Load() == 2 }, 10*time.Second, time.Millisecond)
	clk.Advance(5 * time.Minute)
	tb, err = b.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, t1.AccessToken, tb.AccessToken)
	subscribed(t, newClient(t, own.Addr()), p, key, 1)

	require.NoError(t, own.Stop())
	require.Eventually(t, func() bool { return b.Stats().Failures == 1 }, 10*time.Second, time.Millisecond,
		"B's refresh gave up")
	tb, err = b.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, t1.AccessToken, tb.AccessToken, "B keeps its valid token")
	assert.EqualValues(t, 2, logins.Load(), "B did not log in")
	assert.Zero(t, b.Stats().Logins)
	assert.False(t, fleets[1].Stats().Shared)
	close(release)
}
