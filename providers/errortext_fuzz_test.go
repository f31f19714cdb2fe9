package providers_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/unikyc/unikyc/internal/testkit/faulttest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// FuzzErrorText fills every error type with whatever a server could have
// put in it — code, field names, a request id, a budget name, a cause's
// text — and checks that Error() is one printable line of at most 512
// bytes with one unikyc: prefix, that the request id kept is at most 128
// printable bytes, and that no rendering (fmt, slog, JSON, XML, gob, YAML)
// runs past a few kilobytes or quotes the cause.
func FuzzErrorText(f *testing.F) {
	f.Add("LOGIN_BAD_CREDENTIALS", "body.username", "req-1", "requests", "dial tcp: refused")
	f.Add(strings.Repeat("Ж", 300), "a\r\nlevel=ERROR", "\t\u202e"+strings.Repeat("r", 200), "\x00", strings.Repeat("x", 600))
	f.Fuzz(func(t *testing.T, code, field, requestID, budget, cause string) {
		resp := &http.Response{StatusCode: http.StatusUnprocessableEntity, Header: http.Header{"X-Request-Id": {requestID}},
			Body: http.NoBody}
		e := providers.NewError("p", "op", resp, func(e *providers.Error) {
			e.Code = code
			e.Fields = []string{field, field, field, field, field, field, field, field, field}
		})
		if len(e.RequestID) > 128 {
			t.Fatalf("request id of %d bytes", len(e.RequestID))
		}
		for _, r := range e.RequestID {
			if r < 0x20 || r > 0x7e {
				t.Fatalf("request id holds %U", r)
			}
		}
		causeErr := errors.New(cause)
		for _, err := range []error{
			e,
			&providers.RateLimitError{Provider: "p", Budget: budget, RetryAfter: time.Minute, Response: e},
			&providers.ValidationError{Provider: "p", Field: field, Reason: code},
			&providers.DecodeError{Provider: "p", Operation: field, Err: causeErr},
			&providers.TransportError{Provider: "p", Operation: "op", Err: causeErr},
		} {
			msg := err.Error()
			faulttest.CheckErrorText(t, msg)
			if n := strings.Count(msg, "unikyc:"); n != 1 {
				t.Fatalf("%d unikyc: prefixes in %q", n, msg)
			}
			for how, s := range leakcheck.Renderings(err) {
				if len(s) > 8<<10 {
					t.Fatalf("%T through %s: %d bytes", err, how, len(s))
				}
				if len(cause) >= 16 && strings.Contains(s, cause) && !strings.Contains(msg, cause) {
					t.Fatalf("%T through %s quotes the cause", err, how)
				}
			}
		}
	})
}
