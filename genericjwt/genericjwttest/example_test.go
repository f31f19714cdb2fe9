package genericjwttest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
)

// Drive token lifetimes with a fake clock shared by the server and the
// client: two hours pass in no time, and the client logs in again by
// itself when the first token runs out.
func ExampleNewServer() {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := genericjwttest.NewServer(genericjwttest.WithClock(clk), genericjwttest.WithTokenLifetime(time.Hour))
	defer srv.Close()
	client, err := genericjwt.New(srv.Config(), providers.WithClock(clk))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // real time: longer than any wait on the fake clock
	defer cancel()
	for range 3 {
		if err := client.CheckAuth(ctx); err != nil {
			log.Fatal(err)
		}
		clk.Advance(time.Hour)
	}
	fmt.Println("logins:", srv.Logins(), "expired-token 401s:", srv.ExpiredRejections())
	// Output: logins: 3 expired-token 401s: 0
}

// Serve your back office's own routes behind the fake's token check.
func ExampleWithHandler() {
	srv := genericjwttest.NewServer(genericjwttest.WithHandler("GET /api/v1/cases/{id}",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":%q,"reviewer":%q}`, r.PathValue("id"), genericjwttest.Username(r))
		})))
	defer srv.Close()
	client, err := genericjwt.New(srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := client.NewRequest(ctx, http.MethodGet, "/api/v1/cases/c-42", nil)
	if err != nil {
		log.Fatal(err)
	}
	var kase struct{ ID, Reviewer string }
	if err := client.Do(req, "case", &kase); err != nil {
		log.Fatal(err)
	}
	fmt.Println(kase.ID, kase.Reviewer)
	// Output: c-42 compliance-bot@example.com
}
