package faulttest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// Answering is a base transport that answers every request with status and
// body, without a network: fuzz targets drive a whole client with it.
func Answering(status int, body []byte) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_ = req.Body.Close()
		}
		return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// NoRetries keeps a fuzzed answer to one attempt.
var NoRetries = providers.WithRetryPolicy(providers.RetryPolicy{MaxRetries: -1})

// maxErrorText bounds Error() whatever the answer held (the project's
// standard: 512 bytes).
const maxErrorText = 512

// CheckErrorText fails t unless msg is one printable line of bounded
// length: an error string must not carry a body, nor a line break a
// plain-text log would take for a new record.
func CheckErrorText(t testing.TB, msg string) {
	t.Helper()
	if len(msg) > maxErrorText {
		t.Fatalf("error text of %d bytes: %.200q…", len(msg), msg)
	}
	for _, r := range msg {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			t.Fatalf("error text holds %U: %q", r, msg)
		}
	}
}

// CheckDecoded checks what an error decoder made of body: the body is
// untouched, Error() is printable and bounded, and the sentinel, if any,
// is one of allowed.
func CheckDecoded(t testing.TB, e *providers.Error, body []byte, allowed ...error) {
	t.Helper()
	if !bytes.Equal(e.Body, body) {
		t.Fatalf("the decoder changed the body")
	}
	CheckErrorText(t, e.Error())
	if e.Err == nil {
		return
	}
	for _, a := range allowed {
		if e.Err == a || errors.Is(e.Err, a) {
			return
		}
	}
	t.Fatalf("unexpected sentinel %v", e.Err)
}

// CheckTokenAnswer checks the outcome of a login or refresh whose 2xx
// answer was body: either a usable token whose expiry is unknown or still
// ahead of now (never one that would make the cache log in again at
// once), or an error that is printable, bounded and does not quote the
// answer.
func CheckTokenAnswer(t testing.TB, tok *auth.Token, err error, now time.Time, body []byte) {
	t.Helper()
	if err != nil {
		msg := err.Error()
		CheckErrorText(t, msg)
		if len(body) >= 16 && strings.Contains(msg, string(body)) {
			t.Fatalf("the error quotes the answer: %q", msg)
		}
		return
	}
	if tok == nil || tok.AccessToken == "" {
		t.Fatalf("no error and no token")
	}
	if !tok.Expiry.IsZero() && !tok.Expiry.After(now) {
		t.Fatalf("token expires at %v, not after now (%v)", tok.Expiry, now)
	}
}

// Within runs f with a short deadline, as a caller would.
func Within(f func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f(ctx)
}

// Operations are the operation names a fuzzed error gets: the token calls
// the decoders treat apart, and an API call.
var Operations = []string{"login", "refresh", "get"}

// FuzzedError returns the *providers.Error a decoder gets for a fuzzed
// answer: any status from 100 to 599, an operation picked by op, a copy
// of body.
func FuzzedError(provider string, status int, op uint8, body []byte) *providers.Error {
	if status < 0 {
		status = -(status + 1)
	}
	return &providers.Error{Provider: provider, Operation: Operations[int(op)%len(Operations)],
		StatusCode: 100 + status%500, Body: append([]byte(nil), body...)}
}
