package main

import (
	"context"
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
	r.expect(err == nil, "CheckAuth against %s: the credentials work%s", where, note(err))
	if s, ok := c.(interface{ Stats() providers.Stats }); ok {
		r.stats = s.Stats()
	}
	return r
}
