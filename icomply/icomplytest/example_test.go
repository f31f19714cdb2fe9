package icomplytest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
)

// Drive a client and the fake on one fake clock: an hour of token
// rotation runs in milliseconds, and the counters say what happened.
func ExampleNewServer() {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := icomplytest.NewServer(icomplytest.WithClock(clk))
	defer srv.Close()
	c, err := icomply.New(srv.Config(), providers.WithClock(clk))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // real time: longer than any wait on the fake clock
	defer cancel()

	for range 3 {
		if _, err := c.GetNaturalPerson(ctx, icomplytest.PersonPending); err != nil {
			panic(err)
		}
		clk.Advance(21 * time.Minute) // past the 20-minute lifetime
	}
	fmt.Println("logins:", srv.Logins())

	list := func() {
		if _, err := c.ListEntities(ctx, icomply.ListEntitiesParams{}); err != nil {
			panic(err)
		}
	}
	list()             // the last token ran out: a fourth login
	srv.ExpireTokens() // the provider drops the live token early:
	list()             // one 401, a fifth login, the request sent again
	fmt.Println("logins:", srv.Logins())
	fmt.Println("refused for an expired token:", srv.RejectedExpired())
	// Output:
	// logins: 3
	// logins: 5
	// refused for an expired token: 1
}
