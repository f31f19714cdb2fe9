package redisfleet_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"time"

	"github.com/unikyc/unikyc/ratelimit"
)

// BenchmarkFleetReplicas is the shared limiter's Wait as the fleet grows:
// 1, 5 and 20 replicas, each with its own Redis client and Fleet, all
// pacing one account, with requests spread over them from parallel
// goroutines. The limit never binds: it measures the cost of sharing.
func BenchmarkFleetReplicas(b *testing.B) {
	budget := ratelimit.Budget{Name: "bench", Limit: 1 << 20, Window: time.Millisecond, Margin: -1}
	ctx := context.Background()
	for _, n := range []int{1, 5, 20} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			p := prefix(b)
			limiters := make([]ratelimit.Limiter, n)
			for i := range limiters {
				f, _ := newFleet(b, p)
				limiters[i] = f.Limiter("bench", budget)
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				l := limiters[int(next.Add(1))%n]
				for pb.Next() {
					if err := l.Wait(ctx, ratelimit.PriorityAPI); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
