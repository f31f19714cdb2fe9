package kyconnect

import "context"

// CheckAuth reports whether KYConnect accepts the account, with its
// cheapest authenticated call, GET /auth/me (Me), after a login in login
// mode. A refused login matches providers.ErrInvalidCredentials, a refused
// API key providers.ErrUnauthorized.
func (c *Client) CheckAuth(ctx context.Context) error {
	_, err := c.Me(ctx)
	return err
}
