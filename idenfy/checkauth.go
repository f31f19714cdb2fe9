package idenfy

import (
	"context"
	"errors"
	"net/http"

	"github.com/unikyc/unikyc/providers"
)

// authProbe is the body CheckAuth sends to POST /api/v2/token: no clientId
// (required) and a negative expiryTime (must be 0 or more), so that iDenfy
// can only refuse it as invalid, and creates no session.
var authProbe = map[string]int{"expiryTime": -1}

// CheckAuth reports whether iDenfy accepts the key pair. iDenfy has no
// "who am I" endpoint, and its documentation asks that POST /api/v2/status
// not be polled, so CheckAuth sends the token call
// (POST /api/v2/token) a body that cannot create a session. iDenfy checks
// the Basic credentials before the body (I: as a Django REST Framework
// view does), so a 401 means the pair is refused (the error matches
// providers.ErrUnauthorized), a 403 that the partner is inactive or the
// pair belongs to the other environment (ErrPartnerInactive), and a 400
// about the body proves the pair was accepted. Any other failure (429,
// 5xx, network) is returned: it proves nothing either way.
//
// Each check is one request of the hourly budget (10,000 by default) and
// spends no credit: running it once a minute, e.g. from a readiness
// probe, costs 60 requests an hour. Do not run it per request.
func (c *Client) CheckAuth(ctx context.Context) error {
	req, err := c.NewRequest(ctx, http.MethodPost, verificationTokenPath, authProbe)
	if err != nil {
		return err
	}
	err = c.Do(providers.MarkIdempotent(req), "check auth", nil)
	var pe *providers.Error
	switch {
	case err == nil:
		// iDenfy accepted a body it documents as invalid: the pair works,
		// but say so rather than hide a session that may now exist.
		return errors.New("unikyc: idenfy: check auth: the provider accepted an invalid token request")
	case errors.As(err, &pe) && pe.StatusCode == http.StatusBadRequest && errors.Is(err, providers.ErrValidation):
		return nil
	}
	return err
}
