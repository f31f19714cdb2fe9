package compliancely

import (
	"context"
	"fmt"

	"github.com/unikyc/unikyc/providers"
)

// CheckAuth reports whether Compliancely accepts the account: it logs in
// when the client holds no token yet, and asks ValidateToken about the
// token, two of the ten requests a minute. A token the provider no longer
// accepts is dropped and the check made once more with a new one
// (refreshed, else logged in), so that CheckAuth judges the credentials,
// not one token. A refused login matches providers.ErrInvalidCredentials;
// a new token called invalid too matches providers.ErrUnauthorized.
func (c *Client) CheckAuth(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.TokenSource().Token(ctx)
		if err != nil {
			return err
		}
		st, err := c.ValidateToken(ctx)
		if err != nil {
			return err
		}
		if st.Valid {
			return nil
		}
		if attempt > 0 {
			return fmt.Errorf("unikyc: %s: validate says a new token is %s: %w", Name, st.Status, providers.ErrUnauthorized)
		}
		c.TokenSource().Invalidate(tok)
	}
}
