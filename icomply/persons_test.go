package icomply_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
)

// jane is the person of the documentation's Natural Persons sample
// (support.icomplyis.com/natural-persons: personalInformation of
// GetNaturalPersonByEntityID), with the external ID a caller would add.
func jane() icomply.NewNaturalPerson {
	return icomply.NewNaturalPerson{
		ExternalID: "crm-4711",
		Person: icomply.PersonalInformation{FirstName: "John", MiddleName: "James", LastName: "Doe",
			DateOfBirth: "1965-03-11", Phone: "6021234567", Email: "jdoe@outlook.com", City: "Phoenix",
			StateProvince: "AZ", CountryCode: "USA", PostalCode: "12345", Address: "123 Someplace Dr"},
		Services: []icomply.Service{icomply.RequestIDV, icomply.RequestDoc, icomply.RequestAML},
	}
}

func TestAddNaturalPersonValidatesBeforeSending(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	for field, edit := range map[string]func(*icomply.NewNaturalPerson){
		"Person.FirstName":   func(p *icomply.NewNaturalPerson) { p.Person.FirstName = " " },
		"Person.LastName":    func(p *icomply.NewNaturalPerson) { p.Person.LastName = "" },
		"Services[1]":        func(p *icomply.NewNaturalPerson) { p.Services = []icomply.Service{icomply.RequestBio, "RequestKYB"} },
		"Person.Email":       func(p *icomply.NewNaturalPerson) { p.Person.Email = "" },
		"Person.DateOfBirth": func(p *icomply.NewNaturalPerson) { p.Person.DateOfBirth = "11/03/1965" },
		"ExternalID":         func(p *icomply.NewNaturalPerson) { p.ExternalID = string(make([]byte, 101)) },
		"EDDTemplates[0]":    func(p *icomply.NewNaturalPerson) { p.EDDTemplates = []string{" "} },
	} {
		p := jane()
		edit(&p)
		_, err := e.c.AddNaturalPerson(ctx, p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
		assert.Equal(t, icomply.Name, ve.Provider)
		assert.ErrorIs(t, err, providers.ErrValidation)
		assert.NotContains(t, err.Error(), "jdoe@outlook.com")
	}
	assert.Zero(t, e.srv.Requests(), "nothing sent")
}

func TestAddNaturalPersonWithoutServicesNeedsNoEmail(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	np, err := e.c.AddNaturalPerson(ctx, icomply.NewNaturalPerson{Person: icomply.PersonalInformation{FirstName: "Max", LastName: "Muster"}})
	require.NoError(t, err)
	id := np.KYCMetaData.EntityID
	assert.Equal(t, map[string]bool{"RequestIDV": false, "RequestDoc": false, "RequestBio": false, "RequestAML": false},
		e.srv.RequestedServices(id), "every service is sent, as a flag")
}

func TestAddNaturalPersonThenFindIt(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	np, err := e.c.AddNaturalPerson(ctx, jane())
	require.NoError(t, err)
	id := np.KYCMetaData.EntityID
	require.NotEmpty(t, id)
	assert.Equal(t, icomply.KYCStatusNew, np.KYCMetaData.Current())
	assert.Equal(t, "crm-4711", np.KYCMetaData.ExternalID)
	assert.Equal(t, "Doe", np.PersonalInformation.LastName)
	assert.Equal(t, map[string]bool{"RequestIDV": true, "RequestDoc": true, "RequestBio": false, "RequestAML": true},
		e.srv.RequestedServices(id))

	got, err := e.c.GetNaturalPerson(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "jdoe@outlook.com", got.PersonalInformation.Email)

	for name, q := range map[string]icomply.NaturalPersonQuery{
		"externalID": {ExternalID: "crm-4711"},
		"email":      {Email: "jdoe@outlook.com"},
		"phone":      {Phone: "6021234567"},
		"name+phone": {FirstName: "john", LastName: "DOE", Phone: "6021234567"},
	} {
		found, err := e.c.SearchNaturalPersons(ctx, q)
		require.NoError(t, err, name)
		require.Len(t, found, 1, name)
		assert.Equal(t, id, found[0].EntityID, name)
	}
	twins, err := e.c.SearchNaturalPersons(ctx, icomply.NaturalPersonQuery{FirstName: "John", LastName: "Doe"})
	require.NoError(t, err)
	require.Len(t, twins, 2)
	assert.ElementsMatch(t, []string{icomplytest.PersonApproved, id}, []string{twins[0].EntityID, twins[1].EntityID},
		"the data set's John Doe matches a name search too")
	none, err := e.c.SearchNaturalPersons(ctx, icomply.NaturalPersonQuery{ExternalID: "crm-0000"})
	require.NoError(t, err)
	assert.Empty(t, none)
	assert.NotNil(t, none)

	before := e.srv.Requests()
	_, err = e.c.SearchNaturalPersons(ctx, icomply.NaturalPersonQuery{})
	var ve *providers.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "query", ve.Field)
	assert.Equal(t, before, e.srv.Requests(), "an empty search is not sent")
	assert.Equal(t, 1, e.srv.Logins())
}

// The sample path (AltNaturalPersonPath) serves the same calls: adding,
// searching and fetching all follow Config.NaturalPersonPath.
func TestNaturalPersonsAtTheSamplePath(t *testing.T) {
	srv := icomplytest.NewServer(icomplytest.WithNaturalPersonPath(icomply.AltNaturalPersonPath))
	t.Cleanup(srv.Close)
	c, err := icomply.New(srv.APIKeyConfig())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	np, err := c.AddNaturalPerson(ctx, jane())
	require.NoError(t, err)
	found, err := c.SearchNaturalPersons(ctx, icomply.NaturalPersonQuery{ExternalID: "crm-4711"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, np.KYCMetaData.EntityID, found[0].EntityID)
	assert.Equal(t, 2, srv.Calls("/api/v2/natural-persons"), "the add and the search")
	assert.Zero(t, srv.Calls("/api/v2/entities/natural-persons"))
}

// Rule: the fake reads the form's fields as iComply's API does and
// refuses a person without a name, whatever the client checks.
func TestFakeRefusesAPersonWithoutName(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	req, err := e.c.NewRequest(ctx, "POST", "/api/v2/entities/natural-persons",
		map[string]any{"personalInformation": map[string]string{"lastName": "Doe"}, "kycServices": map[string]bool{"RequestIDV": true}})
	require.NoError(t, err)
	err = e.c.Do(req, "add natural person", nil)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 400, pe.StatusCode)
	assert.Equal(t, []string{"personalInformation.firstName"}, pe.Fields)
	assert.ErrorIs(t, err, providers.ErrValidation)
}

// The body Add Natural Person sends: the documented structures
// (docs.icomplyis.com/api-docs/data-structures: KYCMetaDataStructure's
// ExternalID, PersonalInformationStructure, KYCServicesStructure's
// RequestIDV, RequestDoc, RequestBio, RequestAML bools and RequestEDD
// list), under the camelCase keys the answers use.
func TestAddNaturalPersonWireFormat(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "POST", r.Method)
		assert.Equal(t, "/api/v2/entities/natural-persons", r.URL.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		got, _ = io.ReadAll(r.Body)
		// The sample answer's envelope (HTTP 200, code 201), as for AML.
		_, _ = io.WriteString(w, `{"code":201,"status":"success","message":"","data":{"kycMetaData":{"entityID":"9D847877-2175-4F52-9678-ABCDEFABCDEF","kycStatus":"New","externalID":"JohnDoe555"},"personalInformation":{"firstName":"John","lastName":"Doe"}},"errors":[]}`)
	}))
	t.Cleanup(srv.Close)
	c, err := icomply.New(icomply.Config{BaseURL: srv.URL, APIKey: "k"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	np, err := c.AddNaturalPerson(ctx, icomply.NewNaturalPerson{ExternalID: "JohnDoe555",
		Person:       icomply.PersonalInformation{FirstName: "John", LastName: "Doe", Email: "jdoe@outlook.com", CountryCode: "USA"},
		Services:     []icomply.Service{icomply.RequestIDV, icomply.RequestBio},
		EDDTemplates: []string{"DocuSign"}})
	require.NoError(t, err)
	assert.Equal(t, "9D847877-2175-4F52-9678-ABCDEFABCDEF", np.KYCMetaData.EntityID)
	assert.JSONEq(t, `{
		"kycMetaData": {"externalID": "JohnDoe555"},
		"personalInformation": {"firstName": "John", "lastName": "Doe", "email": "jdoe@outlook.com", "countryCode": "USA"},
		"kycServices": {"RequestIDV": true, "RequestDoc": false, "RequestBio": true, "RequestAML": false, "RequestEDD": ["DocuSign"]}
	}`, string(got))
}
