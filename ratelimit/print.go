package ratelimit

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// What a limiter prints: its budget, never its live state. fmt's walk of
// the struct would read the ring and the queue while waiters write them (a
// data race), and print a ring of timestamps thousands of bytes long. A
// limiter holds no secret; the summary keeps it short and race-free.

func (l *WindowLimiter) String() string {
	return "ratelimit.WindowLimiter{" + budgetText(l.b) + "}"
}

// GoString is String.
func (l *WindowLimiter) GoString() string { return l.String() }

// Format prints String() for every verb.
func (l *WindowLimiter) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, l.String()) }

// LogValue implements slog.LogValuer with the summary.
func (l *WindowLimiter) LogValue() slog.Value { return slog.StringValue(l.String()) }

// MarshalJSON writes the summary as a JSON string.
func (l *WindowLimiter) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// MarshalText writes the summary (encoding/xml, YAML).
func (l *WindowLimiter) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// GobEncode writes the summary; a limiter does not decode.
func (l *WindowLimiter) GobEncode() ([]byte, error) { return []byte(l.String()), nil }

func (l *RateLimiter) String() string {
	return "ratelimit.RateLimiter{limit: " + strconv.FormatFloat(float64(l.lim.Limit()), 'g', 4, 64) +
		"/s, burst: " + strconv.Itoa(l.lim.Burst()) + "}"
}

// GoString is String.
func (l *RateLimiter) GoString() string { return l.String() }

// Format prints String() for every verb.
func (l *RateLimiter) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, l.String()) }

// LogValue implements slog.LogValuer with the summary.
func (l *RateLimiter) LogValue() slog.Value { return slog.StringValue(l.String()) }

// MarshalJSON writes the summary as a JSON string.
func (l *RateLimiter) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// MarshalText writes the summary (encoding/xml, YAML).
func (l *RateLimiter) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// GobEncode writes the summary; a limiter does not decode.
func (l *RateLimiter) GobEncode() ([]byte, error) { return []byte(l.String()), nil }

func budgetText(b Budget) string {
	name := b.Name
	if len(name) > 64 {
		name = name[:64]
	}
	return strconv.Quote(name) + " " + strconv.Itoa(b.Limit) + " per " + b.Window.String()
}
