// Package leakcheck asserts that secrets do not appear in what a value
// prints, logs or marshals, nor in error strings. Tests only.
package leakcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Renderings returns every way v is commonly shown: fmt verbs %v %+v %#v
// %s %q, slog's text and JSON handlers, and json.Marshal.
func Renderings(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
	out["slog-text"], out["slog-json"] = text.String(), js.String()
	if b, err := json.Marshal(v); err == nil {
		out["json"] = string(b)
	}
	if err, ok := v.(error); ok && err != nil {
		out["Error()"] = err.Error()
	}
	return out
}

// NoSecrets fails t if any non-empty secret appears in any rendering of
// any of values.
func NoSecrets(t testing.TB, secrets []string, values ...any) {
	t.Helper()
	for i, v := range values {
		for how, s := range Renderings(v) {
			for _, secret := range secrets {
				if secret != "" && strings.Contains(s, secret) {
					t.Errorf("value %d (%T) leaks a secret through %s: %s", i, v, how, s)
				}
			}
		}
	}
}

// Log is an slog.Handler target that records every log line, for checking
// that nothing secret was logged.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Logger returns a logger writing JSON lines at debug level into l.
func (l *Log) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&syncWriter{mu: &l.mu, w: &l.buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// String returns everything logged so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
