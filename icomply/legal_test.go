package icomply_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/providers"
)

func TestGetLegalEntity(t *testing.T) {
	e := newEnv(t, tokenMode, nil)
	le, err := e.c.GetLegalEntity(ctx, icomplytest.CompanyReview)
	require.NoError(t, err)
	require.NotNil(t, le.CorporateInformation)
	assert.Equal(t, "New Company", le.CorporateInformation.CompanyName)
	assert.Equal(t, icomply.KindLegalEntity, le.Type)

	_, err = e.c.GetLegalEntity(ctx, icomplytest.PersonApproved)
	assert.ErrorIs(t, err, providers.ErrNotFound, "a natural person is no legal entity")

	before := e.srv.Requests()
	_, err = e.c.GetLegalEntity(ctx, "../natural-persons/x")
	var ve *providers.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "entityID", ve.Field)
	assert.Equal(t, before, e.srv.Requests())
}

// The documentation's heading names /api/v2/entities/legal-entities/{id},
// its sample /api/v2/legal-entities/{id}: Config.LegalEntityPath picks,
// as Config.NaturalPersonPath does for persons.
func TestLegalEntitiesAtTheSamplePath(t *testing.T) {
	srv := icomplytest.NewServer(icomplytest.WithLegalEntityPath(icomply.AltLegalEntityPath))
	t.Cleanup(srv.Close)
	cfg := srv.APIKeyConfig()
	require.Equal(t, icomply.AltLegalEntityPath, cfg.LegalEntityPath)
	c, err := icomply.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = c.GetLegalEntity(ctx, icomplytest.CompanyOK)
	require.NoError(t, err)
	require.NoError(t, c.RequestLegalEntityUpdate(ctx, icomplytest.CompanyOK))
	assert.Equal(t, 1, srv.Calls(icomply.AltLegalEntityPath+icomplytest.CompanyOK))
	assert.Equal(t, 1, srv.UpdateRequests(icomplytest.CompanyOK))

	_, err = icomply.New(icomply.Config{APIKey: "k", LegalEntityPath: "/api/v2/legal-entities"})
	var ve *providers.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "LegalEntityPath", ve.Field)
}

func TestAddAndSearchLegalEntities(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	// The documentation's search sample: duns=150483782,
	// glei=5299019D9BIL4D4UHT93, companyName=Starbucks Coffee Company
	// (docs.icomplyis.com/api-docs/reference/api-reference/legal-entities).
	le, err := e.c.AddLegalEntity(ctx, icomply.NewLegalEntity{ExternalID: "crm-sbux",
		Company: icomply.CorporateInformation{CompanyName: "Starbucks Coffee Company", DUNS: "150483782",
			GLEI: "5299019D9BIL4D4UHT93", RegistrationNumber: "601-0001", Country: "US"}})
	require.NoError(t, err)
	require.NotEmpty(t, le.ID)
	assert.Equal(t, "Starbucks Coffee Company", le.CorporateInformation.CompanyName)

	for name, q := range map[string]icomply.LegalEntityQuery{
		"sample":             {DUNS: "150483782", GLEI: "5299019D9BIL4D4UHT93", CompanyName: "Starbucks Coffee Company"},
		"externalID":         {ExternalID: "crm-sbux"},
		"registrationNumber": {RegistrationNumber: "601-0001"},
	} {
		found, err := e.c.SearchLegalEntities(ctx, q)
		require.NoError(t, err, name)
		require.Len(t, found, 1, name)
		assert.Equal(t, le.ID, found[0].EntityID, name)
	}
	got, err := e.c.GetLegalEntity(ctx, le.ID)
	require.NoError(t, err)
	assert.Equal(t, "150483782", got.CorporateInformation.DUNS)

	require.NoError(t, e.c.RequestLegalEntityUpdate(ctx, le.ID))
	assert.Equal(t, 1, e.srv.UpdateRequests(le.ID))
	err = e.c.RequestLegalEntityUpdate(ctx, "00000000-0000-4000-8000-000000000000")
	assert.ErrorIs(t, err, providers.ErrNotFound)
}

func TestLegalEntitiesValidateBeforeSending(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	check := func(err error, field string) {
		t.Helper()
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
		assert.Equal(t, icomply.Name, ve.Provider)
	}
	_, err := e.c.SearchLegalEntities(ctx, icomply.LegalEntityQuery{DUNS: "15-048"})
	check(err, "DUNS")
	_, err = e.c.SearchLegalEntities(ctx, icomply.LegalEntityQuery{GLEI: "5299 019D"})
	check(err, "GLEI")
	_, err = e.c.SearchLegalEntities(ctx, icomply.LegalEntityQuery{})
	check(err, "query")
	_, err = e.c.AddLegalEntity(ctx, icomply.NewLegalEntity{Company: icomply.CorporateInformation{Country: "CA"}})
	check(err, "Company.CompanyName")
	_, err = e.c.AddLegalEntity(ctx, icomply.NewLegalEntity{Company: icomply.CorporateInformation{CompanyName: "X", Email: "nope"}})
	check(err, "Company.Email")
	check(e.c.RequestLegalEntityUpdate(ctx, ""), "entityID")
	assert.Zero(t, e.srv.Requests(), "nothing sent")
}

func TestEntitiesIterator(t *testing.T) {
	e := newEnv(t, keyMode, nil)
	var ids []string
	for ent, err := range e.c.Entities(ctx, icomply.ListEntitiesParams{Limit: 2}) {
		require.NoError(t, err)
		ids = append(ids, ent.ID)
	}
	assert.Equal(t, []string{icomplytest.PersonApproved, icomplytest.PersonPending, icomplytest.PersonUnknown,
		icomplytest.CompanyReview, icomplytest.CompanyOK}, ids)
	assert.Equal(t, 3, e.srv.Calls(icomply.EntitiesPath), "pages of 2, 2 and 1")

	// A default limit asks for the most per page: one request here.
	e.srv.ResetCounts()
	n := 0
	for _, err := range e.c.Entities(ctx, icomply.ListEntitiesParams{Type: icomply.EntityTypeLegalEntities}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n)
	assert.Equal(t, 1, e.srv.Calls(icomply.EntitiesPath))
	q := e.srv.Hits()[0]
	assert.Equal(t, icomply.EntitiesPath, q.Path)

	// Breaking out sends nothing more.
	e.srv.ResetCounts()
	for range e.c.Entities(ctx, icomply.ListEntitiesParams{Limit: 1, Start: 1}) {
		break
	}
	assert.Equal(t, 1, e.srv.Calls(icomply.EntitiesPath))

	// An error is yielded once and ends the loop.
	e.srv.ResetCounts()
	e.srv.FailNext(icomply.EntitiesPath, 1, http.StatusNotFound, nil)
	var errs []error
	for ent, err := range e.c.Entities(ctx, icomply.ListEntitiesParams{}) {
		assert.Empty(t, ent.ID)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], providers.ErrNotFound)

	// Bad parameters: one ValidationError, nothing sent.
	e.srv.ResetCounts()
	for _, err := range e.c.Entities(ctx, icomply.ListEntitiesParams{Limit: 101}) {
		var ve *providers.ValidationError
		require.True(t, errors.As(err, &ve))
		assert.Equal(t, "Limit", ve.Field)
	}
	assert.Zero(t, e.srv.Requests())
}
