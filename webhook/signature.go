package webhook

import (
	"fmt"
	"net/http"
	"strings"
)

// maxSignatureLen bounds a signature header: an HMAC-SHA512 in hex with a
// prefix fits many times over, and a huge one is refused before any work.
const maxSignatureLen = 1024

// SignatureValue returns the one value of the signature header name, for
// Provider implementations. A missing, empty, repeated (sent twice, or
// joined with commas by a proxy) or oversized header is an error matching
// ErrBadSignature whose text names the header, never its value: which of
// two signatures the sender meant is ambiguous, so neither is tried.
func SignatureValue(h http.Header, name string) (string, error) {
	vs := h.Values(name)
	switch {
	case len(vs) == 0:
		return "", fmt.Errorf("%w: no %s header", ErrBadSignature, name)
	case len(vs) > 1:
		return "", fmt.Errorf("%w: %s sent %d times", ErrBadSignature, name, len(vs))
	}
	v := vs[0]
	switch {
	case len(v) > maxSignatureLen:
		return "", fmt.Errorf("%w: %s over %d bytes", ErrBadSignature, name, maxSignatureLen)
	case strings.TrimSpace(v) == "":
		return "", fmt.Errorf("%w: %s is empty", ErrBadSignature, name)
	case strings.Contains(v, ","):
		return "", fmt.Errorf("%w: %s holds several values", ErrBadSignature, name)
	}
	return v, nil
}
