package webhook_test

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unikyc/unikyc/webhook/webhooktest"
)

// Rule: every signature near miss is ErrBadSignature and the correct
// signature passes (the conformance check every provider package runs).
func TestSignatureNearMisses(t *testing.T) {
	s := webhooktest.Signatures{
		Provider:  newTestProvider(key1, "second-current-key"),
		Header:    sigHeader,
		Sign:      func(b []byte) string { return hex.EncodeToString(mac([]byte(key1), b)) },
		SignOther: func(b []byte) string { return hex.EncodeToString(mac([]byte("not-a-current-key"), b)) },
		Body:      autoBody,
	}
	assert.GreaterOrEqual(t, len(webhooktest.NearMisses(s)), 30)
	webhooktest.CheckSignatures(t, s)
}

// The conformance check itself fails for a provider that accepts a near
// miss: here one that reads only the first of two signature headers.
func TestConformanceCatchesALaxProvider(t *testing.T) {
	lax := &laxProvider{newTestProvider(key1)}
	s := webhooktest.Signatures{
		Provider:  lax,
		Header:    sigHeader,
		Sign:      func(b []byte) string { return hex.EncodeToString(mac([]byte(key1), b)) },
		SignOther: func(b []byte) string { return hex.EncodeToString(mac([]byte("other"), b)) },
		Body:      autoBody,
	}
	rec := &recordingTB{TB: t}
	webhooktest.CheckSignatures(rec, s)
	assert.Contains(t, rec.errors, `webhooktest: near miss "header sent twice, right one first" verified`)
	assert.Contains(t, rec.errors, `webhooktest: near miss "header sent twice, same value" verified`)
}
