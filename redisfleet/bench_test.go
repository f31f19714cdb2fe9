package redisfleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/unikyc/unikyc/ratelimit"
	"github.com/unikyc/unikyc/redisfleet"
	"github.com/unikyc/unikyc/tokencache"
)

// BenchmarkLimiterWait is one Wait that never has to wait: what the
// throttle layer adds to each request. Baseline: the local limiter.
func BenchmarkLimiterWait(b *testing.B) {
	// Never waits: a short span keeps the log small. It measures the round trip.
	budget := ratelimit.Budget{Name: "bench", Limit: 1 << 20, Window: time.Millisecond, Margin: -1}
	ctx := context.Background()
	b.Run("local", func(b *testing.B) {
		l := ratelimit.NewWindowLimiter(budget, nil)
		b.ReportAllocs()
		for b.Loop() {
			if err := l.Wait(ctx, ratelimit.PriorityAPI); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("shared", func(b *testing.B) {
		f, _ := newFleet(b, prefix(b))
		l := f.Limiter("bench", budget)
		b.ReportAllocs()
		for b.Loop() {
			if err := l.Wait(ctx, ratelimit.PriorityAPI); err != nil {
				b.Fatal(err)
			}
		}
		if f.Stats().RedisErrors > 0 {
			b.Fatal("Redis failed during the benchmark")
		}
	})
}

// BenchmarkStoreRoundTrip is one Save and one Load of a token, which the
// token cache does once per refresh. Baseline: the in-memory store.
func BenchmarkStoreRoundTrip(b *testing.B) {
	ctx := context.Background()
	tok := sampleToken(time.Now())
	key := tokencache.Key("bench", "https://bench.example", "acct")
	run := func(b *testing.B, s tokencache.Store) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Save(ctx, key, tok); err != nil {
				b.Fatal(err)
			}
			if got, err := s.Load(ctx, key); err != nil || got == nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("memory", func(b *testing.B) { run(b, tokencache.NewMemoryStore()) })
	b.Run("redis", func(b *testing.B) {
		f, _ := newFleet(b, prefix(b))
		run(b, f.Store())
	})
	b.Run("redis-encrypted", func(b *testing.B) {
		f, _ := newFleet(b, prefix(b), redisfleet.WithEncryptionKey(testKey(1)))
		run(b, f.Store())
	})
}
