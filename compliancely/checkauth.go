package compliancely

import (
	"context"
	"fmt"

	"github.com/unikyc/unikyc/providers"
)

// CheckAuth reports whether Compliancely accepts the account: it logs in
// (when the client holds no token yet) and asks ValidateToken about the
// token, two of the ten requests a minute. A refused login matches
// providers.ErrInvalidCredentials; a token the provider calls invalid
// matches providers.ErrUnauthorized.
func (c *Client) CheckAuth(ctx context.Context) error {
	st, err := c.ValidateToken(ctx)
	if err != nil {
		return err
	}
	if !st.Valid {
		return fmt.Errorf("unikyc: %s: validate says the token is %s: %w", Name, st.Status, providers.ErrUnauthorized)
	}
	return nil
}
