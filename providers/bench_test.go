package providers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
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
	newBase := func() *http.Transport {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		return t
	}
	run := func(b *testing.B, c *http.Client) {
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api", nil)
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}

	b.Run("bare", func(b *testing.B) {
		base := newBase()
		defer base.CloseIdleConnections()
		run(b, &http.Client{Transport: base})
	})
	b.Run("oauth2.Transport", func(b *testing.B) {
		base := newBase()
		defer base.CloseIdleConnections()
		src := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}))
		run(b, &http.Client{Transport: &oauth2.Transport{Source: src, Base: base}})
	})
	b.Run("unikyc", func(b *testing.B) {
		base := newBase()
		conn, err := providers.Build(providers.Spec{Name: "bench", BaseURL: srv.URL,
			Login: func(context.Context, *providers.Sender) (*auth.Token, error) {
				return &auth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, nil
			}}, providers.WithTransport(base))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		defer base.CloseIdleConnections()
		run(b, conn.HTTPClient())
	})
}
