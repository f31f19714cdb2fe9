package tokencache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/tokencache"
)

// A provider writes its login (and, if it has one, its refresh); the cache
// does the rest: one login for every caller, refresh tokens first.
func ExampleNew() {
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	logins, refreshes := 0, 0
	login := func(context.Context) (*auth.Token, error) {
		logins++
		return &auth.Token{AccessToken: "a", Expiry: clk.Now().Add(time.Hour),
			RefreshToken: "r", RefreshExpiry: clk.Now().Add(24 * time.Hour)}, nil
	}
	refresh := func(_ context.Context, rt string) (*auth.Token, error) {
		refreshes++
		return &auth.Token{AccessToken: "b", Expiry: clk.Now().Add(time.Hour), RefreshToken: rt}, nil
	}
	c := tokencache.New(login, tokencache.WithRefresh(refresh), tokencache.WithClock(clk))
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // real time: longer than any wait on the fake clock
	defer cancel()
	for i := 0; i < 100; i++ {
		_, _ = c.Token(ctx)
	}
	clk.Advance(time.Hour) // expired: the next caller waits for one refresh
	tok, _ := c.Token(ctx)
	fmt.Println(tok.AccessToken, logins, refreshes)
	// Output: b 1 1
}
