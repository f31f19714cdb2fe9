package kyconnect

import (
	"context"
	"errors"
	"strings"

	"github.com/pquerna/otp/totp"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
)

// errTOTPSecret reports a TOTP secret that is not base32; the secret itself
// is never part of the message.
var errTOTPSecret = errors.New("unikyc: kyconnect: TOTP secret is empty or not base32")

// TOTP returns an MFACode callback that computes the current RFC 6238 code
// (SHA-1, 6 digits, 30 s) from the account's base32 secret — what an
// authenticator app shows — at clk's time (nil: the system clock). Give it
// the same clock as the client in tests.
func TOTP(secret auth.Secret, clk clock.Clock) func(ctx context.Context) (string, error) {
	clk = clock.Or(clk)
	return func(context.Context) (string, error) {
		s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(string(secret)), " ", ""))
		if s == "" {
			return "", errTOTPSecret
		}
		code, err := totp.GenerateCode(s, clk.Now())
		if err != nil {
			return "", errTOTPSecret
		}
		return code, nil
	}
}
