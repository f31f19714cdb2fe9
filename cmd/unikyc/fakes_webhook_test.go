package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/idenfy"
)

// hookReceiver is a service's webhook endpoint: it checks each delivery's
// signature with the exported UNIKYC_IDENFY_WEBHOOK_KEY, as the idenfy
// package documents, and keeps what it accepted.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	accepted []hook
	refused  int
}

type hook struct {
	eventType string
	ScanRef   string `json:"scanRef"`
	Final     bool   `json:"final"`
	Status    struct {
		Overall string `json:"overall"`
	} `json:"status"`
}

func newHookReceiver(t *testing.T, key string) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if idenfy.VerifyWebhook(body, r.Header.Get(idenfy.SignatureHeader), auth.Secret(key)) != nil {
			h.refused++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var got hook
		if json.Unmarshal(body, &got) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got.eventType = r.Header.Get(idenfy.EventTypeHeader)
		h.accepted = append(h.accepted, got)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) hooks() ([]hook, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hook(nil), h.accepted...), h.refused
}

// newSession starts a KYC session as a service would: POST /api/v2/token
// with Basic auth (PROVIDERS.md, iDenfy: "KYC token: POST /api/v2/token
// {clientId, …, callbackUrl, …} → {message, authToken, scanRef, …}").
func (r *fakesRun) newSession(t *testing.T, body string) string {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(r.env["UNIKYC_IDENFY_API_KEY"] + ":" + r.env["UNIKYC_IDENFY_API_SECRET"]))
	status, _, b := postJSON(t, r.env["UNIKYC_IDENFY_BASE_URL"]+"/api/v2/token", body, "Authorization", "Basic "+basic)
	require.Equal(t, http.StatusCreated, status, "%s", b)
	var tok struct {
		ScanRef   string `json:"scanRef"`
		AuthToken string `json:"authToken"`
	}
	require.NoError(t, json.Unmarshal(b, &tok))
	require.NotEmpty(t, tok.ScanRef)
	return tok.ScanRef
}

// The admin API completes a verification and the fake delivers its signed
// webhooks to the service's receiver: the automatic result, then the
// manual review's final one.
func TestFakesCompleteVerificationDeliversSignedWebhooks(t *testing.T) {
	r := startFakesCmd(t)
	key := r.env["UNIKYC_IDENFY_WEBHOOK_KEY"]
	recv := newHookReceiver(t, key)
	scanRef := r.newSession(t, `{"clientId": "user-7", "firstName": "Ann", "callbackUrl": "`+recv.URL+`/hooks/idenfy"}`)

	status, v := r.admin(t, http.MethodPost, "/idenfy/complete-verification", `{"scan_ref": "`+scanRef+`"}`)
	require.Equal(t, http.StatusOK, status, "%v", v)
	ds, _ := v["deliveries"].([]any)
	require.Len(t, ds, 2, "%v", v)
	for _, d := range ds {
		assert.Equal(t, float64(http.StatusOK), d.(map[string]any)["status"], "%v", d)
		assert.Equal(t, recv.URL+"/hooks/idenfy", d.(map[string]any)["url"])
	}
	hooks, refused := recv.hooks()
	assert.Zero(t, refused, "every delivery is signed with the exported key")
	require.Len(t, hooks, 2)
	assert.Equal(t, idenfy.EventIdentificationAutoFinished, hooks[0].eventType)
	assert.False(t, hooks[0].Final)
	assert.Equal(t, idenfy.EventIdentificationManualFinished, hooks[1].eventType)
	assert.True(t, hooks[1].Final)
	for _, h := range hooks {
		assert.Equal(t, scanRef, h.ScanRef)
		assert.Equal(t, "APPROVED", h.Status.Overall)
	}

	// hold_review, then finish-review; the outcome in any case.
	scanRef = r.newSession(t, `{"clientId": "user-8", "callbackUrl": "`+recv.URL+`/hooks/idenfy"}`)
	status, _ = r.admin(t, http.MethodPost, "/idenfy/complete-verification", `{"scan_ref": "`+scanRef+`", "outcome": "denied", "hold_review": true}`)
	require.Equal(t, http.StatusOK, status)
	hooks, _ = recv.hooks()
	require.Len(t, hooks, 3)
	assert.Equal(t, "DENIED", hooks[2].Status.Overall)
	assert.False(t, hooks[2].Final)
	status, v = r.admin(t, http.MethodPost, "/idenfy/finish-review", `{"scan_ref": "`+scanRef+`"}`)
	require.Equal(t, http.StatusOK, status, "%v", v)
	hooks, _ = recv.hooks()
	require.Len(t, hooks, 4)
	assert.True(t, hooks[3].Final)
	assert.Equal(t, idenfy.EventIdentificationManualFinished, hooks[3].eventType)

	_, v = r.admin(t, http.MethodGet, "/idenfy/deliveries", "")
	all, _ := v["deliveries"].([]any)
	assert.Len(t, all, 4)

	for body, want := range map[string]int{
		`{"scan_ref": "no-such-scan"}`: http.StatusNotFound,
		`{}`:                           http.StatusBadRequest,
		`{"scan_ref": "` + scanRef + `", "outcome": "MAYBE"}`:       http.StatusBadRequest,
		`{"scan_ref": "x", "auto_only": true, "hold_review": true}`: http.StatusBadRequest,
	} {
		status, v = r.admin(t, http.MethodPost, "/idenfy/complete-verification", body)
		assert.Equal(t, want, status, "%s: %v", body, v)
		assert.NotEmpty(t, v["error"], body)
	}
	hooks, _ = recv.hooks()
	assert.Len(t, hooks, 4, "a refused knob delivers nothing")
}

// --idenfy-webhook-url is where webhooks of sessions without a
// callbackUrl go, as the dashboard's setting does.
func TestFakesIdenfyWebhookURL(t *testing.T) {
	recv := newHookReceiver(t, "idenfytest-webhook-signing-key")
	r := startFakesCmd(t, "--idenfy-webhook-url", recv.URL+"/default")
	require.Equal(t, "idenfytest-webhook-signing-key", r.env["UNIKYC_IDENFY_WEBHOOK_KEY"])
	scanRef := r.newSession(t, `{"clientId": "user-9"}`)
	status, v := r.admin(t, http.MethodPost, "/idenfy/complete-verification", `{"scan_ref": "`+scanRef+`", "outcome": "EXPIRED"}`)
	require.Equal(t, http.StatusOK, status, "%v", v)
	hooks, refused := recv.hooks()
	assert.Zero(t, refused)
	require.Len(t, hooks, 1)
	assert.Equal(t, idenfy.EventIdentificationExpired, hooks[0].eventType)

	res := cli(nil, "", "fakes", "--idenfy-webhook-url", "ftp://x")
	assert.Equal(t, exitUsage, res.code)
}
