package compliancely

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/unikyc/unikyc/providers"
)

// Codes Compliancely (Django REST Framework with Simple JWT) sends.
const (
	CodeTokenNotValid    = "token_not_valid"
	CodeNotAuthenticated = "not_authenticated"
	CodeNoActiveAccount  = "no_active_account"
	// CodeCreditMessage is the code of Compliancely's credit-limit error.
	CodeCreditMessage = "credit_message"
)

// ErrCreditLimit: the account has no credit left ("Credit limit reached!"),
// as {"code":"credit_message","message"} or {"detail"}.
var ErrCreditLimit = errors.New("unikyc: compliancely: credit limit reached")

// v2Error is one entry of the v2 envelope's "errors": its code names the
// field ("tin", "name") or the error.
type v2Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// decodeError reads DRF errors: {"detail": "…", "code": "…"} or
// {"field": ["message", …], "non_field_errors": […]}; the v2 envelope's
// {"errors":[{"code","message"}],"data":null,"success":false}; and the
// credit error {"code":"credit_message","message"}. Anything else is left
// as the status says.
func decodeError(e *providers.Error) {
	var m map[string]json.RawMessage
	if json.Unmarshal(e.Body, &m) != nil {
		return
	}
	for k, raw := range m {
		switch k {
		case "detail":
			e.Message = text(raw)
		case "message":
			if e.Message == "" {
				e.Message = text(raw)
			}
		case "code":
			e.Code = text(raw)
		case "data", "success":
			// the v2 envelope's other keys
		case "errors":
			var list []v2Error
			if json.Unmarshal(raw, &list) == nil {
				for _, it := range list {
					if isFieldName(it.Code) && len(e.Fields) < 16 {
						e.Fields = append(e.Fields, it.Code)
					}
					if e.Message == "" {
						e.Message = it.Message
					}
				}
			}
		case "messages":
			// Simple JWT's per-token details; the detail says enough.
		case "non_field_errors":
			if e.Message == "" {
				e.Message = text(raw)
			}
		default:
			if isList(raw) {
				e.Fields = append(e.Fields, k)
			}
		}
	}
	sort.Strings(e.Fields)
	if e.Message == "" && len(e.Fields) > 0 {
		e.Message = text(m[e.Fields[0]])
	}

	switch {
	case e.Code == CodeCreditMessage || strings.HasPrefix(strings.ToLower(e.Message), "credit limit reached"):
		e.Err = ErrCreditLimit
	case e.Operation == "login" && (e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnauthorized) && badCredentials(e):
		e.Err = providers.ErrInvalidCredentials
	case e.Code == CodeTokenNotValid || e.Code == CodeNotAuthenticated:
		e.Err = providers.ErrUnauthorized
	case e.StatusCode == http.StatusBadRequest && len(e.Fields) > 0:
		e.Err = providers.ErrValidation
	}
}

// badCredentials reports whether a login refusal blames the username or
// password, as Simple JWT ("No active account found with the given
// credentials") and DRF ("Unable to log in with provided credentials.") do.
func badCredentials(e *providers.Error) bool {
	switch e.Code {
	case CodeNoActiveAccount, "invalid_credentials", "authentication_failed":
		return true
	case CodeNotAuthenticated:
		return false
	}
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "credentials") && !strings.Contains(msg, "not provided")
}

// text returns a JSON string, the first string of a list, or "".
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var l []json.RawMessage
	if json.Unmarshal(raw, &l) == nil && len(l) > 0 {
		return text(l[0])
	}
	return ""
}

// isFieldName reports whether s looks like a field name ("tin",
// "webhook_urls"), so that Error() may print it.
func isFieldName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && c != '_' && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isList(raw json.RawMessage) bool {
	var l []json.RawMessage
	return json.Unmarshal(raw, &l) == nil
}
