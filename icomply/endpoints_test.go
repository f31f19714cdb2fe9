package icomply_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
)

func TestListEntitiesValidatesBeforeSending(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	for field, p := range map[string]icomply.ListEntitiesParams{
		"Limit": {Limit: 101},
		"Start": {Start: -1},
		"Type":  {Type: "people"},
	} {
		_, err := e.c.ListEntities(ctx, p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	_, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{Limit: -1})
	assert.ErrorIs(t, err, providers.ErrValidation)
	assert.Zero(t, e.srv.Requests(), "nothing sent")
}

func TestListEntities(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	all, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{})
	require.NoError(t, err)
	require.Len(t, all, 5)
	assert.Equal(t, icomplytest.PersonApproved, all[0].ID)
	assert.Equal(t, icomply.KindNaturalPerson, all[0].Type)
	assert.Equal(t, "John", all[0].PersonalInformation.FirstName)
	assert.Nil(t, all[0].KYCMetaData, "sections come only when asked for")

	full, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{Limit: icomply.MaxListLimit})
	require.NoError(t, err, "the limit's upper bound is allowed")
	assert.Len(t, full, 5)

	page, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{
		Limit: 2, Start: 1, Descending: true, Type: icomply.EntityTypeNaturalPersons, KYCMetaData: true})
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, icomplytest.PersonPending, page[0].ID)
	assert.Equal(t, icomplytest.PersonApproved, page[1].ID)
	require.NotNil(t, page[0].KYCMetaData)
	assert.Equal(t, icomply.KYCStatusPending, page[0].KYCMetaData.Current())

	legal, err := e.c.ListEntities(ctx, icomply.ListEntitiesParams{Type: icomply.EntityTypeLegalEntities, CorporateVerification: true})
	require.NoError(t, err)
	require.Len(t, legal, 2)
	assert.Equal(t, "New Company", legal[0].CorporateInformation.CompanyName)
	require.Len(t, legal[0].CorporateVerifications, 1)
	assert.Zero(t, e.srv.Rejected())
}

func TestGetNaturalPerson(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	np, err := e.c.GetNaturalPerson(ctx, icomplytest.PersonApproved)
	require.NoError(t, err)
	assert.Equal(t, icomply.KYCStatusApproved, np.KYCMetaData.Current())
	assert.True(t, np.KYCMetaData.KYCStatus.Known())
	assert.Equal(t, "Doe", np.PersonalInformation.LastName)
	require.Len(t, np.DocumentAuthentication, 1)
	assert.True(t, np.DocumentAuthentication[0].TemplateMatch)

	odd, err := e.c.GetNaturalPerson(ctx, icomplytest.PersonUnknown)
	require.NoError(t, err)
	assert.Equal(t, icomply.KYCStatus("Onboarding"), odd.KYCMetaData.KYCStatus, "unknown statuses are kept")
	assert.False(t, odd.KYCMetaData.KYCStatus.Known())

	_, err = e.c.GetNaturalPerson(ctx, "00000000-0000-4000-8000-000000000000")
	require.ErrorIs(t, err, providers.ErrNotFound)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "there is no natural person with given id", pe.Message)
	assert.Equal(t, "get natural person", pe.Operation)

	before := e.srv.Requests()
	for _, id := range []string{"", "../aml/591", "a/b", "a?b", "a%2Fb"} {
		_, err := e.c.GetNaturalPerson(ctx, id)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, "%q", id)
		assert.Equal(t, "entityID", ve.Field)
	}
	assert.Equal(t, before, e.srv.Requests(), "a bad ID sends nothing")
}

func TestAMLSearch(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	p := icomply.AMLSearchParams{
		SearchTerm:      icomply.AMLSearchTerm{Name: "John Doe", YearOfBirth: 1969, Countries: []string{"US"}},
		SearchFuzziness: 40,
		SearchCoverage:  []string{"sanctions", "warning", "pep-class-1"},
		LinkedEntityIDs: []string{icomplytest.PersonApproved},
	}
	id, err := e.c.CreateAMLSearch(ctx, p)
	require.NoError(t, err, "HTTP 200 with envelope code 201 is a success")
	assert.Equal(t, icomply.ID("591"), id)

	got, err := e.c.GetAMLSearch(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, id, got.ID, "the numeric id of this answer reads as the same ID")
	n, err := got.ID.Int()
	require.NoError(t, err)
	assert.EqualValues(t, 591, n)
	assert.Equal(t, "John Doe", got.SearchTerm)
	assert.Equal(t, []string{icomply.SearchTypePerson}, got.SearchTypes, "the default search type")
	assert.Equal(t, 40, got.SearchFuzziness)
	assert.Equal(t, p.LinkedEntityIDs, got.LinkedEntityIDs)
	assert.Equal(t, "2026-03-02", got.ScreenDate)

	_, err = e.c.GetAMLSearch(ctx, "9999")
	assert.ErrorIs(t, err, providers.ErrNotFound)
}

func TestAMLSearchValidatesBeforeSending(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	ok := icomply.AMLSearchParams{SearchTerm: icomply.AMLSearchTerm{Name: "Jane Roe"}}
	for field, edit := range map[string]func(*icomply.AMLSearchParams){
		"SearchTerm.Name":         func(p *icomply.AMLSearchParams) { p.SearchTerm.Name = "" },
		"SearchTerm.YearOfBirth":  func(p *icomply.AMLSearchParams) { p.SearchTerm.YearOfBirth = -1 },
		"SearchFuzziness":         func(p *icomply.AMLSearchParams) { p.SearchFuzziness = 101 },
		"SearchTerm.Countries[1]": func(p *icomply.AMLSearchParams) { p.SearchTerm.Countries = []string{"US", ""} },
		"LinkedEntityIDs[0]":      func(p *icomply.AMLSearchParams) { p.LinkedEntityIDs = []string{"../x"} },
	} {
		p := ok
		edit(&p)
		_, err := e.c.CreateAMLSearch(ctx, p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	_, err := e.c.GetAMLSearch(ctx, "")
	assert.ErrorIs(t, err, providers.ErrValidation)
	assert.Zero(t, e.srv.Requests(), "nothing sent")
}

// The fake enforces the name rule too, with the documented misspelt key,
// for requests that skip the client's checks.
func TestAMLSearchWithoutNameRawRequest(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	req, err := e.c.NewRequest(ctx, http.MethodPost, icomply.AMLPath, providers.RawBody{
		ContentType: "application/json", Data: []byte(`{"searchTerm":{"yearOfBirth":1969}}`)})
	require.NoError(t, err)
	err = e.c.Do(req, "raw aml", nil)
	require.ErrorIs(t, err, providers.ErrValidation)
	var pe *providers.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "you need to provide 'name' (string) under AML search term object", pe.Message)
	assert.True(t, bytes.Contains(pe.Body, []byte(`"messsage"`)))
	assert.NotContains(t, pe.Error(), "you need to provide")
	assert.Equal(t, 1, e.srv.Rejected())
}

// Rule: iComply's documentation names two natural-person paths; the one in
// use is configured, never guessed, and a bad one is refused by New.
func TestNaturalPersonPathIsConfigurable(t *testing.T) {
	clk := clock.NewFake(start)
	srv := icomplytest.NewServer(icomplytest.WithClock(clk), icomplytest.WithNaturalPersonPath(icomply.AltNaturalPersonPath))
	t.Cleanup(srv.Close)
	cfg := srv.APIKeyConfig()
	require.Equal(t, icomply.AltNaturalPersonPath, cfg.NaturalPersonPath)
	c, err := icomply.New(cfg, providers.WithClock(clk), providers.WithTransport(srv.Transport()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	np, err := c.GetNaturalPerson(ctx, icomplytest.PersonApproved)
	require.NoError(t, err)
	assert.Equal(t, "Doe", np.PersonalInformation.LastName)
	assert.Equal(t, 1, srv.Calls(icomply.AltNaturalPersonPath+icomplytest.PersonApproved))

	cfg.NaturalPersonPath = ""
	d, err := icomply.New(cfg, providers.WithClock(clk), providers.WithTransport(srv.Transport()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	_, err = d.GetNaturalPerson(ctx, icomplytest.PersonApproved)
	assert.ErrorIs(t, err, providers.ErrNotFound, "the heading's path is not served by this fake")

	for _, bad := range []string{"api/v2/x/", "/api/v2/x", "/api/v2/x/?a=1"} {
		cfg.NaturalPersonPath = bad
		_, err := icomply.New(cfg)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, bad)
		assert.Equal(t, "NaturalPersonPath", ve.Field)
	}
}
