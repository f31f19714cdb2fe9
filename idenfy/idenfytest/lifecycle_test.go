package idenfytest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy/idenfytest"
)

// hook records what the fake delivers, checking each signature itself.
type hook struct {
	mu     sync.Mutex
	got    []delivered
	answer []int // statuses to answer, in order; then 200
	srv    *httptest.Server
}

type delivered struct {
	eventType string
	signedOK  bool
	body      map[string]any
}

func newHook(t *testing.T, key string, answers ...int) *hook {
	h := &hook{answer: answers}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(key))
		m.Write(b)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		h.mu.Lock()
		h.got = append(h.got, delivered{r.Header.Get("Idenfy-Event-Type"),
			r.Header.Get("Idenfy-Signature") == hex.EncodeToString(m.Sum(nil)), body})
		status := http.StatusOK
		if len(h.answer) > 0 {
			status, h.answer = h.answer[0], h.answer[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) deliveries() []delivered {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]delivered(nil), h.got...)
}

func session(t *testing.T, srv *idenfytest.Server, body string) string {
	t.Helper()
	status, _, b := raw(t, srv, "POST", idenfytest.PathKYCToken, "application/json", body)
	require.Equal(t, http.StatusCreated, status, string(b))
	var ans struct {
		ScanRef string `json:"scanRef"`
	}
	require.NoError(t, json.Unmarshal(b, &ans))
	return ans.ScanRef
}

// Rule: an automatic result with final false precedes the manual one with
// final true; each is signed, and named by the documented event type.
func TestCompletePlaysEachOutcome(t *testing.T) {
	for _, tc := range []struct {
		outcome idenfytest.Outcome
		opts    []idenfytest.CompleteOption
		events  []string
		finals  []bool
		overall string
	}{
		{idenfytest.Approved, nil, []string{"IDENTIFICATION_AUTO_FINISHED", "IDENTIFICATION_MANUAL_FINISHED"}, []bool{false, true}, "APPROVED"},
		{idenfytest.Denied, nil, []string{"IDENTIFICATION_AUTO_FINISHED", "IDENTIFICATION_MANUAL_FINISHED"}, []bool{false, true}, "DENIED"},
		{idenfytest.Suspected, nil, []string{"IDENTIFICATION_AUTO_FINISHED", "IDENTIFICATION_MANUAL_FINISHED"}, []bool{false, true}, "SUSPECTED"},
		{idenfytest.Approved, []idenfytest.CompleteOption{idenfytest.AutoOnly()}, []string{"IDENTIFICATION_AUTO_FINISHED"}, []bool{true}, "APPROVED"},
		{idenfytest.Expired, nil, []string{"IDENTIFICATION_EXPIRED"}, []bool{true}, "EXPIRED"},
		{idenfytest.Cancelled, nil, []string{"IDENTIFICATION_CANCELLED"}, []bool{true}, "DENIED"},
		{idenfytest.Resubmitted, nil, []string{"IDENTIFICATION_RESUBMITTED"}, []bool{false}, "REVIEWING"},
	} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			srv, _ := newServer(t)
			h := newHook(t, idenfytest.WebhookKey)
			ref := session(t, srv, `{"clientId":"u1","firstName":"Ann","callbackUrl":"`+h.srv.URL+`"}`)
			require.NoError(t, srv.Complete(ref, tc.outcome, tc.opts...))
			got := h.deliveries()
			require.Len(t, got, len(tc.events))
			for i, d := range got {
				assert.Equal(t, tc.events[i], d.eventType)
				assert.True(t, d.signedOK, "signed with the webhook key")
				assert.Equal(t, tc.finals[i], d.body["final"])
				assert.Equal(t, ref, d.body["scanRef"])
				assert.Contains(t, d.body, "fileUrls")
			}
			v, _ := srv.Verification(ref)
			assert.Equal(t, tc.overall, v.Status)
		})
	}
}

// Rule: a delivery answered non-2xx is retried on the clock; a 2xx ends it.
func TestCompleteRetriesOnTheClock(t *testing.T) {
	srv, clk := newServer(t, idenfytest.WithWebhookRetries(time.Minute, 5*time.Minute, time.Hour))
	h := newHook(t, idenfytest.WebhookKey, 500, 503)
	ref := session(t, srv, `{"clientId":"u1","urls":{"webhookUrl":"`+h.srv.URL+`"}}`)
	require.NoError(t, srv.Complete(ref, idenfytest.Approved, idenfytest.AutoOnly()))
	require.Len(t, srv.Deliveries(), 1)
	assert.Equal(t, 500, srv.Deliveries()[0].Status)
	clk.Advance(59 * time.Second)
	assert.Len(t, srv.Deliveries(), 1, "not before the delay")
	clk.Advance(time.Second)
	require.Len(t, srv.Deliveries(), 2)
	assert.Equal(t, 503, srv.Deliveries()[1].Status)
	clk.Advance(5 * time.Minute)
	require.Len(t, srv.Deliveries(), 3)
	assert.Equal(t, http.StatusOK, srv.Deliveries()[2].Status)
	assert.Equal(t, 3, srv.Deliveries()[2].Attempt)
	clk.Advance(2 * time.Hour)
	assert.Len(t, srv.Deliveries(), 3, "delivered: no more attempts")
	assert.Len(t, h.deliveries(), 3)
}

func TestHoldReviewThenFinish(t *testing.T) {
	h := newHook(t, idenfytest.WebhookKey)
	srv2, _ := newServer(t, idenfytest.WithWebhookURL(h.srv.URL))
	ref := session(t, srv2, `{"clientId":"u1"}`)
	require.NoError(t, srv2.Complete(ref, idenfytest.Suspected, idenfytest.HoldReview()))
	v, _ := srv2.Verification(ref)
	assert.Equal(t, "REVIEWING", v.Status, "a pending manual review shows in /api/v2/status")
	status, _, b := raw(t, srv2, "POST", idenfytest.PathFull, "application/json", `{"scanRef":"`+ref+`"}`)
	require.Equal(t, http.StatusOK, status)
	var full map[string]any
	require.NoError(t, json.Unmarshal(b, &full))
	assert.Equal(t, false, full["final"], "the full result's final always reads false")
	assert.Equal(t, "SUSPECTED", full["status"].(map[string]any)["overall"], "it shows the automatic result meanwhile")
	require.NoError(t, srv2.FinishReview(ref))
	v, _ = srv2.Verification(ref)
	assert.Equal(t, "SUSPECTED", v.Status)
	got := h.deliveries()
	require.Len(t, got, 2)
	assert.Equal(t, "IDENTIFICATION_MANUAL_FINISHED", got[1].eventType)
	assert.ErrorIs(t, srv2.FinishReview(ref), idenfytest.ErrUnknownScan, "no review left")
	assert.ErrorIs(t, srv2.Complete("nope", idenfytest.Approved), idenfytest.ErrUnknownScan)
}

func TestResultEndpointsAndFiles(t *testing.T) {
	srv, _ := newServer(t)
	ref := session(t, srv, `{"clientId":"u1","firstName":"Ann","lastName":"Lee"}`)
	status, _, _ := raw(t, srv, "POST", idenfytest.PathFull, "application/json", `{"scanRef":"`+ref+`"}`)
	assert.Equal(t, http.StatusNotFound, status, "no result before the session ends")
	require.NoError(t, srv.Complete(ref, idenfytest.Approved))

	status, _, b := raw(t, srv, "POST", idenfytest.PathData, "application/json", `{"scanRef":"`+ref+`"}`)
	require.Equal(t, http.StatusOK, status)
	var data map[string]any
	require.NoError(t, json.Unmarshal(b, &data))
	assert.Equal(t, "ANN", data["docFirstName"])
	assert.Contains(t, data, "docNumber", "required keys are present, null when unread")

	status, _, b = raw(t, srv, "POST", idenfytest.PathFiles, "application/json", `{"scanRef":"`+ref+`"}`)
	require.Equal(t, http.StatusOK, status)
	var files map[string]string
	require.NoError(t, json.Unmarshal(b, &files))
	require.Contains(t, files, "FRONT")
	resp, err := http.Get(files["FRONT"]) // presigned: no credentials
	require.NoError(t, err)
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(img), "PNG")
}

// Rule: deleting while the token is active is refused with PARTNER_ERROR
// "Token has not expired yet." (deletion page).
func TestDeleteWhileActive(t *testing.T) {
	srv, clk := newServer(t)
	ref := session(t, srv, `{"clientId":"u1","expiryTime":60}`)
	status, e, _ := raw(t, srv, "POST", idenfytest.PathDelete, "application/json", `{"scanRef":"`+ref+`"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "PARTNER_ERROR", e.Identifier)
	assert.Equal(t, "Token has not expired yet.", e.Message)
	clk.Advance(time.Minute)
	status, _, _ = raw(t, srv, "POST", idenfytest.PathDelete, "application/json", `{"scanRef":"`+ref+`"}`)
	assert.Equal(t, http.StatusOK, status)
}

func TestActiveSessionConflict(t *testing.T) {
	srv, _ := newServer(t, idenfytest.WithActiveSessionConflict())
	session(t, srv, `{"clientId":"u1"}`)
	status, _, _ := raw(t, srv, "POST", idenfytest.PathKYCToken, "application/json", `{"clientId":"u1"}`)
	assert.Equal(t, http.StatusConflict, status)
	session(t, srv, `{"clientId":"u2"}`)
}

func TestReferenceTokenShape(t *testing.T) {
	srv, _ := newServer(t, idenfytest.WithTokenAnswer(idenfytest.ReferenceAnswer))
	status, _, b := raw(t, srv, "POST", idenfytest.PathKYCToken, "application/json",
		`{"clientId":"u1","client":{"firstName":"Ann"},"urls":{"failUrl":"https://a.example/f"},"lifetime":120,"allowedCountries":["LT"]}`)
	require.Equal(t, http.StatusCreated, status)
	var ans map[string]any
	require.NoError(t, json.Unmarshal(b, &ans))
	for _, k := range []string{"tokenString", "scanRef", "isValid", "expiration", "sessionUrl"} {
		assert.Contains(t, ans, k)
	}
	assert.NotContains(t, ans, "authToken")
	status, e, _ := raw(t, srv, "POST", idenfytest.PathKYCToken, "application/json", `{"clientId":"u1","urls":{"webhookUrl":"nope"}}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, e.Message, "urls.webhookUrl")
	status, e, _ = raw(t, srv, "POST", idenfytest.PathKYCToken, "application/json", `{"clientId":"u1","client":{"lastName":"D0e"}}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, e.Message, "lastName")
}

// Rule: lists are DRF page-number pages {count, next, previous, results}.
func TestIdentificationsPaginate(t *testing.T) {
	srv, _ := newServer(t)
	for range 5 {
		session(t, srv, `{"clientId":"u1"}`)
	}
	session(t, srv, `{"clientId":"other"}`)
	status, _, b := raw(t, srv, "GET", idenfytest.PathIdentifications+"?clientId=u1&perPage=2", "", "")
	require.Equal(t, http.StatusOK, status)
	var p struct {
		Count    int     `json:"count"`
		Next     *string `json:"next"`
		Previous *string `json:"previous"`
		Results  []struct {
			ScanRef string `json:"scanRef"`
			Status  string `json:"status"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(b, &p))
	assert.Equal(t, 5, p.Count)
	assert.Len(t, p.Results, 2)
	assert.Nil(t, p.Previous)
	require.NotNil(t, p.Next)
	assert.Contains(t, *p.Next, "page=2")
	status, _, _ = raw(t, srv, "GET", idenfytest.PathIdentifications+"?clientId=u1&perPage=2&page=4", "", "")
	assert.Equal(t, http.StatusNotFound, status, "DRF: invalid page")
}

func TestCompaniesAndAML(t *testing.T) {
	srv, _ := newServer(t)
	id := srv.AddCompany(idenfytest.Company{ClientID: "c1", Name: "ACME UAB", RegistrationNumber: "304", Country: "LT"})
	srv.AddCompany(idenfytest.Company{ClientID: "c2", Name: "Other", RegistrationNumber: "999"})
	status, _, b := raw(t, srv, "GET", idenfytest.PathKYBCompanies+"?registrationNumber=304", "", "")
	require.Equal(t, http.StatusOK, status)
	var p struct {
		Count   int `json:"count"`
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(b, &p))
	assert.Equal(t, 1, p.Count)
	assert.Equal(t, id, p.Results[0].ID)
	status, _, _ = raw(t, srv, "GET", idenfytest.PathKYBCompanies+id+"/", "", "")
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = raw(t, srv, "GET", idenfytest.PathKYBCompanies+"nope/", "", "")
	assert.Equal(t, http.StatusNotFound, status)

	srv.FlagAML("John Doe")
	status, _, b = raw(t, srv, "POST", idenfytest.PathAMLChecks, "application/json",
		`{"clientId":"c1","userType":"PERSON","input":{"fullName":"John Doe"},"filter":{"datasets":["SAN_CURRENT"]}}`)
	require.Equal(t, http.StatusCreated, status, string(b))
	var check struct {
		ID            string `json:"id"`
		OverallStatus string `json:"overallStatus"`
		AMLCheck      []any  `json:"amlCheck"`
	}
	require.NoError(t, json.Unmarshal(b, &check))
	assert.Equal(t, "FLAGS_FOUND", check.OverallStatus)
	assert.Len(t, check.AMLCheck, 1)
	status, e, _ := raw(t, srv, "POST", idenfytest.PathAMLChecks, "application/json", `{"clientId":"c1","userType":"PERSON","input":{},"filter":{"datasets":["PEP_CURRENT"]}}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, e.Message, "input.fullName")
	status, _, b = raw(t, srv, "POST", idenfytest.PathAMLChecks+check.ID+"/pdf/", "application/json", `{}`)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(b), "%PDF-")
}
