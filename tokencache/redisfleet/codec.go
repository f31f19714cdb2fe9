package redisfleet

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"time"

	"github.com/unikyc/unikyc/auth"
)

// Stored values start with a format byte.
const (
	formatClear  byte = 0 // JSON
	formatSealed byte = 1 // nonce, then AES-256-GCM of the JSON with the Redis key as additional data
)

var (
	errSealedNoKey  = errors.New("redisfleet: token in Redis is encrypted but this replica has no encryption key")
	errClearWithKey = errors.New("redisfleet: token in Redis is not encrypted but this replica has a key; ignoring it")
	errOpen         = errors.New("redisfleet: cannot decrypt token in Redis (wrong encryption key, or the value was tampered with)")
	errFormat       = errors.New("redisfleet: token in Redis has an unknown format")
)

// wireToken is how a token is stored: auth.Token marshals with its secrets
// redacted, on purpose, so the store spells its fields itself.
type wireToken struct {
	AccessToken   string    `json:"a"`
	TokenType     string    `json:"t,omitempty"`
	Expiry        time.Time `json:"e,omitzero"`
	RefreshToken  string    `json:"r,omitempty"`
	RefreshExpiry time.Time `json:"re,omitzero"`
}

// seal encodes t for the Redis key rkey.
func (f *Fleet) seal(rkey string, t *auth.Token) ([]byte, error) {
	plain, err := json.Marshal(wireToken{t.AccessToken, t.TokenType, t.Expiry, t.RefreshToken, t.RefreshExpiry})
	if err != nil {
		return nil, err
	}
	if f.aead == nil {
		return append([]byte{formatClear}, plain...), nil
	}
	ns := f.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+f.aead.Overhead())
	out[0] = formatSealed
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return f.aead.Seal(out, out[1:], plain, []byte(rkey)), nil
}

// open decodes a value read from the Redis key rkey.
func (f *Fleet) open(rkey string, b []byte) (*auth.Token, error) {
	if len(b) == 0 {
		return nil, errFormat
	}
	var plain []byte
	switch b[0] {
	case formatClear:
		if f.aead != nil {
			return nil, errClearWithKey
		}
		plain = b[1:]
	case formatSealed:
		if f.aead == nil {
			return nil, errSealedNoKey
		}
		ns := f.aead.NonceSize()
		if len(b) < 1+ns {
			return nil, errOpen
		}
		var err error
		if plain, err = f.aead.Open(nil, b[1:1+ns], b[1+ns:], []byte(rkey)); err != nil {
			return nil, errOpen
		}
	default:
		return nil, errFormat
	}
	var w wireToken
	if err := json.Unmarshal(plain, &w); err != nil || w.AccessToken == "" {
		return nil, errFormat // json's error could quote the value
	}
	return &auth.Token{AccessToken: w.AccessToken, TokenType: w.TokenType, Expiry: w.Expiry,
		RefreshToken: w.RefreshToken, RefreshExpiry: w.RefreshExpiry}, nil
}
