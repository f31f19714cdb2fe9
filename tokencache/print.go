package tokencache

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// What a cache and a memory store print: a short summary, never a token.
// fmt's walk of the structs would reach the tokens through unexported
// fields, where auth.Token's own redaction is not called, and read state
// that refreshes write (a data race).

func (c *Cache) String() string {
	if c.cur.Load() == nil {
		return "tokencache.Cache{token: none}"
	}
	return "tokencache.Cache{token: REDACTED}"
}

// GoString is String.
func (c *Cache) GoString() string { return c.String() }

// Format prints String() for every verb.
func (c *Cache) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer with the summary.
func (c *Cache) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the summary as a JSON string.
func (c *Cache) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// MarshalText writes the summary (encoding/xml, YAML).
func (c *Cache) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// GobEncode writes the summary; a cache does not decode.
func (c *Cache) GobEncode() ([]byte, error) { return []byte(c.String()), nil }

func (s *MemoryStore) String() string { return "tokencache.MemoryStore{tokens: REDACTED}" }

// GoString is String.
func (s *MemoryStore) GoString() string { return s.String() }

// Format prints String() for every verb.
func (s *MemoryStore) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue implements slog.LogValuer with the summary.
func (s *MemoryStore) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the summary as a JSON string.
func (s *MemoryStore) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes the summary (encoding/xml, YAML).
func (s *MemoryStore) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// GobEncode writes the summary; a store does not decode.
func (s *MemoryStore) GobEncode() ([]byte, error) { return []byte(s.String()), nil }
