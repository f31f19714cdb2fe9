// Package httpbody reads response bodies with a size cap, so a broken or
// hostile server cannot make a client buffer gigabytes.
package httpbody

import (
	"errors"
	"fmt"
	"io"
)

// AuthLimit caps the answer to a login or refresh call.
const AuthLimit = 1 << 20

// ErrTooLarge is returned when a body is longer than the cap.
var ErrTooLarge = errors.New("unikyc: response body too large")

// Read reads at most limit bytes of r. A longer body returns the first
// limit bytes and an error wrapping ErrTooLarge.
func Read(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// Drain discards up to limit bytes of rc and closes it, so the connection
// can be reused.
func Drain(rc io.ReadCloser, limit int64) {
	if rc == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, limit))
	_ = rc.Close()
}
