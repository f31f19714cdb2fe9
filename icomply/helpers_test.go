package icomply_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
)

// start is a whole second, so JWT "exp" (whole seconds) is exact.
var start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// fastRetry keeps 5xx backoff (real time) short.
var fastRetry = providers.WithRetryPolicy(providers.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

type env struct {
	clk *clock.Fake
	srv *icomplytest.Server
	c   *icomply.Client
	rec *recorder
}

// tokenMode and keyMode pick the Config a test uses.
func tokenMode(s *icomplytest.Server) icomply.Config { return s.Config() }
func keyMode(s *icomplytest.Server) icomply.Config   { return s.APIKeyConfig() }

// newEnv starts a fake and a client on one fake clock; edit changes the
// Config before New. Both are closed when the test ends.
func newEnv(t *testing.T, mode func(*icomplytest.Server) icomply.Config, edit func(*icomply.Config), opts ...providers.Option) *env {
	t.Helper()
	clk := clock.NewFake(start)
	srv := icomplytest.NewServer(icomplytest.WithClock(clk))
	t.Cleanup(srv.Close)
	cfg := mode(srv)
	if edit != nil {
		edit(&cfg)
	}
	rec := &recorder{base: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(rec.base.CloseIdleConnections)
	opts = append([]providers.Option{providers.WithClock(clk), providers.WithTransport(rec), fastRetry}, opts...)
	c, err := icomply.New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &env{clk: clk, srv: srv, c: c, rec: rec}
}

// recorder is the base transport; it keeps every credential sent, so
// tests can check that none of them leaks.
type recorder struct {
	base *http.Transport
	mu   sync.Mutex
	sent []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	for _, h := range []string{"Authorization", icomply.DefaultAPIKeyHeader} {
		if v := req.Header.Get(h); v != "" {
			r.sent = append(r.sent, v)
		}
	}
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// secrets returns the fake's credentials and every credential value sent,
// bare tokens included.
func (r *recorder) secrets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []string{icomplytest.Password, icomplytest.APIKey}
	for _, v := range r.sent {
		out = append(out, v)
		if len(v) > len("Bearer ") && v[:len("Bearer ")] == "Bearer " {
			out = append(out, v[len("Bearer "):])
		}
	}
	return out
}
