// Package auth defines the token and credential types every unikyc provider
// shares, and the http.RoundTripper that puts them on requests.
//
// A provider authenticates in one of two ways: with a [TokenSource] that logs
// in and hands out expiring bearer tokens (wrap it in a tokencache.Cache), or
// with a static [Credential] ([Basic], [APIKey], [Bearer]). [Transport] sets
// either on each request to the provider's own origin, and nowhere else.
//
// Secrets never print: [Secret], [Token] and every Credential implement
// fmt.Formatter, fmt.Stringer, fmt.GoStringer, slog.LogValuer,
// json.Marshaler, encoding.TextMarshaler (XML, YAML) and gob.GobEncoder with
// the secret replaced by "REDACTED". Stores that must persist a token encode
// its fields themselves.
package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

const redacted = "REDACTED"

// Token is a bearer token with its lifetime and, when the provider issues
// one, its refresh token. A *Token handed out by a TokenSource is shared:
// treat it as read-only.
type Token struct {
	AccessToken   string
	TokenType     string    // "Bearer" when empty
	Expiry        time.Time // zero: unknown; the token is used until it is rejected
	RefreshToken  string    // empty when the provider has none
	RefreshExpiry time.Time // zero: unknown
}

// TokenSource returns a token for a request. Implementations must be safe
// for concurrent use and should honour ctx.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// TokenSourceFunc adapts a function to a TokenSource.
type TokenSourceFunc func(ctx context.Context) (*Token, error)

// Token calls f(ctx).
func (f TokenSourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

// Invalidator is implemented by token sources that can drop a token the
// provider rejected. Invalidate must drop t only if it is still the current
// token, so that a late 401 never discards a newer token.
type Invalidator interface {
	Invalidate(t *Token)
}

// Type returns the scheme for the Authorization header: "Bearer" unless the
// provider named another.
func (t *Token) Type() string {
	if t.TokenType == "" || equalFoldASCII(t.TokenType, "bearer") {
		return "Bearer"
	}
	return t.TokenType
}

// Expired reports whether the access token has expired at now. A token with
// no known expiry never expires by time.
func (t *Token) Expired(now time.Time) bool {
	return !t.Expiry.IsZero() && !now.Before(t.Expiry)
}

// RefreshUsable reports whether the token carries a refresh token that has
// not expired at now.
func (t *Token) RefreshUsable(now time.Time) bool {
	return t.RefreshToken != "" && (t.RefreshExpiry.IsZero() || now.Before(t.RefreshExpiry))
}

// String returns a description of t with the secrets redacted.
func (t Token) String() string {
	return fmt.Sprintf("Token{Type:%s AccessToken:%s Expiry:%s RefreshToken:%s}",
		t.Type(), redactIf(t.AccessToken), fmtTime(t.Expiry), redactIf(t.RefreshToken))
}

// GoString is String for %#v.
func (t Token) GoString() string { return "auth." + t.String() }

// Format makes every verb (%v %+v %#v %s %q …) print the redacted form.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = fmt.Fprint(f, t.GoString())
		return
	}
	_, _ = fmt.Fprint(f, t.String())
}

// LogValue implements slog.LogValuer without the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", t.Type()),
		slog.String("access_token", redactIf(t.AccessToken)),
		slog.Time("expiry", t.Expiry),
		slog.Bool("has_refresh_token", t.RefreshToken != ""),
	)
}

// MarshalJSON writes the token with its secrets redacted. Stores that must
// persist the secrets encode the fields themselves.
func (t Token) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AccessToken   string    `json:"access_token"`
		TokenType     string    `json:"token_type"`
		Expiry        time.Time `json:"expiry,omitzero"`
		RefreshToken  string    `json:"refresh_token,omitempty"`
		RefreshExpiry time.Time `json:"refresh_expiry,omitzero"`
	}{redactIf(t.AccessToken), t.Type(), t.Expiry, redactIf(t.RefreshToken), t.RefreshExpiry})
}

// MarshalText writes String(): encoding/xml, YAML and other encoders that
// honour encoding.TextMarshaler print the token with its secrets redacted.
func (t Token) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// GobEncode writes String(), so gob never carries the secrets. A Token does
// not decode from gob: stores encode the fields themselves.
func (t Token) GobEncode() ([]byte, error) { return []byte(t.String()), nil }

func redactIf(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
