package providers

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// What a client's transport prints. The pipeline holds the credential, the
// token cache and the live base transport, whose fields net/http's
// goroutines write: every fmt verb, slog, JSON, XML, gob and YAML get this
// short summary instead, built from fields that never change after Build,
// so printing a client's http.Client is neither a leak nor a data race.

func (p *pipeline) String() string {
	kind := "none"
	switch {
	case p.cache != nil:
		kind = "login"
	case p.cred != nil:
		kind = "static"
	}
	return "unikyc.Transport{provider: " + p.provider + ", base: " + p.baseURL.Redacted() +
		", credential: " + kind + " REDACTED}"
}

// GoString is String: %#v shows the summary too.
func (p *pipeline) GoString() string { return p.String() }

// Format prints String() for every verb.
func (p *pipeline) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue implements slog.LogValuer with the summary.
func (p *pipeline) LogValue() slog.Value { return slog.StringValue(p.String()) }

// MarshalJSON writes the summary as a JSON string.
func (p *pipeline) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// MarshalText writes the summary (encoding/xml, YAML).
func (p *pipeline) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// GobEncode writes the summary; a transport does not decode.
func (p *pipeline) GobEncode() ([]byte, error) { return []byte(p.String()), nil }

// A typed call's own http.Client has the call as its transport: the same.

func (c *call) String() string               { return c.p.String() }
func (c *call) GoString() string             { return c.p.String() }
func (c *call) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, c.p.String()) }
func (c *call) LogValue() slog.Value         { return slog.StringValue(c.p.String()) }
func (c *call) MarshalJSON() ([]byte, error) { return json.Marshal(c.p.String()) }
func (c *call) MarshalText() ([]byte, error) { return []byte(c.p.String()), nil }
func (c *call) GobEncode() ([]byte, error)   { return []byte(c.p.String()), nil }
func (t *attemptTimeout) String() string     { return "unikyc.attemptTimeout{" + t.d.String() + "}" }
func (t *attemptTimeout) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, t.String())
}
