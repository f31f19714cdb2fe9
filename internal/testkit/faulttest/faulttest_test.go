package faulttest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/unikyc/unikyc/internal/httpbody"
	"github.com/unikyc/unikyc/providers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The recorder must see what the fault matrix later looks for: without
// it every leak check would pass vacuously.
func TestRecorderSeesCredentialsAndTokens(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"
	srv := NewOther()
	defer srv.Close()
	front := NewFront(srv.URL)
	defer front.Close()
	front.Next("/t", 1, Answer(http.StatusOK, []byte(`{"access_token":"`+jwt+`"}`)))

	rec := NewRecorder("X-API-Key")
	defer rec.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, front.URL+"/t", strings.NewReader(`{"refresh":"`+jwt+`x"}`))
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("key-1234:secret-5678")))
	req.Header.Set("X-API-Key", "api-key-9999")
	resp, err := rec.RoundTrip(req)
	require.NoError(t, err)
	_, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()

	got := rec.Secrets()
	for _, want := range []string{"key-1234", "secret-5678", "api-key-9999", jwt, jwt + "x"} {
		assert.Contains(t, got, want)
	}
	assert.Equal(t, 1, front.Calls("/t"))
	assert.Equal(t, 1, front.Answered("/t", http.StatusOK))
}

type recordingTB struct {
	testing.TB
	failed []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, a ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, a...))
}

func TestChecksFail(t *testing.T) {
	tb := &recordingTB{TB: t}
	NoSecretIn(tb, "a log line", `{"msg":"token eyJxyz-secret"}`, []string{"eyJxyz-secret"})
	CheckError(tb, errors.New("unikyc: something went wrong"))
	assert.Len(t, tb.failed, 2, "a leak and an untyped error are both failures")

	tb = &recordingTB{TB: t}
	NoSecretIn(tb, "a log line", `{"msg":"fine"}`, []string{"eyJxyz-secret"})
	CheckError(tb, nil)
	assert.Empty(t, tb.failed)
}

func TestKind(t *testing.T) {
	for want, err := range map[string]error{
		KindOK:          nil,
		KindProvider:    fmt.Errorf("x: %w", &providers.Error{StatusCode: 500}),
		KindRateLimited: &providers.RateLimitError{},
		KindValidation:  providers.Invalid("f", "r"),
		KindDeadline:    fmt.Errorf("x: %w", context.DeadlineExceeded),
		KindTooLarge:    fmt.Errorf("x: %w", httpbody.ErrTooLarge),
		KindTransport:   fmt.Errorf("x: %w", io.ErrUnexpectedEOF),
		"":              errors.New("plain"),
	} {
		assert.Equal(t, want, Kind(err), "%v", err)
	}
}
