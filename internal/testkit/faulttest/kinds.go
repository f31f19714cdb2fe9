package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
)

// Error kinds returned by Kind.
const (
	KindOK           = "ok"
	KindRateLimited  = "rate-limited" // *providers.RateLimitError
	KindProvider     = "provider"     // *providers.Error: a non-2xx answer
	KindValidation   = "validation"   // *providers.ValidationError
	KindUnauthorized = "unauthorized" // providers.ErrUnauthorized without an *Error
	KindCredentials  = "credentials"  // providers.ErrInvalidCredentials without an *Error
	KindDeadline     = "deadline"     // the caller's context ended
	KindTransport    = "transport"    // the connection failed: reset, EOF, refused
	KindTooLarge     = "too-large"    // an answer over the read cap
	KindDecode       = "decode"       // a 2xx answer that is not the JSON expected
	KindClosed       = "closed"       // the client was closed
)

// Kind names the type of a client error, or returns "" for an error a
// caller could only match by its text: the failure the fault matrix and
// the soak test forbid.
func Kind(err error) string {
	var (
		rl  *providers.RateLimitError
		pe  *providers.Error
		ve  *providers.ValidationError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
		ne  net.Error
		ope *net.OpError
	)
	switch {
	case err == nil:
		return KindOK
	case errors.As(err, &rl):
		return KindRateLimited
	case errors.As(err, &pe):
		return KindProvider
	case errors.As(err, &ve):
		return KindValidation
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return KindDeadline
	case errors.Is(err, httpbody.ErrTooLarge):
		return KindTooLarge
	case errors.As(err, &se), errors.As(err, &te):
		return KindDecode
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE), errors.As(err, &ope), errors.As(err, &ne):
		return KindTransport
	case errors.Is(err, providers.ErrInvalidCredentials):
		return KindCredentials
	case errors.Is(err, providers.ErrUnauthorized):
		return KindUnauthorized
	case errors.Is(err, tokencache.ErrClosed):
		return KindClosed
	}
	return ""
}
