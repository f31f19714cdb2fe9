package icomply

import (
	"context"
	"fmt"

	"github.com/unikyc/unikyc/providers"
)

// CheckAuth reports whether iComply accepts the client's credentials, with
// the cheapest call of each mode: with a username and password, GET
// /api/tokenvalid (CheckToken) about the token the client holds (a login
// first when it holds none); a token iComply no longer accepts is dropped
// and the check made once more with a new login, so that CheckAuth judges
// the credentials, not one token. With an API key, which has no check
// endpoint, a one-entity list (ListEntities with Limit 1). A refused login
// matches providers.ErrInvalidCredentials, a refused new token or key
// providers.ErrUnauthorized.
func (c *Client) CheckAuth(ctx context.Context) error {
	if c.apiKey {
		_, err := c.ListEntities(ctx, ListEntitiesParams{Limit: 1})
		return err
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.TokenSource().Token(ctx)
		if err != nil {
			return err
		}
		ok, err := c.CheckToken(ctx)
		if err != nil || ok {
			return err
		}
		if attempt > 0 {
			return fmt.Errorf("unikyc: %s: tokenvalid says the new token is not valid: %w", Name, providers.ErrUnauthorized)
		}
		c.TokenSource().Invalidate(tok)
	}
}
