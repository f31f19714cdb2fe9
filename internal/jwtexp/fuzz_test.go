package jwtexp_test

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unikyc/unikyc/internal/jwtexp"
)

// FuzzLifetime reads exp and iat of any string: no panic, a lifetime only
// when positive, and only for tokens whose exp Expiry reads too.
// Seeds: testdata/fuzz/FuzzLifetime.
func FuzzLifetime(f *testing.F) {
	f.Add(sign(f, jwt.MapClaims{"exp": 1700003600, "iat": 1700000000}))
	f.Add(sign(f, jwt.MapClaims{"exp": 1700000000, "iat": 1700003600}))
	f.Add("eyJhbGciOiJub25lIn0.eyJleHAiOjEuNWUxOCwiaWF0IjotMX0.")
	f.Fuzz(func(t *testing.T, s string) {
		life, ok := jwtexp.Lifetime(s)
		if !ok {
			if life != 0 {
				t.Fatalf("Lifetime(%q) = %v, false", s, life)
			}
			return
		}
		if life <= 0 {
			t.Fatalf("Lifetime(%q) = %v, true: not positive", s, life)
		}
		if _, ok := jwtexp.Expiry(s); !ok {
			t.Fatalf("Lifetime read an exp that Expiry does not")
		}
	})
}
