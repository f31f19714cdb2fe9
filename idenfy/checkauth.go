package idenfy

import (
	"context"
	"errors"
	"net/http"

	"github.com/unikyc/unikyc/providers"
)

// authProbe is a scan reference no verification has: iDenfy's scan refs are
// UUIDs, which have no underscore.
const authProbe = "unikyc_auth_check"

// CheckAuth reports whether iDenfy accepts the key pair. iDenfy has no
// "who am I" endpoint, so CheckAuth asks the status (POST /api/v2/status)
// of a scan reference that cannot exist. It is the cheapest authenticated
// call: a read that creates no session, costs one request of the hourly
// budget and names no person. iDenfy checks the Basic credentials before it
// looks the scan up, so a 401 means the pair is refused (the error matches
// providers.ErrUnauthorized) while a 404 or 400 about the unknown scan
// proves it was accepted. Any other failure (429, 5xx, network) is
// returned: it proves nothing either way.
func (c *Client) CheckAuth(ctx context.Context) error {
	_, err := c.Status(ctx, authProbe)
	var pe *providers.Error
	if err == nil || errors.As(err, &pe) && !errors.Is(err, providers.ErrUnauthorized) &&
		(pe.StatusCode == http.StatusNotFound || pe.StatusCode == http.StatusBadRequest) {
		return nil
	}
	return err
}
