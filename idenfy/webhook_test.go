package idenfy_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
)

const hookKey = auth.Secret("whsec-test-key")

var hookBody = []byte(`{"final":true,"platform":"PC","status":{"overall":"APPROVED","autoFace":"FACE_MATCH","fraudTags":[],"mismatchTags":["NAME"]},` +
	`"data":{"docFirstName":"JOHN","docLastName":"DOE","docType":"ID_CARD","duplicateFaces":["a"]},"fileUrls":{"FRONT":"https://x/f.png"},` +
	`"scanRef":"scan-1","clientId":"user-123","startTime":1554726960,"finishTime":1554727002,"AML":[{"status":{}}],"somethingNew":{"x":1}}`)

// sign computes the signature independently of the package under test.
func sign(body []byte, key string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func webhookRequest(body []byte, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/idenfy", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if sig != "" {
		r.Header.Set("Idenfy-Signature", sig)
	}
	return r
}

func TestWebhookVerification(t *testing.T) {
	good := sign(hookBody, string(hookKey))
	tampered := bytes.Replace(hookBody, []byte("APPROVED"), []byte("DENIED\x20\x20"), 1)
	repl := "0"
	if strings.HasSuffix(good, "0") {
		repl = "1"
	}
	flipped := good[:len(good)-1] + repl // one hex digit changed
	for _, tt := range []struct {
		name string
		body []byte
		sig  string
		key  auth.Secret
		ok   bool
	}{
		{"valid", hookBody, good, hookKey, true},
		{"valid, upper-case hex", hookBody, strings.ToUpper(good), hookKey, true},
		{"tampered body", tampered, good, hookKey, false},
		{"tampered signature", hookBody, flipped, hookKey, false},
		{"truncated signature", hookBody, good[:62], hookKey, false},
		{"not hex", hookBody, "zz" + good[2:], hookKey, false},
		{"wrong key", hookBody, good, "another-key", false},
		{"signature of another key", hookBody, sign(hookBody, "another-key"), hookKey, false},
		{"empty header", hookBody, "", hookKey, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEqual(t, good, flipped)
			err := idenfy.VerifyWebhook(tt.body, tt.sig, tt.key)
			cb, perr := idenfy.ParseWebhook(webhookRequest(tt.body, tt.sig), tt.key)
			if tt.ok {
				require.NoError(t, err)
				require.NoError(t, perr)
				require.NotNil(t, cb)
				return
			}
			assert.ErrorIs(t, err, idenfy.ErrBadSignature)
			assert.ErrorIs(t, perr, idenfy.ErrBadSignature)
			assert.Nil(t, cb, "no payload on a bad signature")
			leakcheck.NoSecrets(t, []string{string(hookKey), good, "JOHN"}, err, perr)
		})
	}
}

func TestWebhookEmptyKeyIsAnError(t *testing.T) {
	err := idenfy.VerifyWebhook(hookBody, sign(hookBody, ""), "")
	require.Error(t, err)
	assert.False(t, errors.Is(err, idenfy.ErrBadSignature), "a configuration error, not a bad request")
	cb, err := idenfy.ParseWebhook(webhookRequest(hookBody, sign(hookBody, "")), "")
	assert.Nil(t, cb)
	assert.Error(t, err)
}

func TestParseWebhookDecodesPayload(t *testing.T) {
	cb, err := idenfy.ParseWebhook(webhookRequest(hookBody, sign(hookBody, string(hookKey))), hookKey)
	require.NoError(t, err)
	assert.True(t, cb.Final)
	assert.Equal(t, "PC", cb.Platform)
	assert.Equal(t, idenfy.StatusApproved, cb.Status.Overall)
	assert.Equal(t, []string{"NAME"}, cb.Status.MismatchTags)
	assert.Equal(t, "JOHN", cb.Data.DocFirstName)
	assert.Equal(t, []string{"a"}, cb.Data.DuplicateFaces)
	front, ok := cb.FileURL("FRONT")
	assert.True(t, ok)
	assert.Equal(t, "https://x/f.png", front)
	assert.Equal(t, "scan-1", cb.ScanRef)
	assert.Equal(t, int64(1554727002), cb.FinishTime)
	assert.JSONEq(t, `[{"status":{}}]`, string(cb.AML))
}

func TestParseWebhookRejectsOversizedAndBadJSON(t *testing.T) {
	big := bytes.Repeat([]byte("a"), idenfy.MaxWebhookBody+1)
	cb, err := idenfy.ParseWebhook(webhookRequest(big, sign(big, string(hookKey))), hookKey)
	assert.Nil(t, cb)
	assert.Error(t, err)

	notJSON := []byte(`JOHN DOE {`)
	cb, err = idenfy.ParseWebhook(webhookRequest(notJSON, sign(notJSON, string(hookKey))), hookKey)
	assert.Nil(t, cb)
	require.Error(t, err)
	assert.False(t, errors.Is(err, idenfy.ErrBadSignature))
	assert.NotContains(t, err.Error(), "JOHN", "the body is not quoted")
}

// The fake posts a signed callback to a real handler, which ParseWebhook
// accepts; a handler with the wrong key refuses it.
func TestFakeSendsSignedWebhook(t *testing.T) {
	srv, c, _ := setup(t, nil)
	tok, err := c.CreateVerificationToken(ctx(t), idenfy.CreateVerificationTokenParams{ClientID: "user-9", FirstName: "Ann"})
	require.NoError(t, err)
	require.True(t, srv.SetStatus(tok.ScanRef, idenfy.StatusDenied))

	got := make(chan *idenfy.KYCCallback, 2)
	handler := func(key auth.Secret) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			cb, err := idenfy.ParseWebhook(r, key)
			if err != nil {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			got <- cb
		}
	}
	good := httptest.NewServer(handler(srv.WebhookKey()))
	defer good.Close()
	bad := httptest.NewServer(handler("not-the-key"))
	defer bad.Close()

	payload, ok := srv.Callback(tok.ScanRef)
	require.True(t, ok)
	require.NoError(t, srv.SendWebhook(context.Background(), good.URL, payload))
	cb := <-got
	assert.Equal(t, idenfy.StatusDenied, cb.Status.Overall)
	assert.True(t, cb.Final)
	assert.Equal(t, "user-9", cb.ClientID)
	assert.Equal(t, "ANN", cb.Data.DocFirstName)

	err = srv.SendWebhook(context.Background(), bad.URL, payload)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
	assert.Equal(t, 2, srv.WebhooksSent())
	assert.Len(t, got, 0)
}
