package icomply_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
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

	people, err := c.ListEntities(context.Background(), icomply.ListEntitiesParams{
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

	np, err := c.GetNaturalPerson(context.Background(), icomplytest.PersonApproved)
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
	ctx := context.Background()

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

	_, err = c.GetNaturalPerson(context.Background(), "00000000-0000-4000-8000-000000000000")
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

	ok, err := c.CheckToken(context.Background())
	fmt.Println(ok, err)
	// Output: true <nil>
}
