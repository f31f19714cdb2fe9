package auth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unikyc/unikyc/auth"
)

// Rule: an API key goes only in a header that carries it to the server as
// is — not one net/http drops, rewrites or that access logs record.
func TestHeaderNameRuleRefusesHeadersThatCannotCarryAKey(t *testing.T) {
	for _, h := range []string{"X-API-Key", "Api-Key", "x-kyc-key", "Authorization", "X_Key~1"} {
		assert.NoError(t, auth.CheckHeaderName(h), h)
	}
	for _, h := range []string{"Host", "host", "Content-Length", "TRANSFER-ENCODING", "Trailer", "TE",
		"Connection", "Upgrade", "User-Agent", "user-agent", "Referer", "Content-Type", "Cookie", "Proxy-Authorization"} {
		assert.ErrorIs(t, auth.CheckHeaderName(h), auth.ErrReservedHeader, h)
	}
	for _, h := range []string{"", "X Key", "X-Key:", "X-Kéy", "X-Key\r\n", "(x)"} {
		assert.ErrorIs(t, auth.CheckHeaderName(h), auth.ErrHeaderName, h)
	}
}

// Rule: a key or secret with CR, LF, NUL or another control character is
// refused before it reaches a header.
func TestHeaderValueRuleRefusesControlCharacters(t *testing.T) {
	assert.NoError(t, auth.CheckHeaderValue("k3y-with.punct/=+ and space"))
	for _, v := range []string{"k\r", "k\n", "k\x00", "k\x7f", "\tk"} {
		assert.ErrorIs(t, auth.CheckHeaderValue(v), auth.ErrControlChar, "%q", v)
	}
	assert.NoError(t, auth.CheckScheme("Bearer"))
	assert.NoError(t, auth.CheckScheme("JWT"))
	for _, s := range []string{"", "Two words", "Bearer\r\n", "JWT\x00"} {
		assert.Error(t, auth.CheckScheme(s), "%q", s)
	}
}
