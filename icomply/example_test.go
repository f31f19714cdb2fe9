package icomply_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// A client that logs in with a username and password. In production,
// leave BaseURL empty for DefaultBaseURL; here it points at the fake.
func ExampleNew() {
	srv := icomplytest.NewServer()
	defer srv.Close()

	c, err := icomply.New(icomply.Config{
		BaseURL:  srv.URL,
		Username: icomplytest.Username,
		Password: icomplytest.Password, // an auth.Secret: never printed
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	people, err := c.ListEntities(ctx, icomply.ListEntitiesParams{
		Type: icomply.EntityTypeNaturalPersons, KYCMetaData: true,
	})
	if err != nil {
		panic(err)
	}
	for _, p := range people {
		fmt.Println(p.PersonalInformation.FirstName, p.KYCMetaData.Current())
	}
	fmt.Println("logins:", srv.Logins())
	// Output:
	// John Approved
	// Jane Pending
	// Max Onboarding
	// logins: 1
}

// A server-to-server client with a long-lived API key: no login at all.
func ExampleNew_apiKey() {
	srv := icomplytest.NewServer()
	defer srv.Close()

	c, err := icomply.New(icomply.Config{
		BaseURL:      srv.URL,
		APIKey:       icomplytest.APIKey,
		APIKeyHeader: icomply.DefaultAPIKeyHeader, // not published by iComply: check yours
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	np, err := c.GetNaturalPerson(ctx, icomplytest.PersonApproved)
	if err != nil {
		panic(err)
	}
	fmt.Println(np.PersonalInformation.LastName, np.KYCMetaData.KYCStatus, np.KYCMetaData.KYCStatus.Known())
	fmt.Println("logins:", srv.Logins())
	// Output:
	// Doe Approved true
	// logins: 0
}

func ExampleClient_CreateAMLSearch() {
	srv := icomplytest.NewServer()
	defer srv.Close()
	c, err := icomply.New(srv.APIKeyConfig())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	id, err := c.CreateAMLSearch(ctx, icomply.AMLSearchParams{
		SearchTerm:      icomply.AMLSearchTerm{Name: "John Doe", YearOfBirth: 1969, Countries: []string{"US"}},
		SearchFuzziness: 40,
		SearchCoverage:  []string{"sanctions", "warning", "pep-class-1"},
	})
	if err != nil {
		panic(err)
	}
	s, err := c.GetAMLSearch(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println(id, s.SearchTerm, s.SearchTypes, s.SearchFuzziness)

	// Bad input is refused before anything is sent.
	_, err = c.CreateAMLSearch(ctx, icomply.AMLSearchParams{})
	fmt.Println(err)
	// Output:
	// 591 John Doe [person] 40
	// unikyc: invalid SearchTerm.Name: is required
}

// Errors match the shared sentinels; the provider's message is in
// providers.Error.Message, never in Error().
func ExampleClient_GetNaturalPerson_notFound() {
	srv := icomplytest.NewServer()
	defer srv.Close()
	c, err := icomply.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.GetNaturalPerson(ctx, "00000000-0000-4000-8000-000000000000")
	var pe *providers.Error
	if errors.Is(err, providers.ErrNotFound) && errors.As(err, &pe) {
		fmt.Println(err)
		fmt.Println(pe.Message)
	}
	// Output:
	// unikyc: icomply get natural person: 404 Not Found
	// there is no natural person with given id
}

func ExampleClient_CheckToken() {
	srv := icomplytest.NewServer()
	defer srv.Close()
	c, err := icomply.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ok, err := c.CheckToken(ctx)
	fmt.Println(ok, err)
	// Output: true <nil>
}

// A whole verification against the fake: add the person with the KYC
// services to request, receive iComply's webhooks through the shared
// webhook.Receiver (checked against the whs_… secret they carry), then
// read the result. In production the
// callback is your receiver's URL and the person plays their own part.
func ExampleClient_AddNaturalPerson() {
	hooks, err := icomply.NewWebhooks(icomply.WebhookConfig{
		Secrets: []auth.Secret{"whs_ef0dbc12345c418ab4a1cc4c888dea02"}})
	if err != nil {
		panic(err)
	}
	events := make(chan webhook.Event, 4)
	recv, err := webhook.NewReceiver(hooks, func(_ context.Context, ev webhook.Event) error {
		events <- ev
		return nil
	})
	if err != nil {
		panic(err)
	}
	defer recv.Close(context.Background())
	callback := httptest.NewServer(recv) // in production: your mux, over HTTPS
	defer callback.Close()

	srv := icomplytest.NewServer(icomplytest.WithWebhook(callback.URL, "whs_ef0dbc12345c418ab4a1cc4c888dea02"))
	defer srv.Close()
	c, err := icomply.New(srv.APIKeyConfig())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	np, err := c.AddNaturalPerson(ctx, icomply.NewNaturalPerson{
		ExternalID: "crm-4711",
		Person:     icomply.PersonalInformation{FirstName: "John", LastName: "Doe", Email: "jdoe@outlook.com"},
		Services:   []icomply.Service{icomply.RequestIDV, icomply.RequestDoc, icomply.RequestBio},
	})
	if err != nil {
		panic(err)
	}
	id := np.KYCMetaData.EntityID
	fmt.Println("added:", np.KYCMetaData.Current())

	_ = srv.SubmitPersonalInfo(ctx, id)                 // the person fills in the portal,
	_ = srv.BeginSupportingDocuments(ctx, id)           // begins uploading supporting documents,
	_ = srv.CompleteSupportingDocuments(ctx, id)        // completes the upload
	_ = srv.Complete(ctx, id, icomplytest.AutoApproved) // and is approved
	for range 4 {
		switch ev := (<-events).(type) {
		case *icomply.NaturalPersonPendingEvent:
			fmt.Println("webhook:", ev.Type())
		case *icomply.SupportingDocumentEvent:
			fmt.Println("webhook: supporting documents, entity", ev.EntityID == id) // ev.Data: as received
		case *icomply.NaturalPersonApprovedEvent:
			fmt.Println("webhook:", ev.Type(), "manual:", ev.Manual)
		}
	}
	got, err := c.GetNaturalPerson(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println("result:", got.KYCMetaData.Current())
	// Output:
	// added: New
	// webhook: NaturalPersonPending
	// webhook: supporting documents, entity true
	// webhook: supporting documents, entity true
	// webhook: NaturalPersonAutoApproved manual: false
	// result: Approved
}
