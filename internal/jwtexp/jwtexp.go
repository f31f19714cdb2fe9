// Package jwtexp reads the expiry of a JWT without verifying it. The result
// only schedules refreshes; it is never trusted for anything else.
package jwtexp

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var parser = jwt.NewParser()

// Expiry returns the "exp" claim of token, and false when token is not a JWT
// or has no usable "exp".
func Expiry(token string) (time.Time, bool) {
	claims := jwt.MapClaims{}
	if _, _, err := parser.ParseUnverified(token, claims); err != nil {
		return time.Time{}, false
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return time.Time{}, false
	}
	return exp.Time, true
}

// Lifetime returns exp minus iat: the lifetime the issuer meant, which
// holds whatever the offset between its clock and ours.
func Lifetime(token string) (time.Duration, bool) {
	claims := jwt.MapClaims{}
	if _, _, err := parser.ParseUnverified(token, claims); err != nil {
		return 0, false
	}
	exp, err1 := claims.GetExpirationTime()
	iat, err2 := claims.GetIssuedAt()
	if err1 != nil || err2 != nil || exp == nil || iat == nil || !exp.After(iat.Time) {
		return 0, false
	}
	return exp.Sub(iat.Time), true
}

// Claims returns the unverified claims of token, for display only.
func Claims(token string) (map[string]any, bool) {
	claims := jwt.MapClaims{}
	if _, _, err := parser.ParseUnverified(token, claims); err != nil {
		return nil, false
	}
	return claims, true
}
