package providers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/ratelimit"
)

// Budgets shows each budget's live state: what is left in the window and
// when the next slot frees. (A request about to wait longer than
// WithWaitWarning for a slot or a pause is logged, on WithLogger's logger
// or, without one, on slog.Default().)
func ExampleCore_Budgets() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	conn, err := providers.Build(providers.Spec{Name: "example", BaseURL: srv.URL,
		Credential: auth.APIKey("X-API-Key", "k"),
		Budgets:    []ratelimit.Budget{{Name: "requests", Limit: 2, Window: time.Minute}}},
		providers.WithClock(clk), providers.WithWaitWarning(10*time.Second))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // real time: longer than any wait on the fake clock
	defer cancel()
	for range 2 {
		req, _ := conn.NewRequest(ctx, http.MethodGet, "/cases/42", nil)
		if err := conn.Do(req, "GetCase", nil); err != nil {
			panic(err)
		}
	}
	for _, b := range conn.Budgets() {
		fmt.Printf("%s: %d of %d left, next slot in %s\n", b.Name, b.Remaining, b.Limit, b.NextFree.Sub(clk.Now()))
	}
	// Output: requests: 0 of 2 left, next slot in 1m1s
}
