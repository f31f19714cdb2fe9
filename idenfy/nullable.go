package idenfy

import (
	"bytes"
	"encoding/json"
)

// Nullable is a JSON field that is absent, null, or a value. Its zero value
// is absent; tag the field `json:",omitzero"` so that absent is not sent.
//
//	p.Questionnaire = idenfy.Value("onboarding") // "questionnaire":"onboarding"
//	p.Questionnaire = idenfy.Null[string]()      // "questionnaire":null
//	var p CreateKYBTokenParams                   // no "questionnaire" key
type Nullable[T any] struct {
	value T
	state nullState
}

type nullState uint8

const (
	absent nullState = iota
	null
	present
)

// Value returns a Nullable holding v.
func Value[T any](v T) Nullable[T] { return Nullable[T]{value: v, state: present} }

// Null returns a Nullable that is sent as JSON null.
func Null[T any]() Nullable[T] { return Nullable[T]{state: null} }

// IsZero reports whether n is absent; encoding/json's omitzero uses it.
func (n Nullable[T]) IsZero() bool { return n.state == absent }

// IsNull reports whether n is an explicit null.
func (n Nullable[T]) IsNull() bool { return n.state == null }

// Get returns the value and whether there is one (false for absent and null).
func (n Nullable[T]) Get() (T, bool) { return n.value, n.state == present }

// MarshalJSON writes null or the value. An absent Nullable not tagged
// omitzero is written as null too: JSON cannot say "absent" from inside.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.state != present {
		return []byte("null"), nil
	}
	return json.Marshal(n.value)
}

// UnmarshalJSON reads null or a value. A key missing from the JSON leaves
// n absent, since UnmarshalJSON is then not called.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		var zero T
		n.value, n.state = zero, null
		return nil
	}
	if err := json.Unmarshal(b, &n.value); err != nil {
		return err
	}
	n.state = present
	return nil
}

// Bool returns a pointer to b, for optional boolean fields.
func Bool(b bool) *bool { return &b }
