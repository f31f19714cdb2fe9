package compliancely_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
)

// Submit a TIN check. Against the real API, build the Config from your
// secrets store: compliancely.Config{Username: …, Password: auth.Secret(…)}.
func Example() {
	srv := compliancelytest.NewServer()
	defer srv.Close()

	// The examples skip the 10-a-minute pacing (6 s between requests) to
	// run fast; never do so against Compliancely.
	c, err := compliancely.New(srv.Config(), providers.WithLimiter(nil))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "111232319", Name: "Zenwork"})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.ID, s.Status)
	fmt.Println("logins:", srv.Logins())
	// Output:
	// 1 Pending
	// logins: 1
}

// Check the token's health before a large batch.
func ExampleClient_ValidateToken() {
	srv := compliancelytest.NewServer()
	defer srv.Close()
	c, err := compliancely.New(srv.Config(), providers.WithLimiter(nil))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.ValidateToken(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Valid, st.Status, st.Remaining > 59*time.Minute)
	// Output: true valid true
}

// Invalid credentials are final: the client never logs in with them again.
func ExampleNew_invalidCredentials() {
	srv := compliancelytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Password = "wrong"
	c, err := compliancely.New(cfg, providers.WithLimiter(nil))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		_, err = c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "123456789"})
		fmt.Println(errors.Is(err, providers.ErrInvalidCredentials), err)
	}
	fmt.Println("login attempts:", srv.Calls(compliancely.DefaultLoginPath))
	// Output:
	// true unikyc: compliancely login: 401 Unauthorized (no_active_account)
	// true unikyc: compliancely login: 401 Unauthorized (no_active_account)
	// true unikyc: compliancely login: 401 Unauthorized (no_active_account)
	// login attempts: 1
}

// Test your own service's token handling against the fake: a fake clock
// runs token lifetimes, and knobs break things on purpose.
func ExampleClient_rotation() {
	clk := clock.NewFake(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	srv := compliancelytest.NewServer(compliancelytest.WithClock(clk))
	defer srv.Close()
	c, err := compliancely.New(srv.Config(), providers.WithClock(clk), providers.WithLimiter(nil))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // real time: longer than any wait on the fake clock
	defer cancel()
	sub := &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme"}

	_, _ = c.CreateTaxExempt(ctx, sub) // logs in
	clk.Advance(61 * time.Minute)      // the access token expired
	_, _ = c.CreateTaxExempt(ctx, sub) // refreshes
	srv.RevokeTokens()                 // both tokens refused
	_, err = c.CreateTaxExempt(ctx, sub)
	fmt.Println(err, "logins:", srv.Logins(), "refreshes:", srv.Refreshes())
	// Output: <nil> logins: 2 refreshes: 1
}
