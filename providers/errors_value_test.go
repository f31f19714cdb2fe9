package providers_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

// Rule: a dereferenced *Error is as quiet as the pointer: no body, message
// or header through fmt, slog, JSON, XML, YAML, gob or text/template.
func TestDereferencedErrorShowsNoBody(t *testing.T) {
	e := providers.NewError("icomply", "login", answer(400, `{"detail":"jane.doe@example.com DOB 1990-01-01"}`),
		func(e *providers.Error) { e.Code, e.Message = "BAD", "jane.doe@example.com" })
	e.Header.Set("Set-Cookie", "session=cookie-SECRET")
	pii := []string{"jane.doe", "1990-01-01", "cookie-SECRET"}
	leakcheck.NoSecrets(t, pii, *e, []providers.Error{*e}, struct{ E providers.Error }{*e})
	assert.Equal(t, e.Error(), fmt.Sprintf("%+v", *e))
	assert.Equal(t, e.Error(), fmt.Sprintf("%#v", *e))

	rl := providers.RateLimitError{Provider: "compliancely", RetryAfter: 10*time.Minute + 3*time.Millisecond/2, Response: e}
	leakcheck.NoSecrets(t, pii, rl, &rl, error(&rl))
	assert.Equal(t, "unikyc: compliancely login: rate limited: retry after 10m0s", fmt.Sprintf("%+v", rl))
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("m", "err", rl)
	assert.Contains(t, b.String(), "err.retry_after=10m0.0015s")
}
