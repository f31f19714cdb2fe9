package idenfytest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

// Test your own code against the fake: point an idenfy client at it, drive
// time with a fake clock, and inject faults.
func ExampleNewServer() {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := idenfytest.NewServer(idenfytest.WithClock(clk))
	defer srv.Close()
	// On a fake clock the client's pacing (burst 5, then one per 360 ms of
	// fake time) would wait for the clock: turn it off for unit tests.
	client, err := idenfy.New(srv.Config(), providers.WithClock(clk), providers.WithLimiter(nil))
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // real time: longer than any wait on the fake clock
	defer cancel()

	tok, _ := client.CreateVerificationToken(ctx, idenfy.CreateVerificationTokenParams{ClientID: "user-1"})
	srv.SetStatus(tok.ScanRef, idenfy.StatusApproved) // the user finished and was approved
	st, _ := client.Status(ctx, tok.ScanRef)
	fmt.Println(st.Status)

	kyb, _ := client.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{TokenType: idenfy.KYBTokenForm, ClientID: "c-1"})
	clk.Advance(time.Hour) // the default KYB lifetime
	_, err = client.UpdateKYBToken(ctx, kyb.TokenString, idenfy.UpdateKYBTokenParams{Tags: []string{"late"}})
	fmt.Println(errors.Is(err, idenfy.ErrTokenNotValid))

	srv.FailNextWith("", 1, 400, idenfy.CodeBadValue, "bad value")
	_, err = client.Status(ctx, tok.ScanRef)
	fmt.Println(errors.Is(err, providers.ErrValidation), srv.Requests())
	// Output:
	// APPROVED
	// true
	// true 5
}
