package main

import (
	"context"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// scenarios run each provider against its fake, in the table's order.
var scenarios = []struct {
	provider string
	run      scenario
}{
	{genericjwt.Name, runGenericJWT},
	{icomply.Name, runIComply},
	{"idenfy", runIDenfy},
	{"compliancely", runCompliancely},
	{"kyconnect", runKYConnect},
}

// account is the part of every provider's Client that tokenRun watches.
type account interface {
	Stats() providers.Stats
	TokenSource() tokencache.Source
}

// tokenRun is the common life of a token-based client: first login, calls
// on the cached token, a renewal ahead of expiry, a refused token
// recovered, a 429 waited out.
type tokenRun struct {
	*run
	conn     account
	call     func(ctx context.Context) error
	lifetime time.Duration
	// renewsBy is "refresh" for providers with refresh tokens, else "login".
	renewsBy string
	// refuse makes the provider refuse the current access token.
	refuse func()
	// limit429 answers the next call 429 with Retry-After retryAfter
	// ("" for none); the client must then wait at least wait429.
	limit429   func(retryAfter string)
	retryAfter string
	wait429    time.Duration
}

func (t *tokenRun) renewals(s providers.Stats) int64 {
	if t.renewsBy == "refresh" {
		return s.Refreshes
	}
	return s.Logins
}

func (t *tokenRun) play(ctx context.Context) bool {
	for i := 0; i < 5; i++ {
		if err := t.try(ctx, t.call); err != nil {
			t.err = err
			return false
		}
	}
	logins := t.conn.Stats().Logins
	t.expect(logins == 1, "5 calls, 1 login: the token is shared%s", unless(logins == 1, " (saw %d logins)", logins))

	tok, err := t.conn.TokenSource().Token(ctx)
	if err != nil {
		t.err = err
		return false
	}
	before := t.conn.Stats()
	ahead := t.lifetime / 20
	t.d.clk.Set(tok.Expiry.Add(-ahead)) // inside the soft window, outside the hard one
	err = t.try(ctx, t.call)
	renewed := err == nil && t.d.until(func() bool { return t.renewals(t.conn.Stats()) > t.renewals(before) })
	t.expect(renewed, "token renewed by a %s %s before expiry, in the background%s%s", t.renewsBy, ahead, note(err),
		unless(renewed, " (no %s within 5 s)", t.renewsBy))

	before = t.conn.Stats()
	t.refuse()
	err = t.try(ctx, t.call)
	after := t.conn.Stats()
	ok := err == nil && after.Invalidations == before.Invalidations+1 && t.renewals(after) == t.renewals(before)+1
	t.expect(ok, "refused token: one 401, a new token by %s, request replayed%s%s", t.renewsBy, note(err),
		unless(ok, " (saw %d 401s, %d new tokens by %s)", after.Invalidations-before.Invalidations,
			t.renewals(after)-t.renewals(before), t.renewsBy))

	before = t.conn.Stats()
	began := t.d.clk.Now()
	t.limit429(t.retryAfter)
	err = t.try(ctx, t.call)
	waited := t.d.clk.Now().Sub(began)
	what := "Retry-After: " + t.retryAfter
	if t.retryAfter == "" {
		what = "no Retry-After"
	}
	limited := t.conn.Stats().RateLimited - before.RateLimited
	ok = err == nil && limited == 1 && waited >= t.wait429
	t.expect(ok, "429 with %s: waited out, %s on the clock%s%s", what, waited.Round(time.Second), note(err),
		unless(ok, " (saw %d 429s, wanted a wait of at least %s)", limited, t.wait429))
	return true
}

func runGenericJWT(ctx context.Context, clk *clock.Fake) *run {
	r := newRun(genericjwt.Name, clk)
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk))
	defer srv.Close()
	defer r.d.close()
	c, err := genericjwt.New(srv.Config(), r.d.options()...)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	t := &tokenRun{run: r, conn: c, lifetime: genericjwttest.DefaultTokenLifetime, renewsBy: "login",
		call:     func(ctx context.Context) error { _, err := c.Me(ctx); return err },
		refuse:   srv.RevokeTokens,
		limit429: func(ra string) { srv.RateLimitNext("", 1, ra) }, retryAfter: "30", wait429: 30 * time.Second}
	t.play(ctx)
	r.stats = c.Stats()
	return r
}

func runIComply(ctx context.Context, clk *clock.Fake) *run {
	r := newRun(icomply.Name, clk)
	srv := icomplytest.NewServer(icomplytest.WithClock(clk))
	defer srv.Close()
	defer r.d.close()
	c, err := icomply.New(srv.Config(), r.d.options()...)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	t := &tokenRun{run: r, conn: c, lifetime: icomply.TokenLifetime, renewsBy: "login",
		call: func(ctx context.Context) error {
			_, err := c.ListEntities(ctx, icomply.ListEntitiesParams{Limit: 5})
			return err
		},
		refuse:   srv.RevokeTokens,
		limit429: func(ra string) { srv.RateLimitNext("", 1, ra) }, retryAfter: "30", wait429: 30 * time.Second}
	t.play(ctx)
	r.stats = c.Stats()
	return r
}
