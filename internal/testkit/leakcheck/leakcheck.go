// Package leakcheck asserts that secrets do not appear in what a value
// prints, logs or marshals, nor in error strings. Tests only.
package leakcheck

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// Verbs is every fmt verb a value may be printed with, flags included.
var Verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%#x", "%d", "%o", "%b",
	"%e", "%f", "%g", "%t", "%c", "%U", "%10.3s", "%-8v", "%#q"}

// templates render v the ways text/template shows a value.
var templates = template.Must(template.New("all").Parse(
	`{{.}}|{{print .}}|{{printf "%#v" .}}|{{html .}}|{{js .}}|{{urlquery .}}`))

// Renderings returns every way v is commonly shown: every fmt verb in
// Verbs, text/template, slog's text and JSON handlers, json.Marshal,
// encoding/xml, encoding/gob and YAML (go.yaml.in/yaml/v3). An encoder that
// refuses v (gob without exported fields, XML of a map) contributes nothing.
func Renderings(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range Verbs {
		out[verb] = fmt.Sprintf(verb, v)
	}
	var tpl bytes.Buffer
	if err := templates.Execute(&tpl, v); err == nil {
		out["text/template"] = tpl.String()
	}
	if b, err := xml.Marshal(v); err == nil {
		out["xml"] = string(b)
	}
	if b, err := xml.Marshal(struct{ V any }{v}); err == nil {
		out["xml-field"] = string(b)
	}
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(v); err == nil {
		out["gob"] = g.String()
	}
	if b, err := yamlMarshal(v); err == nil {
		out["yaml"] = string(b)
	} else if err != nil {
		out["yaml-error"] = err.Error()
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
				if secret != "" && (strings.Contains(s, secret) || strings.Contains(strings.ToLower(s), fmt.Sprintf("%x", secret))) {
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

// yamlMarshal is yaml.Marshal with its panics (a func field of a type such
// as http.Client) turned into errors, whose text is checked too.
func yamlMarshal(v any) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml panicked: %v", r)
		}
	}()
	return yaml.Marshal(v)
}
