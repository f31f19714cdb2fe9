package compliancely_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// Match a TIN: submit it with your webhook URL, receive the signed result
// through the shared webhook receiver, or fetch it by id.
func ExampleNewWebhooks() {
	srv := compliancelytest.NewServer()
	defer srv.Close()
	c, err := compliancely.New(srv.Config(), providers.WithLimiter(nil)) // keep the limiter in production
	if err != nil {
		panic(err)
	}
	defer c.Close()

	// Your service: the secret from Compliancely's settings page.
	hooks, err := compliancely.NewWebhooks(compliancelytest.WebhookSecret)
	if err != nil {
		panic(err)
	}
	results := make(chan *compliancely.TINMatchEvent, 1)
	recv, err := webhook.NewReceiver(hooks, func(ctx context.Context, ev webhook.Event) error {
		if m, ok := ev.(*compliancely.TINMatchEvent); ok {
			results <- m // store m.Status and m.IRSCode
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	defer recv.Close(context.Background())
	hookURL := httptest.NewServer(recv) // mux.Handle("POST /hooks/compliancely", recv)
	defer hookURL.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := c.SubmitTINMatch(ctx, &compliancely.TINMatchRequest{
		TIN: "111232317", Name: "Zenwork", WebhookURLs: []string{hookURL.URL}})
	if err != nil {
		panic(err)
	}
	fmt.Println(sub.ID, sub.Status)

	_ = srv.CompleteTINMatch(1, 7) // the fake plays the IRS: code 7, EIN match
	m := <-results
	fmt.Println(m.Status, m.IRSCode)

	again, err := c.TINMatch(ctx, sub.ID) // the same result, by id
	if err != nil {
		panic(err)
	}
	fmt.Println(again.Status)
	// Output:
	// 1 Pending
	// TIN Matched 7
	// TIN Matched
}
