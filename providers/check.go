package providers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/unikyc/unikyc/internal/httpbody"
)

// CallKind tells what a request is for: an API call, or one of the token
// calls the client makes on its own.
type CallKind uint8

const (
	CallAPI     CallKind = iota // an ordinary API call
	CallLogin                   // a login with the account's credentials
	CallRefresh                 // a refresh-token exchange
)

func (k CallKind) String() string {
	switch k {
	case CallLogin:
		return "login"
	case CallRefresh:
		return "refresh"
	}
	return "api"
}

// TransportError is a request that got no answer from the provider: the
// connection failed, the caller's context ended, or the answer broke off.
// Its message is a fixed phrase naming the provider and the kind of
// failure, never the cause's own text (which can quote URLs and headers);
// the cause stays reachable with errors.Is and errors.As.
type TransportError struct {
	Provider  string
	Operation string
	Kind      CallKind
	Err       error
}

func (e *TransportError) Error() string {
	s := "unikyc: " + e.Provider
	if e.Operation != "" {
		s += " " + e.Operation
	}
	return s + ": " + failure(e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// failure names a transport failure in a fixed phrase.
func failure(err error) string {
	var (
		ne   net.Error
		dns  *net.DNSError
		cert *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		rec  tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.As(err, &dns):
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.As(err, &cert), errors.As(err, &ua), errors.As(err, &rec):
		return "TLS failed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, httpbody.ErrTooLarge):
		return "answer too large"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed before the answer ended"
	}
	return "transport error"
}
