package redisfleet

import (
	"errors"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/tokenseal"
)

// Values in Redis use the format of internal/tokenseal (shared with the
// single-host file store): a format byte, then clear JSON or a nonce and
// AES-256-GCM of the JSON with the Redis key as additional data.

var (
	errSealedNoKey  = errors.New("redisfleet: token in Redis is encrypted but this replica has no encryption key")
	errClearWithKey = errors.New("redisfleet: token in Redis is not encrypted but this replica has a key; ignoring it")
	errOpen         = errors.New("redisfleet: cannot decrypt token in Redis (wrong encryption key, or the value was tampered with)")
	errFormat       = errors.New("redisfleet: token in Redis has an unknown format")
)

// seal encodes t for the Redis key rkey.
func (f *Fleet) seal(rkey string, t *auth.Token) ([]byte, error) {
	return tokenseal.Seal(f.aead, rkey, t)
}

// open decodes a value read from the Redis key rkey.
func (f *Fleet) open(rkey string, b []byte) (*auth.Token, error) {
	t, err := tokenseal.Open(f.aead, rkey, b)
	switch {
	case errors.Is(err, tokenseal.ErrSealedNoKey):
		return nil, errSealedNoKey
	case errors.Is(err, tokenseal.ErrClearWithKey):
		return nil, errClearWithKey
	case errors.Is(err, tokenseal.ErrOpen):
		return nil, errOpen
	case errors.Is(err, tokenseal.ErrFormat):
		return nil, errFormat
	}
	return t, err
}
