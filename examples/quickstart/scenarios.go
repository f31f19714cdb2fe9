package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

var scenarios = []scenario{runGenericJWT, runIComply, runIDenfy}

// tokenRun is the common life of a token-based client: first login, calls
// on the cached token, a refresh ahead of expiry, a revoked token
// recovered, a 429 waited out.
type tokenRun struct {
	*run
	clk      *clock.Fake
	conn     *providers.Conn
	call     func() error
	lifetime time.Duration
	revoke   func()
	limit429 func(retryAfter string)
}

func (t *tokenRun) play() {
	for i := 0; i < 5; i++ {
		if err := t.call(); err != nil {
			t.err = err
			return
		}
	}
	t.expect(t.conn.Stats().Logins == 1, "5 calls, 1 login: the token is shared")

	before := t.conn.Stats()
	t.clk.Advance(t.lifetime - t.lifetime/20) // inside the soft window, before expiry
	if err := t.call(); err != nil {
		t.err = err
		return
	}
	renewed := waitFor(func() bool {
		s := t.conn.Stats()
		return s.Logins+s.Refreshes > before.Logins+before.Refreshes
	})
	t.expect(renewed, "token renewed ahead of expiry, in the background")

	t.revoke()
	err := t.call()
	t.expect(err == nil && t.conn.Stats().Invalidations == 1, "revoked token: one 401, new token, request replayed%s", note(err))

	t.limit429("30")
	err = throttled(t.clk, 30*time.Second, t.call)
	t.expect(err == nil && t.conn.Stats().RateLimited == 1, "429 with Retry-After: 30 waited out on the clock%s", note(err))
	t.stats = t.conn.Stats()
}

func runGenericJWT(ctx context.Context, clk *clock.Fake) *run {
	r := &run{provider: "genericjwt"}
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk))
	defer srv.Close()
	c, err := genericjwt.New(srv.Config(), providers.WithClock(clk), fastRetries)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	t := &tokenRun{run: r, clk: clk, conn: c.Conn, lifetime: genericjwttest.DefaultTokenLifetime,
		call:     func() error { _, err := c.Me(ctx); return err },
		revoke:   srv.RevokeTokens,
		limit429: func(ra string) { srv.RateLimitNext("", 1, ra) }}
	t.play()
	return r
}

func runIComply(ctx context.Context, clk *clock.Fake) *run {
	r := &run{provider: "icomply"}
	srv := icomplytest.NewServer(icomplytest.WithClock(clk))
	defer srv.Close()
	c, err := icomply.New(srv.Config(), providers.WithClock(clk), fastRetries)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	t := &tokenRun{run: r, clk: clk, conn: c.Conn, lifetime: 20 * time.Minute,
		call: func() error {
			_, err := c.ListEntities(ctx, icomply.ListEntitiesParams{Limit: 5})
			return err
		},
		revoke:   srv.RevokeTokens,
		limit429: func(ra string) { srv.RateLimitNext("", 1, ra) }}
	t.play()
	return r
}

func runIDenfy(ctx context.Context, clk *clock.Fake) *run {
	r := &run{provider: "idenfy"}
	srv := idenfytest.NewServer(idenfytest.WithClock(clk))
	defer srv.Close()
	c, err := idenfy.New(srv.Config(), providers.WithClock(clk), fastRetries)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()

	kyb, err := c.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{
		TokenType: idenfy.KYBTokenForm, ClientID: "company-42", Tags: []string{"onboarding"},
		Questionnaire: idenfy.Null[string](),
	})
	r.expect(err == nil && kyb != nil && kyb.TokenString != "", "KYB token generated (201)%s", note(err))

	before := srv.Requests()
	_, err = c.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{TokenType: idenfy.KYBTokenForm, ClientID: "c", Tags: []string{"a,b"}})
	var ve *providers.ValidationError
	r.expect(errors.As(err, &ve) && srv.Requests() == before, "a tag with a comma is refused before sending%s", note(err))

	tok, err := c.CreateVerificationToken(ctx, idenfy.CreateVerificationTokenParams{ClientID: "person-7"})
	if err != nil {
		r.err = err
		return r
	}
	srv.SetStatus(tok.ScanRef, idenfy.StatusApproved)
	cb, _ := srv.Callback(tok.ScanRef)
	verified := make(chan *idenfy.KYCCallback, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got, err := idenfy.ParseWebhook(req, srv.WebhookKey())
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		verified <- got
	}))
	defer hook.Close()
	err = srv.SendWebhook(ctx, hook.URL, cb)
	var got *idenfy.KYCCallback
	if err == nil {
		got = <-verified
	}
	r.expect(got != nil && got.ScanRef == tok.ScanRef, "signed webhook verified%s", note(err))

	srv.RateLimitNext(1, "30")
	err = throttled(clk, 30*time.Second, func() error { _, err := c.Status(ctx, tok.ScanRef); return err })
	r.expect(err == nil && c.Stats().RateLimited == 1, "429 with Retry-After: 30 waited out on the clock%s", note(err))
	r.stats = c.Stats()
	return r
}
