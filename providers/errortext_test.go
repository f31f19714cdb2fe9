package providers_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"

	"github.com/unikyc/unikyc/providers"
)

// Regression: codes and field names decoded from an answer went into
// Error() as they came, so an answer could put line breaks (forged log
// lines) or kilobytes into an error string. Found by the decoders' fuzz
// targets (seed genericjwt/testdata/fuzz/FuzzDecodeError/loc-newline).
func TestErrorTextIsOneBoundedLine(t *testing.T) {
	fields := make([]string, 100)
	for i := range fields {
		fields[i] = "body.name\r\nlevel=ERROR msg=forged"
	}
	e := &providers.Error{Provider: "p", Operation: "login", StatusCode: 422,
		Code: "BAD\nlevel=INFO msg=forged\x00" + strings.Repeat("X", 10<<10) + "\xff", Fields: fields}
	msg := e.Error()
	assert.Less(t, len(msg), 1024)
	for _, r := range msg {
		assert.True(t, unicode.IsPrint(r) && r != unicode.ReplacementChar, "%q in %q", r, msg)
	}
	assert.True(t, strings.HasPrefix(msg, "unikyc: p login: 422 Unprocessable Entity (BAD?level=INFO msg=forged?XXX"), msg)
	assert.Contains(t, msg, "fields: body.name??level=ERROR msg=forged, ")
	assert.True(t, strings.HasSuffix(msg, ", …"), "past eight fields, an ellipsis")

	plain := &providers.Error{Provider: "p", Operation: "me", StatusCode: 400, Code: "LOGIN_BAD_CREDENTIALS", Fields: []string{"body.username", "tags[2]"}}
	assert.Equal(t, "unikyc: p me: 400 Bad Request (LOGIN_BAD_CREDENTIALS) fields: body.username, tags[2]", plain.Error(),
		"ordinary codes and fields print as before")
}

// A Limiter's DeadlineError read before the pipeline names the provider
// still reads as a sentence.
func TestDeadlineErrorWithoutProvider(t *testing.T) {
	err := providers.DeadlineError("requests", 61*time.Second)
	assert.Equal(t, "unikyc: limiter: budget requests exhausted: retry after 1m1s, past the deadline", err.Error())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, providers.ErrRateLimited)
}
