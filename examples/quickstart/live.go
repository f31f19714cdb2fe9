package main

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/unikyc/unikyc/providers"
	_ "github.com/unikyc/unikyc/providers/all" // every provider, for FromEnv
)

// live checks the credentials in UNIKYC_<PROVIDER>_* against the provider
// they point at, on the real clock.
func live(ctx context.Context, provider string, getenv func(string) string) *run {
	r := &run{provider: provider, mode: "live"}
	c, err := providers.FromEnvFunc(provider, getenv)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	where := provider
	if b, ok := c.(interface{ BaseURL() *url.URL }); ok {
		where = b.BaseURL().Host
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = c.CheckAuth(ctx)
	if err != nil {
		r.errors++
	}
	// The line states what happened, so that neither outcome reads as
	// the other ("FAIL … the credentials work").
	r.expect(err == nil, "%s", liveOutcome(where, err))
	if s, ok := c.(interface{ Stats() providers.Stats }); ok {
		r.stats = s.Stats()
	}
	return r
}

// liveOutcome says what a live CheckAuth found: the credentials accepted
// or refused, a rate limit, another answer, or no answer at all.
func liveOutcome(where string, err error) string {
	var pe *providers.Error
	head := "CheckAuth against " + where + ": "
	switch {
	case err == nil:
		return head + "credentials accepted"
	case errors.Is(err, providers.ErrInvalidCredentials) || errors.Is(err, providers.ErrUnauthorized):
		return head + "credentials refused: " + err.Error()
	case errors.Is(err, providers.ErrRateLimited):
		return head + "rate limited, credentials not checked: " + err.Error()
	case errors.As(err, &pe):
		return head + "the provider answered an error: " + err.Error()
	default:
		return head + "no answer: " + err.Error()
	}
}
