package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

// runIDenfy: no login (Basic key pair), a KYB token, a refused tag, a
// signed webhook, a 429.
func runIDenfy(ctx context.Context, clk *clock.Fake) *run {
	r := newRun(idenfy.Name, clk)
	srv := idenfytest.NewServer(idenfytest.WithClock(clk))
	defer srv.Close()
	defer r.d.close()
	c, err := idenfy.New(srv.Config(), r.d.options()...)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()

	var kyb *idenfy.KYBToken
	err = r.try(ctx, func(ctx context.Context) (err error) {
		kyb, err = c.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{
			TokenType: idenfy.KYBTokenForm, ClientID: "company-42", Tags: []string{"onboarding"},
			Questionnaire: idenfy.Null[string](),
		})
		return err
	})
	r.expect(err == nil && kyb != nil && kyb.TokenString != "", "KYB token generated (201)%s", note(err))

	before := srv.Requests()
	err = r.try(ctx, func(ctx context.Context) error {
		_, err := c.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{TokenType: idenfy.KYBTokenForm, ClientID: "c", Tags: []string{"a,b"}})
		return err
	})
	var ve *providers.ValidationError
	r.expect(errors.As(err, &ve) && srv.Requests() == before, "a tag with a comma is refused before sending%s", note(err))

	var tok *idenfy.VerificationToken
	err = r.try(ctx, func(ctx context.Context) (err error) {
		tok, err = c.CreateVerificationToken(ctx, idenfy.CreateVerificationTokenParams{ClientID: "person-7"})
		return err
	})
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
	r.expect(got != nil && got.ScanRef == tok.ScanRef && got.Status.Overall == idenfy.StatusApproved,
		"signed webhook verified: APPROVED%s", note(err))

	srv.RateLimitNext("", 1, "30")
	began := clk.Now()
	err = r.try(ctx, func(ctx context.Context) error { _, err := c.Status(ctx, tok.ScanRef); return err })
	waited := clk.Now().Sub(began)
	r.expect(err == nil && c.Stats().RateLimited == 1 && waited >= 30*time.Second,
		"429 with Retry-After: 30: waited out, %s on the clock%s", waited.Round(time.Second), note(err))
	r.stats = c.Stats()
	return r
}
