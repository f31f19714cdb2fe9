package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/unikyc/unikyc/auth"
)

// A Secret prints, logs and marshals as REDACTED, so logging a whole
// configuration struct is safe.
func ExampleSecret() {
	cfg := struct {
		User     string
		Password auth.Secret
	}{"svc-kyc", "hunter2"}
	fmt.Printf("%+v\n", cfg)
	fmt.Println(len(string(cfg.Password)))
	// Output:
	// {User:svc-kyc Password:REDACTED}
	// 7
}

// Transport puts credentials only on requests to its origin.
func ExampleTransport() {
	var seen string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Get("Authorization")
	}))
	defer srv.Close()
	origin, _ := url.Parse(srv.URL)
	src := auth.TokenSourceFunc(func(context.Context) (*auth.Token, error) {
		return &auth.Token{AccessToken: "abc"}, nil
	})
	c := &http.Client{Transport: &auth.Transport{Origin: origin, Source: src}}
	resp, err := c.Get(srv.URL + "/me")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(seen)
	// Output: Bearer abc
}

// Tokens print without their secrets.
func ExampleToken() {
	t := auth.Token{AccessToken: "eyJ...", RefreshToken: "r-123"}
	fmt.Println(t)
	// Output: Token{Type:Bearer AccessToken:REDACTED Expiry:unknown RefreshToken:REDACTED}
}
