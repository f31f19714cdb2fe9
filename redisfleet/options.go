package redisfleet

import (
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// This file is the fleet's one contact with package providers: the options
// that put a client in the fleet. Everything else in redisfleet is written
// against ratelimit and tokencache.

// Options returns what a provider's New needs to join the fleet: the
// store, a shared limiter for every budget the provider declares (through
// providers.WithLimiters) and a shared 429 cool-down, all named by account,
// the provider account the fleet shares, e.g. "compliancely:" + username;
// it is hashed before it is used in a key, but never pass a secret.
func (f *Fleet) Options(account string) []providers.Option {
	return []providers.Option{
		providers.WithStore(f.store),
		providers.WithLimiters(func(b ratelimit.Budget) ratelimit.Limiter { return f.Limiter(account, b) }),
		providers.WithCoolDown(f.CoolDown(account)),
	}
}
