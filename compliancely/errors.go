package compliancely

import (
	"encoding/json"
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
)

// decodeError reads DRF errors: {"detail": "…", "code": "…"} or
// {"field": ["message", …], "non_field_errors": […]}. Anything else is
// left as the status says.
func decodeError(e *providers.Error) {
	var m map[string]json.RawMessage
	if json.Unmarshal(e.Body, &m) != nil {
		return
	}
	for k, raw := range m {
		switch k {
		case "detail":
			e.Message = text(raw)
		case "code":
			e.Code = text(raw)
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

func isList(raw json.RawMessage) bool {
	var l []json.RawMessage
	return json.Unmarshal(raw, &l) == nil
}
