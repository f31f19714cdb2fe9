package auth

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret is a string that never prints: fmt (every verb), slog,
// encoding/json, every encoder that asks for encoding.TextMarshaler
// (encoding/xml, YAML, TOML, …) and encoding/gob all show "REDACTED" (or ""
// when empty). Decoding still works from a plain string (JSON, YAML, env),
// so a Config can be read from a file; a gob-encoded Secret cannot be
// decoded back, by design. Use it for
// passwords, API secrets and keys in configuration structs, so that
// logging a whole Config is safe. Convert with string(s) to use the value.
type Secret string

func (s Secret) redacted() string { return redactIf(string(s)) }

// String returns "REDACTED", or "" for an empty secret.
func (s Secret) String() string { return s.redacted() }

// GoString is String for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.redacted()) }

// Format prints the redacted form for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		_, _ = fmt.Fprintf(f, "%q", s.redacted())
		return
	}
	_, _ = fmt.Fprint(f, s.redacted())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.redacted()) }

// MarshalJSON writes "REDACTED" (or "" when empty).
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.redacted()) }

// MarshalText writes "REDACTED" (or "" when empty): encoding/xml, YAML and
// other encoders that honour encoding.TextMarshaler use it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.redacted()), nil }

// GobEncode writes "REDACTED" (or "" when empty), so gob never carries the
// value.
func (s Secret) GobEncode() ([]byte, error) { return []byte(s.redacted()), nil }
