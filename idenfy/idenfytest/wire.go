package idenfytest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The fake's own reading of request bodies, written from iDenfy's schema:
// keys match exactly (as Django REST Framework parses them; "TOKENTYPE" is
// not "tokenType"), unknown keys are ignored (as DRF serializers ignore
// them), and every rule answers 400 with MISSING_VALUE for a missing
// required field and BAD_VALUE otherwise, the field named in "message".

// body is a decoded JSON object, keys as sent.
type body map[string]json.RawMessage

// fieldError is one broken rule.
type fieldError struct {
	identifier, field, reason string
}

func (e *fieldError) message() string { return e.field + ": " + e.reason }

// reader reads fields of a body and keeps the first broken rule.
type reader struct {
	b   body
	err *fieldError
}

func (r *reader) fail(identifier, field, format string, args ...any) {
	if r.err == nil {
		r.err = &fieldError{identifier, field, fmt.Sprintf(format, args...)}
	}
}

// state of a field in the body.
const (
	absent = iota
	null
	present
)

func (r *reader) state(key string) int {
	v, ok := r.b[key]
	switch {
	case !ok:
		return absent
	case strings.TrimSpace(string(v)) == "null":
		return null
	}
	return present
}

// str reads a string field; required fields may be neither absent nor
// null, nullable ones may be null. It returns the value and its state.
func (r *reader) str(key string, required, nullable bool) (string, int) {
	st := r.state(key)
	switch {
	case st == absent && required:
		r.fail("MISSING_VALUE", key, "This field is required.")
	case st == null && !nullable:
		r.fail("BAD_VALUE", key, "This field may not be null.")
	case st == present:
		var s string
		if json.Unmarshal(r.b[key], &s) != nil {
			r.fail("BAD_VALUE", key, "Not a valid string.")
			return "", st
		}
		return s, st
	}
	return "", st
}

func (r *reader) length(key, s string, minLen, maxLen int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen && minLen == 1:
		r.fail("BAD_VALUE", key, "This field may not be blank.")
	case n < minLen:
		r.fail("BAD_VALUE", key, "Ensure this field has at least %d characters.", minLen)
	case maxLen > 0 && n > maxLen:
		r.fail("BAD_VALUE", key, "Ensure this field has no more than %d characters.", maxLen)
	}
}

func (r *reader) oneOf(key, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	r.fail("BAD_VALUE", key, "%q is not a valid choice.", s)
}

// integer reads an integer field in [minV, maxV]; it reports whether the
// field was present.
func (r *reader) integer(key string, minV, maxV int64) (int64, bool) {
	switch r.state(key) {
	case absent:
		return 0, false
	case null:
		r.fail("BAD_VALUE", key, "This field may not be null.")
		return 0, false
	}
	var n json.Number
	v, err := int64(0), json.Unmarshal(r.b[key], &n)
	if err == nil {
		v, err = n.Int64()
	}
	switch {
	case err != nil:
		r.fail("BAD_VALUE", key, "A valid integer is required.")
	case v < minV:
		r.fail("BAD_VALUE", key, "Ensure this value is greater than or equal to %d.", minV)
	case v > maxV:
		r.fail("BAD_VALUE", key, "Ensure this value is less than or equal to %d.", maxV)
	}
	return v, true
}

func (r *reader) boolean(key string) (bool, bool) {
	if r.state(key) != present {
		if r.state(key) == null {
			r.fail("BAD_VALUE", key, "This field may not be null.")
		}
		return false, false
	}
	var v bool
	if json.Unmarshal(r.b[key], &v) != nil {
		r.fail("BAD_VALUE", key, "Must be a valid boolean.")
	}
	return v, true
}

var noComma = regexp.MustCompile(`^[^,]+$`)

// list reads a list of strings, each minLen–maxLen characters without a
// comma, at most maxItems (0: any). It returns the list (nil when absent
// or null) and its state.
func (r *reader) list(key string, nullable bool, maxItems, minLen, maxLen int) ([]string, int) {
	st := r.state(key)
	switch {
	case st == null && !nullable:
		r.fail("BAD_VALUE", key, "This field may not be null.")
	case st == present:
		var l []string
		if json.Unmarshal(r.b[key], &l) != nil {
			r.fail("BAD_VALUE", key, "Expected a list of strings.")
			return nil, st
		}
		if maxItems > 0 && len(l) > maxItems {
			r.fail("BAD_VALUE", key, "Ensure this field has no more than %d elements.", maxItems)
		}
		for i, s := range l {
			item := fmt.Sprintf("%s[%d]", key, i) // DRF keys a list item's error by its index
			r.length(item, s, minLen, maxLen)
			if s != "" && !noComma.MatchString(s) {
				r.fail("BAD_VALUE", item, "This value does not match the required pattern.")
			}
		}
		if l == nil {
			l = []string{}
		}
		return l, st
	}
	return nil, st
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

func (r *reader) uuid(key string) (string, int) {
	s, st := r.str(key, false, true)
	if st == present && !uuidRE.MatchString(s) {
		r.fail("BAD_VALUE", key, "Must be a valid UUID.")
	}
	return s, st
}

// nullableString is a JSON string or null, as the fake answers it.
type nullableString struct {
	v     string
	valid bool
}

func someString(v string, st int) nullableString { return nullableString{v, st == present} }

func (n nullableString) MarshalJSON() ([]byte, error) {
	if !n.valid {
		return []byte("null"), nil
	}
	return json.Marshal(n.v)
}

// errorBody is iDenfy's error answer.
type errorBody struct {
	Identifier string `json:"identifier"`
	Message    string `json:"message"`
}

func errorJSON(identifier, message string) []byte {
	b, _ := json.Marshal(errorBody{identifier, message})
	return b
}

// object reads a nested JSON object field as its own reader; nil when the
// field is absent or null. A non-object is a BAD_VALUE.
func (r *reader) object(key string) *reader {
	if r.state(key) != present {
		return nil
	}
	var b body
	if json.Unmarshal(r.b[key], &b) != nil || b == nil {
		r.fail(codeBadValue, key, "Expected a dictionary of items.")
		return nil
	}
	return &reader{b: b}
}

// adopt takes sub's first broken rule, its field named under prefix.
func (r *reader) adopt(sub *reader, prefix string) {
	if sub != nil && sub.err != nil && r.err == nil {
		e := *sub.err
		e.field = prefix + e.field
		r.err = &e
	}
}

// url checks an optional URL field iDenfy validates as a URL.
func (r *reader) url(key, u string, st int) {
	if st != present {
		return
	}
	if pu, err := url.Parse(u); err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
		r.fail(codeBadValue, key, "Enter a valid URL.")
	}
}
