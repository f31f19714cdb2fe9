package tokencache_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/tokencache"
)

// BenchmarkCachedToken reads a valid cached token from many goroutines:
// the hot path every request takes. Baseline: oauth2.ReuseTokenSource.
func BenchmarkCachedToken(b *testing.B) {
	b.Run("unikyc", func(b *testing.B) {
		c := tokencache.New(func(context.Context) (*auth.Token, error) {
			return &auth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, nil
		})
		defer c.Close()
		ctx := context.Background()
		if _, err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("oauth2.ReuseTokenSource", func(b *testing.B) {
		src := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}))
		if _, err := src.Token(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := src.Token(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
