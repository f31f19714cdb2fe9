package filestore

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
)

// What a Store prints: the file's name, never the key (fmt's walk would
// reach the AEAD's key schedule) and never a token.

func (s *Store) String() string {
	return "filestore.Store{file: " + filepath.Base(s.path) + ", key: REDACTED}"
}

// GoString is String.
func (s *Store) GoString() string { return s.String() }

// Format prints String() for every verb.
func (s *Store) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue implements slog.LogValuer with the summary.
func (s *Store) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the summary as a JSON string.
func (s *Store) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes the summary (encoding/xml, YAML).
func (s *Store) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// GobEncode writes the summary; a store does not decode.
func (s *Store) GobEncode() ([]byte, error) { return []byte(s.String()), nil }
