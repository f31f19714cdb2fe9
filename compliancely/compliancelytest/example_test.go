package compliancelytest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
)

// Point a client at the fake, break something, and assert what the client
// did about it.
func ExampleNewServer() {
	srv := compliancelytest.NewServer()
	defer srv.Close()
	c, err := compliancely.New(srv.Config(), providers.WithLimiter(nil))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub := &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme"}

	_, _ = c.CreateTaxExempt(ctx, sub)
	srv.RevokeAccessTokens() // the next call gets 401: the client refreshes once
	_, err = c.CreateTaxExempt(ctx, sub)
	fmt.Println(err, srv.Logins(), srv.Refreshes(), srv.Calls(compliancely.TaxExemptPath))

	srv.FailNext(compliancely.TaxExemptPath, 1, http.StatusNotFound, nil)
	_, err = c.CreateTaxExempt(ctx, sub)
	fmt.Println(errors.Is(err, providers.ErrNotFound))
	// Output:
	// <nil> 1 1 3
	// true
}
