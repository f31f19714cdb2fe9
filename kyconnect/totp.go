package kyconnect

import (
	"context"
	"encoding/base32"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
)

// errTOTPSecret reports a TOTP secret that is not base32; the secret itself
// is never part of the message.
var errTOTPSecret = providers.Invalid("TOTPSecret", "must be a base32 TOTP secret")

// TOTP returns an MFACode callback that computes the current RFC 6238 code
// (SHA-1, 6 digits, 30 s) from the account's base32 secret — what an
// authenticator app shows — at clk's time (nil: the system clock). Give it
// the same clock as the client in tests. An empty or invalid secret makes
// the callback return a *providers.ValidationError at the first login; set
// Config.TOTPSecret instead to have New check the secret.
func TOTP(secret auth.Secret, clk clock.Clock) func(ctx context.Context) (string, error) {
	clk = clock.Or(clk)
	return func(context.Context) (string, error) { return totpCode(secret, clk.Now()) }
}

// normTOTP puts a secret the way authenticator apps show it (spaces, lower
// case) into the form the otp package reads.
func normTOTP(secret auth.Secret) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(string(secret)), " ", ""))
}

// validTOTPSecret reports whether secret is non-empty base32 (padding
// optional), the only form totp accepts.
func validTOTPSecret(secret auth.Secret) bool {
	s := strings.TrimRight(normTOTP(secret), "=")
	if s == "" {
		return false
	}
	_, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return err == nil
}

func totpCode(secret auth.Secret, now time.Time) (string, error) {
	s := normTOTP(secret)
	if s == "" {
		return "", errTOTPSecret
	}
	code, err := totp.GenerateCode(s, now)
	if err != nil {
		return "", errTOTPSecret
	}
	return code, nil
}
