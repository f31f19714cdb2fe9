package genericjwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/unikyc/unikyc/providers"
)

// FastAPI-Users error codes at login (400).
const (
	CodeBadCredentials  = "LOGIN_BAD_CREDENTIALS"   // wrong login or password, or inactive user
	CodeUserNotVerified = "LOGIN_USER_NOT_VERIFIED" // the user exists but is not verified
)

// ErrUserNotVerified: the back office knows the user and the password but
// the user is not verified: 400 LOGIN_USER_NOT_VERIFIED at login, or 403
// on GET /users/me when only the users router requires verification.
//
// At login it also matches providers.ErrInvalidCredentials, on purpose: only an
// administrator can verify the user, so logging in again cannot help, and
// the token cache treats ErrInvalidCredentials as final (no further
// logins, no retries). Check ErrUserNotVerified first when the two need
// telling apart.
var ErrUserNotVerified error = notVerified{}

// ErrForbidden: the back office knows the token's user but its route
// needs more (403): FastAPI-Users answers so when a route requires a
// verified user or a superuser and the user is not one. On [Client.Me]
// the only such requirement is verification, so a 403 there matches
// ErrUserNotVerified as well.
var ErrForbidden = errors.New("unikyc: " + Name + ": forbidden")

type notVerified struct{}

func (notVerified) Error() string { return "unikyc: " + Name + ": user not verified" }
func (notVerified) Unwrap() error { return providers.ErrInvalidCredentials }

// meNotVerified is a 403 on GET /users/me: the user logged in but is not
// verified. It matches ErrUserNotVerified and ErrForbidden, not
// providers.ErrInvalidCredentials: the login itself was accepted.
type meNotVerified struct{}

func (meNotVerified) Error() string { return "unikyc: " + Name + ": user not verified (forbidden)" }
func (meNotVerified) Is(target error) bool {
	return target == ErrUserNotVerified || target == ErrForbidden
}

// validationItem is one entry of FastAPI's 422 detail list, in pydantic
// v2's shape ({"type","loc","msg","input"}) or v1's ({"loc","msg","type"}).
// Its "input" echoes what was sent (possibly a password): it is read only
// to keep those values out of the field names, and never kept.
type validationItem struct {
	Type  string            `json:"type"`
	Loc   []json.RawMessage `json:"loc"`
	Msg   string            `json:"msg"`
	Input json.RawMessage   `json:"input"`
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
		classify(e)
		return
	}
	d := bytes.TrimSpace(body.Detail)
	if len(d) == 0 {
		classify(e)
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
	classify(e)
}

// classify sets the sentinel the status and code mean, also for a body
// that did not decode.
func classify(e *providers.Error) {
	switch e.StatusCode {
	case http.StatusBadRequest:
		switch e.Code {
		case CodeBadCredentials:
			e.Err = providers.ErrInvalidCredentials
		case CodeUserNotVerified:
			e.Err = ErrUserNotVerified
		}
	case http.StatusForbidden:
		e.Err = ErrForbidden
		if e.Operation == opMe {
			// GET /users/me depends on current_user(active=True,
			// verified=requires_verification): an active user it refuses
			// with 403 is one that is not verified.
			e.Err = meNotVerified{}
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
		if loc := joinLoc(it.Loc, submitted(it.Input)); loc != "" {
			e.Fields = append(e.Fields, loc)
		}
		if it.Msg != "" {
			msgs = append(msgs, it.Msg)
		}
	}
	e.Message = strings.Join(msgs, "; ")
}

// joinLoc turns ["body","items",0,"name"] into "body.items.0.name". Error()
// prints the result, so only name-like parts are copied: identifiers and
// list indexes. Any other part (a dict key holding input, text with
// spaces or punctuation), and any part equal to a submitted value, becomes
// "?".
func joinLoc(loc []json.RawMessage, input map[string]bool) string {
	parts := make([]string, 0, len(loc))
	for _, p := range loc {
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(p, &s) == nil && isIdentifier(s) && !input[s]:
		case json.Unmarshal(p, &n) == nil && isIndex(n.String()):
			s = n.String()
		default:
			s = "?"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ".")
}

// submitted collects the strings and numbers of an item's "input" (values
// only, not keys), to keep them out of field names. It reads at most a
// few levels and a few hundred values: enough for a login form.
func submitted(raw json.RawMessage) map[string]bool {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	out := map[string]bool{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 4 || len(out) > 256 {
			return
		}
		switch x := v.(type) {
		case string:
			out[x] = true
		case float64:
			out[strconv.FormatFloat(x, 'f', -1, 64)] = true
		case []any:
			for _, y := range x {
				walk(y, depth+1)
			}
		case map[string]any:
			for _, y := range x {
				walk(y, depth+1)
			}
		}
	}
	walk(v, 0)
	return out
}

// isIdentifier reports whether s is a field name: a letter or underscore,
// then letters, digits, underscores or hyphens, at most 64 bytes.
func isIdentifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// isIndex reports whether s is a list index: at most 9 decimal digits.
func isIndex(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// scrubFields replaces any field name equal to one of the submitted values
// with "?": a back office may echo a form value inside "loc".
func scrubFields(err error, values ...string) {
	var pe *providers.Error
	if !errors.As(err, &pe) {
		return
	}
	for i, f := range pe.Fields {
		parts := strings.Split(f, ".")
		for k, part := range parts {
			for _, v := range values {
				if v != "" && part == v {
					parts[k] = "?"
				}
			}
		}
		pe.Fields[i] = strings.Join(parts, ".")
	}
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
