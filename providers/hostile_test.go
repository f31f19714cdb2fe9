package providers_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// hostile builds a client with a static key for a server that answers every
// request with h, on the real clock.
func hostile(t *testing.T, h http.HandlerFunc, opts ...providers.Option) *providers.Core {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	conn, err := providers.Build(providers.Spec{Name: "fake", BaseURL: srv.URL,
		Credential: auth.APIKey("X-API-Key", "key-HOSTILE-SECRET")},
		append([]providers.Option{providers.WithRetryPolicy(providers.RetryPolicy{MaxRetries: -1})}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// maxErrorText is the longest Error() the library returns, whatever a
// server sent (the project's standard).
const maxErrorText = 512

// assertBoundedError checks every rendering of err: no secret, and short.
func assertBoundedError(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	assert.LessOrEqual(t, len(err.Error()), maxErrorText, "Error() is %d bytes", len(err.Error()))
	assert.Equal(t, 1, strings.Count(err.Error(), "unikyc:"), "one unikyc: prefix: %.200s", err.Error())
	leakcheck.NoSecrets(t, secrets, err)
	for how, s := range leakcheck.Renderings(err) {
		assert.LessOrEqual(t, len(s), 4096, "%T through %s is %d bytes: %.300s", err, how, len(s), s)
	}
}

// Rule: every error from a failed exchange is the fixed-phrase
// *TransportError, the cause kept for errors.As, and no Error() is longer
// than 512 bytes whatever the server sent. A hostile server answers a
// redirect whose 60 KiB Location cannot be parsed and carries a secret in
// its query string; http.Client's own error quotes it whole.
func TestHostileLocationIsATransportErrorOfBoundedLength(t *testing.T) {
	const secret = "sig-LOCATION-SECRET"
	cases := map[string]struct {
		loc    string
		client bool // the error is http.Client's own, not the transport's
	}{
		"unparsable 60 KiB": {"/n%zz/next?token=" + secret + "&pad=" + strings.Repeat("a", 60<<10), true},
		"control byte":      {"/next?token=" + secret + "\x7f" + strings.Repeat("b", 60<<10), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			conn := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Location"] = []string{tc.loc}
				w.WriteHeader(http.StatusFound)
			})
			req, err := conn.NewRequest(context.Background(), http.MethodGet, "/cases/1", nil)
			require.NoError(t, err)
			err = conn.Do(req, "GetCase", nil)
			var te *providers.TransportError
			require.ErrorAs(t, err, &te, "%.300s", err)
			assert.Equal(t, "fake", te.Provider)
			assert.Equal(t, "GetCase", te.Operation)
			assert.Error(t, errors.Unwrap(te), "the cause is kept")
			if tc.client {
				var ue *url.Error
				assert.ErrorAs(t, err, &ue, "http.Client's error is kept as the cause")
			}
			assertBoundedError(t, err, secret, "key-HOSTILE-SECRET")
		})
	}
}

// Rule: a redirect loop ends in a *TransportError too.
func TestRedirectLoopIsATransportError(t *testing.T) {
	conn := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	req, err := conn.NewRequest(context.Background(), http.MethodGet, "/cases/1", nil)
	require.NoError(t, err)
	err = conn.Do(req, "GetCase", nil)
	var te *providers.TransportError
	require.ErrorAs(t, err, &te, "%.300s", err)
	assertBoundedError(t, err, "key-HOSTILE-SECRET")
}

// Rule: no Error() of the library is longer than 512 bytes, whatever the
// answer it describes held (codes, field names, a request id).
func TestEveryErrorTextIsAtMost512Bytes(t *testing.T) {
	long := strings.Repeat("Ж", 1000)
	fields := make([]string, 100)
	for i := range fields {
		fields[i] = long
	}
	errs := []error{
		&providers.Error{Provider: "p", Operation: "op", StatusCode: 422, Code: long, Fields: fields, RequestID: long},
		&providers.RateLimitError{Provider: "p", Budget: long, RetryAfter: time.Hour},
		&providers.ValidationError{Provider: "p", Field: long, Reason: long},
		&providers.DecodeError{Provider: "p", Operation: long, Err: errors.New(long)},
		&providers.TransportError{Provider: "p", Operation: long, Err: errors.New(long)},
	}
	for _, err := range errs {
		assertBoundedError(t, err)
	}
}

// Rule: a request id is an identifier, not a payload: a 1 MiB X-Request-Id
// is kept to 128 printable bytes in the error, its slog record and its
// JSON.
func TestHugeRequestIDIsCappedAndPrintable(t *testing.T) {
	// A tab and a right-to-left override: header bytes net/http lets through.
	id := "req-\t\u202e" + strings.Repeat("r", 1<<20)
	conn := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Request-Id"] = []string{id}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"detail":"bad"}`))
	})
	req, err := conn.NewRequest(context.Background(), http.MethodGet, "/cases/1", nil)
	require.NoError(t, err)
	err = conn.Do(req, "GetCase", nil)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.LessOrEqual(t, len(pe.RequestID), 128)
	assert.True(t, strings.HasPrefix(pe.RequestID, "req-"), "%.40q", pe.RequestID)
	for _, r := range pe.RequestID {
		assert.True(t, unicode.IsPrint(r) && r < unicode.MaxASCII, "%q in the request id", r)
	}
	r := leakcheck.Renderings(err)
	for _, how := range []string{"slog-json", "slog-text", "json"} {
		assert.Less(t, len(r[how]), 1024, "%s of the error is %d bytes", how, len(r[how]))
		assert.NotContains(t, r[how], "\u202e", how)
	}
}

// trickle answers 200 at once and then one byte of a JSON body every 20 ms,
// for at most 4 s; cut reports that the client went away before the body
// ended.
func trickle(cut *atomic.Bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "400")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		body := `{"a":"` + strings.Repeat("x", 392) + `"}`
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(body); i++ {
			select {
			case <-r.Context().Done():
				cut.Store(true)
				return
			case <-tick.C:
			}
			if _, err := w.Write([]byte{body[i]}); err != nil {
				cut.Store(true)
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

// Rule: WithTimeout bounds the whole attempt of a typed call, the body read
// included, with the transport Build makes and with one given by
// WithTransport: a body trickled for 8 s is cut, and the call fails with a
// timeout *TransportError. (Margins are generous: the test asserts the
// kind of error and that the server saw the read cut, not a speed.)
func TestTimeoutBoundsTheWholeAttemptOfATypedCall(t *testing.T) {
	for name, opts := range map[string][]providers.Option{
		"built transport": {providers.WithTimeout(300 * time.Millisecond)},
		"WithTransport": {providers.WithTimeout(300 * time.Millisecond),
			providers.WithTransport(http.DefaultTransport.(*http.Transport).Clone())},
	} {
		t.Run(name, func(t *testing.T) {
			var cut atomic.Bool
			conn := hostile(t, trickle(&cut), opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			req, err := conn.NewRequest(ctx, http.MethodGet, "/cases/1", nil)
			require.NoError(t, err)
			var out map[string]string
			start := time.Now()
			err = conn.Do(req, "GetCase", &out)
			took := time.Since(start)
			var te *providers.TransportError
			require.ErrorAs(t, err, &te, "after %v: %v", took, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded, "the attempt's timeout, not the caller's context")
			assert.NoError(t, ctx.Err(), "the caller's context is still live")
			assert.Less(t, took, 6*time.Second, "the 8 s body was cut")
			assert.Eventually(t, cut.Load, 5*time.Second, 10*time.Millisecond, "the server saw the read cut")
		})
	}
}
