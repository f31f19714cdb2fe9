package providers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// Rule: telemetry's server.address and server.port come from the
// configured base URL only, so the attribute sets are bounded by the
// accounts, not by where a server redirects. A server that sends every
// request to a new host (127.0.0.N, nothing listening) made one attribute
// set per host.
func TestOtelServerAttributesComeFromTheBaseURL(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmt.Sprintf("http://127.0.0.%d:1/elsewhere", 2+n.Add(1)%200), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	k := newOtelKit(t)
	conn, err := providers.Build(providers.Spec{Name: "fake", BaseURL: srv.URL, Credential: auth.APIKey("X-API-Key", "k")},
		append(k.options(), providers.WithRetryPolicy(providers.RetryPolicy{MaxRetries: -1}))...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	const calls = 40
	for range calls {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/api", nil)
		require.NoError(t, err)
		resp, err := conn.HTTPClient().Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
	}
	base, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(base.Port())
	m, ok := k.metrics(t)["http.client.request.duration"]
	require.True(t, ok)
	points := m.Data.(metricdata.Histogram[float64]).DataPoints
	var attempts uint64
	for _, p := range points {
		attempts += p.Count
		addr, _ := p.Attributes.Value("server.address")
		pv, _ := p.Attributes.Value("server.port")
		assert.Equal(t, "127.0.0.1", addr.AsString())
		assert.Equal(t, int64(port), pv.AsInt64())
	}
	assert.Equal(t, uint64(2*calls), attempts, "each call: the 302 and the redirect's failed attempt")
	assert.LessOrEqual(t, len(points), 4, "attribute sets: the 302, the redirect's failure; not one per host")
	for _, s := range k.spans.Ended() {
		if v, ok := attrOf(s.Attributes(), "server.address"); ok {
			assert.Equal(t, "127.0.0.1", v.AsString(), "span %s", s.Name())
		}
	}
}
