package providers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"golang.org/x/oauth2"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/providers/otelunikyc"
)

// BenchmarkRequest sends whole GET requests over loopback with a cached
// token: the unikyc pipeline (credentials, retry, throttle with no limit)
// against a bare http.Client and an oauth2.Transport, all on the same
// kind of base transport.
func BenchmarkRequest(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	run := func(b *testing.B, c *http.Client) { runRequests(b, srv.URL, c) }

	b.Run("bare", func(b *testing.B) {
		base := newBase()
		defer base.CloseIdleConnections()
		run(b, &http.Client{Transport: base})
	})
	b.Run("bare+Authorization", func(b *testing.B) {
		// The caller sets the header itself: the fair baseline for the
		// allocations, since the server side parses the extra header too.
		base := newBase()
		defer base.CloseIdleConnections()
		runRequestsWith(b, srv.URL, &http.Client{Transport: base}, "Bearer a")
	})
	b.Run("oauth2.Transport", func(b *testing.B) {
		base := newBase()
		defer base.CloseIdleConnections()
		src := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}))
		run(b, &http.Client{Transport: &oauth2.Transport{Source: src, Base: base}})
	})
	b.Run("unikyc", func(b *testing.B) { benchPipeline(b, srv.URL) })
}

// BenchmarkRequestOtel is BenchmarkRequest's unikyc pipeline with
// OpenTelemetry providers installed (no-op ones, and the SDK's: a meter
// provider on a manual reader, a tracer provider sampling every span and
// exporting none) against none.
func BenchmarkRequestOtel(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	b.Run("baseline=none", func(b *testing.B) { benchPipeline(b, srv.URL) })
	b.Run("otel=noop", func(b *testing.B) {
		benchPipeline(b, srv.URL, otelunikyc.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelunikyc.WithTracerProvider(tracenoop.NewTracerProvider()))
	})
	b.Run("otel=sdk", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		tp := sdktrace.NewTracerProvider()
		defer func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) }()
		benchPipeline(b, srv.URL, otelunikyc.WithMeterProvider(mp), otelunikyc.WithTracerProvider(tp))
	})
}

func newBase() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// benchPipeline sends requests through a unikyc client with a cached token.
func benchPipeline(b *testing.B, url string, opts ...providers.Option) {
	base := newBase()
	conn, err := providers.Build(providers.Spec{Name: "bench", BaseURL: url,
		Login: func(context.Context, *providers.Sender) (*auth.Token, error) {
			return &auth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, nil
		}}, append([]providers.Option{providers.WithTransport(base)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	defer base.CloseIdleConnections()
	runRequests(b, url, conn.HTTPClient())
}

func runRequests(b *testing.B, url string, c *http.Client) { runRequestsWith(b, url, c, "") }

// runRequestsWith sends GET requests from parallel goroutines, with an
// Authorization header of authz when it is not empty.
func runRequestsWith(b *testing.B, url string, c *http.Client, authz string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url+"/api", nil)
			if authz != "" {
				req.Header["Authorization"] = []string{authz}
			}
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkPipelineOtel is BenchmarkRequestOtel without the network: the
// base transport answers from memory, so what is left is the pipeline's own
// cost, with and without OpenTelemetry providers.
func BenchmarkPipelineOtel(b *testing.B) {
	const url = "https://bench.example.com"
	bench := func(b *testing.B, opts ...providers.Option) {
		conn, err := providers.Build(providers.Spec{Name: "bench", BaseURL: url,
			Login: func(context.Context, *providers.Sender) (*auth.Token, error) {
				return &auth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, nil
			}}, append([]providers.Option{providers.WithTransport(memoryTransport{})}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		runRequests(b, url, conn.HTTPClient())
	}
	b.Run("baseline=none", func(b *testing.B) { bench(b) })
	b.Run("otel=noop", func(b *testing.B) {
		bench(b, otelunikyc.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelunikyc.WithTracerProvider(tracenoop.NewTracerProvider()))
	})
	b.Run("otel=sdk", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		tp := sdktrace.NewTracerProvider()
		defer func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) }()
		bench(b, otelunikyc.WithMeterProvider(mp), otelunikyc.WithTracerProvider(tp))
	})
}

// BenchmarkPipeline is the pipeline's own cost, without the network: a
// unikyc client with a cached token against a bare http.Client, both on a
// base transport that answers from memory.
func BenchmarkPipeline(b *testing.B) {
	const url = "https://bench.example.com"
	b.Run("bare", func(b *testing.B) { runRequests(b, url, &http.Client{Transport: memoryTransport{}}) })
	b.Run("unikyc", func(b *testing.B) {
		conn, err := providers.Build(providers.Spec{Name: "bench", BaseURL: url,
			Login: func(context.Context, *providers.Sender) (*auth.Token, error) {
				return &auth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, nil
			}}, providers.WithTransport(memoryTransport{}))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		runRequests(b, url, conn.HTTPClient())
	})
}

// memoryTransport answers every request with a 200 from memory.
type memoryTransport struct{}

func (memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody,
		ContentLength: 0, Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}
