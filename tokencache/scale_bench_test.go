package tokencache_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/tokencache"
)

// BenchmarkCachedTokenScale is the cost of reading a valid cached token as
// the number of goroutines reading it grows: 1, 64 and 1,024, each doing
// its share of b.N reads. Baseline: oauth2.ReuseTokenSource, which takes a
// mutex on every read. ns/op is wall time per read across all goroutines.
func BenchmarkCachedTokenScale(b *testing.B) {
	for _, g := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			b.Run("unikyc", func(b *testing.B) {
				c := tokencache.New(func(context.Context) (*auth.Token, error) {
					return &auth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, nil
				})
				defer c.Close()
				ctx := context.Background()
				if _, err := c.Token(ctx); err != nil {
					b.Fatal(err)
				}
				readers(b, g, func() error { _, err := c.Token(ctx); return err })
			})
			b.Run("oauth2.ReuseTokenSource", func(b *testing.B) {
				src := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}))
				if _, err := src.Token(); err != nil {
					b.Fatal(err)
				}
				readers(b, g, func() error { _, err := src.Token(); return err })
			})
		})
	}
}

// readers runs b.N calls of read split over g goroutines that start
// together; each counts its own share, so no shared counter skews the
// cost of a read that is itself a few nanoseconds.
func readers(b *testing.B, g int, read func() error) {
	b.ReportAllocs()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range g {
		n := b.N / g
		if i < b.N%g {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range n {
				if err := read(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	b.ResetTimer()
	close(start)
	wg.Wait()
}
