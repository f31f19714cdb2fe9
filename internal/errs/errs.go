// Package errs holds the sentinel errors that auth and tokencache need but
// cannot import from providers (which imports them). providers re-exports
// each value, so errors.Is works whichever name a caller uses.
package errs

import "errors"

var (
	ErrUnauthorized       = errors.New("unikyc: unauthorized")
	ErrInvalidCredentials = errors.New("unikyc: invalid credentials")
	ErrRateLimited        = errors.New("unikyc: rate limited")
	ErrNotFound           = errors.New("unikyc: not found")
	ErrValidation         = errors.New("unikyc: validation failed")
	ErrClosed             = errors.New("unikyc: client closed")
)

// StatusCoder is implemented by errors that carry an HTTP status
// (*providers.Error does).
type StatusCoder interface{ HTTPStatus() int }

// Status returns the HTTP status carried by err, or 0 when it carries none.
func Status(err error) int {
	var s StatusCoder
	if errors.As(err, &s) {
		return s.HTTPStatus()
	}
	return 0
}
