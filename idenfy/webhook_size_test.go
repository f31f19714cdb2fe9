package idenfy_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
)

// Rule: one "unikyc:" prefix per error: the oversized-webhook error says
// what was too large, once.
func TestOversizedWebhookErrorHasOnePrefix(t *testing.T) {
	big := bytes.Repeat([]byte("a"), idenfy.MaxWebhookBody+1)
	ev, err := idenfy.ParseEvent(webhookRequest(big, sign(big, string(hookKey))), hookKey)
	assert.Nil(t, ev)
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "unikyc:"), err.Error())
	assert.Equal(t, fmt.Sprintf("unikyc: idenfy: webhook body over %d bytes", idenfy.MaxWebhookBody), err.Error())
}
