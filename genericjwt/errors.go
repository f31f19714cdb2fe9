package genericjwt

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/unikyc/unikyc/providers"
)

// FastAPI-Users error codes at login (400).
const (
	CodeBadCredentials  = "LOGIN_BAD_CREDENTIALS"   // wrong login or password, or inactive user
	CodeUserNotVerified = "LOGIN_USER_NOT_VERIFIED" // the user exists but is not verified
)

// ErrUserNotVerified: the back office knows the user and the password but
// the user is not verified (400 LOGIN_USER_NOT_VERIFIED).
//
// It also matches providers.ErrInvalidCredentials, on purpose: only an
// administrator can verify the user, so logging in again cannot help, and
// the token cache treats ErrInvalidCredentials as final (no further
// logins, no retries). Check ErrUserNotVerified first when the two need
// telling apart.
var ErrUserNotVerified error = notVerified{}

type notVerified struct{}

func (notVerified) Error() string { return "unikyc: " + Name + ": user not verified" }
func (notVerified) Unwrap() error { return providers.ErrInvalidCredentials }

// validationItem is one entry of FastAPI's 422 detail list. Its "input"
// echoes what was sent (possibly a password): it is deliberately not read.
type validationItem struct {
	Type string            `json:"type"`
	Loc  []json.RawMessage `json:"loc"`
	Msg  string            `json:"msg"`
}

// detailObject is FastAPI-Users' {"code","reason"} detail.
type detailObject struct {
	Code    string `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// decodeError reads {"detail": string | object | list}. Anything else is
// left undecoded: the status still classifies the error.
func decodeError(e *providers.Error) {
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(e.Body, &body) != nil {
		return
	}
	d := bytes.TrimSpace(body.Detail)
	if len(d) == 0 {
		return
	}
	switch d[0] {
	case '"':
		var s string
		if json.Unmarshal(d, &s) == nil {
			setText(e, s)
		}
	case '{':
		var o detailObject
		if json.Unmarshal(d, &o) == nil {
			setText(e, o.Code)
			e.Message = firstNonEmpty(o.Reason, o.Message, e.Message)
		}
	case '[':
		var items []validationItem
		if json.Unmarshal(d, &items) == nil {
			setValidation(e, items)
		}
	}
	if e.StatusCode == http.StatusBadRequest {
		switch e.Code {
		case CodeBadCredentials:
			e.Err = providers.ErrInvalidCredentials
		case CodeUserNotVerified:
			e.Err = ErrUserNotVerified
		}
	}
}

// setText puts a machine code ("LOGIN_BAD_CREDENTIALS") in Code and any
// other text, which may quote personal data, in Message: Error() prints
// Code but never Message.
func setText(e *providers.Error, s string) {
	if isCode(s) {
		e.Code = s
	} else if s != "" {
		e.Message = s
	}
}

func setValidation(e *providers.Error, items []validationItem) {
	var msgs []string
	for _, it := range items {
		if loc := joinLoc(it.Loc); loc != "" {
			e.Fields = append(e.Fields, loc)
		}
		if it.Msg != "" {
			msgs = append(msgs, it.Msg)
		}
	}
	e.Message = strings.Join(msgs, "; ")
}

// joinLoc turns ["body","items",0,"name"] into "body.items.0.name".
// Only strings and numbers are copied.
func joinLoc(loc []json.RawMessage) string {
	parts := make([]string, 0, len(loc))
	for _, p := range loc {
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(p, &s) == nil:
		case json.Unmarshal(p, &n) == nil:
			s = n.String() // a list index
		default:
			s = "?" // not a name FastAPI sends; never copy it
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ".")
}

// isCode reports whether s looks like a FastAPI-Users error code:
// upper-case letters, digits and underscores, starting with a letter.
func isCode(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
