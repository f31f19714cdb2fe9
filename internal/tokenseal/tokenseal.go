// Package tokenseal encodes a token for a store outside the process (Redis
// in fleet mode, a file on one host) and seals it with AES-256-GCM under a
// user key. The format is one byte (0: clear JSON, 1: sealed), then for
// sealed values a random nonce and the GCM ciphertext of the JSON, with the
// store's key for the value as additional data, so that a value cannot be
// moved to another account's key. Errors never quote the value.
package tokenseal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"time"

	"github.com/unikyc/unikyc/auth"
)

// KeySize is the size of an AES-256 key.
const KeySize = 32

// Stored values start with a format byte.
const (
	FormatClear  byte = 0 // JSON
	FormatSealed byte = 1 // nonce, then AES-256-GCM of the JSON with the store key as additional data
)

// Errors of Open. Stores wrap them with their own name.
var (
	ErrKeySize      = errors.New("encryption key must be 32 bytes (AES-256)")
	ErrSealedNoKey  = errors.New("token is encrypted but no encryption key is set")
	ErrClearWithKey = errors.New("token is not encrypted but an encryption key is set; ignoring it")
	ErrOpen         = errors.New("cannot decrypt token (wrong encryption key, or the value was tampered with)")
	ErrFormat       = errors.New("token has an unknown format")
)

// NewAEAD returns AES-256-GCM under key, which must be KeySize bytes.
func NewAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// wire is how a token is stored: auth.Token marshals with its secrets
// redacted, on purpose, so the store spells its fields itself.
type wire struct {
	AccessToken   string    `json:"a"`
	TokenType     string    `json:"t,omitempty"`
	Expiry        time.Time `json:"e,omitzero"`
	RefreshToken  string    `json:"r,omitempty"`
	RefreshExpiry time.Time `json:"re,omitzero"`
}

// Seal encodes t for the store key ad: sealed under aead, or in clear when
// aead is nil.
func Seal(aead cipher.AEAD, ad string, t *auth.Token) ([]byte, error) {
	plain, err := json.Marshal(wire{t.AccessToken, t.TokenType, t.Expiry, t.RefreshToken, t.RefreshExpiry})
	if err != nil {
		return nil, err
	}
	if aead == nil {
		return append([]byte{FormatClear}, plain...), nil
	}
	ns := aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+aead.Overhead())
	out[0] = FormatSealed
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plain, []byte(ad)), nil
}

// Open decodes a value read from the store key ad.
func Open(aead cipher.AEAD, ad string, b []byte) (*auth.Token, error) {
	if len(b) == 0 {
		return nil, ErrFormat
	}
	var plain []byte
	switch b[0] {
	case FormatClear:
		if aead != nil {
			return nil, ErrClearWithKey
		}
		plain = b[1:]
	case FormatSealed:
		if aead == nil {
			return nil, ErrSealedNoKey
		}
		ns := aead.NonceSize()
		if len(b) < 1+ns {
			return nil, ErrOpen
		}
		var err error
		if plain, err = aead.Open(nil, b[1:1+ns], b[1+ns:], []byte(ad)); err != nil {
			return nil, ErrOpen
		}
	default:
		return nil, ErrFormat
	}
	var w wire
	if err := json.Unmarshal(plain, &w); err != nil || w.AccessToken == "" {
		return nil, ErrFormat // json's error could quote the value
	}
	return &auth.Token{AccessToken: w.AccessToken, TokenType: w.TokenType, Expiry: w.Expiry,
		RefreshToken: w.RefreshToken, RefreshExpiry: w.RefreshExpiry}, nil
}
