package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/unikyc/unikyc/webhook"
)

// A Receiver serves one provider's webhooks: here the test provider of
// this package's tests (HMAC-SHA256 in X-Test-Signature); in your service,
// a provider package's Webhooks value. The replayed delivery is answered
// 200 without running the handler again.
func ExampleNewReceiver() {
	hooks := newTestProvider("signing-key") // e.g. idenfy.NewWebhooks(key)
	recv, err := webhook.NewReceiver(hooks, func(ctx context.Context, ev webhook.Event) error {
		fmt.Println("handling", ev.Type()) // store the outcome; an error makes the provider retry
		return nil
	})
	if err != nil {
		panic(err)
	}
	defer recv.Close(context.Background()) // waits for handlers still running

	srv := httptest.NewServer(recv) // mux.Handle("POST /webhooks/idenfy", recv)
	defer srv.Close()

	body := `{"ref":"scan-1","type":"IDENTIFICATION_AUTO_FINISHED","final":false}`
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header = sign("signing-key", []byte(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// handling IDENTIFICATION_AUTO_FINISHED
	// 200
	// 200
}
