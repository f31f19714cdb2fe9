package kyconnect

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/unikyc/unikyc/providers"
)

// KYConnect's own sentinels, for errors.Is. The shared ones (invalid
// credentials, unauthorized, not found, rate limited, validation) live in
// package providers.
var (
	// ErrMFARequired: the account has MFA and the login carried no code.
	// Not final: the login is tried again on the next call.
	ErrMFARequired = errors.New("unikyc: kyconnect: MFA code required")
	// ErrInvalidMFACode: the login's MFA code was refused. Not final: the
	// next TOTP step may be accepted.
	ErrInvalidMFACode = errors.New("unikyc: kyconnect: invalid MFA code")
	// ErrForbidden: the role or scope does not allow the call (403).
	ErrForbidden = errors.New("unikyc: kyconnect: forbidden")
	// ErrConflict: a duplicate resource or a state mismatch (409).
	ErrConflict = errors.New("unikyc: kyconnect: conflict")
	// ErrBusinessRule: the request is well formed but breaks one of
	// KYConnect's business rules (422): sending it again will not help,
	// and neither will fixing a field's format. It does not match
	// providers.ErrValidation.
	ErrBusinessRule = errors.New("unikyc: kyconnect: business rule violated")
	// ErrServer: KYConnect failed (5xx), after the pipeline's retries.
	ErrServer = errors.New("unikyc: kyconnect: server error")
)

// nestError is NestJS's error body; message is a string or a list.
type nestError struct {
	Message json.RawMessage `json:"message"`
	Error   string          `json:"error"`
}

// decodeError fills e from a NestJS error body; it never fails.
func decodeError(e *providers.Error) {
	var b nestError
	if json.Unmarshal(e.Body, &b) == nil {
		msgs := messages(b.Message)
		e.Message = strings.Join(msgs, "; ")
		if e.StatusCode == http.StatusBadRequest {
			// ValidationPipe's messages name fields; a 422's business
			// rule does not, even when it reads alike.
			e.Fields = fields(msgs)
		}
		if safeCode.MatchString(b.Error) && b.Error != http.StatusText(e.StatusCode) {
			e.Code = b.Error
		}
	}
	classify(e)
}

// messages reads "message" as a string or a list of strings.
func messages(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// safeCode admits an "error" value worth showing as a code: short, plain,
// never an echo of input (no '@', digits only after a letter).
var safeCode = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_ .-]{0,63}$`)

// fieldMsg matches class-validator messages: "email must be an email",
// "address.city should not be empty", "property foo should not exist".
var fieldMsg = regexp.MustCompile(`^(?:property )?([A-Za-z_][A-Za-z0-9_.\[\]]*) (?:must|should|has|is)\b`)

// fields returns the field names that validation messages point at.
func fields(msgs []string) []string {
	var out []string
	for _, m := range msgs {
		if f := fieldMsg.FindStringSubmatch(m); f != nil && !contains(out, f[1]) {
			out = append(out, f[1])
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// classify sets e.Err from the operation, status and message.
func classify(e *providers.Error) {
	login := e.Kind == providers.CallLogin || e.Operation == opLogin
	switch s := e.StatusCode; {
	case login && s == http.StatusBadRequest && aboutMFA(e.Message):
		// A ValidationPipe 400 about the code's format: a bad code, and a
		// malformed request the same body would meet again.
		e.Err = errors.Join(ErrInvalidMFACode, providers.ErrValidation)
		if mfaMissing(e.Message) {
			e.Err = errors.Join(ErrMFARequired, providers.ErrValidation)
		}
	case login && s == http.StatusUnauthorized && aboutMFA(e.Message):
		e.Err = ErrInvalidMFACode
		if mfaMissing(e.Message) {
			e.Err = ErrMFARequired
		}
	case login && s == http.StatusUnauthorized:
		e.Err = providers.ErrInvalidCredentials
	case login && s == http.StatusBadRequest:
		// The same login would be refused again: final, like bad credentials.
		e.Err = errors.Join(providers.ErrInvalidCredentials, providers.ErrValidation)
	case s == http.StatusBadRequest:
		e.Err = providers.ErrValidation
	case s == http.StatusUnprocessableEntity:
		e.Err = ErrBusinessRule
	case s == http.StatusForbidden:
		e.Err = ErrForbidden
	case s == http.StatusConflict:
		e.Err = ErrConflict
	case s >= 500:
		e.Err = ErrServer
	}
}

func aboutMFA(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"mfa", "two-factor", "2fa", "totp", "one-time", "authenticator"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

func mfaMissing(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"required", "missing", "should not be empty", "not provided"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}
