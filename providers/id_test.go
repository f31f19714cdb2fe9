package providers_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/providers"
)

// Rule: an identifier from a provider decodes from a JSON string or number.
func TestIDDecodesStringsAndNumbers(t *testing.T) {
	for raw, want := range map[string]providers.ID{
		`1`:                    "1",
		`"usr_1"`:              "usr_1",
		`12345678901234567890`: "12345678901234567890",
		`null`:                 "",
		`"591"`:                "591",
	} {
		var v struct{ ID providers.ID }
		require.NoError(t, json.Unmarshal([]byte(`{"ID":`+raw+`}`), &v), raw)
		assert.Equal(t, want, v.ID, raw)
	}
	for _, raw := range []string{`true`, `{}`, `[1]`} {
		var v struct{ ID providers.ID }
		assert.Error(t, json.Unmarshal([]byte(`{"ID":`+raw+`}`), &v), raw)
	}
	out, err := json.Marshal(struct{ ID providers.ID }{"1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"ID":"1"}`, string(out), "encodes as a string")
	n, err := providers.ID("591").Int()
	require.NoError(t, err)
	assert.EqualValues(t, 591, n)
	assert.Equal(t, "x", providers.ID("x").String())
}
