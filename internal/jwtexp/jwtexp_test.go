package jwtexp_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/internal/jwtexp"
)

func sign(t testing.TB, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
	require.NoError(t, err)
	return s
}

func TestExpiry(t *testing.T) {
	exp := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	got, ok := jwtexp.Expiry(sign(t, jwt.MapClaims{"exp": exp.Unix(), "sub": "a"}))
	require.True(t, ok)
	assert.True(t, exp.Equal(got))

	_, ok = jwtexp.Expiry(sign(t, jwt.MapClaims{"sub": "a"}))
	assert.False(t, ok, "no exp")
	_, ok = jwtexp.Expiry(sign(t, jwt.MapClaims{"exp": "tomorrow"}))
	assert.False(t, ok, "exp not a number")
	_, ok = jwtexp.Expiry("opaque-token-not-a-jwt")
	assert.False(t, ok)

	// Expired tokens still report their exp: scheduling only, no validation.
	past := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	got, ok = jwtexp.Expiry(sign(t, jwt.MapClaims{"exp": past.Unix()}))
	require.True(t, ok)
	assert.True(t, past.Equal(got))
}

func FuzzExpiry(f *testing.F) {
	f.Add(sign(f, jwt.MapClaims{"exp": 1700000000}))
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = jwtexp.Expiry(s) // must not panic
	})
}
