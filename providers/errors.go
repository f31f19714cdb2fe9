package providers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/unikyc/unikyc/internal/errs"
	"github.com/unikyc/unikyc/internal/httpbody"
)

// Sentinel errors for errors.Is. They are the same values that auth and
// tokencache return.
var (
	// ErrUnauthorized: the provider refused the token or key (401).
	ErrUnauthorized = errs.ErrUnauthorized
	// ErrInvalidCredentials: the provider refused the username, password,
	// key or secret at login. Never retried.
	ErrInvalidCredentials = errs.ErrInvalidCredentials
	// ErrRateLimited: the provider answered 429, or the client is cooling
	// down after one. Matched by *RateLimitError.
	ErrRateLimited = errs.ErrRateLimited
	// ErrNotFound: the provider answered 404.
	ErrNotFound = errs.ErrNotFound
	// ErrValidation: the request was refused as malformed, by the provider
	// (400/422 with a validation code) or by unikyc before sending
	// (*ValidationError).
	ErrValidation = errs.ErrValidation
	// ErrClosed: the client was closed; nothing more is sent.
	ErrClosed = errs.ErrClosed
)

// maxErrorBody caps how much of an error answer is kept.
const maxErrorBody = 64 << 10

// Error is a non-2xx answer from a provider. Its Error method names the
// provider, operation, status and provider code only: never the body,
// which may hold personal data, nor any credential; fmt, slog and JSON
// show the same. An *Error may be shared by every caller that waited on
// one login: treat it as read-only.
type Error struct {
	Provider   string   // "icomply", "idenfy", …
	Operation  string   // "login", "refresh", or the endpoint's name
	Kind       CallKind // API call, login or refresh
	StatusCode int
	Code       string   // the provider's own error code, e.g. "LOGIN_BAD_CREDENTIALS"
	Message    string   // the provider's message; may quote your input
	Fields     []string // names of the fields a validation error points at
	RequestID  string
	Header     http.Header
	Body       []byte // the raw answer, capped at 64 KiB; may hold personal data
	// Err is the sentinel this error matches beyond its status, set by the
	// provider's decoder (e.g. ErrInvalidCredentials for a 400 at login).
	Err error
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString("unikyc: ")
	b.WriteString(e.Provider)
	if e.Operation != "" {
		b.WriteString(" ")
		b.WriteString(e.Operation)
	}
	b.WriteString(": ")
	if e.StatusCode > 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteString(" ")
		b.WriteString(http.StatusText(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(" (")
		writeText(&b, e.Code)
		b.WriteString(")")
	}
	for i, f := range e.Fields {
		if i == maxErrorFields {
			b.WriteString(", …")
			break
		}
		if i == 0 {
			b.WriteString(" fields: ")
		} else {
			b.WriteString(", ")
		}
		writeText(&b, f)
	}
	return capText(b.String())
}

// Code and Fields come from the provider's answer. Error() keeps them to
// one printable line of bounded length, so that a broken or hostile answer
// can neither forge log lines nor flood them.
const (
	maxErrorText   = 64 // bytes of a code or field name
	maxErrorFields = 8
)

// maxErrorLen bounds every Error() of the library, whatever a server sent.
const maxErrorLen = 512

// capText makes s one printable line (anything else becomes '?') of at
// most maxErrorLen bytes, cut on a rune boundary and marked "…".
func capText(s string) string {
	if len(s) <= maxErrorLen && printableText(s) {
		return s // the common case: no copy
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		if b.Len() > 2*maxErrorLen {
			break // enough to cut from
		}
	}
	out := b.String()
	if len(out) <= maxErrorLen {
		return out
	}
	n := maxErrorLen - len("…")
	for n > 0 && !utf8.RuneStart(out[n]) {
		n--
	}
	return out[:n] + "…"
}

func printableText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// text is s as writeText writes it: one printable line, bounded.
func text(s string) string {
	var b strings.Builder
	writeText(&b, s)
	return b.String()
}

// texts is fields as Error() shows them: at most maxErrorFields, each text.
func texts(fields []string) []string {
	if len(fields) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(fields), maxErrorFields))
	for i, f := range fields {
		if i == maxErrorFields {
			break
		}
		out = append(out, text(f))
	}
	return out
}

func writeText(b *strings.Builder, s string) {
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if n += utf8.RuneLen(r); n > maxErrorText {
			b.WriteString("…")
			return
		}
		b.WriteRune(r)
	}
}

// Format prints Error() for every verb, so that %+v and %#v cannot spill
// the body or message, which may hold personal data. Value receivers (here
// and on Error, LogValue and MarshalJSON) keep a dereferenced *Error just
// as quiet.
func (e Error) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// LogValue implements slog.LogValuer with the fields that hold no body.
func (e Error) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("provider", e.Provider), slog.String("operation", e.Operation),
		slog.Int("status", e.StatusCode), slog.String("code", text(e.Code)),
		slog.String("request_id", text(e.RequestID)))
}

// MarshalJSON writes the fields that hold no body, message or headers.
func (e Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Provider   string   `json:"provider"`
		Operation  string   `json:"operation,omitempty"`
		StatusCode int      `json:"status"`
		Code       string   `json:"code,omitempty"`
		Fields     []string `json:"fields,omitempty"`
		RequestID  string   `json:"request_id,omitempty"`
		Error      string   `json:"error"`
	}{e.Provider, e.Operation, e.StatusCode, text(e.Code), texts(e.Fields), text(e.RequestID), e.Error()})
}

// Unwrap returns the sentinel the provider's decoder set, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel that the status implies: 401 ErrUnauthorized,
// 404 ErrNotFound, 429 ErrRateLimited, 422 ErrValidation — the last unless
// the provider's decoder set Err: some providers answer 422 for a broken
// business rule, not for malformed input (KYConnect), and say so there.
func (e *Error) Is(target error) bool {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusTooManyRequests:
		return target == ErrRateLimited
	case http.StatusUnprocessableEntity:
		return target == ErrValidation && e.Err == nil
	}
	return false
}

// HTTPStatus returns StatusCode; it lets packages below providers classify
// the error without importing it.
func (e *Error) HTTPStatus() int { return e.StatusCode }

// ErrorDecoder fills Code, Message, Fields and Err of e from e.Body. It is
// the provider-author API: each provider package has one, given in
// Spec.DecodeError; it must not fail on a body it does not expect.
type ErrorDecoder func(e *Error)

// NewError reads the (capped) body of a non-2xx resp, closes it and
// returns the decoded *Error. It is the provider-author API; users get the
// same error from a client's CheckResponse.
func NewError(provider, operation string, resp *http.Response, decode ErrorDecoder) *Error {
	e := &Error{
		Provider:   provider,
		Operation:  operation,
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		RequestID:  requestID(resp.Header),
	}
	if resp.Body != nil {
		e.Body, _ = httpbody.Read(resp.Body, maxErrorBody)
		httpbody.Drain(resp.Body, maxErrorBody)
	}
	if decode != nil {
		decode(e) // also for empty bodies: some providers answer 401 with none
	}
	return e
}

// maxRequestID bounds the request id kept from an answer: an identifier to
// quote to the provider's support, not a payload.
const maxRequestID = 128

// requestID is the answer's request id, printable ASCII only (anything else
// becomes '?') and at most maxRequestID bytes.
func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Requestid"} {
		if v := h.Get(k); v != "" {
			return printableID(v)
		}
	}
	return ""
}

func printableID(v string) string {
	b := make([]byte, 0, min(len(v), maxRequestID))
	for i := 0; i < len(v) && len(b) < maxRequestID; i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}

// RateLimitError reports that a request was not sent, or not retried,
// because the provider's rate limit (a 429 pause) or the client's own
// budget asks for a wait longer than the caller's deadline or the retry
// policy's MaxRetryWait. It matches ErrRateLimited, and also
// context.DeadlineExceeded when the caller's deadline was the reason.
type RateLimitError struct {
	Provider string
	// Budget names the client's own budget that held the request back
	// ("requests", "login", …); "" for a pause the provider asked for.
	Budget     string
	RetryAfter time.Duration // how long until a request may leave again
	// Response is the 429 answer that started the wait; nil when the request
	// was held back by a pause an earlier answer started, or by a budget.
	Response *Error

	deadline bool
}

func (e RateLimitError) Error() string {
	var b strings.Builder
	b.WriteString("unikyc: ")
	b.WriteString(e.Provider)
	if e.Provider == "" { // a Limiter's own, before the pipeline names it
		b.WriteString("limiter")
	}
	if e.Response != nil && e.Response.Operation != "" {
		b.WriteString(" ")
		b.WriteString(e.Response.Operation)
	}
	if e.Budget != "" {
		b.WriteString(": budget ")
		writeText(&b, e.Budget)
		b.WriteString(" exhausted")
	} else {
		b.WriteString(": rate limited")
	}
	b.WriteString(": retry after ")
	b.WriteString(roundWait(e.RetryAfter).String())
	if e.deadline {
		b.WriteString(", past the deadline")
	}
	return capText(b.String())
}

// roundWait keeps a wait readable: whole seconds past ten, else milliseconds.
func roundWait(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// Is reports whether target is ErrRateLimited, or context.DeadlineExceeded
// when the deadline held the request back.
func (e *RateLimitError) Is(target error) bool {
	return target == ErrRateLimited || e.deadline && target == context.DeadlineExceeded
}

// Format prints Error() for every verb, so that %+v and %#v of the value
// cannot walk into Response.
func (e RateLimitError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// LogValue implements slog.LogValuer without the 429 answer's body.
func (e RateLimitError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("provider", e.Provider), slog.String("budget", text(e.Budget)),
		slog.Duration("retry_after", e.RetryAfter))
}

// MarshalJSON writes the provider, the budget, the wait and Error(); never
// the answer.
func (e RateLimitError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Provider   string `json:"provider"`
		Budget     string `json:"budget,omitempty"`
		RetryAfter string `json:"retry_after"`
		Error      string `json:"error"`
	}{e.Provider, text(e.Budget), e.RetryAfter.Round(time.Millisecond).String(), e.Error()})
}

// Unwrap returns the 429 answer, when there was one.
func (e *RateLimitError) Unwrap() error {
	if e.Response == nil {
		return nil
	}
	return e.Response
}

// ValidationError is bad input caught before anything was sent. It names
// the field and the rule, never the value.
type ValidationError struct {
	Provider string // e.g. "idenfy"; set by the provider's New and typed calls
	Field    string // e.g. "tags[2]"
	Reason   string // e.g. "must not contain a comma"
}

func (e ValidationError) Error() string {
	if e.Provider == "" {
		return capText("unikyc: invalid " + e.Field + ": " + e.Reason)
	}
	return capText("unikyc: " + e.Provider + ": invalid " + e.Field + ": " + e.Reason)
}

// Named sets provider on err when it is a *ValidationError that names
// none, and returns err. It is the provider-author API: provider packages
// call it on what New returns.
func Named(provider string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) && ve.Provider == "" {
		ve.Provider = provider
	}
	return err
}

// Is reports whether target is ErrValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// Invalid returns a *ValidationError for field. It is the provider-author
// API, for a provider's New that refuses a Config.
func Invalid(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }

// DecodeError is a 2xx answer that could not be decoded. Its message names
// the provider, the operation and what did not fit, never the answer.
type DecodeError struct {
	Provider  string
	Operation string
	Err       error
}

func (e DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("unikyc: ")
	b.WriteString(e.Provider)
	if e.Operation != "" {
		b.WriteString(" ")
		b.WriteString(e.Operation)
	}
	b.WriteString(": decoding answer")
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(e.Err, &te):
		b.WriteString(": field ")
		writeText(&b, te.Field)
		b.WriteString(" is a JSON ")
		writeText(&b, te.Value)
		b.WriteString(", want ")
		writeText(&b, te.Type.String())
	case errors.As(e.Err, &se):
		fmt.Fprintf(&b, ": invalid JSON at byte %d", se.Offset)
	default:
		b.WriteString(": not the expected JSON")
	}
	return capText(b.String())
}

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

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

func (e TransportError) Error() string {
	s := "unikyc: " + e.Provider
	if e.Operation != "" {
		s += " " + e.Operation
	}
	return capText(s + ": " + failure(e.Err))
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
