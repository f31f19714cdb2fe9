package auth

import (
	"errors"
	"net/http"
	"strings"
)

// These errors explain why a header name or value cannot carry a
// credential. They hold no part of the value; provider packages wrap them
// into a *providers.ValidationError naming the Config field.
var (
	ErrHeaderName     = errors.New("is not a valid HTTP header name")
	ErrReservedHeader = errors.New("is a header that net/http or the HTTP framing owns, or that access logs record: it cannot carry a key")
	ErrControlChar    = errors.New("must not contain control characters (CR, LF, NUL, …)")
)

// reserved are headers a key would be silently dropped from (framing and
// hop-by-hop headers, which net/http writes itself or strips), that
// net/http or this module overwrite (User-Agent, Content-Type), or that
// proxies and access logs record in clear (User-Agent, Referer).
var reserved = map[string]bool{}

func init() {
	for _, h := range []string{
		"Host", "Content-Length", "Transfer-Encoding", "Trailer", "Te", "Connection",
		"Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate", "Upgrade",
		"Expect", "User-Agent", "Referer", "Content-Type", "Content-Encoding", "Accept-Encoding",
		"Cookie", "Date", "Idempotency-Key",
	} {
		reserved[h] = true
	}
}

// CheckHeaderName reports whether name can carry a credential: an RFC 9110
// token that is not one of the headers the HTTP stack owns. It returns
// ErrHeaderName or ErrReservedHeader, never quoting name.
func CheckHeaderName(name string) error {
	if !isToken(name) {
		return ErrHeaderName
	}
	if reserved[http.CanonicalHeaderKey(name)] {
		return ErrReservedHeader
	}
	return nil
}

// CheckHeaderValue reports whether v can be sent as a header value as it
// is: no control characters (CR and LF would split the header, NUL is
// refused by servers). It returns ErrControlChar, never quoting v.
func CheckHeaderValue(v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c == 0x7f {
			return ErrControlChar
		}
	}
	return nil
}

// CheckScheme reports whether s is a valid Authorization scheme (an RFC
// 9110 token, e.g. "Bearer" or "JWT").
func CheckScheme(s string) error {
	if !isToken(s) {
		return errors.New("must be an HTTP auth scheme (a token such as Bearer), without spaces or control characters")
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
