package redisdedupe_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/webhook"
	"github.com/unikyc/unikyc/webhook/redisdedupe"
)

func newStore(t *testing.T) (*redisdedupe.Store, *redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "test:" + strings.ReplaceAll(t.Name(), "/", "_") + ":" + hex.EncodeToString(b) + ":"
	s, err := redisdedupe.New(rdb, redisdedupe.WithPrefix(prefix))
	require.NoError(t, err)
	return s, rdb, prefix
}

func TestClaimIsOneSetNXWithATTL(t *testing.T) {
	s, rdb, prefix := newStore(t)
	ctx := context.Background()
	ok, err := s.Claim(ctx, "scan-1/IDENTIFICATION_AUTO_FINISHED/false", 90*time.Second)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = s.Claim(ctx, "scan-1/IDENTIFICATION_AUTO_FINISHED/false", 90*time.Second)
	require.NoError(t, err)
	assert.False(t, ok, "held")
	ok, err = s.Claim(ctx, "scan-1/IDENTIFICATION_MANUAL_FINISHED/true", 90*time.Second)
	require.NoError(t, err)
	assert.True(t, ok, "another event of the same scan")

	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Contains(t, keys, s.Key("scan-1/IDENTIFICATION_MANUAL_FINISHED/true"))
	for _, k := range keys {
		assert.Regexp(t, "^"+prefix+"[0-9a-f]{64}$", k, "no scan reference in Redis")
		ttl, err := rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.True(t, ttl > 80*time.Second && ttl <= 90*time.Second, "PX set: %v", ttl)
	}

	// Milliseconds are kept (PX, not EX): 1.5 s is not rounded to 1 or 2.
	ok, err = s.Claim(ctx, "ms", 1500*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	ttl, err := rdb.PTTL(ctx, s.Key("ms")).Result()
	require.NoError(t, err)
	assert.True(t, ttl > 1000*time.Millisecond && ttl <= 1500*time.Millisecond, "PX 1500: %v", ttl)

	require.NoError(t, s.Release(ctx, "scan-1/IDENTIFICATION_AUTO_FINISHED/false"))
	require.NoError(t, s.Release(ctx, "never-claimed"))
	ok, err = s.Claim(ctx, "scan-1/IDENTIFICATION_AUTO_FINISHED/false", 90*time.Second)
	require.NoError(t, err)
	assert.True(t, ok, "free again after a release")
}

// Rule: a claim expires after its TTL. Redis's own expiry (a real wait of
// a few milliseconds past a 20 ms TTL; on miniredis FastForward is not
// reachable from here, so the wait is real there too).
func TestClaimExpires(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	ok, err := s.Claim(ctx, "k", 20*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	require.Eventually(t, func() bool {
		ok, err := s.Claim(ctx, "k", time.Hour)
		return err == nil && ok
	}, 10*time.Second, 5*time.Millisecond)
}

// Rule: 100 replicas (clients) claiming one event at once: one wins.
func TestConcurrentClaimsAcrossClients(t *testing.T) {
	_, _, prefix := newStore(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	stores := make([]*redisdedupe.Store, 4)
	for i := range stores {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		stores[i], _ = redisdedupe.New(rdb, redisdedupe.WithPrefix(prefix))
	}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := stores[i%len(stores)].Claim(context.Background(), "one-event", time.Minute)
			assert.NoError(t, err)
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
}

// A Redis that is down is an error (the Receiver answers 503), never a
// "free" claim, and its text has one prefix.
func TestRedisDownIsAnError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	s, err := redisdedupe.New(rdb)
	require.NoError(t, err)
	ok, err := s.Claim(context.Background(), "k", time.Minute)
	require.Error(t, err)
	assert.False(t, ok)
	assert.Equal(t, 1, strings.Count(err.Error(), "unikyc:"), err.Error())
	assert.Equal(t, "redisdedupe.Store(prefix=unikyc:webhook:)", fmt.Sprint(s))
	_, err = redisdedupe.New(nil)
	require.Error(t, err)
}

// Two receivers (two replicas) on one Redis: a replayed delivery that
// reaches the other replica does not run the handler again.
func TestReplicasShareClaims(t *testing.T) {
	s1, _, prefix := newStore(t)
	rdb2 := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb2.Close() })
	s2, err := redisdedupe.New(rdb2, redisdedupe.WithPrefix(prefix))
	require.NoError(t, err)

	var calls atomic.Int32
	fn := func(context.Context, webhook.Event) error { calls.Add(1); return nil }
	p := hmacProvider{key: []byte("k")}
	r1, err := webhook.NewReceiver(p, fn, webhook.WithStore(s1))
	require.NoError(t, err)
	r2, err := webhook.NewReceiver(p, fn, webhook.WithStore(s2))
	require.NoError(t, err)
	defer r1.Close(context.Background())
	defer r2.Close(context.Background())

	body := []byte(`{"id":"evt-1"}`)
	for _, r := range []*webhook.Receiver{r1, r2, r1, r2} {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Sig", hex.EncodeToString(p.mac(body)))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		assert.Equal(t, http.StatusOK, w.Code)
	}
	assert.Equal(t, int32(1), calls.Load())
}

type hmacProvider struct{ key []byte }

func (p hmacProvider) mac(b []byte) []byte {
	h := hmac.New(sha256.New, p.key)
	h.Write(b)
	return h.Sum(nil)
}
func (hmacProvider) Name() string { return "test" }
func (hmacProvider) Delivery() webhook.Delivery {
	return webhook.Delivery{MaxBody: 1 << 10, Deadline: 10 * time.Second, Retries: -1}
}
func (p hmacProvider) Verify(h http.Header, b []byte) error {
	got, err := hex.DecodeString(h.Get("X-Sig"))
	if err != nil || !hmac.Equal(got, p.mac(b)) {
		return webhook.ErrBadSignature
	}
	return nil
}

type idEvent struct {
	ID string `json:"id"`
}

func (idEvent) Provider() string    { return "test" }
func (idEvent) Type() string        { return "test" }
func (e idEvent) DedupeKey() string { return e.ID }

func (hmacProvider) Decode(_ http.Header, b []byte) (webhook.Event, error) {
	var ev idEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, errors.New("unikyc: test: not an event")
	}
	return ev, nil
}
