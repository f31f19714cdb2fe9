package main

import (
	"context"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
)

// runCompliancely: the access+refresh pair, the 10-requests-a-minute
// throttle and the 10-minute penalty after a 429 without Retry-After.
func runCompliancely(ctx context.Context, clk *clock.Fake) *run {
	r := newRun(compliancely.Name, clk)
	srv := compliancelytest.NewServer(compliancelytest.WithClock(clk))
	defer srv.Close()
	defer r.d.close()
	c, err := compliancely.New(srv.Config(), r.d.options()...)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()

	get := func(ctx context.Context) error {
		_, err := c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme & Sons"})
		return err
	}
	err = r.try(ctx, get)
	if err != nil {
		r.err = err
		return r
	}
	t := &tokenRun{run: r, conn: c, lifetime: compliancely.AccessLifetime, renewsBy: "refresh",
		call:     get,
		refuse:   srv.RevokeAccessTokens,
		limit429: func(ra string) { srv.RateLimitNext("", 1, ra) },
		// Compliancely sends no Retry-After: the documented 10-minute penalty.
		retryAfter: "", wait429: compliancely.Penalty}
	if !t.play(ctx) {
		return r
	}

	// A burst: the client paces it at 10 a minute, so the provider's own
	// limit (and its 10-minute penalty) is never hit.
	waits, began := r.d.waits, clk.Now()
	for i := 0; i < 12 && err == nil; i++ {
		err = r.try(ctx, get)
	}
	worst := busiestMinute(srv.Hits())
	r.expect(err == nil && r.d.waits-waits >= 11 && srv.RateLimited() == 0 && worst <= 10,
		"12 calls paced at 10 a minute: %d throttled waits, %s on the clock, at most %d requests in any minute, no 429 from the provider%s",
		r.d.waits-waits, clk.Now().Sub(began).Round(time.Second), worst, note(err))
	r.stats = c.Stats()
	return r
}

// busiestMinute returns the most requests the fake saw in any 60 s.
func busiestMinute(hits []compliancelytest.Hit) int {
	worst := 0
	for i := range hits {
		n := 0
		for j := i; j < len(hits) && hits[j].At.Sub(hits[i].At) < time.Minute; j++ {
			n++
		}
		worst = max(worst, n)
	}
	return worst
}
