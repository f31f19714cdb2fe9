package idenfy_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// Create a KYB form token. Bad input is refused before anything is sent.
func ExampleClient_CreateKYBToken() {
	srv := idenfytest.NewServer()
	defer srv.Close()
	client, err := idenfy.New(srv.Config()) // in production: idenfy.Config{APIKey: …, APISecret: …}
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tok, err := client.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{
		TokenType:     idenfy.KYBTokenForm,
		ClientID:      "company-42",
		Lifetime:      idenfy.Int(86400),
		Locale:        "en",
		Questionnaire: idenfy.Null[string](), // no questionnaire; leave it zero for your default
		Tags:          []string{"priority", "eu"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.TokenType, tok.IsValid, tok.Tags)

	_, err = client.CreateKYBToken(ctx, idenfy.CreateKYBTokenParams{
		TokenType: idenfy.KYBTokenForm, ClientID: "company-42", Tags: []string{"a", "b", "c,d"},
	})
	var ve *providers.ValidationError
	fmt.Println(errors.As(err, &ve), ve.Field, "requests sent:", srv.Requests())
	// Output:
	// FORM true [priority eu]
	// true tags[2] requests sent: 1
}

// Start a KYC verification and send the user to iDenfy.
func ExampleClient_CreateVerificationToken() {
	srv := idenfytest.NewServer()
	defer srv.Close()
	client, err := idenfy.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := client.CreateVerificationToken(ctx, idenfy.CreateVerificationTokenParams{
		ClientID: "user-123", FirstName: "John", LastName: "Doe",
	})
	if err != nil {
		panic(err)
	}
	redirect := client.RedirectURL(tok.AuthToken)
	fmt.Println(strings.HasPrefix(redirect, srv.URL+"/api/v2/redirect?authToken="))

	st, err := client.Status(ctx, tok.ScanRef)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Status)
	// Output:
	// true
	// ACTIVE
}

// Receive iDenfy's result webhook: the signature is checked before the
// body is decoded.
func ExampleParseWebhook() {
	signingKey := auth.Secret(idenfytest.WebhookKey) // in production: from your iDenfy dashboard
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, err := idenfy.ParseWebhook(r, signingKey)
		if errors.Is(err, idenfy.ErrBadSignature) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		fmt.Println(cb.ScanRef, cb.Status.Overall, cb.Final)
	})
	hook := httptest.NewServer(handler)
	defer hook.Close()

	srv := idenfytest.NewServer()
	defer srv.Close()
	body := []byte(`{"final":true,"status":{"overall":"APPROVED"},"scanRef":"scan-1","clientId":"user-123"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.SendWebhook(ctx, hook.URL, body); err != nil {
		panic(err)
	}
	// Output:
	// scan-1 APPROVED true
}

// Nullable tells absent, null and a value apart.
func ExampleNullable() {
	for _, q := range []idenfy.Nullable[string]{{}, idenfy.Null[string](), idenfy.Value("onboarding")} {
		v, ok := q.Get()
		fmt.Printf("absent=%v null=%v value=%q %v\n", q.IsZero(), q.IsNull(), v, ok)
	}
	// Output:
	// absent=true null=false value="" false
	// absent=false null=true value="" false
	// absent=false null=false value="onboarding" true
}

// Receive iDenfy's webhooks with a webhook.Receiver: signatures checked
// against every key, typed events, duplicates dropped. The fake plays the
// person and delivers the automatic, then the manual result.
func ExampleWebhooks() {
	srv := idenfytest.NewServer()
	defer srv.Close()
	hooks, err := idenfy.Webhooks(srv.WebhookKey()) // several keys may be valid at once
	if err != nil {
		panic(err)
	}
	got := make(chan string, 4)
	recv, err := webhook.NewReceiver(hooks, func(ctx context.Context, ev webhook.Event) error {
		if r, ok := ev.(*idenfy.KYCResultEvent); ok {
			got <- fmt.Sprintf("%s final=%v %s", ev.Type(), r.Final, r.Status.Overall)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	web := httptest.NewServer(recv)
	defer web.Close()
	defer recv.Close(context.Background())

	client, err := idenfy.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := client.CreateVerificationToken(ctx, idenfy.CreateVerificationTokenParams{
		ClientID: "user-1", CallbackURL: web.URL,
	})
	if err != nil {
		panic(err)
	}
	if err := srv.Complete(tok.ScanRef, idenfytest.Approved); err != nil {
		panic(err)
	}
	fmt.Println(<-got)
	fmt.Println(<-got)
	// Output:
	// IDENTIFICATION_AUTO_FINISHED final=false APPROVED
	// IDENTIFICATION_MANUAL_FINISHED final=true APPROVED
}

// Walk a paginated list: the iterator fetches the pages as the loop needs them.
func ExampleClient_Identifications() {
	srv := idenfytest.NewServer()
	defer srv.Close()
	client, err := idenfy.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		if _, err := client.CreateVerificationToken(ctx, idenfy.CreateVerificationTokenParams{ClientID: "user-5"}); err != nil {
			panic(err)
		}
	}
	n := 0
	for id, err := range client.Identifications(ctx, "user-5", idenfy.ListOptions{PerPage: 2}) {
		if err != nil {
			panic(err)
		}
		n++
		_ = id.ScanRef
	}
	fmt.Println(n, "verifications")
	// Output: 3 verifications
}
