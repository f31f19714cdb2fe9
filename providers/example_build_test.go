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

	ctx := context.Background()
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
