package auth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
)

// Credential is a static credential: the same header on every request.
// Use [Basic], [APIKey] or [Bearer] to make one.
type Credential interface {
	// SetHeader sets the credential on h, a header the caller owns.
	SetHeader(h http.Header)
}

// staticCred holds a header computed once, so that setting it costs no
// allocation per request. The value slice is shared between requests; its
// capacity is 1, so an append elsewhere copies instead of writing into it.
type staticCred struct {
	kind   string // "basic", "api-key", "bearer": for printing
	header string // canonical header name
	value  []string
}

// Basic returns HTTP Basic credentials: username key, password secret
// (iDenfy's API key and secret).
func Basic(key, secret string) Credential {
	v := "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
	return &staticCred{kind: "basic", header: "Authorization", value: []string{v}}
}

// APIKey returns a credential that sends key in the named header.
func APIKey(header, key string) Credential {
	return &staticCred{kind: "api-key", header: http.CanonicalHeaderKey(header), value: []string{key}}
}

// Bearer returns a fixed bearer token credential.
func Bearer(token string) Credential {
	return &staticCred{kind: "bearer", header: "Authorization", value: []string{"Bearer " + token}}
}

func (c *staticCred) SetHeader(h http.Header) { h[c.header] = c.value[:1:1] }

func (c *staticCred) String() string {
	return fmt.Sprintf("auth.Credential{%s %s: REDACTED}", c.kind, c.header)
}
func (c *staticCred) GoString() string             { return c.String() }
func (c *staticCred) Format(f fmt.State, _ rune)   { _, _ = fmt.Fprint(f, c.String()) }
func (c *staticCred) LogValue() slog.Value         { return slog.StringValue(c.String()) }
func (c *staticCred) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }
func (c *staticCred) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
func (c *staticCred) GobEncode() ([]byte, error)   { return []byte(c.String()), nil }
