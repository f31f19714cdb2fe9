package oauth2bridge_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/unikyc/unikyc/auth/oauth2bridge"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
)

// A unikyc client's token cache behind an oauth2.Transport: code written
// against oauth2 sends the token the client logged in for, and the client
// keeps it fresh (one login for every request of both).
func ExampleToOAuth2() {
	srv := compliancelytest.NewServer()
	defer srv.Close()
	c, err := compliancely.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	src := oauth2bridge.ToOAuth2(c.TokenSource(), oauth2bridge.WithTimeout(10*time.Second))
	hc := &http.Client{Transport: &oauth2.Transport{Source: src}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The tax-exempt check that compliancely's own Example submits.
	body := strings.NewReader(`{"tin":"111232319","name":"Zenwork"}`)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+compliancely.TaxExemptPath, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, "logins:", srv.Logins(), "checks:", srv.TaxExempts())
	// Output:
	// 201 logins: 1 checks: 1
}

// An oauth2.TokenSource your service already holds (here a static one) as
// the Login of a provider Spec: the provider's requests carry its token
// through the unikyc pipeline.
func ExampleFromOAuth2() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()

	held := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t-1", Expiry: time.Now().Add(time.Hour)})
	conn, err := providers.Build(providers.Spec{Name: "example", BaseURL: api.URL, Account: "svc",
		Login: oauth2bridge.FromOAuth2(held).Login})
	if err != nil {
		panic(err)
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := conn.NewRequest(ctx, http.MethodGet, "/whoami", nil)
	resp, err := conn.HTTPClient().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output:
	// Bearer t-1
}
