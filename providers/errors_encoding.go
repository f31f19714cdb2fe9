package providers

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Encoders that do not ask for JSON (encoding/xml, YAML, gob) would walk
// an Error's exported fields, Body and Message included. They ask for these
// instead, and get what Error() says.

// MarshalText returns Error(): encoding/xml, YAML and other encoders that
// honour encoding.TextMarshaler show no body, message or header.
func (e Error) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// GobEncode returns Error(), so gob carries no body, message or header. An
// Error does not decode from gob.
func (e Error) GobEncode() ([]byte, error) { return []byte(e.Error()), nil }

// MarshalText returns Error().
func (e RateLimitError) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// GobEncode returns Error(); a RateLimitError does not decode from gob.
func (e RateLimitError) GobEncode() ([]byte, error) { return []byte(e.Error()), nil }

// ValidationError, DecodeError and TransportError print Error() under
// every fmt verb, slog, JSON, XML, gob and YAML: fmt's and the encoders'
// walk of the struct would reach the cause, whose text can quote a URL, a
// header or a whole answer (a TransportError's cause may be http.Client's
// error quoting a 60 KiB Location).

// Format prints Error() for every verb.
func (e ValidationError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// LogValue implements slog.LogValuer with Error().
func (e ValidationError) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// MarshalJSON writes Error() as a JSON string.
func (e ValidationError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// MarshalText returns Error().
func (e ValidationError) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// GobEncode returns Error(); a ValidationError does not decode from gob.
func (e ValidationError) GobEncode() ([]byte, error) { return []byte(e.Error()), nil }

// Format prints Error() for every verb.
func (e DecodeError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// LogValue implements slog.LogValuer with Error().
func (e DecodeError) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// MarshalJSON writes Error() as a JSON string.
func (e DecodeError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// MarshalText returns Error().
func (e DecodeError) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// GobEncode returns Error(); a DecodeError does not decode from gob.
func (e DecodeError) GobEncode() ([]byte, error) { return []byte(e.Error()), nil }

// Format prints Error() for every verb.
func (e TransportError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// LogValue implements slog.LogValuer with Error().
func (e TransportError) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// MarshalJSON writes Error() as a JSON string.
func (e TransportError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// MarshalText returns Error().
func (e TransportError) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// GobEncode returns Error(); a TransportError does not decode from gob.
func (e TransportError) GobEncode() ([]byte, error) { return []byte(e.Error()), nil }
