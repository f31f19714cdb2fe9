package icomply

import (
	"context"
	"fmt"

	"github.com/unikyc/unikyc/providers"
)

// CheckAuth reports whether iComply accepts the client's credentials, with
// the cheapest call of each mode: with a username and password, a login
// and GET /api/tokenvalid (CheckToken); with an API key, which has no check
// endpoint, a one-entity list (ListEntities with Limit 1). A refused login
// matches providers.ErrInvalidCredentials, a refused token or key
// providers.ErrUnauthorized.
func (c *Client) CheckAuth(ctx context.Context) error {
	if c.apiKey {
		_, err := c.ListEntities(ctx, ListEntitiesParams{Limit: 1})
		return err
	}
	ok, err := c.CheckToken(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("unikyc: %s: tokenvalid says the new token is not valid: %w", Name, providers.ErrUnauthorized)
	}
	return nil
}
