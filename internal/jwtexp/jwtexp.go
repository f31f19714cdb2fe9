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

// Claims returns the unverified claims of token, for display only.
func Claims(token string) (map[string]any, bool) {
	claims := jwt.MapClaims{}
	if _, _, err := parser.ParseUnverified(token, claims); err != nil {
		return nil, false
	}
	return claims, true
}
