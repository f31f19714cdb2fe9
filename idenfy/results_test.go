package idenfy_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/providers"
)

// Rule: the full result (POST /api/v2/full) has the webhook's shape and is
// the fallback for a missed webhook; data and files come with it.
func TestResultCalls(t *testing.T) {
	srv, c, _ := setup(t, nil)
	tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "user-1", FirstName: "Ann"})
	require.NoError(t, err)
	_, err = c.FullResult(ctx(t), tok.ScanRef)
	require.ErrorIs(t, err, providers.ErrNotFound, "no result before the session ends")

	require.NoError(t, srv.Complete(tok.ScanRef, idenfytest.Approved))
	full, err := c.FullResult(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.False(t, full.Final, "final always reads false in the full result")
	assert.Equal(t, idenfy.StatusApproved, full.Status.Overall)
	assert.Equal(t, tok.ScanRef, full.ScanRef)
	assert.Equal(t, "ANN", full.Data.DocFirstName)

	data, err := c.Data(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	assert.Equal(t, "ANN", data.DocFirstName)

	files, err := c.Files(ctx(t), tok.ScanRef)
	require.NoError(t, err)
	front, ok := files["FRONT"].(string)
	require.True(t, ok)
	resp, err := http.Get(front)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	http.DefaultClient.CloseIdleConnections()

	for _, call := range []func() error{
		func() error { _, err := c.FullResult(ctx(t), ""); return err },
		func() error { _, err := c.Data(ctx(t), ""); return err },
		func() error { _, err := c.Files(ctx(t), ""); return err },
	} {
		var ve *providers.ValidationError
		assert.ErrorAs(t, call(), &ve)
	}
}

// Rule: lists follow DRF pagination page by page; breaking out of the loop
// asks for no further page.
func TestIdentificationsIterator(t *testing.T) {
	srv, c, _ := setup(t, nil)
	var want []string
	for range 5 {
		tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "user-7"})
		require.NoError(t, err)
		want = append(want, tok.ScanRef)
	}
	_, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "someone-else"})
	require.NoError(t, err)

	before := srv.Requests()
	var got []string
	for id, err := range c.Identifications(ctx(t), "user-7", idenfy.ListOptions{PerPage: 2}) {
		require.NoError(t, err)
		assert.Equal(t, idenfy.StatusActive, id.Status)
		got = append(got, id.ScanRef)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, srv.Requests()-before, "three pages of two")

	before = srv.Requests()
	for range c.Identifications(ctx(t), "user-7", idenfy.ListOptions{PerPage: 2}) {
		break
	}
	assert.Equal(t, 1, srv.Requests()-before, "stopping early asks for no further page")

	srv.FailNextWith(idenfytest.PathIdentifications, 1, http.StatusBadRequest, idenfy.CodeValidationError, "bad")
	n := 0
	for _, err := range c.Identifications(ctx(t), "user-7", idenfy.ListOptions{}) {
		n++
		assert.ErrorIs(t, err, providers.ErrValidation)
	}
	assert.Equal(t, 1, n, "the error is yielded once and ends the walk")

	for _, err := range c.Identifications(ctx(t), "", idenfy.ListOptions{}) {
		var ve *providers.ValidationError
		assert.ErrorAs(t, err, &ve)
	}
}

// The list sample of https://documentation.idenfy.com/api-reference/kyc-verifications/list-identifications:
// its next link points outside the list, which the iterator refuses to follow.
func TestIdentificationsDocumentedPage(t *testing.T) {
	srv, c, _ := setup(t, nil)
	srv.AnswerNext(idenfytest.PathIdentifications, 1, http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{
  "count": 123,
  "results": [
    {
      "scanRef": "<string>",
      "status": "APPROVED",
      "suspected": true
    }
  ],
  "next": "http://api.example.org/accounts/?page=4",
  "previous": "http://api.example.org/accounts/?page=2"
}`))
	var rows []idenfy.Identification
	var errs []error
	for id, err := range c.Identifications(ctx(t), "user-1", idenfy.ListOptions{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, id)
	}
	require.Len(t, rows, 1)
	assert.Equal(t, idenfy.Identification{ScanRef: "<string>", Status: idenfy.StatusApproved, Suspected: true}, rows[0])
	require.Len(t, errs, 1)
	var de *providers.DecodeError
	assert.ErrorAs(t, errs[0], &de)
}

func TestCompanies(t *testing.T) {
	srv, c, _ := setup(t, nil)
	id := srv.AddCompany(idenfytest.Company{ClientID: "c-1", Name: "ACME UAB", RegistrationNumber: "304", Country: "LT", ApprovalStatus: "APPROVED"})
	for range 3 {
		srv.AddCompany(idenfytest.Company{ClientID: "c-2", Name: "Other", RegistrationNumber: "999"})
	}
	var rows []idenfy.Company
	for co, err := range c.Companies(ctx(t), idenfy.CompaniesOptions{RegistrationNumber: "304"}) {
		require.NoError(t, err)
		rows = append(rows, co)
	}
	require.Len(t, rows, 1)
	assert.Equal(t, id, rows[0].ID)
	assert.Equal(t, "ACME UAB", rows[0].Company.CompanyName)
	assert.Equal(t, "APPROVED", rows[0].Meta.ApprovalStatus)
	n := 0
	for _, err := range c.Companies(ctx(t), idenfy.CompaniesOptions{PerPage: 1}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 4, n)

	co, err := c.Company(ctx(t), id)
	require.NoError(t, err)
	assert.Equal(t, "c-1", co.ClientID)
	assert.Equal(t, "LT", co.Company.Country)
	_, err = c.Company(ctx(t), "missing")
	assert.ErrorIs(t, err, providers.ErrNotFound)
	_, err = c.Company(ctx(t), "../tokens")
	var ve *providers.ValidationError
	assert.ErrorAs(t, err, &ve)
}

func TestAMLChecks(t *testing.T) {
	srv, c, _ := setup(t, nil)
	srv.FlagAML("John Doe")
	res, err := c.CreateAMLCheck(ctx(t), idenfy.AMLCheckParams{ClientID: "user-1", UserType: idenfy.AMLPerson,
		Person: &idenfy.AMLPersonInput{FullName: "John Doe", DateOfBirth: "1990-05-15"},
		Filter: idenfy.AMLFilter{Datasets: []string{"PEP_CURRENT", "SAN_CURRENT"}, Threshold: idenfy.Int(85)}})
	require.NoError(t, err)
	assert.Equal(t, "FLAGS_FOUND", res.OverallStatus)
	require.Len(t, res.Matches, 1)
	assert.Equal(t, []string{"SAN_CURRENT"}, res.Matches[0].Datasets)

	pdf, err := c.AMLCheckPDF(ctx(t), res.ID)
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "%PDF-")
	_, err = c.AMLCheckPDF(ctx(t), "missing")
	assert.ErrorIs(t, err, providers.ErrNotFound)

	before := srv.Requests()
	for _, p := range []idenfy.AMLCheckParams{
		{ClientID: "u", UserType: "ROBOT", Filter: idenfy.AMLFilter{Datasets: []string{"PEP_CURRENT"}}},
		{ClientID: "u", UserType: idenfy.AMLPerson, Filter: idenfy.AMLFilter{Datasets: []string{"PEP_CURRENT"}}},
		{ClientID: "u", UserType: idenfy.AMLPerson, Person: &idenfy.AMLPersonInput{FullName: "A"}},
		{ClientID: "u", UserType: idenfy.AMLCompany, Company: &idenfy.AMLCompanyInput{CompanyName: "A"},
			Filter: idenfy.AMLFilter{Datasets: []string{"SAN_CURRENT"}, Threshold: idenfy.Int(50)}},
		{UserType: idenfy.AMLCompany, Company: &idenfy.AMLCompanyInput{CompanyName: "A"}, Filter: idenfy.AMLFilter{Datasets: []string{"SAN_CURRENT"}}},
	} {
		_, err := c.CreateAMLCheck(ctx(t), p)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve)
	}
	assert.Equal(t, before, srv.Requests(), "nothing sent")
}

// Rule: iDenfy asks not to poll /api/v2/status. With the guard on, a second
// call for one scan within the interval is refused before anything is sent.
func TestStatusGuard(t *testing.T) {
	clk := newClock()
	srv := idenfytest.NewServer(idenfytest.WithClock(clk))
	defer srv.Close()
	cfg := srv.Config()
	cfg.StatusGuard = idenfy.StatusPollInterval
	c, err := idenfy.New(cfg, providers.WithClock(clk), providers.WithLimiter(nil))
	require.NoError(t, err)
	defer c.Close()
	a, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u1"})
	require.NoError(t, err)
	b, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "u2"})
	require.NoError(t, err)

	_, err = c.Status(ctx(t), a.ScanRef)
	require.NoError(t, err)
	before := srv.Requests()
	clk.Advance(time.Minute)
	_, err = c.Status(ctx(t), a.ScanRef)
	require.ErrorIs(t, err, idenfy.ErrStatusPolledTooSoon)
	var pe *idenfy.StatusPollError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 19*time.Minute, pe.Wait)
	assert.Equal(t, before, srv.Requests(), "nothing sent")
	_, err = c.Status(ctx(t), b.ScanRef)
	assert.NoError(t, err, "another scan is not held back")
	clk.Advance(19 * time.Minute)
	_, err = c.Status(ctx(t), a.ScanRef)
	assert.NoError(t, err)
	assert.Contains(t, pe.Error(), "19m0s")

	_, err = idenfy.New(idenfy.Config{APIKey: "k", APISecret: "s", StatusGuard: -1})
	var ve *providers.ValidationError
	assert.ErrorAs(t, err, &ve)
}
