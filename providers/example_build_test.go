package providers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// Build is how a provider package turns its login call into a client that
// authenticates, retries and throttles; typed calls use NewRequest and Do.
func ExampleBuild() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/login":
			fmt.Fprint(w, `{"token":"t-1"}`)
		case r.Header.Get("Authorization") != "Bearer t-1":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/cases/42":
			fmt.Fprint(w, `{"status":"approved"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()

	conn, err := providers.Build(providers.Spec{
		Name: "example", BaseURL: srv.URL, Account: "svc",
		Login: func(ctx context.Context, s *providers.Sender) (*auth.Token, error) {
			req, err := s.NewRequest(ctx, http.MethodPost, "/login", map[string]string{"user": "svc"})
			if err != nil {
				return nil, err
			}
			var out struct{ Token string }
			if err := s.Do(req, "login", &out); err != nil {
				return nil, err
			}
			return &auth.Token{AccessToken: out.Token, Expiry: s.Now().Add(time.Hour)}, nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := conn.NewRequest(ctx, http.MethodGet, "/cases/42", nil)
	var c struct{ Status string }
	fmt.Println(conn.Do(req, "GetCase", &c), c.Status)

	req, _ = conn.NewRequest(ctx, http.MethodGet, "/cases/43", nil)
	err = conn.Do(req, "GetCase", &c)
	fmt.Println(errors.Is(err, providers.ErrNotFound), err)
	// Output:
	// <nil> approved
	// true unikyc: example GetCase: 404 Not Found
}

// Client is a provider package's client: it holds its Conn unexported and
// declares the user API as its own methods, so that go doc lists them on
// Client and a user never reaches the Conn's provider-author helpers.
type Client struct {
	conn *providers.Core
}

// HTTPClient returns the client that authenticates, throttles and retries.
func (c *Client) HTTPClient() *http.Client { return c.conn.HTTPClient() }

// Stats returns counts of what the client has done.
func (c *Client) Stats() providers.Stats { return c.conn.Stats() }

// Close stops background refreshes and releases connections.
func (c *Client) Close() error { return c.conn.Close() }

// A provider's Client wraps the Conn that Build returns; its typed calls
// use the Conn's NewRequest and Do.
func ExampleBuild_client() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "k-1" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()

	conn, err := providers.Build(providers.Spec{
		Name: "example", BaseURL: srv.URL, Credential: auth.APIKey("X-API-Key", "k-1"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := &Client{conn: conn}
	defer c.Close()

	resp, err := c.HTTPClient().Get(srv.URL + "/ping")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = resp.Body.Close()
	fmt.Println(resp.StatusCode, c.Stats().Requests)
	// Output:
	// 200 1
}
